"""Questions as views on an :class:`~derivations.network.Analysis`.

Each function answers one kind of question and returns an :class:`~derivations.answers.Answer`
whose steps carry the general formula, its substitution and the value. Nothing here is typed
in: every number is a :class:`~derivations.formula.Formula` evaluated, or a sum of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import sympy as sp

from derivations.answers import Answer, Step, Table
from derivations.formula import Formula, is_concrete, product, total
from derivations.layers import Count, LayerResult, Windowed, dims_text
from derivations.layers.window import H_OUT, W_OUT, same_padding_formula
from derivations.network import Analysis, JoinResult, Row
from derivations.shapes import Shape, ShapeError, Unsupported


def floor_note(result: LayerResult) -> str | None:
    """Where the floor drops a remainder: the exact quotient and what it rounds to."""
    found = []
    for axis, rule in zip("HW", result.sizes, strict=False):
        if rule.remainder is None:
            continue
        floor = next(a for a in rule.formula.rhs.args if isinstance(a, sp.floor))
        exact = floor.args[0].xreplace(rule.formula.mapping).doit()
        found.append((axis, exact, rule.formula.value))
    if not found:
        return None
    if len(found) == 2 and found[0][1:] == found[1][1:]:
        found = [("the output height and width", *found[0][1:])]
    else:
        found = [(f"{axis}_out", exact, out) for axis, exact, out in found]
    text = "; ".join(
        f"{exact} = {float(exact):g} is not whole, so the floor rounds it down to "
        f"{sp.floor(exact)} and {axis} = {sp.floor(exact)} + 1 = {out}"
        for axis, exact, out in found
    )
    return text + " (the stride cannot reach the last row and column, so they are dropped)."


def size_steps(label: str, result: LayerResult, note: str | None = None) -> list[Step]:
    """The output-size working of a layer: one line ``H_out = W_out = ...`` when both axes
    have the same numbers, else one line per axis."""
    if len(result.sizes) != 2:
        return []
    h, w = (r.formula for r in result.sizes)
    same = [v for _, v in h.values] == [v for _, v in w.values]
    if same:
        both = Formula(sp.Eq(H_OUT, W_OUT, evaluate=False), h.rhs, h.values)
        return [Step(label, both, note)]
    return [Step(label, h, note), Step(label, w, note)]


def feature_space(analysis: Analysis) -> Answer:
    shape = analysis.network.input
    if shape.is_image:
        h, w, c = sp.symbols("H W C", positive=True, integer=True)
        formula = Formula.of(
            sp.Symbol("d"), product([h, w, c]), dict(zip((h, w, c), shape.hwc(), strict=True))
        )
        why = (
            f"Every one of the {dims_text(shape)} input values (height × width × channels) is "
            "one feature, so a sample is a point in a space of that many dimensions."
        )
    else:
        n = sp.Symbol("N_in", positive=True, integer=True)
        formula = Formula.of(sp.Symbol("d"), n, {n: shape.dims[0]})
        why = (
            f"The feature space is the input layer: each of its {shape.dims[0]} nodes carries "
            f"one feature, so a sample is a vector of {shape.dims[0]} numbers. Hidden and "
            "output layers are computed from it and add no features."
        )
    return Answer("feature_space", formula.value, "features", why, (Step("", formula),))


def _param_steps(analysis: Analysis, row: Row, result: LayerResult) -> list[Step]:
    """One step per count the conventions sum into the layer's parameters."""
    return [
        Step(f"{row.label} {count.value}", f)
        for count, f in analysis.conventions.param_terms(result)
    ]


def _param_reason(analysis: Analysis, result: LayerResult) -> str:
    layer = result.layer
    return layer.param_reason(result, layer.counts_bias(analysis.conventions.bias))


def _has_params(result: LayerResult) -> bool:
    return Count.WEIGHTS in result.counts


def layer_params(analysis: Analysis, name: str) -> Answer:
    row = _layer_row(analysis, name)
    result = row.result
    assert isinstance(result, LayerResult)
    steps = _param_steps(analysis, row, result)
    return Answer(
        "layer_params",
        analysis.params(result),
        "parameters",
        _param_reason(analysis, result),
        tuple(steps),
    )


def _layer_row(analysis: Analysis, name: str) -> Row:
    try:
        row = analysis.find(name)
    except KeyError:
        names = ", ".join(r.label for r in analysis.rows)
        raise ShapeError("layer", f"no layer named {name!r} (the network has: {names})") from None
    if not isinstance(row.result, LayerResult):
        raise ShapeError("layer", f"{name!r} is a parallel block, not a layer")
    return row


