"""The arithmetic of a strided window, shared by every kind that slides one (convolutions,
transposed convolutions, pooling) over 1, 2 or 3 spatial axes: output sizes, ``same``
padding, and the :class:`Windowed` capability questions ask for.

Output size of a strided window (PyTorch ``Conv2d``/``MaxPool2d`` docs, "Shape" section;
Dumoulin & Visin, *A guide to convolution arithmetic*, relationship 15):
``H_out = ⌊(H + 2P − D(K − 1) − 1) / S⌋ + 1``. With stride 1 it equals H when
``P = D(K − 1)/2`` (``same`` padding). Rounding up (PyTorch's ``ceil_mode``) takes
``⌈…⌉ + 1``, then drops the last window if it would start in the right padding, that is when
``(H_out − 1)·S ≥ H + P`` (``torch/nn/functional.py`` ``pooling_output_shape``; the rule
quoted in the ``MaxPool2d`` docs' note). A transposed convolution inverts the rule:
``H_out = (H − 1)·S − 2P + D(K − 1) + P_out + 1`` (PyTorch ``ConvTranspose2d`` docs).
"""

from __future__ import annotations

from functools import cache
from typing import ClassVar, Literal

import sympy as sp

from derivations.formula import Formula, as_size, is_concrete, total
from derivations.layers.base import LayerKind, SizeRule, require_map
from derivations.shapes import SPATIAL_NAMES, Shape, ShapeError

Pair = tuple[sp.Expr, ...]
"""A value per spatial axis, in PyTorch's order (L; H, W; D, H, W)."""
Rounding = Literal["floor", "ceil"]

_positive = {"positive": True, "integer": True}
H_IN, W_IN, C_IN = sp.symbols("H_in W_in C_in", **_positive)
H_OUT, W_OUT, C_OUT = sp.symbols("H_out W_out C_out", **_positive)
L_IN, L_OUT, D_IN, D_OUT = sp.symbols("L_in L_out D_in D_out", **_positive)
K_H, K_W, K_D = sp.symbols("K_h K_w K_d", **_positive)
K, S, D, G = sp.symbols("K S D G", **_positive)
P = sp.Symbol("P", nonnegative=True, integer=True)
P_OUT = sp.Symbol("P_out", nonnegative=True, integer=True)

AXIS_SYMBOLS = {"L": (L_IN, L_OUT), "D": (D_IN, D_OUT), "H": (H_IN, H_OUT), "W": (W_IN, W_OUT)}
"""Each spatial axis's input and output size symbols."""
KERNEL_SYMBOLS = {1: (K,), 2: (K_H, K_W), 3: (K_D, K_H, K_W)}
"""The kernel size symbols of a window over 1, 2 and 3 axes."""


@cache
def _window_rhs(axis: str, dilated: bool, strided: bool, rounding: Rounding) -> sp.Expr:
    """The general right side of :func:`window_size`, built once per form: building it
    unevaluated under ``sp.evaluate(False)`` clears SymPy's cache on entry and exit."""
    inp = AXIS_SYMBOLS[axis][0]
    with sp.evaluate(False):
        span = [inp, 2 * P, -D * (K - 1), -1] if dilated else [inp, 2 * P, -K]
        if not strided:
            return total([*span, 1])
        rounded = sp.floor if rounding == "floor" else sp.ceiling
        return total([rounded(total(span) / S), 1])


@cache
def _transposed_rhs(axis: str, dilated: bool, adjusted: bool) -> sp.Expr:
    inp = AXIS_SYMBOLS[axis][0]
    with sp.evaluate(False):
        extra = [P_OUT] if adjusted else []
        minus_2p = sp.Mul(-1, sp.Mul(2, P))  # prints "− 2·1", not "− 2", once substituted
        if dilated:
            return total([sp.Mul(inp - 1, S), minus_2p, D * (K - 1), *extra, 1])
        return total([sp.Mul(inp - 1, S), minus_2p, K, *extra])


