"""Spec models of networks: an input shape, and layers of the registered kinds or parallel
blocks of branches.

Layer kinds are the classes of :data:`derivations.layers.LAYER_KINDS` (each its own spec
model); this module only adds the structure around them. ``to_model`` gives every layer its
name and its place in the spec, so that a shape error can point at its line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Union

from pydantic import Field

from derivations.fields import Size, Strict, Text
from derivations.formula import as_size
from derivations.layers import LAYER_KINDS, LayerKind
from derivations.network import Branch, Network, Node, Parallel
from derivations.shapes import Shape, ShapeError

Loc = tuple[str | int, ...]


class BranchSpec(Strict):
    name: Text
    layers: list[AnyLayer] = Field(min_length=1)


class ParallelSpec(Strict):
    """Branches that read the same input, joined by depth concatenation or addition."""

    kind: Literal["parallel"]
    name: Text | None = None
    join: Literal["concat", "add"] = "concat"
    branches: list[BranchSpec] = Field(min_length=2)

    def to_model(self, name: str, loc: Loc) -> Parallel:
        branches = tuple(
            Branch(b.name, _nodes(b.layers, (*loc, "branches", i)), (*loc, "branches", i))
            for i, b in enumerate(self.branches)
        )
        return Parallel(name, branches, self.join, loc)


if TYPE_CHECKING:
    AnyLayer = LayerKind | ParallelSpec
else:
    AnyLayer = Annotated[Union[(*LAYER_KINDS.values(), ParallelSpec)], Field(discriminator="kind")]
BranchSpec.model_rebuild()


def _nodes(specs: list[AnyLayer], loc: Loc) -> tuple[Node, ...]:
    out: list[Node] = []
    for i, spec in enumerate(specs):
        here = (*loc, "layers", i)
        kind = "parallel" if isinstance(spec, ParallelSpec) else spec.kind_name
        name = spec.name or f"{kind}-{i + 1}"
        try:
            if isinstance(spec, ParallelSpec):
                out.append(spec.to_model(name, here))
            else:
                out.append(spec.placed(name, here))
        except ShapeError as err:
            err.path = here
            raise
    return tuple(out)


class NetworkSpec(Strict):
    """``input``: ``[N]`` for a vector, or ``[H, W, C]`` for a feature map (height, width,
    channels, as the course writes them)."""

    title: Text | None = None
    input: list[Size] = Field(min_length=1)
    layers: list[AnyLayer] = Field(min_length=1)

    def to_model(self, name: str, loc: Loc) -> Network:
        dims = [as_size(d) for d in self.input]
        if len(dims) == 1:
            shape = Shape.vector(dims[0])
        elif len(dims) == 3:
            shape = Shape.image(dims[2], dims[0], dims[1])
        else:
            err = ShapeError("input", f"expected [N] or [H, W, C], got {len(dims)} sizes")
            err.path = loc
            raise err
        nodes = _nodes(self.layers, loc)
        _unique_names(nodes, loc)
        return Network(self.title or name, shape, nodes)


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


__all__ = ["AnyLayer", "NetworkSpec"]
