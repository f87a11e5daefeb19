"""The architecture model: layers in sequence, and parallel branches joined into one tensor.

A network is described once; every question (feature space, parameters, the shape table, the
operations of an inception module, ...) is a view on :func:`analyze`'s result. Sizes may be
numbers or SymPy symbols throughout; checks fail only on a concrete conflict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, Union

import sympy as sp

from derivations.conventions import (
    PRESENT_CEIL,
    PRESENT_JOIN,
    PRESENT_NORM,
    PRESENT_RECURRENT,
    Conventions,
)
from derivations.formula import Formula, is_concrete, product, total
from derivations.layers.base import Count, LayerKind, LayerResult
from derivations.shapes import Shape, ShapeError
from derivations.symbols import labelled_terms

Join = Literal["concat", "add", "multiply", "first"]


@dataclass(frozen=True)
class Branch:
    """One path of a :class:`Parallel` block: layers applied in order."""

    name: str
    layers: tuple[Node, ...]
    path: tuple[str | int, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Parallel:
    """Branches that all read the same input; ``concat`` stacks their outputs along depth,
    ``add`` sums them (a residual join), ``multiply`` multiplies them element-wise (a
    squeeze-and-excitation gate), ``first`` passes the first branch on and leaves the others
    as side outputs (an auxiliary classifier). A branch without layers is the identity (a
    shortcut)."""

    name: str
    branches: tuple[Branch, ...]
    join: Join = "concat"
    path: tuple[str | int, ...] = field(default=(), compare=False)
    activation: str = "identity"
    """Applied to the joined output (the ReLU after a residual sum)."""


Node = Union[LayerKind, Parallel]


@dataclass(frozen=True)
class Network:
    """An input shape and the nodes applied to it; ``batch`` is the batch size a question
    may scale by (None: one sample)."""

    name: str
    input: Shape
    layers: tuple[Node, ...]
    batch: sp.Expr | None = None


@dataclass(frozen=True)
class JoinResult:
    """The output of a parallel block, with the depth (or shape) rule of its join."""

    block: Parallel
    in_shape: Shape
    out_shape: Shape
    depth: Formula | None  # C_out = C_1 + C_2 + ... for concat
    counts: Mapping[Count, Formula] = field(default_factory=dict)
    """The join's own operations (an add or multiply: one per element per extra branch)."""

    layer: None = None
    """A join is no layer: the conventions' questions about a layer's own fields get None."""

    def count(self, count: Count) -> sp.Expr:
        f = self.counts.get(count)
        return f.value if f is not None else sp.Integer(0)


@dataclass(frozen=True)
class Row:
    """One line of the analysis: a layer (with the branch it sits in) or a join."""

    label: str
    branch: str | None
    result: LayerResult | JoinResult

    @property
    def out_shape(self) -> Shape:
        return self.result.out_shape

    @property
    def in_shape(self) -> Shape:
        return self.result.in_shape


@dataclass(frozen=True)
class Analysis:
    """Every row of a network, in order, under one set of conventions."""

    network: Network
    conventions: Conventions
    rows: tuple[Row, ...]

    @property
    def output(self) -> Shape:
        return self.rows[-1].out_shape if self.rows else self.network.input

    def layers(self) -> list[tuple[Row, LayerResult]]:
        """The rows that are layers (not joins)."""
        return [(r, r.result) for r in self.rows if isinstance(r.result, LayerResult)]

    def find(self, name: str) -> Row:
        """The row of the layer or block called ``name`` (KeyError if there is none)."""
        for row in self.rows:
            if row.label == name:
                return row
        raise KeyError(name)

    def params(self, result: LayerResult) -> sp.Expr:
        """The layer's parameter count under the conventions (weights; biases if counted)."""
        return self.conventions.params_of(result)

    def ops(self, result: LayerResult | JoinResult) -> sp.Expr:
        """The layer's (or join's) operation count under the conventions (MACs scaled,
        pooling per window, element-wise operations where counted)."""
        return self.conventions.ops_of(result)

    def costed(self) -> list[tuple[Row, LayerResult | JoinResult]]:
        """The layers, and the joins whose operations the conventions count, in order."""
        return [
            (r, r.result)
            for r in self.rows
            if isinstance(r.result, LayerResult) or self.conventions.op_terms(r.result)
        ]

    def present(self) -> frozenset[str]:
        """What the network holds that a convention speaks of (normalisation, a ceil-mode
        pool, an element-wise join, a recurrent layer): the key states those conventions."""
        found: set[str] = set()
        for row in self.rows:
            r = row.result
            if isinstance(r, JoinResult):
                if r.block.join in ("add", "multiply"):
                    found.add(PRESENT_JOIN)
            else:
                if Count.SCALES in r.counts or Count.RUNNING_MEANS in r.counts:
                    found.add(PRESENT_NORM)
                if Count.NORM_OPS in r.counts:
                    found.add(PRESENT_NORM)
                if any(rule.formula.rhs.has(sp.ceiling) for rule in r.sizes):
                    found.add(PRESENT_CEIL)
                if Count.RECURRENT_BIASES in r.counts:
                    found.add(PRESENT_RECURRENT)
        return frozenset(found)


