"""Spec models of networks: an input shape, and layers of the registered kinds or parallel
blocks of branches.

Layer kinds are the classes of :data:`derivations.layers.LAYER_KINDS` (each its own spec
model); this module only adds the structure around them. ``to_model`` gives every layer its
name and its place in the spec, so that a shape error can point at its line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

import sympy as sp
from pydantic import (
    Discriminator,
    Field,
    Tag,
)

from derivations.fields import ActivationName, Size, Strict, Text
from derivations.formula import as_size
from derivations.layers import LAYER_KINDS, LayerKind
from derivations.layers.reshape import ShapeSpec
from derivations.network import Branch, Network, Node, Parallel
from derivations.registry import any_kind
from derivations.shapes import Shape, ShapeError

Loc = tuple[str | int, ...]


class BranchSpec(Strict):
    """One branch; no ``layers`` (or ``layers: []``) is the identity, a shortcut."""

    name: Text
    layers: list[AnyLayer] = Field(default_factory=list)


class ParallelSpec(Strict):
    """Branches that read the same input, joined by depth concatenation, addition or
    element-wise multiplication, or ``first``: the first branch goes on, the others are side
    outputs (an auxiliary classifier)."""

    kind: Literal["parallel"]
    name: Text | None = None
    join: Literal["concat", "add", "multiply", "first"] = "concat"
    activation: ActivationName = "identity"
    branches: list[BranchSpec] = Field(min_length=2)

    def to_model(self, name: str, loc: Loc, names: Namer) -> Parallel:
        seen: set[str] = set()
        for i, b in enumerate(self.branches):
            if b.name in seen:
                err = ShapeError("name", f"the branch name {b.name!r} is used twice in this block")
                err.path = (*loc, "branches", i)
                raise err
            seen.add(b.name)
        branches = tuple(
            Branch(b.name, _nodes(b.layers, (*loc, "branches", i), names), (*loc, "branches", i))
            for i, b in enumerate(self.branches)
        )
        return Parallel(name, branches, self.join, loc, self.activation)


if TYPE_CHECKING:
    AnyLayer = LayerKind | ParallelSpec
else:  # validated by the kind the mapping names: only the kinds a spec uses are built
    AnyLayer = any_kind(LAYER_KINDS, ParallelSpec)


def _kind(spec: AnyLayer) -> str:
    return "parallel" if isinstance(spec, ParallelSpec) else spec.kind_name


class Namer:
    """Default names for unnamed layers: ``<kind>-<n>``, numbered per kind through the whole
    network in document order (branches included), skipping every name the author wrote."""

    def __init__(self, specs: list[AnyLayer]) -> None:
        self.written: set[str] = set()
        self.counts: dict[str, int] = {}

        def visit(items: list[AnyLayer]) -> None:
            for spec in items:
                if spec.name:
                    self.written.add(spec.name)
                if isinstance(spec, ParallelSpec):
                    for branch in spec.branches:
                        visit(branch.layers)

        visit(specs)

    def name(self, spec: AnyLayer) -> str:
        if spec.name:
            return spec.name
        kind = _kind(spec)
        while True:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            candidate = f"{kind}-{self.counts[kind]}"
            if candidate not in self.written:
                return candidate


def _nodes(specs: list[AnyLayer], loc: Loc, names: Namer) -> tuple[Node, ...]:
    out: list[Node] = []
    for i, spec in enumerate(specs):
        here = (*loc, "layers", i)
        name = names.name(spec)
        try:
            if isinstance(spec, ParallelSpec):
                out.append(spec.to_model(name, here, names))
            else:
                out.append(spec.placed(name, here))
        except ShapeError as err:
            err.path = err.path or here
            raise
    return tuple(out)


class InputSpec(ShapeSpec):
    """An input written as a mapping: exactly one of ``vector: [N]``, ``sequence: [T, d]``
    (positions × features) or ``map: [L, C] | [H, W, C] | [D, H, W, C]`` (channels last),
    and an optional ``batch`` size."""

    batch: Size | None = None


def _input_tag(value: Any) -> str:
    return "[mapping]" if isinstance(value, dict) else "[list]"


InputField = Annotated[
    Union[Annotated[list[Size], Tag("[list]")], Annotated[InputSpec, Tag("[mapping]")]],
    Discriminator(_input_tag),
]


class NetworkSpec(Strict):
    """``input``: ``[N]`` for a vector, ``[H, W, C]`` for a 2-D feature map (height, width,
    channels, as the course writes them), ``[D, H, W, C]`` for a 3-D map, or a mapping
    (:class:`InputSpec`) for a sequence, a 1-D map or a batch size."""

    title: Text | None = None
    input: InputField
    layers: list[AnyLayer] = Field(min_length=1)

    def input_shape(self, loc: Loc) -> tuple[Shape, sp.Expr | None]:
        """The input's shape and batch size (None when not given)."""
        if isinstance(self.input, InputSpec):
            batch = None if self.input.batch is None else as_size(self.input.batch)
            return self.input.shape(), batch
        dims = [as_size(d) for d in self.input]
        if len(dims) == 1:
            return Shape.vector(dims[0]), None
        if len(dims) in (3, 4):
            return Shape.from_course("map", tuple(dims)), None
        hint = (
            "; two sizes are ambiguous: write {sequence: [T, d]} or {map: [L, C]}"
            if len(dims) == 2
            else ""
        )
        err = ShapeError(
            "input", f"expected [N], [H, W, C] or [D, H, W, C], got {len(dims)} sizes{hint}"
        )
        err.path = loc
        raise err

    def to_model(self, name: str, loc: Loc) -> Network:
        shape, batch = self.input_shape(loc)
        nodes = _nodes(self.layers, loc, Namer(self.layers))
        _unique_names(nodes, loc)
        return Network(self.title or name, shape, nodes, batch)


def _unique_names(nodes: tuple[Node, ...], loc: Loc) -> None:
    seen: set[str] = set()

    def visit(items: tuple[Node, ...]) -> None:
        for node in items:
            name = node.name or ""
            if name in seen:
                err = ShapeError("name", f"the name {name!r} is used twice in this network")
                err.path = node.path
                raise err
            seen.add(name)
            if isinstance(node, Parallel):
                for b in node.branches:
                    visit(b.layers)

    visit(nodes)


__all__ = ["AnyLayer", "InputSpec", "NetworkSpec"]