def window_size(
    size: sp.Expr,
    kernel: sp.Expr,
    stride: sp.Expr,
    padding: sp.Expr,
    dilation: sp.Expr,
    axis: str,
    field_name: str,
    rounding: Rounding = "floor",
) -> SizeRule:
    """One axis of a strided window: the formula above, substituted, with its remainder (the
    floor's) or its note (the ceiling's, and PyTorch's dropped last window)."""
    out = AXIS_SYMBOLS[axis][1]
    values = {AXIS_SYMBOLS[axis][0]: size, P: padding, D: dilation, K: kernel, S: stride}
    if is_concrete(size, kernel, padding, dilation):
        reach = dilation * (kernel - 1) + 1
        if size + 2 * padding < reach:
            raise ShapeError(
                field_name,
                f"kernel {kernel} (dilation {dilation}) is larger than the padded input "
                f"{size} + 2·{padding} = {size + 2 * padding}",
            )
    strided = stride != 1
    rhs = _window_rhs(axis, dilation != 1, strided, rounding if strided else "floor")
    formula = Formula.of(out, rhs, values)
    left = size + 2 * padding - dilation * (kernel - 1) - 1
    concrete = is_concrete(size, kernel, padding, dilation, stride)
    if rounding == "floor" or not strided:
        remainder = None
        if strided and concrete:
            rem = sp.Mod(left, stride)
            remainder = rem if rem != 0 else None
        return SizeRule(formula, remainder, axis)
    return _ceil_rule(formula, size, padding, stride, left, axis, concrete)


def _ceil_rule(
    formula: Formula,
    size: sp.Expr,
    padding: sp.Expr,
    stride: sp.Expr,
    left: sp.Expr,
    axis: str,
    concrete: bool,
) -> SizeRule:
    """PyTorch's ceil mode: round up, then drop a last window that starts past the input and
    its left padding (``(out − 1)·S ≥ size + P``)."""
    if not concrete:
        raise ShapeError(
            "rounding",
            f"rounding: ceil with symbolic sizes: whether the last {axis} window would start in "
            "the right padding (PyTorch then drops it) depends on the sizes; give numbers, or "
            "round down",
        )
    ceil = sp.ceiling(sp.Rational(left, stride))
    exact = sp.Rational(left, stride)
    if ceil * stride >= size + padding:
        rhs = total([*formula.rhs.args, sp.Integer(-1)])
        dropped = Formula(formula.lhs, rhs, formula.values)
        note = (
            f"{exact} rounds up to {ceil}, but the last window would start at {ceil * stride}, "
            f"past the input and its left padding ({size} + {padding}), so PyTorch drops it: "
            f"{axis}_out = {ceil} + 1 − 1 = {dropped.value}"
        )
        return SizeRule(dropped, None, axis, note)
    if exact.is_integer:
        return SizeRule(formula, None, axis)
    note = (
        f"{exact} = {float(exact):g} is not whole, so the ceiling rounds it up to {ceil} and "
        f"{axis}_out = {ceil} + 1 = {formula.value} (the last window overhangs the input)"
    )
    return SizeRule(formula, None, axis, note)


def transposed_size(
    size: sp.Expr,
    kernel: sp.Expr,
    stride: sp.Expr,
    padding: sp.Expr,
    dilation: sp.Expr,
    output_padding: sp.Expr,
    axis: str,
) -> SizeRule:
    """One axis of a transposed convolution (the formula in the module docstring)."""
    out = AXIS_SYMBOLS[axis][1]
    values = {
        AXIS_SYMBOLS[axis][0]: size,
        P: padding,
        D: dilation,
        K: kernel,
        S: stride,
        P_OUT: output_padding,
    }
    rhs = _transposed_rhs(axis, dilation != 1, output_padding != 0)
    formula = Formula.of(out, rhs, values)
    if is_concrete(formula.value) and formula.value < 1:
        raise ShapeError(
            "padding",
            f"the output {axis} would be {formula.value}: padding {padding} removes more than "
            "the transposed convolution adds",
        )
    return SizeRule(formula, None, axis)


