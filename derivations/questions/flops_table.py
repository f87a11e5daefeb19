"""``flops_table``: each layer's parameters, multiply-accumulates and floating-point
operations in one table, with totals, under the problem's conventions, stated under it.

One MAC is a multiplication and an addition: 2 FLOPs (the convention of FLOP counters such as
fvcore and PyTorch's ``FlopCounterMode``, which report 2 × MACs for convolutions and matrix
products), whatever the ``ops`` convention. On top of 2·MAC a row counts E, the operations the
conventions count besides MACs (:meth:`~derivations.conventions.Conventions.op_terms`): a
pooling layer's window operations under ``pool_ops: window``; bias additions, normalisation,
activations and element-wise joins under ``bias_ops``, ``norm_ops``, ``activation_ops`` and
``join_ops``.
"""

from __future__ import annotations

from typing import Literal

import sympy as sp

from derivations.answers import Answer, Cell, Step, Table
from derivations.conventions import Conventions, Costed
from derivations.formula import Formula, product, total
from derivations.layers import Count, LayerResult
from derivations.questions.base import Context, QuestionKind, question_kind, sum_formula

MAC, E = sp.symbols("MAC E", nonnegative=True, integer=True)
EXTRA = {
    Count.WINDOW_OPS: ("pool_ops", "pooling windows: one per window element"),
    Count.BIAS_OPS: ("bias_ops", "bias additions: one per output value"),
    Count.NORM_OPS: ("norm_ops", "normalisation: two per element"),
    Count.ACTIVATION_OPS: ("activation_ops", "activations: one per element"),
    Count.JOIN_OPS: ("join_ops", "element-wise joins: one per element per extra branch"),
}


def extra_ops(conventions: Conventions, result: Costed) -> sp.Expr:
    """The operations a row costs besides its MACs under ``conventions``."""
    terms = [f.value for c, f in conventions.op_terms(result) if c is not Count.MACS]
    return sp.sympify(sum(terms, sp.Integer(0)))


def _on(conventions: Conventions, field: str) -> bool:
    if field == "pool_ops":
        return conventions.pool_ops == "window"
    return bool(getattr(conventions, field))


def counted(conventions: Conventions) -> str:
    """What the table counts, as a sentence under it."""
    on = [text for field, text in EXTRA.values() if _on(conventions, field)]
    off = [text.split(":")[0] for field, text in EXTRA.values() if not _on(conventions, field)]
    sentence = "FLOPs = 2 × MACs (a multiplication and an addition each)"
    if on:
        sentence += "; also counted: " + "; ".join(on)
    if off:
        sentence += "; not counted: " + ", ".join(off)
    return sentence + "."


@question_kind
class FlopsTable(QuestionKind):
    """Each layer's (and join's) parameters, MACs and FLOPs, with totals: FLOPs are 2 per MAC
    plus the element-wise and pooling operations the conventions count (``pool_ops``,
    ``bias_ops``, ``norm_ops``, ``activation_ops``, ``join_ops``), stated under the table."""

    kind: Literal["flops_table"] = "flops_table"

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        conv = analysis.conventions
        rows: list[tuple[Cell, ...]] = []
        steps: list[Step] = []
        labels, params, macs, flops = [], [], [], []
        for row in analysis.rows:
            result = row.result
            extra = extra_ops(conv, result)
            mac = sp.sympify(result.counts[Count.MACS].value if Count.MACS in result.counts else 0)
            terms = ([product([sp.Integer(2), MAC])] if mac != 0 else []) + (
                [E] if extra != 0 else []
            )
            f = Formula.of(sp.Symbol("FLOP"), total(terms), {MAC: mac, E: extra})
            if terms:
                steps.append(Step(row.label, f, role="ops"))
            p = analysis.params(result) if isinstance(result, LayerResult) else sp.Integer(0)
            rows.append((row.label, result.out_shape, p, mac, f.value if terms else 0))
            labels.append(row.label)
            params.append(p)
            macs.append(mac)
            flops.append(f.value if terms else sp.Integer(0))
        costly = [(label, f) for label, f in zip(labels, flops, strict=True) if f != 0]
        summed = sum_formula("FLOP", [label for label, _ in costly], [f for _, f in costly])
        steps.append(Step("Total", summed))
        table = Table(
            ("Layer", "Output", "Parameters", "MACs", "FLOPs"),
            tuple(rows),
            notes=(counted(conv),),
            total=("Total", "", sum(params, sp.Integer(0)), sum(macs, sp.Integer(0)), summed.value),
        )
        any_extra = any(_on(conv, field) for field, _ in EXTRA.values())
        why = (
            "A MAC multiplies a weight by an input and adds the product to a running sum: two "
            "floating-point operations, so each row's FLOPs are twice its MACs"
            + (
                ", plus the operations the conventions under the table count besides (E)"
                if any_extra
                else "; the conventions under the table count no other operation"
            )
            + ". The network's FLOPs are the rows' sum."
        )
        return Answer(
            "flops_table", summed.value, "FLOPs", why, tuple(steps), table=table, step_columns=True
        )
