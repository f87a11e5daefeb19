"""``receptive_field``: how many input positions each layer's output sees, per layer and at
the output, through parallel branches, with symbolic kernels too.

The recursion, from the input (r₀ = 1, j₀ = 1) outwards, per spatial axis:
``r_out = r_in + (K − 1)·D·j_in`` and ``j_out = j_in·S``, where j is the jump (the distance in
input positions between two neighbouring outputs) and D(K − 1) + 1 the span of a dilated
kernel (Araujo, Norris & Sim, "Computing receptive fields of convolutional neural networks",
Distill 2019, eq. (2) written layer by layer; Dumoulin & Visin 2016 for the dilated span).
A parallel block sees as far as its farthest branch; a layer that acts on each position alone
keeps r and j; a layer whose output no longer has positions (a dense layer, global pooling)
sees the whole input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import sympy as sp

from derivations.answers import Also, Answer, Cell, Step, Table
from derivations.fields import Text
from derivations.formula import Formula, WrittenMax, product, total
from derivations.layers import Count, LayerKind, LayerResult, Windowed
from derivations.network import Analysis, Node, Parallel
from derivations.questions.base import Context, QuestionKind, question_kind
from derivations.shapes import ShapeError, Unsupported
from derivations.symbols import Labelled

R_IN, J_IN = sp.symbols("r_in j_in", positive=True, integer=True)
K, S, D = sp.symbols("K S D", positive=True, integer=True)
CITE = "Araujo, Norris & Sim, Distill 2019, eq. 2 applied layer by layer"
AXES = {1: ("",), 2: (" (height)", " (width)"), 3: (" (depth)", " (height)", " (width)")}


@dataclass(frozen=True)
class Field:
    """Receptive field and jump per spatial axis; ``whole`` once every input position is seen."""

    r: tuple[sp.Expr, ...]
    j: tuple[sp.Expr, ...]
    whole: bool = False


class _Walk:
    """The recursion over a network's nodes, collecting steps and table rows."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.results = {id(r.result.layer): r for r in analysis.rows if hasattr(r.result, "layer")}
        self.steps: list[Step] = []
        self.rows: list[tuple[Cell, ...]] = []
        self.fields: dict[str, Field] = {}
        self.branched = any(isinstance(n, Parallel) for n in analysis.network.layers)
        self.counter = 0

    def nodes(self, nodes: Sequence[Node], field: Field, branch: str | None) -> Field:
        for node in nodes:
            field = (
                self.block(node, field)
                if isinstance(node, Parallel)
                else self.layer(node, field, branch)
            )
        return field

    def block(self, block: Parallel, field: Field) -> Field:
        ends = [self.nodes(b.layers, field, b.name) for b in block.branches]
        if any(e.whole for e in ends):
            joined = Field(ends[0].r, ends[0].j, True)
        else:
            joined = Field(
                tuple(sp.Max(*(e.r[a] for e in ends)) for a in range(len(field.r))),
                tuple(sp.Max(*(e.j[a] for e in ends)) for a in range(len(field.j))),
            )
            alike = _same(joined.r) and all(_same(e.r) for e in ends)
            for axis, name in enumerate(("",) if alike else AXES[len(field.r)]):
                terms = [Labelled("r", b.name, k) for k, b in enumerate(block.branches)]
                values = {t: e.r[axis] for t, e in zip(terms, ends, strict=True)}
                lhs = self._symbol("r", block.name)
                f = Formula.of(lhs, WrittenMax(*terms), values)
                self.steps.append(Step(f"{block.name}{name}", f, "the farthest branch"))
        self.fields[block.name] = joined
        self.rows.append((block.name, *self._branch(None), "—", "—", "—", "—", self._r(joined)))
        return joined

    def layer(self, layer: LayerKind, field: Field, branch: str | None) -> Field:
        row = self.results[id(layer)]
        result = row.result
        assert isinstance(result, LayerResult)
        out = self._next(layer, result, field)
        self.fields[row.label] = out
        if isinstance(layer, Windowed) and not field.whole:
            cells: tuple[Cell, ...] = (
                _axes(layer.kernel_size),
                _axes(layer.stride_size),
                _axes(layer.dilation_size),
                _axes(field.j),
            )
        else:
            cells = ("—", "—", "—", _axes(field.j) if not field.whole else "—")
        self.rows.append((row.label, *self._branch(branch), *cells, self._r(out)))
        return out

    def _next(self, layer: LayerKind, result: LayerResult, field: Field) -> Field:
        if field.whole:
            return field
        if isinstance(layer, Windowed) and getattr(layer, "transposed", False):
            raise Unsupported(
                "network",
                f"{layer.label} is a {layer.title}: the receptive-field recursion here covers "
                "layers that slide a window over their input, not ones that scatter into "
                "their output",
            )
        if isinstance(layer, Windowed):
            return self._windowed(layer, result, field)
        same = result.out_shape.form == result.in_shape.form and (
            result.out_shape.spatial == result.in_shape.spatial
        )
        mixes = any(c in result.counts for c in (Count.MACS, Count.WINDOW_OPS))
        if same and not mixes:
            return field  # acts on each position alone
        if result.out_shape.is_vector and not mixes:
            return field  # flattening moves values, it does not mix them
        if result.out_shape.is_vector:
            return Field(self._input_sizes(), field.j, True)
        raise Unsupported(
            "network",
            f"{layer.label} ({layer.title}) mixes positions in a way the receptive-field "
            "recursion does not cover (it takes windowed layers, layers that act on each "
            "position alone, and layers that see the whole input)",
        )

    def _windowed(self, layer: Windowed, result: LayerResult, field: Field) -> Field:
        per_axis = list(
            zip(
                layer.kernel_size,
                layer.stride_size,
                layer.dilation_size,
                field.r,
                field.j,
                strict=True,
            )
        )
        alike = all(a == per_axis[0] for a in per_axis)
        names = ("",) if alike else AXES[len(per_axis)]
        rs, js = [], []
        for (k, s, d, r_in, j_in), name in zip(per_axis, names, strict=False):
            k_less = total([K, sp.Integer(-1)])
            span = product([k_less, D, J_IN]) if d != 1 else product([k_less, J_IN])
            values = {R_IN: r_in, J_IN: j_in, K: k, D: d, S: s}
            r = Formula.of(self._symbol("r", layer.label), total([R_IN, span]), values)
            self.steps.append(Step(f"{layer.label}{name}", r))
            rs.append(r.value)
            if s != 1:
                j = Formula.of(self._symbol("j", layer.label), product([J_IN, S]), values)
                self.steps.append(Step(f"{layer.label}: jump{name}", j))
                js.append(j.value)
            else:
                js.append(j_in)
        if alike:
            return Field(tuple(rs) * len(per_axis), tuple(js) * len(per_axis))
        return Field(tuple(rs), tuple(js))

    def _symbol(self, head: str, label: str) -> sp.Symbol:
        """``r_{k}``/``j_{k}`` for the k-th layer of the walk (its name is the step's label):
        short enough for one line of working."""
        self.counter += head == "r"
        return sp.Symbol(f"{head}{self.counter}", positive=True, integer=True)

    def _branch(self, branch: str | None) -> tuple[Cell, ...]:
        return (branch or "",) if self.branched else ()

    def _input_sizes(self) -> tuple[sp.Expr, ...]:
        return tuple(self.analysis.network.input.spatial)

    def _r(self, field: Field) -> Cell:
        if field.whole:
            return "whole input (" + " × ".join(_text(r) for r in field.r) + ")"
        return _axes(field.r)


