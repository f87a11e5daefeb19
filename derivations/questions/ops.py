"""Operation questions: ``ops`` (per layer) and ``total_ops``.

A layer's operations are the counts the conventions sum (MACs, as FLOPs if asked; pooling
window operations if counted): :meth:`~derivations.conventions.Conventions.op_terms`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import sympy as sp

from derivations.answers import Answer, Step
from derivations.conventions import Costed
from derivations.fields import Text
from derivations.formula import Formula
from derivations.layers import Count, LayerResult, Windowed
from derivations.network import Analysis, Row
from derivations.questions._structure import joins, whole
from derivations.questions.base import Context, QuestionKind, question_kind, selected, sum_formula


def ops_steps(analysis: Analysis, row: Row, result: LayerResult) -> list[Step]:
    """One step per count the conventions sum into the layer's operations (MACs as FLOPs
    when the conventions count FLOPs)."""
    conv = analysis.conventions
    steps = []
    for count, f in conv.op_terms(result):
        if count is Count.MACS and conv.mac_factor != 1:
            f = Formula.of(sp.Symbol("FLOP"), 2 * sp.Symbol("MAC"), {sp.Symbol("MAC"): f.value})
        steps.append(Step(row.label, f, role="ops"))
    return steps


def ops_unit(analysis: Analysis, results: Sequence[Costed] | None = None) -> str:
    """The unit of a sum of operations, by what it holds: ``operations (MACs)`` (or
    ``FLOPs``) when only multiply-accumulates are summed, ``operations`` when pooling
    window operations are added to them (or are all there is)."""
    chosen = [res for _, res in analysis.layers()] if results is None else list(results)
    conv = analysis.conventions
    held = {c for res in chosen for c, f in conv.op_terms(res) if f.value != 0}
    if held - {Count.MACS}:
        return "operations"
    return "FLOPs" if conv.ops == "flop" else "operations (MACs)"


def _cost_reason(analysis: Analysis) -> str:
    """Why the total is the sum of the layers: and what the joins cost, by what they do."""
    text = f"The {whole(analysis)}'s cost is the sum of its layers' operations"
    kinds = {block.join for block in joins(analysis)}
    if "concat" in kinds:
        text += "; concatenation only stacks the branches' outputs and costs none"
    for join, word in (("add", "addition"), ("multiply", "multiplication")):
        if join in kinds:
            counted = analysis.conventions.join_ops
            text += (
                f", and of the element-wise {word} that joins its branches"
                if counted
                else f"; the element-wise {word} that joins the branches is not counted"
            )
    return text + "."


def total_ops(analysis: Analysis) -> Answer:
    """OPS = the sum of every layer's operations under the conventions."""
    counted = [(r, res) for r, res in analysis.costed() if analysis.ops(res) != 0]
    summed = sum_formula(
        "OPS", [r.label for r, _ in counted], [analysis.ops(res) for _, res in counted]
    )
    unit = ops_unit(analysis, [res for _, res in counted])
    return Answer("total_ops", summed.value, unit, _cost_reason(analysis), (Step("Total", summed),))


@question_kind
class Ops(QuestionKind):
    """Each listed layer's operations (all by default) under the conventions, and their sum."""

    kind: Literal["ops"] = "ops"
    layers: list[Text] | None = None

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        chosen = [
            (r, res) for r, res in selected(analysis, self.layers) if ops_steps(analysis, r, res)
        ]
        steps = [s for r, res in chosen for s in ops_steps(analysis, r, res)]
        summed = sum_formula(
            "OPS", [r.label for r, _ in chosen], [analysis.ops(res) for _, res in chosen]
        )
        own = [res.layer.ops_reason(res) for _, res in chosen]
        why = (
            "Each output value of a convolution is a dot product of a kernel-height × "
            "kernel-width × input-depth window with one filter, one multiply-accumulate per "
            "window element, for each of the output's height × width × depth outputs."
            if any(isinstance(res.layer, Windowed) for _, res in chosen)
            else ""
        )
        if analysis.conventions.pool_ops == "window" and any(
            Count.WINDOW_OPS in res.counts for _, res in chosen
        ):
            why += " A pooling output looks at window height × width inputs: one operation each."
        why = " ".join([why.strip(), *(r for r in own if r)]).strip() or (
            "Each output is a dot product of weights with inputs: one multiply-accumulate per "
            "weight it uses."
            if chosen
            else "None of these layers multiplies anything: no multiply-accumulates."
        )
        return Answer(
            "ops",
            summed.value,
            ops_unit(analysis, [res for _, res in chosen]),
            why,
            tuple(steps),
            step_columns=True,
            sum=summed.rhs,
        )


@question_kind
class TotalOps(QuestionKind):
    """The network's operations in total."""

    kind: Literal["total_ops"] = "total_ops"

    def derive(self, ctx: Context) -> Answer:
        return total_ops(ctx.get(self.network))
