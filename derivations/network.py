"""The architecture model: layers in sequence, and parallel branches joined into one tensor.

A network is described once; every question (feature space, parameters, the shape table, the
operations of an inception module, ...) is a view on :func:`analyze`'s result. Sizes may be
numbers or SymPy symbols throughout; checks fail only on a concrete conflict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

import sympy as sp

from derivations.conventions import Conventions
from derivations.formula import Formula, is_concrete, total
from derivations.layers.base import LayerKind, LayerResult
from derivations.shapes import Shape, ShapeError
from derivations.symbols import labelled_terms


@dataclass(frozen=True)
class Branch:
    """One path of a :class:`Parallel` block: layers applied in order."""

    name: str
    layers: tuple[Node, ...]
    path: tuple[str | int, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Parallel:
    """Branches that all read the same input; ``concat`` stacks their outputs along depth,
    ``add`` sums them (a residual join)."""

    name: str
    branches: tuple[Branch, ...]
    join: Literal["concat", "add"] = "concat"
    path: tuple[str | int, ...] = field(default=(), compare=False)


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

    def ops(self, result: LayerResult) -> sp.Expr:
        """The layer's operation count under the conventions (MACs scaled, pooling per window)."""
        return self.conventions.ops_of(result)


def _run(nodes: tuple[Node, ...], shape: Shape, branch: str | None, rows: list[Row]) -> Shape:
    for node in nodes:
        if isinstance(node, Parallel):
            shape = _parallel(node, shape, rows)
            continue
        try:
            result = node.forward(shape)
        except ShapeError as err:
            err.path = node.path
            raise
        rows.append(Row(node.label, branch, result))
        shape = result.out_shape
    return shape


def _parallel(block: Parallel, shape: Shape, rows: list[Row]) -> Shape:
    outs = [_run(b.layers, shape, b.name, rows) for b in block.branches]
    first = outs[0]
    axis = first.channel_axis
    for branch, out in zip(block.branches, outs, strict=True):
        others_first = _without(first, axis) if block.join == "concat" else first.dims
        others_out = _without(out, axis) if block.join == "concat" else out.dims
        if (out.form, len(out.dims)) != (first.form, len(first.dims)) or any(
            is_concrete(a, b) and a != b for a, b in zip(others_first, others_out, strict=False)
        ):
            what = "size on every axis but the channels" if block.join == "concat" else "shape"
            if block.join == "concat" and first.is_image:
                what = "height and width"
            err = ShapeError(
                "branches",
                f"branch {branch.name!r} gives {_hwc(out)} but branch {block.branches[0].name!r} "
                f"gives {_hwc(first)}: a {block.join} join needs the same {what}",
            )
            err.path = block.path
            raise err
    depth = None
    if block.join == "concat":
        parts = labelled_terms("C", [b.name for b in block.branches])
        depth = Formula.of(
            sp.Symbol("C_out"),
            total(parts),
            dict(zip(parts, [o.channels for o in outs], strict=True)),
        )
        out = first.with_channels(depth.value)
    else:
        out = first
    rows.append(Row(block.name, None, JoinResult(block, shape, out, depth)))
    return out


def _without(shape: Shape, axis: int) -> tuple[sp.Expr, ...]:
    return shape.dims[:axis] + shape.dims[axis + 1 :]


def _hwc(shape: Shape) -> str:
    return " × ".join(str(d) for d in shape.hwc())


def analyze(network: Network, conventions: Conventions) -> Analysis:
    """Run every shape rule from the input to the output; raise :class:`ShapeError` on a
    concrete conflict (its ``path`` attribute locates the layer in the spec)."""
    rows: list[Row] = []
    _run(network.layers, network.input, None, rows)
    return Analysis(network, conventions, tuple(rows))