@cache
def _same_padding_solution(dilated: bool) -> sp.Expr:
    """Solve H + 2P − D(K − 1) = H for P, once per form (solving is slow; the form is fixed)."""
    h = sp.Symbol("H", positive=True, integer=True)
    symbol, solved = sp.solve_linear(h + 2 * P - D * (K - 1) - h, symbols=[P])
    assert symbol == P
    return solved if dilated else solved.subs(D, 1)


@cache
def _same_padding_rhs(dilated: bool) -> sp.Expr:
    """The printed right side of :func:`same_padding_formula`, built once per form (built
    unevaluated under ``sp.evaluate(False)``, which clears SymPy's cache)."""
    solved = _same_padding_solution(dilated)
    with sp.evaluate(False):
        rhs = sp.Mul(D, K - 1) / 2 if dilated else (K - 1) / 2
    assert sp.expand(rhs.doit() - solved) == 0, "the printed form must be the solution"
    return rhs


def same_padding_formula(kernel: sp.Expr, dilation: sp.Expr) -> Formula:
    """P solving H + 2P − D(K − 1) = H (stride 1)."""
    return Formula.of(P, _same_padding_rhs(dilation != 1), {K: kernel, D: dilation})


def same_padding(kernel: sp.Expr, dilation: sp.Expr) -> sp.Expr:
    """The padding ``same`` stands for on one axis; ShapeError for an even kernel."""
    p = same_padding_formula(kernel, dilation).value
    if p.is_integer is False:
        raise ShapeError("padding", f"padding 'same' needs an odd kernel, got {kernel}")
    return p


def pair(values: tuple[int | str, ...]) -> Pair:
    """A per-axis tuple of spec values as SymPy sizes."""
    return tuple(as_size(v) for v in values)


class Windowed(LayerKind):
    """The capability of a kind that slides a window with a stride, padding and dilation per
    spatial axis. Questions such as ``same_padding`` accept any kind that has it.

    Subclasses give the four tuples as SymPy sizes, one per spatial axis (height, width for a
    2-D window), and ``rank``, the number of spatial axes."""

    rank: ClassVar[int] = 2

    @property
    def axes(self) -> tuple[str, ...]:
        """The course's names of the spatial axes: ``("H", "W")``."""
        return SPATIAL_NAMES[self.rank]

    @property
    def kernel_size(self) -> Pair:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def stride_size(self) -> Pair:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def dilation_size(self) -> Pair:
        return (sp.Integer(1),) * self.rank

    @property
    def padding_spec(self) -> tuple[int | str, ...] | str:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def rounding_mode(self) -> Rounding:
        """How strided sizes round: ``floor`` unless the kind says otherwise."""
        return "floor"

    @property
    def padding_size(self) -> Pair:
        """The padding as numbers: ``valid`` is 0, ``same`` is P = D(K − 1)/2 per axis."""
        spec = self.padding_spec
        if spec == "valid":
            return (sp.Integer(0),) * self.rank
        if spec == "same":
            return tuple(
                same_padding(k, d)
                for k, d in zip(self.kernel_size, self.dilation_size, strict=True)
            )
        assert isinstance(spec, tuple)
        return pair(spec)

    def windows(self, shape: Shape) -> tuple[SizeRule, ...]:
        """Every spatial axis of the window over a map (raises on another form or rank)."""
        require_map(shape, self.kind_name, self.rank)
        k, s, p, d = self.kernel_size, self.stride_size, self.padding_size, self.dilation_size
        return tuple(
            window_size(
                shape.spatial[i], k[i], s[i], p[i], d[i], axis, "kernel", self.rounding_mode
            )
            for i, axis in enumerate(self.axes)
        )
