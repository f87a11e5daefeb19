"""``conv_backprop``: the backward pass of one convolution layer in index notation, with the
shape of every gradient for the spec's sizes.

For Y = W ⋆ X + b (a cross-correlation, as deep-learning libraries compute it) with stride S,
dilation D and X zero-padded by P, each output is
``Y[o, i, j] = b[o] + Σ_c Σ_u Σ_v W[o, c, u, v] · X[c + g(o)·C_in/G, S·i + D·u, S·j + D·v]``.
Given δ = ∂L/∂Y (the shape of Y):

- ``∂L/∂W[o, c, u, v] = Σ_i Σ_j δ[o, i, j] · X[c + g(o)·C_in/G, S·i + D·u, S·j + D·v]``: a
  correlation of the input with δ, strided and dilated like the layer (the shape of W);
- ``∂L/∂b[o] = Σ_i Σ_j δ[o, i, j]`` (C_out);
- ``∂L/∂X[c, p, q] = Σ_o Σ_u Σ_v δ[o, (p − D·u)/S, (q − D·v)/S] · W[o, c, …, u, v]`` over the
  terms whose quotients are whole and within δ: a transposed convolution of δ with the same
  weights (the shape of X, padding removed).

Goodfellow, Bengio & Courville 2016, §9.5, eqs. 9.11–9.14 (strided convolution and its
gradients); Dumoulin & Visin 2016, §4 (the transposed convolution as the gradient).
"""

from __future__ import annotations

from typing import Literal

import sympy as sp

from derivations.answers import Answer, Step
from derivations.backprop import Partial
from derivations.fields import Text
from derivations.formula import Formula, total
from derivations.layers import Count, Windowed
from derivations.questions.base import Context, QuestionKind, layer_result, question_kind
from derivations.shapes import ShapeError, Unsupported

N = {"nonnegative": True, "integer": True}
OUT_CH, C, G_IDX = sp.Symbol("o", **N), sp.Symbol("c", **N), sp.Symbol("g", **N)
POS = {1: ("i",), 2: ("i", "j"), 3: ("k", "i", "j")}
OFF = {1: ("u",), 2: ("u", "v"), 3: ("t", "u", "v")}
OUT = {1: ("p",), 2: ("p", "q"), 3: ("r", "p", "q")}
S, D = sp.symbols("S D", positive=True, integer=True)
_SIZE = {"positive": True, "integer": True}
C_IN, C_OUT, GROUPS = (
    sp.Symbol("C_in", **_SIZE),
    sp.Symbol("C_out", **_SIZE),
    sp.Symbol("G", **_SIZE),
)
KERNEL = {1: ("K",), 2: ("K_h", "K_w"), 3: ("K_d", "K_h", "K_w")}
SIZES_OUT = {1: ("L_out",), 2: ("H_out", "W_out"), 3: ("D_out", "H_out", "W_out")}
CITE = "Goodfellow et al. 2016, §9.5, eqs. 9.11–9.14"


def _sym(names: tuple[str, ...]) -> list[sp.Symbol]:
    return [sp.Symbol(n, **N) for n in names]