def _selected(analysis: Analysis, names: Sequence[str] | None) -> list[tuple[Row, LayerResult]]:
    if names is None:
        return analysis.layers()
    return [
        (r, r.result)
        for r in (_layer_row(analysis, n) for n in names)
        if isinstance(r.result, LayerResult)
    ]


def _sum_formula(lhs: str, labels: Sequence[str], values: Sequence[sp.Expr]) -> Formula:
    symbols = [sp.Symbol(f"{lhs}_{{{label}}}") for label in labels]
    return Formula.of(sp.Symbol(lhs), total(symbols), dict(zip(symbols, values, strict=True)))


def total_params(analysis: Analysis) -> Answer:
    counted = [(r, res) for r, res in analysis.layers() if _has_params(res)]
    steps = [s for r, res in counted for s in _param_steps(analysis, r, res)]
    summed = total_params_sum(analysis)
    free = [r.label for r, res in analysis.layers() if not _has_params(res)]
    why = (
        "The network's size is the sum of its layers' parameter counts: "
        + " + ".join(f"{r.label}" for r, _ in counted)
        + "."
    )
    if free:
        verb = "has" if len(free) == 1 else "have"
        why += f" {', '.join(free)} {verb} no parameters."
    why += (
        " The input layer has none: it only holds the features."
        if analysis.network.input.is_vector
        else ""
    )
    return Answer("total_params", summed.value, "parameters", why, (*steps, Step("Total", summed)))


def params(analysis: Analysis, names: Sequence[str] | None) -> Answer:
    steps: list[Step] = []
    for row, result in _selected(analysis, names):
        got = _param_steps(analysis, row, result)
        steps.extend(
            got
            or [
                Step(f"{row.label}", Formula.of(sp.Symbol("W"), sp.Integer(0), {}), "no parameters")
            ]
        )
    chosen = _selected(analysis, names)
    summed = _sum_formula(
        "N", [r.label for r, _ in chosen], [analysis.params(x) for _, x in chosen]
    )
    why = (
        "A convolution's parameters are its filters' weights, kernel height × width × input "
        "depth × number of filters, independent of the input's height and width; pooling and "
        "concatenation have none."
    )
    return Answer(
        "params", summed.value, "parameters", why, tuple(steps), extra=(("sum", summed.rhs),)
    )


def _ops_steps(analysis: Analysis, row: Row, result: LayerResult) -> list[Step]:
    """One step per count the conventions sum into the layer's operations (MACs as FLOPs
    when the conventions count FLOPs)."""
    conv = analysis.conventions
    steps = []
    for count, f in conv.op_terms(result):
        if count is Count.MACS and conv.mac_factor != 1:
            f = Formula.of(sp.Symbol("FLOP"), 2 * sp.Symbol("MAC"), {sp.Symbol("MAC"): f.value})
        steps.append(Step(row.label, f))
    return steps


def ops(analysis: Analysis, names: Sequence[str] | None) -> Answer:
    chosen = [(r, res) for r, res in _selected(analysis, names) if _ops_steps(analysis, r, res)]
    steps = [s for r, res in chosen for s in _ops_steps(analysis, r, res)]
    summed = _sum_formula(
        "OPS", [r.label for r, _ in chosen], [analysis.ops(res) for _, res in chosen]
    )
    why = (
        "Each output value of a convolution is a dot product of a kernel-height × kernel-width × "
        "input-depth window with one filter, one multiply-accumulate per window element, for "
        "each of the output's height × width × depth outputs."
    )
    if analysis.conventions.pool_ops == "window" and any(
        Count.WINDOW_OPS in res.counts for _, res in chosen
    ):
        why += " A pooling output looks at window height × width inputs: one operation each."
    return Answer(
        "ops", summed.value, _ops_unit(analysis), why, tuple(steps), extra=(("sum", summed.rhs),)
    )


def _ops_unit(analysis: Analysis) -> str:
    return "FLOPs" if analysis.conventions.ops == "flop" else "operations (MACs)"


def total_ops(analysis: Analysis) -> Answer:
    counted = [(r, res) for r, res in analysis.layers() if analysis.ops(res) != 0]
    summed = _sum_formula(
        "OPS", [r.label for r, _ in counted], [analysis.ops(res) for _, res in counted]
    )
    why = "The module's cost is the sum of its layers' operations; concatenation costs none."
    return Answer("total_ops", summed.value, _ops_unit(analysis), why, (Step("Total", summed),))


