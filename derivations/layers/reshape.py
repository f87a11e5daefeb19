"""Layers that change how values are arranged or applied, not how many there are:
``flatten`` (a feature map unwrapped into a vector), ``reshape`` (to any form of the same
number of values), ``activation`` (a function applied element-wise, or over the feature
vector for softmax) and ``dropout`` (zeroing a random share while training). None has
parameters or MACs."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import ValidationInfo, field_validator, model_validator

from derivations.activations import ACTIVATIONS
from derivations.fields import ActivationName, Size, Strict, fail
from derivations.formula import as_size, is_concrete
from derivations.layers.base import LayerKind, LayerResult, dims_text, layer_kind
from derivations.shapes import Form, Shape, ShapeError

_RANKS = {"vector": (1,), "sequence": (2,), "map": (2, 3, 4)}
_WRITTEN = {"vector": "[N]", "sequence": "[T, d]", "map": "[L, C], [H, W, C] or [D, H, W, C]"}


class ShapeSpec(Strict):
    """A shape written as a mapping: exactly one of ``vector: [N]``, ``sequence: [T, d]``
    (positions × features) or ``map: [L, C] | [H, W, C] | [D, H, W, C]`` (channels last)."""

    vector: list[Size] | None = None
    sequence: list[Size] | None = None
    map: list[Size] | None = None

    @field_validator("vector", "sequence", "map")
    @classmethod
    def _rank(cls, dims: list[Any] | None, info: ValidationInfo) -> list[Any] | None:
        form = str(info.field_name)
        if dims is not None and len(dims) not in _RANKS[form]:
            raise fail(f"a {form} is written {_WRITTEN[form]}, got {len(dims)} sizes")
        return dims

    @model_validator(mode="after")
    def _one_form(self) -> ShapeSpec:
        if sum(getattr(self, f) is not None for f in _RANKS) != 1:
            raise fail("give exactly one of vector: [N], sequence: [T, d] or map: [..., C]")
        return self

    @property
    def form(self) -> Form:
        return "vector" if self.vector else "sequence" if self.sequence else "map"

    def shape(self) -> Shape:
        dims = getattr(self, self.form)
        return Shape.from_course(self.form, tuple(as_size(d) for d in dims))


@layer_kind
class Flatten(LayerKind):
    """Unwraps a feature map into a vector of C·H·W features. No fields."""

    kind: Literal["flatten"] = "flatten"
    title: ClassVar[str] = "flatten"
    example: ClassVar[Mapping[str, Any]] = {"kind": "flatten"}

    def forward(self, shape: Shape) -> LayerResult:
        return LayerResult(self, shape, Shape.vector(shape.numel))

    torch_types: ClassVar[tuple[str, ...]] = ("Flatten",)

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | None:
        return {"kind": "flatten"} if module.start_dim == 1 and module.end_dim == -1 else None

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return nn.Flatten()

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        return {"kind": "flatten"} if not shape.is_vector else None


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
        """``a ReLU activation → 56 × 56 × 64``: the function the spec names, in prose."""
        return f"a {ACTIVATIONS[self.function].spoken} activation → {dims_text(result.out_shape)}"

    torch_types: ClassVar[tuple[str, ...]] = (
        "Identity",
        "ReLU",
        "ReLU6",
        "Sigmoid",
        "Softmax",
        "Tanh",
    )

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | None:
        """The activation whose name is the module's class name in lower case."""
        name = type(module).__name__.lower()
        if name not in ACTIVATIONS or getattr(module, "dim", 1) not in (-1, None, 1):
            return None
        return {"kind": "activation", "function": name}

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return ACTIVATIONS[raw["function"]].torch(nn)

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        return {"kind": "activation", "function": rng.choice(["relu", "tanh", "sigmoid"])}


@layer_kind
class Reshape(LayerKind):
    """The same values in another shape: ``to`` is written as an input is (``{vector: [N]}``,
    ``{sequence: [T, d]}`` or ``{map: [..., C]}``, channels last) and must hold as many values
    (a map's patches as a sequence, say, or a vector back into a map)."""

    kind: Literal["reshape"] = "reshape"
    to: ShapeSpec

    title: ClassVar[str] = "reshape"
    example: ClassVar[Mapping[str, Any]] = {"kind": "reshape", "to": {"sequence": [16, 64]}}

    def forward(self, shape: Shape) -> LayerResult:
        out = self.to.shape()
        if is_concrete(shape.numel, out.numel) and shape.numel != out.numel:
            raise ShapeError(
                "to",
                f"{dims_text(out)} holds {out.numel} values, but the input {dims_text(shape)} "
                f"holds {shape.numel}",
            )
        return LayerResult(self, shape, out)

    def phrase(self, result: LayerResult) -> str:
        return f"reshaped to {dims_text(result.out_shape)}"

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``torch.reshape`` to the target (a map's channels first), as a module."""
        ((form, dims),) = ((k, v) for k, v in raw["to"].items() if k in _RANKS)
        sizes = [int(d) for d in dims]
        target = (sizes[-1], *sizes[:-1]) if form == "map" else tuple(sizes)

        class ReshapeTo(nn.Module):  # type: ignore[misc, name-defined]
            def forward(self, x: Any) -> Any:
                return x.reshape(x.shape[0], *target)

        return ReshapeTo()

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        n = int(shape.numel)
        splits = [d for d in range(2, min(n, 64)) if n % d == 0]
        if not splits or rng.random() < 0.3:
            return {"kind": "reshape", "to": {"vector": [n]}}
        d = rng.choice(splits)
        form = rng.choice(["sequence", "map"])
        return {"kind": "reshape", "to": {form: [n // d, d]}}


@layer_kind
class Dropout(LayerKind):
    """Dropout: while training, each value is zeroed with probability ``p`` (default 0.5)
    and the rest scaled by 1/(1 − p); at inference it passes its input through. No
    parameters, no operations counted."""

    kind: Literal["dropout"] = "dropout"
    p: float = 0.5

    @field_validator("p", mode="before")
    @classmethod
    def _probability(cls, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
            raise fail(f"expected a probability from 0 up to (not including) 1, got {value!r}")
        return float(value)

    title: ClassVar[str] = "dropout"
    example: ClassVar[Mapping[str, Any]] = {"kind": "dropout", "p": 0.2}

    def forward(self, shape: Shape) -> LayerResult:
        return LayerResult(self, shape, shape)

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        return f"{self.label} (dropout, p = {self.p:g}) only zeroes values: it has no parameters."

    torch_types: ClassVar[tuple[str, ...]] = ("Dropout",)

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | None:
        return {"kind": "dropout", "p": float(module.p)}

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return nn.Dropout(float(raw.get("p", 0.5)))

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        return {"kind": "dropout", "p": rng.choice([0.1, 0.25, 0.5])}
