"""The arithmetic of a strided window, shared by every kind that slides one (convolution,
pooling): output sizes, ``same`` padding, and the :class:`Windowed` capability questions ask for.

Output size of a strided window (PyTorch ``Conv2d``/``MaxPool2d`` docs, "Shape" section;
Dumoulin & Visin, *A guide to convolution arithmetic*, relationship 15):
``H_out = ⌊(H + 2P − D(K − 1) − 1) / S⌋ + 1``. With stride 1 it equals H when
``P = D(K − 1)/2`` (``same`` padding).
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derivations.formula import Formula, as_size, is_concrete, total
from derivations.layers.base import LayerKind, SizeRule, require_feature_map
from derivations.shapes import Shape, ShapeError

Pair = tuple[sp.Expr, sp.Expr]

H_IN, W_IN, C_IN = sp.symbols("H_in W_in C_in", positive=True, integer=True)
H_OUT, W_OUT, C_OUT = sp.symbols("H_out W_out C_out", positive=True, integer=True)
K_H, K_W = sp.symbols("K_h K_w", positive=True, integer=True)
K, S, D, G = sp.symbols("K S D G", positive=True, integer=True)
P = sp.Symbol("P", nonnegative=True, integer=True)


@cache
def _window_rhs(axis: str, dilated: bool, strided: bool) -> sp.Expr:
    """The general right side of :func:`window_size`, built once per form: building it
    unevaluated under ``sp.evaluate(False)`` clears SymPy's cache on entry and exit."""
    inp = H_IN if axis == "H" else W_IN
    with sp.evaluate(False):
        span = [inp, 2 * P, -D * (K - 1), -1] if dilated else [inp, 2 * P, -K]
        return total([sp.floor(total(span) / S), 1]) if strided else total([*span, 1])


def window_size(
    size: sp.Expr,
    kernel: sp.Expr,
    stride: sp.Expr,
    padding: sp.Expr,
    dilation: sp.Expr,
    axis: str,
    field_name: str,
) -> SizeRule:
    """One axis of a strided window: the formula above, substituted, with its remainder."""
    inp, out = (H_IN, H_OUT) if axis == "H" else (W_IN, W_OUT)
    values = {inp: size, P: padding, D: dilation, K: kernel, S: stride}
    if is_concrete(size, kernel, padding, dilation):
        reach = dilation * (kernel - 1) + 1
        if size + 2 * padding < reach:
            raise ShapeError(
                field_name,
                f"kernel {kernel} (dilation {dilation}) is larger than the padded input "
                f"{size} + 2·{padding} = {size + 2 * padding}",
            )
    formula = Formula.of(out, _window_rhs(axis, dilation != 1, stride != 1), values)
    remainder = None
    if stride != 1 and is_concrete(size, kernel, padding, dilation, stride):
        left = size + 2 * padding - dilation * (kernel - 1) - 1
        rem = sp.Mod(left, stride)
        remainder = rem if rem != 0 else None
    return SizeRule(formula, remainder)


@cache
def _same_padding_solution(dilated: bool) -> sp.Expr:
    """Solve H + 2P − D(K − 1) = H for P, once per form (solving is slow; the form is fixed)."""
    h = sp.Symbol("H", positive=True, integer=True)
    symbol, solved = sp.solve_linear(h + 2 * P - D * (K - 1) - h, symbols=[P])
    assert symbol == P
    return solved if dilated else solved.subs(D, 1)


def same_padding_formula(kernel: sp.Expr, dilation: sp.Expr) -> Formula:
    """P solving H + 2P − D(K − 1) = H (stride 1)."""
    solved = _same_padding_solution(dilation != 1)
    with sp.evaluate(False):
        rhs = sp.Mul(D, K - 1) / 2 if dilation != 1 else (K - 1) / 2
    assert sp.expand(rhs.doit() - solved) == 0, "the printed form must be the solution"
    return Formula.of(P, rhs, {K: kernel, D: dilation})


def same_padding(kernel: sp.Expr, dilation: sp.Expr) -> sp.Expr:
    """The padding ``same`` stands for on one axis; ShapeError for an even kernel."""
    p = same_padding_formula(kernel, dilation).value
    if p.is_integer is False:
        raise ShapeError("padding", f"padding 'same' needs an odd kernel, got {kernel}")
    return p


def pair(values: tuple[int | str, int | str]) -> Pair:
    """A (height, width) pair of spec values as SymPy sizes."""
    return as_size(values[0]), as_size(values[1])


class Windowed(LayerKind):
    """The capability of a kind that slides a K_h × K_w window with a stride, padding and
    dilation per axis. Questions such as ``same_padding`` accept any kind that has it.

    Subclasses give the four pairs as SymPy sizes (height, width)."""

    @property
    def kernel_size(self) -> Pair:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def stride_size(self) -> Pair:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def dilation_size(self) -> Pair:
        return sp.Integer(1), sp.Integer(1)

    @property
    def padding_spec(self) -> tuple[int, int] | str:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def padding_size(self) -> Pair:
        """The padding as numbers: ``valid`` is 0, ``same`` is P = D(K − 1)/2 per axis."""
        spec = self.padding_spec
        if spec == "valid":
            return sp.Integer(0), sp.Integer(0)
        if spec == "same":
            h, w = (
                same_padding(k, d)
                for k, d in zip(self.kernel_size, self.dilation_size, strict=True)
            )
            return h, w
        assert isinstance(spec, tuple)
        return sp.Integer(spec[0]), sp.Integer(spec[1])

    def windows(self, shape: Shape) -> tuple[SizeRule, SizeRule]:
        """Both spatial axes of the window over a feature map (raises on a vector input)."""
        require_feature_map(shape, self.kind_name)
        k, s, p, d = self.kernel_size, self.stride_size, self.padding_size, self.dilation_size
        h = window_size(shape.height, k[0], s[0], p[0], d[0], "H", "kernel")
        w = window_size(shape.width, k[1], s[1], p[1], d[1], "W", "kernel")
        return h, w
