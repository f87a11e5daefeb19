"""Spec models of networks: an input shape and layers, each layer kind keyed by ``kind``.

Each model turns itself into the matching :mod:`derivations` object with ``to_model``; the
spec's field path travels along so that a shape error can point at its line.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

import sympy as sp
from pydantic import Field

from derivations import layers as L
from derivations.fields import (
    ActivationName,
    Padding,
    Positive,
    PositivePair,
    Size,
    SizePair,
    Strict,
    Text,
)
from derivations.formula import as_size
from derivations.network import Branch, Network, Node, Parallel
from derivations.shapes import Shape, ShapeError
from derivations.views import same_padding_formula

Loc = tuple[str | int, ...]


def _pair(values: tuple[int | str, int | str]) -> tuple[sp.Expr, sp.Expr]:
    return as_size(values[0]), as_size(values[1])


def _padding(padding: tuple[int, int] | str, kernel: L.Pair, dilation: L.Pair) -> L.Pair:
    """Resolve ``same``/``valid`` to numbers: ``same`` is P = D(K − 1)/2 per axis."""
    if padding == "valid":
        return sp.Integer(0), sp.Integer(0)
    if padding == "same":
        out = []
        for k, d in zip(kernel, dilation, strict=True):
            p = same_padding_formula(k, d).value
            if p.is_integer is False:
                raise ShapeError("padding", f"padding 'same' needs an odd kernel, got {k}")
            out.append(p)
        return out[0], out[1]
    assert isinstance(padding, tuple)
    return sp.Integer(padding[0]), sp.Integer(padding[1])


class LayerSpec(Strict):
    name: Text | None = None
    activation: ActivationName = "identity"


class Conv2dSpec(LayerSpec):
    """``filters`` output channels of ``kernel`` (K or [K_h, K_w] or "KxK")."""

    kind: Literal["conv2d"]
    filters: Size
    kernel: SizePair
    stride: PositivePair = (1, 1)
    padding: Padding = (0, 0)
    dilation: PositivePair = (1, 1)
    groups: Positive = 1
    bias: bool | None = None

    def to_model(self, name: str, loc: Loc) -> L.Layer:
        kernel, dilation = _pair(self.kernel), _pair(self.dilation)
        return L.Conv2d(
            name=name,
            path=loc,
            activation=self.activation,
            filters=as_size(self.filters),
            kernel=kernel,
            stride=_pair(self.stride),
            padding=_padding(self.padding, kernel, dilation),
            dilation=dilation,
            groups=self.groups,
            bias=self.bias,
        )


class PoolSpec(LayerSpec):
    """A pooling window; ``stride`` defaults to the kernel, as in PyTorch."""

    kind: Literal["maxpool2d", "avgpool2d"]
    kernel: PositivePair
    stride: PositivePair | None = None
    padding: Padding = (0, 0)

    def to_model(self, name: str, loc: Loc) -> L.Layer:
        kernel = _pair(self.kernel)
        cls = L.LAYER_KINDS[self.kind]
        one = (sp.Integer(1), sp.Integer(1))
        return cls(
            name=name,
            path=loc,
            activation=self.activation,  # type: ignore[call-arg]
            kernel=kernel,
            stride=_pair(self.stride or self.kernel),
            padding=_padding(self.padding, kernel, one),
        )


class LinearSpec(LayerSpec):
    """``units`` outputs, or ``same``: as many as the flattened input has values."""

    kind: Literal["linear"]
    units: Size | Literal["same"]
    bias: bool | None = None

    def to_model(self, name: str, loc: Loc) -> L.Layer:
        units = None if self.units == "same" else as_size(self.units)
        return L.Linear(
            name=name, path=loc, activation=self.activation, units=units, bias=self.bias
        )


class FlattenSpec(LayerSpec):
    kind: Literal["flatten"]

    def to_model(self, name: str, loc: Loc) -> L.Layer:
        return L.Flatten(name=name, path=loc)


class ActivationSpec(LayerSpec):
    kind: Literal["activation"]
    function: ActivationName

    def to_model(self, name: str, loc: Loc) -> L.Layer:
        return L.Activation(name=name, path=loc, activation=self.function)


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


AnyLayer = Annotated[
    Union[Conv2dSpec, PoolSpec, LinearSpec, FlattenSpec, ActivationSpec, ParallelSpec],
    Field(discriminator="kind"),
]
BranchSpec.model_rebuild()


def _nodes(specs: list[AnyLayer], loc: Loc) -> tuple[Node, ...]:
    out: list[Node] = []
    for i, spec in enumerate(specs):
        here = (*loc, "layers", i)
        name = spec.name or f"{spec.kind}-{i + 1}"
        try:
            out.append(spec.to_model(name, here))
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
            if node.name in seen:
                err = ShapeError("name", f"the name {node.name!r} is used twice in this network")
                err.path = node.path
                raise err
            seen.add(node.name)
            if isinstance(node, Parallel):
                for b in node.branches:
                    visit(b.layers)

    visit(nodes)


__all__ = ["AnyLayer", "NetworkSpec"]