def _same(values: Sequence[sp.Expr]) -> bool:
    return all(v == values[0] for v in values)


def _text(value: sp.Expr) -> str:
    return str(value).replace("**", "^").replace("*", "·")


def _axes(values: Sequence[sp.Expr]) -> Cell:
    """One value when every axis has it, else ``a × b``."""
    if _same(values):
        return values[0]
    return " × ".join(_text(v) for v in values)


@question_kind
class ReceptiveField(QuestionKind):
    """The receptive field of every layer and of ``layer`` (default: the last), by the
    recursion r_out = r_in + (K − 1)·D·j_in, j_out = j_in·S; branches take the farthest."""

    kind: Literal["receptive_field"] = "receptive_field"
    layer: Text | None = None

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        rank = analysis.network.input.spatial_rank
        if rank == 0:
            raise ShapeError(
                "network", "a receptive field needs an input with positions (a 1-, 2- or 3-D map)"
            )
        walk = _Walk(analysis)
        start = Field((sp.Integer(1),) * rank, (sp.Integer(1),) * rank)
        last = walk.nodes(analysis.network.layers, start, None)
        name = self.layer or (analysis.rows[-1].label if analysis.rows else "input")
        if self.layer is not None and self.layer not in walk.fields:
            known = ", ".join(walk.fields)
            raise ShapeError("layer", f"no layer named {self.layer!r} (the network has: {known})")
        field = walk.fields.get(name, last)
        columns = ("Layer", *(("Branch",) if walk.branched else ()), "K", "S", "D", "jump in", "r")
        table = Table(
            columns,
            tuple(walk.rows),
            notes=(
                "r: input positions one output value sees, per axis; jump: input positions "
                "between neighbouring values of the layer's input; r = j = 1 at the input.",
            ),
        )
        unit = "input positions" + (" per axis" if rank > 1 else "")
        why = (
            f"Each windowed layer widens what one output sees by (K − 1)·D input steps of its "
            f"input, and one step of its input is j input positions, the product of the "
            f"strides before it ({CITE}); so {name} sees "
        )
        also: tuple[Also, ...] = ()
        value: sp.Expr | None = None
        if field.whole:
            why += "the whole input: its output has no positions left."
        elif _same(field.r):
            value = field.r[0]
            why += f"{_text(value)} input positions along each axis."
        else:
            why += " × ".join(_text(r) for r in field.r) + " input positions."
            axes = zip(AXES[rank], field.r, strict=True)
            also = tuple(Also(f"r{n.strip(' ()')[:1]}", r) for n, r in axes)
        return Answer(
            "receptive_field",
            value,
            unit,
            why,
            tuple(walk.steps),
            table=table,
            headline=value is not None,
            also=also,
        )