def total_params_sum(analysis: Analysis) -> Formula:
    counted = [(r, res) for r, res in analysis.layers() if _has_params(res)]
    return _sum_formula(
        "N", [r.label for r, _ in counted], [analysis.params(res) for _, res in counted]
    )


def _weights_and_biases(result: LayerResult) -> sp.Expr:
    return result.count(Count.WEIGHTS) + result.count(Count.BIASES)


def shape_table(analysis: Analysis, both_bias_columns: bool) -> Answer:
    columns = ["Layer", "Input size", "Kernel size", "Output size"]
    columns += ["Params (weights)", "Params (with biases)"] if both_bias_columns else ["Params"]
    rows, notes = [], []
    steps: list[Step] = []
    for row, result in analysis.layers():
        kernel = " × ".join(str(k) for k in result.kernel) if result.kernel else "—"
        cells: list[sp.Expr | Shape | str | None] = [
            row.label,
            result.in_shape,
            kernel,
            result.out_shape,
        ]
        cells += (
            [result.count(Count.WEIGHTS), _weights_and_biases(result)]
            if both_bias_columns
            else [analysis.params(result)]
        )
        rows.append(tuple(cells))
        steps.extend(size_steps(row.label, result))
        weights = result.formula(Count.WEIGHTS)
        if weights is not None:
            steps.append(Step(row.label, weights))
        note = floor_note(result)
        if note:
            notes.append(f"{row.label}: {note}")
    totals = [result for _, result in analysis.layers()]
    weights = sp.Add(*[r.count(Count.WEIGHTS) for r in totals])
    withb = sp.Add(*[_weights_and_biases(r) for r in totals])
    total_row: tuple[str | sp.Expr | None, ...] = ("Total", None, None, None)
    total_row += (
        (weights, withb) if both_bias_columns else (sp.Add(*[analysis.params(r) for r in totals]),)
    )
    why = (
        "Each spatial size is ⌊(H + 2P − K)/S⌋ + 1 for input size H, padding P, kernel K and "
        "stride S; a convolution's depth is its number of filters, a pooling layer keeps the "
        "depth, and a fully connected layer flattens its input. Parameters: kernel height × "
        "width × input depth × filters per convolution, inputs × units per fully connected "
        "layer, none for pooling."
    )
    table = Table(tuple(columns), tuple(rows), tuple(notes), total_row)
    return Answer("shape_table", analysis.output, "shape", why, tuple(steps), table)


def same_padding(analysis: Analysis, names: Sequence[str]) -> Answer:
    steps = []
    for name in names:
        row = _layer_row(analysis, name)
        result = row.result
        assert isinstance(result, LayerResult)
        layer = result.layer
        if not isinstance(layer, Windowed):
            raise ShapeError("layers", f"{name!r} is not a convolution or pooling layer")
        k, s, d = layer.kernel_size[0], layer.stride_size[0], layer.dilation_size[0]
        if s != 1:
            raise Unsupported("layers", f"{name!r} has stride {s}: only stride 1 keeps the size")
        formula = same_padding_formula(k, d)
        if is_concrete(formula.value) and not formula.value.is_integer:
            raise ShapeError(
                "layers",
                f"{name!r}: an even kernel ({k}) cannot keep the size with symmetric padding",
            )
        steps.append(Step(name, formula))
    why = (
        "With stride 1 the output size is H + 2P − D(K − 1); it equals H when "
        "2P = D(K − 1), i.e. P = D(K − 1)/2: one ring of zeros for a 3 × 3 kernel, two for "
        "a 5 × 5."
    )
    value = steps[0].formula.value if len(steps) == 1 else None
    return Answer("same_padding", value, "padding", why, tuple(steps))


def output_shapes(analysis: Analysis, names: Sequence[str] | None) -> Answer:
    steps: list[Step] = []
    for row in analysis.rows:
        if names is not None and row.label not in names:
            continue
        if isinstance(row.result, JoinResult):
            if row.result.depth is not None:
                steps.append(Step(row.label, row.result.depth))
            continue
        steps.extend(size_steps(row.label, row.result))
    why = (
        "Each output size follows from the layer's kernel, stride and padding by the rule "
        "above; a convolution's depth is its number of filters, pooling keeps the depth"
    )
    if any(isinstance(r.result, JoinResult) for r in analysis.rows):
        why += ", and a concatenation adds up its branches' depths"
    why += "."
    return Answer(
        "output_shapes",
        analysis.output,
        "shape",
        why,
        tuple(steps),
        figure="module-graph",
        analysis=analysis,
    )


