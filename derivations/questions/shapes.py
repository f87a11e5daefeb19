"""Shape questions: ``shape_table`` (the CNN table) and ``output_shapes`` (every layer's
output size, drawn as a module graph).

Output sizes follow the strided-window rule of :mod:`derivations.layers.window`; where the
floor drops a remainder the key says so (:func:`floor_note`).
"""

from __future__ import annotations

from typing import Literal

import sympy as sp

from derivations.answers import Answer, Cell, Step, Table, module_graph
from derivations.fields import Text
from derivations.formula import Formula
from derivations.layers import Count, LayerResult, Windowed
from derivations.layers.window import H_OUT, W_OUT
from derivations.network import Analysis, JoinResult
from derivations.questions.base import Context, QuestionKind, question_kind
from derivations.questions.counts import ROLES
from derivations.shapes import Shape


def floor_note(result: LayerResult) -> str | None:
    """Where the floor drops a remainder: the exact quotient and what it rounds to."""
    found = []
    notes = [rule.note for rule in result.sizes if rule.note]
    for axis, rule in zip("HW", result.sizes, strict=False):
        if rule.remainder is None:
            continue
        axis = rule.axis or axis
        floor = next(a for a in rule.formula.rhs.args if isinstance(a, sp.floor))
        exact = floor.args[0].xreplace(rule.formula.mapping).doit()
        found.append((axis, exact, rule.formula.value))
    if not found:
        return "; ".join(notes) + "." if notes else None
    if len(found) == 2 and found[0][1:] == found[1][1:]:
        found = [("the output height and width", *found[0][1:])]
    else:
        found = [(f"{axis}_out", exact, out) for axis, exact, out in found]
    text = "; ".join(
        f"{exact} = {float(exact):g} is not whole, so the floor rounds it down to "
        f"{sp.floor(exact)} and {axis} = {sp.floor(exact)} + 1 = {out}"
        for axis, exact, out in found
    )
    text += " (the stride cannot reach the last row and column, so they are dropped)."
    return " ".join([text, *(f"{n}." for n in notes)])


def size_steps(label: str, result: LayerResult, note: str | None = None) -> list[Step]:
    """The output-size working of a layer: one line ``H_out = W_out = ...`` when both axes
    have the same numbers, else one line per axis."""
    if not result.sizes:
        return []
    formulas = [r.formula for r in result.sizes]
    first = formulas[0]
    same = all(
        [v for _, v in f.values] == [v for _, v in first.values] and f.rhs.func == first.rhs.func
        for f in formulas
    )
    if len(formulas) == 2 and same and [r.axis for r in result.sizes] in (["H", "W"], ["", ""]):
        both = Formula(sp.Eq(H_OUT, W_OUT, evaluate=False), first.rhs, first.values)
        return [Step(label, both, note, role="output")]
    if len(formulas) > 1 and same:
        outs = [f.lhs for f in formulas]
        lhs = sp.Eq(*outs, evaluate=False) if len(outs) == 2 else _equal_chain(outs)
        return [Step(label, Formula(lhs, first.rhs, first.values), note, role="output")]
    return [Step(label, f, note, role="output") for f in formulas]


def _equal_chain(items: list[sp.Expr]) -> sp.Expr:
    """``D_out = H_out = W_out`` as nested equalities (printed left to right)."""
    out = items[-1]
    for item in reversed(items[:-1]):
        out = sp.Eq(item, out, evaluate=False)
    return out


def _weights_and_biases(analysis: Analysis, result: LayerResult) -> sp.Expr:
    """Weights and every bias count the conventions would sum (a recurrent layer's second
    vector only under ``recurrent_bias: pytorch``)."""
    biases = [result.count(c) for c in result.layer.bias_counts(analysis.conventions)]
    return result.count(Count.WEIGHTS) + sp.Add(*biases)


def _without_windows(analysis: Analysis, results: list[LayerResult]) -> str | None:
    """For a network without a convolution or pooling layer (a sequence network, say), the
    layers in the key's own words instead of the strided-window rule; None otherwise."""
    if any(isinstance(r.layer, Windowed) for r in results):
        return None
    phrases = list(dict.fromkeys(r.layer.phrase(r) for r in results))
    return "The layers: " + "; ".join(phrases) + "."


