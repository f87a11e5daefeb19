"""``attention_equations``: scaled dot-product and multi-head attention written out for one
attention layer, every matrix's shape, and its parameter and MAC counts term by term.

Scaled dot-product attention: softmax(Q Kᵀ/√d_k) V (Vaswani et al. 2017, eq. 1); multi-head
attention projects the queries, keys and values, splits them into h heads of d_h = E/h
features, attends in each head, joins the heads and projects them (§3.2.2; PyTorch
``nn.MultiheadAttention``). The counts are the layer kind's own
(:mod:`derivations.layers.attention`): weights E·E + E_k·E + E_v·E + E·E, biases 4·E, and the
MACs of the projections, the scores, the weighted sum and the output projection.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

import sympy as sp

from derivations.answers import Answer, Step
from derivations.backprop import Softmax, mm
from derivations.fields import Text
from derivations.formula import Formula, is_concrete, product, total
from derivations.layers import Count
from derivations.layers.attention import D_H, E_K, E_V, HEADS, AttentionSizes, E, S, mac_terms
from derivations.layers.sequence import T
from derivations.questions._structure import grouped
from derivations.questions.base import Context, QuestionKind, layer_result, question_kind
from derivations.shapes import ShapeError

CITE = "Vaswani et al. 2017, eq. 1 and §3.2.2"


@runtime_checkable
class Attends(Protocol):
    """What the question reads of an attention layer kind: its heads and its sizes."""

    heads: Any

    def sizes(self, shape: Any) -> AttentionSizes: ...


def _eq(label: str, lhs: Any, rhs: Any, shape: tuple[int, ...], cite: str | None = None) -> Step:
    return Step(label, Formula(lhs, rhs, identity=True), shape=shape, cite=cite)


@question_kind
class AttentionEquations(QuestionKind):
    """Scaled dot-product and multi-head attention for an attention ``layer``: the
    projections, one head's scores, softmax and weighted sum, the joined heads' output, each
    with its shape; then the parameters and the MACs term by term."""

    kind: Literal["attention_equations"] = "attention_equations"
    layer: Text

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        row, res = layer_result(analysis, self.layer)
        layer = res.layer
        if not isinstance(layer, Attends):
            raise ShapeError("layer", f"{row.label} is not an attention layer")
        sizes = layer.sizes(res.in_shape)
        values = sizes.values
        if not is_concrete(*values.values()):
            raise ShapeError("layer", "the attention equations need numbers for every size")
        t, e, h, dh = (int(values[k]) for k in (T, E, HEADS, D_H))
        s, ek, ev = (int(values[k]) for k in (S, E_K, E_V))
        X = sp.MatrixSymbol("X", t, e)
        Xk, Xv = (X, X) if sizes.s is None and sizes.e_k is None and sizes.e_v is None else (
            sp.MatrixSymbol("X_{K}", s, ek), sp.MatrixSymbol("X_{V}", s, ev)
        )  # fmt: skip
        ones_t, ones_s = sp.OneMatrix(t, 1), sp.OneMatrix(s, 1)
        mats = {}
        for name, rows, cols in (("Q", e, e), ("K", ek, e), ("V", ev, e), ("O", e, e)):
            mats[name] = (
                sp.MatrixSymbol(f"W_{{{name}}}", rows, cols),
                sp.MatrixSymbol(f"b_{{{name}}}", cols, 1),
            )
        Q, K, V = sp.MatrixSymbol("Q", t, e), sp.MatrixSymbol("K", s, e), sp.MatrixSymbol("V", s, e)
        Qi, Ki, Vi = (
            sp.MatrixSymbol(f"{n}_{{i}}", r, dh) for n, r in (("Q", t), ("K", s), ("V", s))
        )
        A, head = sp.MatrixSymbol("A_{i}", t, s), sp.MatrixSymbol("head_{i}", t, dh)
        Hcat, Y = sp.MatrixSymbol("H", t, e), sp.MatrixSymbol("Y", t, e)
        d_h = sp.Symbol("d_h", positive=True, integer=True)

        def proj(src: Any, name: str, ones: Any) -> Any:
            w, b = mats[name]
            return sp.MatAdd(mm(src, w), mm(ones, b.T))

        steps = [
            _eq("Queries", Q, proj(X, "Q", ones_t), (t, e), CITE),
            _eq("Keys", K, proj(Xk, "K", ones_s), (s, e)),
            _eq("Values", V, proj(Xv, "V", ones_s), (s, e)),
            _eq(
                f"Head i of {h}: scores, on its own {dh} = E/h columns of Q, K and V",
                sp.MatrixSymbol("S_{i}", t, s),
                sp.MatMul(1 / sp.sqrt(d_h), Qi, Ki.T),
                (t, s),
            ),
            _eq(
                "Attention weights (softmax of each row)",
                A,
                Softmax(sp.MatrixSymbol("S_{i}", t, s)),
                (t, s),
            ),
            _eq("Head i", head, mm(A, Vi), (t, dh)),
            _eq("Output (H: the h heads side by side)", Y, proj(Hcat, "O", ones_t), (t, e)),
        ]
        w_terms = [product([E, E]), product([E_K, E]), product([E_V, E]), product([E, E])]
        weights = Formula.of(sp.Symbol("W"), total(w_terms), values)
        biases = Formula.of(sp.Symbol("b"), product([sp.Integer(4), E]), values)
        macs = Formula.of(sp.Symbol("MAC"), total([term for _, term in mac_terms(sizes)]), values)
        steps += [
            Step("Weights of the four projections", weights, cite="the heads share these matrices"),
            Step("Biases of the four projections", biases),
            Step("MACs: " + "; ".join(name for name, _ in mac_terms(sizes)), macs),
        ]
        counted = analysis.params(res)
        assert weights.value == res.count(Count.WEIGHTS), "the equations' weights are the layer's"
        why = (
            f"Each head compares every one of the {t} queries with every one of the {s} keys in "
            f"E/h = {dh} dimensions (scaled by one over the square root of {dh}, so that the "
            "softmax does not saturate), "
            f"and mixes the values with the resulting weights. The {h} heads split the "
            "projections' columns, so they add no parameters: the count is the four "
            f"projection matrices and, with biases, their four bias vectors: {grouped(counted)} "
            "parameters under the key's conventions. The softmax and the scaling are not "
            "multiply-accumulates."
        )
        return Answer("attention_equations", counted, "parameters", why, tuple(steps))