def _mul(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


def _at(pos: sp.Expr, off: sp.Expr) -> sp.Expr:
    """``S·i + D·u``: the input position an output position and a kernel offset read."""
    return sp.Add(_mul(S, pos), _mul(D, off), evaluate=False)


def _bound(size: sp.Expr) -> sp.Expr:
    return sp.Add(size, -1, evaluate=False)


def identity(lhs: sp.Expr, rhs: sp.Expr) -> Formula:
    return Formula(lhs, rhs, identity=True)


@question_kind
class ConvBackprop(QuestionKind):
    """The gradients of one convolution (``layer``) in index notation: ∂L/∂W as a
    correlation of the input with δ = ∂L/∂Y, ∂L/∂b, and ∂L/∂X as a transposed convolution
    of δ with W; every tensor's shape for the spec's sizes."""

    kind: Literal["conv_backprop"] = "conv_backprop"
    layer: Text

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        row, res = layer_result(analysis, self.layer)
        layer = res.layer
        if not isinstance(layer, Windowed) or Count.WEIGHTS not in res.counts:
            raise ShapeError("layer", f"{row.label} is not a convolution (no sliding weights)")
        if getattr(layer, "transposed", False):
            raise Unsupported("layer", f"{row.label} is a transposed convolution")
        rank = layer.rank
        c_in, c_out = res.in_shape.channels, res.out_shape.channels
        depth = res.kernel[-1] if res.kernel else c_in  # C_in/G: the channels a kernel spans
        groups = sp.simplify(c_in / depth)
        kernel = tuple(layer.kernel_size)
        pos, off, out = _sym(POS[rank]), _sym(OFF[rank]), _sym(OUT[rank])
        X, Y, W, b, dl = (sp.IndexedBase(n) for n in ("X", "Y", "W", "b", "delta"))
        per_group = sp.Mul(C_IN, 1 / GROUPS, evaluate=False) if groups != 1 else C_IN
        channel = C if groups == 1 else sp.Add(C, _mul(G_IDX, per_group), evaluate=False)
        read = X[(channel, *(_at(p, u) for p, u in zip(pos, off, strict=True)))]
        k_limits = [
            (u, 0, _bound(sp.Symbol(k, **_SIZE))) for u, k in zip(off, KERNEL[rank], strict=True)
        ]
        p_limits = [
            (p, 0, _bound(sp.Symbol(n, **_SIZE))) for p, n in zip(pos, SIZES_OUT[rank], strict=True)
        ]
        biased = layer.counts_bias(analysis.conventions.bias)
        window = sp.Sum(_mul(W[(OUT_CH, C, *off)], read), (C, 0, _bound(per_group)), *k_limits)
        forward = total([b[OUT_CH], window]) if biased else window
        dW = sp.Sum(_mul(dl[(OUT_CH, *pos)], read), *p_limits)
        db = sp.Sum(dl[(OUT_CH, *pos)], *p_limits)
        back = [sp.Mul(sp.Add(q, -_mul(D, u), evaluate=False), 1 / S, evaluate=False)
                for q, u in zip(out, off, strict=True)]  # fmt: skip
        dX = sp.Sum(
            _mul(dl[(OUT_CH, *back)], W[(OUT_CH, C, *off)]), (OUT_CH, 0, _bound(C_OUT)), *k_limits
        )
        shape_w = _ints((c_out, depth, *kernel))
        steps = [
            Step(
                "Forward (X zero-padded by P"
                + (", g(o) the group of filter o)" if groups != 1 else ")"),
                identity(Y[(OUT_CH, *pos)], forward),
                shape=_ints(res.out_shape.dims),
                cite=CITE,
            ),
            Step(
                "Gradient of the weights: a correlation of the input with δ",
                identity(_partial(W[(OUT_CH, C, *off)]), dW),
                shape=shape_w,
                cite=CITE,
            ),
            Step(
                "Gradient of the biases", identity(_partial(b[OUT_CH]), db), shape=_ints((c_out,))
            ),
            Step(
                "Gradient of the input: a transposed convolution of δ with W",
                identity(_partial(X[(C, *out)]), dX),
                shape=_ints(res.in_shape.dims),
                note="only the terms whose positions (q − D·u)/S are whole and inside δ"
                + ("; with G groups, o runs over the filters of c's group" if groups != 1 else ""),
            ),
        ]
        if not biased:
            steps = [s for s in steps if not s.label.startswith("Gradient of the biases")]
        names = " × ".join(str(k) for k in kernel)
        why = (
            f"{row.label} slides {int(c_out) if _concrete(c_out) else c_out} kernels of "
            f"{names} over its input, so each weight meets the input once per output position: "
            "its gradient adds δ times the input value it read there, over all output "
            "positions, which is itself a correlation of the input with δ. Each input value is "
            "read by every output whose window covers it, so its gradient gathers δ through the "
            "same weights the other way round: a transposed convolution. Every gradient has the "
            "shape of what it differentiates."
        )
        return Answer("conv_backprop", None, "", why, tuple(steps), headline=False)


def _partial(entry: sp.Expr) -> sp.Expr:
    return Partial(sp.Symbol("L"), entry)


def _concrete(*values: sp.Expr) -> bool:
    return all(not sp.sympify(v).free_symbols for v in values)


def _ints(dims: tuple[sp.Expr, ...]) -> tuple[int, ...] | None:
    return tuple(int(d) for d in dims) if _concrete(*dims) else None