def compare(first: Analysis, second: Analysis) -> Answer:
    p1, p2 = total_params_sum(first), total_params_sum(second)
    o1, o2 = total_ops(first), total_ops(second)
    a, b = first.network.name, second.network.name
    ratio_p, ratio_o = _ratio(p1.value, p2.value), _ratio(o1.value, o2.value)
    table = Table(
        ("", "Parameters", "Operations"),
        (
            (a, p1.value, o1.value),
            (b, p2.value, o2.value),
            ("ratio (first / second)", ratio_p, ratio_o),
        ),
    )
    why = (
        f"{a} has {sp.Float(ratio_p, 3)} times the parameters and {sp.Float(ratio_o, 3)} "
        f"times the operations of {b}. "
    )
    why += _reduction_reason(first, second)
    return Answer("compare", ratio_p, "ratio", why, (), table, extra=(("ratio_ops", ratio_o),))


def _ratio(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """a / b: an exact fraction for numbers, a simplified expression for formulas."""
    if is_concrete(a, b):
        return sp.Rational(int(a), int(b))
    return sp.simplify(a / b)


def _reduction_reason(first: Analysis, second: Analysis) -> str:
    reduced = [r for r in (first, second) if _has_reductions(r)]
    if not reduced:
        return ""
    slim = reduced[0].network.name
    return (
        f"In {slim} the 1×1 reductions first shrink the depth the 3×3 and 5×5 filters see, whose "
        f"cost grows with kernel height × width × input depth; the pooling branch's 1×1 "
        f"projection sets its depth instead of passing the full input depth through. Cheap 1×1 "
        f"layers buy a large cut in the expensive ones."
    )


def _has_reductions(analysis: Analysis) -> bool:
    rows = analysis.layers()
    for (r1, a), (r2, b) in itertools.pairwise(rows):
        if (
            r1.branch is not None
            and r1.branch == r2.branch
            and isinstance(a.layer, Windowed)
            and isinstance(b.layer, Windowed)
            and _has_params(a)
            and _has_params(b)
            and a.kernel
            and a.kernel[:2] == (1, 1)
            and b.kernel
            and b.kernel[0] > 1
        ):
            return True
    return False


def describe(analysis: Analysis) -> Answer:
    """A prose description of the network's structure, generated from the model."""
    from derivations.network import Parallel

    net = analysis.network
    parts = [f"{net.name[:1].upper()}{net.name[1:]} reads a {dims_text(net.input)} input."]
    for node in net.layers:
        if isinstance(node, Parallel):
            join = analysis.find(node.name)
            parts.append(
                f"{node.name} runs {len(node.branches)} branches in parallel on the same input:"
            )
            for i, branch in enumerate(node.branches, 1):
                steps = []
                for layer in branch.layers:
                    res = next(r for row, r in analysis.layers() if r.layer is layer)
                    steps.append(_layer_phrase(res))
                label = (
                    branch.name if branch.name.startswith("(") else f"({_roman(i)}) {branch.name}"
                )
                parts.append(f"{label}: " + ", then ".join(steps) + ";")
            how = "concatenated along depth" if node.join == "concat" else "added element-wise"
            parts.append(f"their outputs are {how}, giving {dims_text(join.out_shape)}.")
        else:
            res = next(r for row, r in analysis.layers() if r.layer is node)
            parts.append(_layer_phrase(res).capitalize() + ".")
    if _has_reductions(analysis):
        parts.append(
            "The 1×1 convolutions before the 3×3 and 5×5 convolutions reduce the depth "
            "they see (dimension reduction), and the 1×1 after the pooling projects its "
            "depth; this keeps the module's cost low while it looks at several scales "
            "at once."
        )
    return Answer("describe", None, "", " ".join(parts), analysis=analysis, figure="module-graph")


def _layer_phrase(result: LayerResult) -> str:
    return result.layer.phrase(result)


def _roman(i: int) -> str:
    return (
        ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"][i - 1] if i <= 10 else str(i)
    )


__all__ = [
    "compare",
    "describe",
    "feature_space",
    "layer_params",
    "ops",
    "output_shapes",
    "params",
    "same_padding",
    "shape_table",
    "total_ops",
    "total_params",
]
