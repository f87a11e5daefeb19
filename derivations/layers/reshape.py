"""Layers that change how values are arranged or applied, not how many there are:
``flatten`` (a feature map unwrapped into a vector) and ``activation`` (a function applied
element-wise, or over the feature vector for softmax). Neither has parameters or MACs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from derivations.activations import ACTIVATIONS
from derivations.fields import ActivationName
from derivations.layers.base import LayerKind, LayerResult, dims_text, layer_kind
from derivations.shapes import Shape


@layer_kind
class Flatten(LayerKind):
    """Unwraps a feature map into a vector of C·H·W features. No fields."""

    kind: Literal["flatten"] = "flatten"
    title: ClassVar[str] = "flatten"
    example: ClassVar[Mapping[str, Any]] = {"kind": "flatten"}

    def forward(self, shape: Shape) -> LayerResult:
        return LayerResult(self, shape, Shape.vector(shape.numel))

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return nn.Flatten()


@layer_kind
class Activation(LayerKind):
    """An activation function as a layer of its own. Field: ``function`` (an activation
    name). Shape and cost unchanged."""

    kind: Literal["activation"] = "activation"
    function: ActivationName
    title: ClassVar[str] = "activation"
    example: ClassVar[Mapping[str, Any]] = {"kind": "activation", "function": "relu"}

    @property
    def applied(self) -> str:
        """The function this layer applies (its ``activation`` field is unused)."""
        return self.function

    def forward(self, shape: Shape) -> LayerResult:
        return LayerResult(self, shape, shape)

    def phrase(self, result: LayerResult) -> str:
        return f"a {self.function} activation → {dims_text(result.out_shape)}"

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return ACTIVATIONS[raw["function"]].torch(nn)