def _run(
    nodes: tuple[Node, ...],
    shape: Shape,
    branch: str | None,
    rows: list[Row],
    conventions: Conventions,
) -> Shape:
    for node in nodes:
        if isinstance(node, Parallel):
            shape = _parallel(node, shape, rows, conventions)
            continue
        layer = node.under(conventions)
        try:
            result = layer.forward(shape)
        except ShapeError as err:
            err.path = node.path
            raise
        if layer.applied != "identity":
            ops = Formula(sp.Symbol("OPS"), result.out_shape.numel)
            result = replace(result, counts={**result.counts, Count.ACTIVATION_OPS: ops})
        rows.append(Row(node.label, branch, result))
        shape = result.out_shape
    return shape


def _mismatch(block: Parallel, branch: Branch, out: Shape, first: Shape, what: str) -> ShapeError:
    err = ShapeError(
        "branches",
        f"branch {branch.name!r} gives {_hwc(out)} but branch {block.branches[0].name!r} "
        f"gives {_hwc(first)}: {'an' if block.join == 'add' else 'a'} {block.join} join needs "
        f"the same {what}",
    )
    err.path = block.path
    return err


def _broadcast(block: Parallel, outs: list[Shape]) -> Shape:
    """The shape of an add or multiply join: equal sizes, or a size 1 that is repeated
    (PyTorch's broadcasting, on shapes of the same form and rank)."""
    first = outs[0]
    dims = list(first.dims)
    for branch, out in zip(block.branches, outs, strict=True):
        what = "shape (or sizes of 1 to broadcast)" if block.join == "multiply" else "shape"
        if (out.form, len(out.dims)) != (first.form, len(first.dims)):
            raise _mismatch(block, branch, out, first, what)
        for i, d in enumerate(out.dims):
            if d == dims[i] or d == 1:
                continue
            if dims[i] == 1:
                dims[i] = d
            elif is_concrete(d, dims[i]):
                raise _mismatch(block, branch, out, first, what)
    return Shape(tuple(dims), first.form)


def _parallel(block: Parallel, shape: Shape, rows: list[Row], conventions: Conventions) -> Shape:
    outs = [_run(b.layers, shape, b.name, rows, conventions) for b in block.branches]
    first = outs[0]
    depth = None
    counts: dict[Count, Formula] = {}
    if block.join == "concat":
        axis = first.channel_axis
        what = "height and width" if first.is_image else "size on every axis but the channels"
        for branch, out in zip(block.branches, outs, strict=True):
            if (out.form, len(out.dims)) != (first.form, len(first.dims)) or any(
                is_concrete(a, b) and a != b
                for a, b in zip(_without(first, axis), _without(out, axis), strict=True)
            ):
                raise _mismatch(block, branch, out, first, what)
        parts = labelled_terms("C", [b.name for b in block.branches])
        depth = Formula.of(
            sp.Symbol("C_out"),
            total(parts),
            dict(zip(parts, [o.channels for o in outs], strict=True)),
        )
        out = first.with_channels(depth.value)
    elif block.join == "first":
        out = first
    else:
        out = _broadcast(block, outs)
        extra = sp.Integer(len(outs) - 1)
        counts[Count.JOIN_OPS] = Formula(sp.Symbol("OPS"), product([extra, out.numel]))
    if block.activation != "identity":
        counts[Count.ACTIVATION_OPS] = Formula(sp.Symbol("OPS"), out.numel)
    rows.append(Row(block.name, None, JoinResult(block, shape, out, depth, counts)))
    return out


def _without(shape: Shape, axis: int) -> tuple[sp.Expr, ...]:
    return shape.dims[:axis] + shape.dims[axis + 1 :]


def _hwc(shape: Shape) -> str:
    return " × ".join(str(d) for d in shape.hwc())


def analyze(network: Network, conventions: Conventions) -> Analysis:
    """Run every shape rule from the input to the output; raise :class:`ShapeError` on a
    concrete conflict (its ``path`` attribute locates the layer in the spec)."""
    rows: list[Row] = []
    _run(network.layers, network.input, None, rows, conventions)
    analysis = Analysis(network, conventions, tuple(rows))
    present = analysis.present()
    if present - conventions.present:  # the conventions to state for what the network holds
        conventions = replace(conventions, present=conventions.present | present)
        analysis = Analysis(network, conventions, tuple(rows))
    return analysis
