"""``flops_table``: each layer's parameters, multiply-accumulates and floating-point
operations in one table, with totals, under conventions the table states.

One MAC is a multiplication and an addition: 2 FLOPs (the convention of FLOP counters such as
fvcore and PyTorch's ``FlopCounterMode``, which report 2 × MACs for convolutions and matrix
products). On top of 2·MAC the table counts, when asked: one addition per output value of a
layer with biases (``bias_adds``); one operation per output value of a layer whose activation
is not the identity (``activations``); a pooling layer's window operations as the problem's
``pool_ops`` convention says.
"""

from __future__ import annotations

from typing import Literal

import sympy as sp

from derivations.answers import Answer, Cell, Step, Table
from derivations.formula import Formula, product, total
from derivations.layers import Count, LayerResult
from derivations.network import Analysis
from derivations.questions.base import Context, QuestionKind, question_kind, sum_formula

MAC, E = sp.symbols("MAC E", nonnegative=True, integer=True)


def extra_ops(
    analysis: Analysis, result: LayerResult, bias_adds: bool, activations: bool
) -> sp.Expr:
    """The operations a layer costs besides its MACs under the table's conventions."""
    out = result.out_shape.numel
    extra = sp.Integer(0)
    if analysis.conventions.pool_ops == "window":
        extra += result.count(Count.WINDOW_OPS)
    has_bias = Count.BIASES in result.counts and result.layer.counts_bias(analysis.conventions.bias)
    if bias_adds and has_bias:
        extra += out
    if activations and result.layer.applied != "identity":
        extra += out
    return extra


@question_kind
class FlopsTable(QuestionKind):
    """Each layer's parameters, MACs and FLOPs (2 per MAC, plus bias adds with
    ``bias_adds: true``, one per activated output with ``activations: true``, and pooling
    windows under ``pool_ops``), with totals."""

    kind: Literal["flops_table"] = "flops_table"
    bias_adds: bool = False
    activations: bool = False

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        rows: list[tuple[Cell, ...]] = []
        steps: list[Step] = []
        labels, params, macs, flops = [], [], [], []
        for row, result in analysis.layers():
            extra = extra_ops(analysis, result, self.bias_adds, self.activations)
            mac = result.count(Count.MACS)
            terms = ([product([sp.Integer(2), MAC])] if mac != 0 else []) + (
                [E] if extra != 0 else []
            )
            f = Formula.of(sp.Symbol("FLOP"), total(terms), {MAC: mac, E: extra})
            if terms:
                steps.append(Step(row.label, f, role="ops"))
            p = analysis.params(result)
            rows.append((row.label, result.out_shape, p, mac, f.value))
            labels.append(row.label)
            params.append(p)
            macs.append(mac)
            flops.append(f.value)
        summed = sum_formula("FLOP", labels, flops)
        steps.append(Step("Total", summed))
        conventions = [
            "FLOPs = 2 × MACs (one multiplication and one addition each)",
            "bias adds: one per output value" if self.bias_adds else "bias adds not counted",
            "activations: one per output value" if self.activations else "activations not counted",
            "pooling: one per window element"
            if analysis.conventions.pool_ops == "window"
            else "pooling not counted",
        ]
        table = Table(
            ("Layer", "Output", "Parameters", "MACs", "FLOPs"),
            tuple(rows),
            notes=("Counted: " + "; ".join(conventions) + ".",),
            total=("Total", "", sum(params, sp.Integer(0)), sum(macs, sp.Integer(0)), summed.value),
        )
        why = (
            "A MAC multiplies a weight by an input and adds the product to a running sum: two "
            "floating-point operations. Each layer's FLOPs are twice its MACs plus E, the "
            "operations the conventions under the table count besides (bias adds, activations, "
            "pooling windows); the network's are their sum."
        )
        return Answer(
            "flops_table", summed.value, "FLOPs", why, tuple(steps), table=table, step_columns=True
        )
