"""Parameter questions: ``layer_params``, ``params`` and ``total_params``.

A layer's parameters are the counts the conventions sum (its weights; its biases when
counted): :meth:`~derivations.conventions.Conventions.param_terms`. The per-layer formulas
come from the layer kinds (:mod:`derivations.layers`).
"""

from __future__ import annotations

from typing import Literal

import sympy as sp

from derivations.answers import Answer, Role, Step
from derivations.fields import Text
from derivations.formula import Formula
from derivations.layers import Count, LayerResult, Windowed
from derivations.network import Analysis, JoinResult, Row
from derivations.questions.base import (
    Context,
    QuestionKind,
    layer_result,
    question_kind,
    selected,
    sum_formula,
)

ROLES: dict[Count, Role] = {
    Count.WEIGHTS: "params",
    Count.BIASES: "biases",
    Count.RECURRENT_BIASES: "biases",
    Count.SCALES: "params",
    Count.SHIFTS: "biases",
    Count.RUNNING_MEANS: "buffers",
    Count.RUNNING_VARS: "buffers",
    Count.BUFFERS: "buffers",
}


def param_steps(analysis: Analysis, row: Row, result: LayerResult) -> list[Step]:
    """One step per count the conventions sum into the layer's parameters."""
    return [
        Step(f"{row.label} {count.value}", f, role=ROLES.get(count))
        for count, f in analysis.conventions.param_terms(result)
    ]


LISTED = 22
"""Up to this many layers, the reason names each; beyond, it counts them."""

TRAINABLE = (Count.WEIGHTS, Count.BIASES, Count.SCALES, Count.SHIFTS)


def has_params(result: LayerResult) -> bool:
    """Whether the layer has trainable numbers (weights, biases, a normalisation's γ, β)."""
    return any(c in result.counts for c in TRAINABLE)


def total_params_sum(analysis: Analysis) -> Formula:
    """N = N_a + N_b + … over the layers that have parameters."""
    counted = [(r, res) for r, res in analysis.layers() if has_params(res)]
    return sum_formula(
        "N", [r.label for r, _ in counted], [analysis.params(res) for _, res in counted]
    )


@question_kind
class LayerParams(QuestionKind):
    """One layer's parameters: formula, substitution, count, and why."""

    kind: Literal["layer_params"] = "layer_params"
    layer: Text

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        row, result = layer_result(analysis, self.layer)
        layer = result.layer
        why = layer.param_reason(result, layer.counts_bias(analysis.conventions.bias))
        steps = param_steps(analysis, row, result)
        return Answer("layer_params", analysis.params(result), "parameters", why, tuple(steps))


@question_kind
class TotalParams(QuestionKind):
    """The network's parameters, per layer and in total."""

    kind: Literal["total_params"] = "total_params"

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        counted = [(r, res) for r, res in analysis.layers() if has_params(res)]
        steps = [s for r, res in counted for s in param_steps(analysis, r, res)]
        summed = total_params_sum(analysis)
        free = [r.label for r, res in analysis.layers() if not has_params(res)]
        if len(counted) + len(free) <= LISTED:
            why = (
                "The network's size is the sum of its layers' parameter counts: "
                + " + ".join(f"{r.label}" for r, _ in counted)
                + "."
            )
            if free:
                verb = "has" if len(free) == 1 else "have"
                why += f" {', '.join(free)} {verb} no parameters."
        else:  # a zoo network: the working lists every term; the prose counts them
            why = (
                f"The network's size is the sum of the parameter counts of its {len(counted)} "
                f"layers that have parameters (each in the working above); the other "
                f"{len(free)} (pooling, activations, joins of shape) have none."
            )
        if analysis.network.input.is_vector:
            why += " The input layer has none: it only holds the features."
        return Answer(
            "total_params", summed.value, "parameters", why, (*steps, Step("Total", summed))
        )


def _without_parameters(analysis: Analysis) -> str:
    """"; pooling and concatenation have none", naming only what the network has: a pooling
    window (a window without weights), a concatenation (a join with a depth rule)."""
    windows = [r for _, r in analysis.layers() if isinstance(r.layer, Windowed)]
    free = ["pooling"] if any(Count.WEIGHTS not in r.counts for r in windows) else []
    if any(isinstance(r.result, JoinResult) and r.result.depth is not None for r in analysis.rows):
        free.append("concatenation")
    if not free:
        return ""
    return "; " + " and ".join(free) + (" have none" if len(free) > 1 else " has none")


@question_kind
class Params(QuestionKind):
    """Each listed layer's parameters (all layers by default), and their sum."""

    kind: Literal["params"] = "params"
    layers: list[Text] | None = None

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        chosen = selected(analysis, self.layers)
        steps: list[Step] = []
        for row, result in chosen:
            none = Step(
                row.label,
                Formula.of(sp.Symbol("W"), sp.Integer(0), {}),
                "no parameters",
                role="params",
            )
            steps.extend(param_steps(analysis, row, result) or [none])
        summed = sum_formula(
            "N", [r.label for r, _ in chosen], [analysis.params(x) for _, x in chosen]
        )
        why = (
            "A convolution's parameters are its filters' weights, kernel height × width × input "
            "depth × number of filters, independent of the input's height and width"
            + _without_parameters(analysis)
            + "."
        )
        if not any(isinstance(res.layer, Windowed) for _, res in chosen):
            bias = analysis.conventions.bias
            why = " ".join(
                res.layer.param_reason(res, res.layer.counts_bias(bias)) for _, res in chosen
            )
        return Answer(
            "params",
            summed.value,
            "parameters",
            why,
            tuple(steps),
            step_columns=True,
            sum=summed.rhs,
        )