@question_kind
class ShapeTable(QuestionKind):
    """The Layer, input, kernel, output, parameters table; a note under each floored row.
    ``bias_columns: both`` gives the count without and with biases side by side."""

    kind: Literal["shape_table"] = "shape_table"
    bias_columns: Literal["convention", "both"] = "convention"

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        both = self.bias_columns == "both"
        columns = ["Layer", "Input size", "Kernel size", "Output size"]
        columns += ["Params (weights)", "Params (with biases)"] if both else ["Params"]
        rows, notes = [], []
        given: list[tuple[Cell, ...]] = []
        steps: list[Step] = []
        layers = analysis.layers()
        for row, result in layers:
            stated = " × ".join(str(k) for k in result.kernel[:2]) if result.kernel else "—"
            first = result.in_shape if not given else None  # the question gives the input
            given.append((row.label, first, stated) + (None,) * (len(columns) - 3))
            kernel = " × ".join(str(k) for k in result.kernel) if result.kernel else "—"
            cells: list[sp.Expr | Shape | str | None] = [
                row.label,
                result.in_shape,
                kernel,
                result.out_shape,
            ]
            cells += (
                [result.count(Count.WEIGHTS), _weights_and_biases(analysis, result)]
                if both
                else [analysis.params(result)]
            )
            rows.append(tuple(cells))
            steps.extend(size_steps(row.label, result))
            weights = result.formula(Count.WEIGHTS) or result.formula(Count.SCALES)
            if weights is not None:
                steps.append(Step(row.label, weights, role="params"))
            if not both:  # the Params column sums what the conventions count: show each term
                steps.extend(
                    Step(f"{row.label} {count.value}", f, role=ROLES.get(count))
                    for count, f in analysis.conventions.param_terms(result)
                    if count not in (Count.WEIGHTS, Count.SCALES)
                )
            note = floor_note(result)
            if note:
                notes.append(f"{row.label}: {note}")
        results = [r for _, r in layers]
        total_row: tuple[str | sp.Expr | None, ...] = ("Total", None, None, None)
        total_row += (
            (
                sp.Add(*[r.count(Count.WEIGHTS) for r in results]),
                sp.Add(*[_weights_and_biases(analysis, r) for r in results]),
            )
            if both
            else (sp.Add(*[analysis.params(r) for r in results]),)
        )
        why = (
            "Each spatial size is ⌊(𝐻 + 2𝑃 − 𝐾)/𝑆⌋ + 1 for input size 𝐻, padding 𝑃, kernel 𝐾 "
            "and stride 𝑆; a convolution's depth is its number of filters, a pooling layer "
            "keeps the depth, and a fully connected layer flattens its input. Parameters: "
            "kernel height × width × input depth × filters per convolution, inputs × units per "
            "fully connected layer, none for pooling."
        )
        own = _without_windows(analysis, results)
        if own:
            why = own + " Each row's parameters are worked out below."
        table = Table(tuple(columns), tuple(rows), tuple(notes), total_row, tuple(given))
        return Answer(
            "shape_table", analysis.output, "shape", why, tuple(steps), table, headline=False
        )


def _depth_rules(analysis: Analysis) -> list[str]:
    """How each depth arises, said only of what the network has: a convolution (a window
    with weights), a pooling window (none), a concatenation (a join with a depth rule)."""
    windows = [r for _, r in analysis.layers() if isinstance(r.layer, Windowed)]
    rules = []
    if any(Count.WEIGHTS in r.counts for r in windows):
        rules.append("a convolution's depth is its number of filters")
    if any(Count.WEIGHTS not in r.counts for r in windows):
        rules.append("pooling keeps the depth")
    if any(isinstance(r.result, JoinResult) and r.result.depth is not None for r in analysis.rows):
        rules.append(("and " if rules else "") + "a concatenation adds up its branches' depths")
    return rules


@question_kind
class OutputShapes(QuestionKind):
    """Every layer's and join's output size (or the listed ones'), drawn as a module graph."""

    kind: Literal["output_shapes"] = "output_shapes"
    layers: list[Text] | None = None

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        steps: list[Step] = []
        for row in analysis.rows:
            if self.layers is not None and row.label not in self.layers:
                continue
            if isinstance(row.result, JoinResult):
                if row.result.depth is not None:
                    steps.append(Step(row.label, row.result.depth, role="depth"))
                continue
            steps.extend(size_steps(row.label, row.result))
        why = "Each output size follows from the layer's kernel, stride and padding by the rule "
        why += "above; " + ", ".join(_depth_rules(analysis)) + "."
        own = _without_windows(analysis, [r for _, r in analysis.layers()])
        if own:
            why = own
        return Answer(
            "output_shapes",
            analysis.output,
            "shape",
            why,
            tuple(steps),
            figure=module_graph(analysis),
            step_columns=True,
        )
