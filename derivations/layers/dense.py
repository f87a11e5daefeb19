"""Dense layers: ``linear``, fully connected (a feature-map input is flattened first; a
``[T, d]`` sequence is not: the layer applies at every position, as ``torch.nn.Linear`` and
Keras's ``Dense`` do on the last axis).

Parameters: N_in · N_out weights and N_out biases; MACs: N_in · N_out, or T · d_in · d_out
at every position of a sequence (PyTorch ``Linear``: ``y = x Aᵀ + b`` on the last axis).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import sympy as sp

from derivations.fields import Size
from derivations.formula import Formula, as_size, product
from derivations.layers.base import Count, LayerKind, LayerResult, dims_text, layer_kind
from derivations.layers.sequence import D_IN, D_OUT, T
from derivations.shapes import Shape

N_IN, N_OUT = sp.symbols("N_in N_out", positive=True, integer=True)


class Dense(LayerKind):
    """The capability of a kind that is a weight matrix times its (flattened) input: the
    perceptron and dense-network questions accept any kind that has it."""


@layer_kind
class Linear(Dense):
    """A fully connected layer. Fields: ``units`` (size, or ``same``: as many as the flattened
    input has values, or a sequence's features), ``bias`` (default: the convention). A
    feature-map input is flattened first (C·H·W features); a T × d sequence is not: the same
    d_in × d_out weights apply at every position, T × d_in → T × d_out."""

    kind: Literal["linear"] = "linear"
    units: Size | Literal["same"]
    bias: bool | None = None

    title: ClassVar[str] = "fully connected layer"
    example: ClassVar[Mapping[str, Any]] = {"name": "FC-1", "kind": "linear", "units": "same"}
    size_fields: ClassVar[tuple[str, ...]] = ("units",)

    def forward(self, shape: Shape) -> LayerResult:
        if shape.is_sequence:
            return self._per_position(shape)
        n_in = shape.numel
        n_out = n_in if self.units == "same" else as_size(self.units)
        values = {N_IN: n_in, N_OUT: n_out}
        weights = Formula.of(sp.Symbol("W"), product([N_IN, N_OUT]), values)
        macs = Formula.of(sp.Symbol("MAC"), product([N_IN, N_OUT]), values)
        biases = Formula.of(sp.Symbol("b"), N_OUT, values)
        adds = Formula.of(sp.Symbol("OPS"), N_OUT, values)  # one bias addition per output
        counts = {
            Count.WEIGHTS: weights,
            Count.BIASES: biases,
            Count.MACS: macs,
            Count.BIAS_OPS: adds,
        }
        return LayerResult(self, shape, Shape.vector(n_out), (), counts)

    def _per_position(self, shape: Shape) -> LayerResult:
        """W = d_in · d_out, b = d_out, MAC = T · d_in · d_out: one matrix at every position."""
        t, d_in = shape.dims
        d_out = d_in if self.units == "same" else as_size(self.units)
        values = {T: t, D_IN: d_in, D_OUT: d_out}
        weights = Formula.of(sp.Symbol("W"), product([D_IN, D_OUT]), values)
        macs = Formula.of(sp.Symbol("MAC"), product([T, D_IN, D_OUT]), values)
        biases = Formula.of(sp.Symbol("b"), D_OUT, values)
        adds = Formula.of(sp.Symbol("OPS"), product([T, D_OUT]), values)  # one per output
        counts = {
            Count.WEIGHTS: weights,
            Count.BIASES: biases,
            Count.MACS: macs,
            Count.BIAS_OPS: adds,
        }
        return LayerResult(self, shape, Shape.sequence(t, d_out), (), counts)

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        if result.in_shape.is_sequence:
            (t, d_in), d_out = result.in_shape.dims, result.out_shape.dims[1]
            text = (
                f"{self.label} applies the same {d_out} × {d_in} weight matrix at each of the "
                f"{t} positions (nothing is flattened), so the sequence length does not enter: "
                f"W is {d_out} × {d_in}."
            )
            return text + (
                f" With biases, one more per output feature: {d_out}."
                if bias
                else " No bias terms are counted."
            )
        n_in, n_out = result.in_shape.numel, result.out_shape.dims[0]
        flat = (
            f" (the {dims_text(result.in_shape)} input is flattened to {n_in} values)"
            if result.in_shape.is_image
            else ""
        )
        text = (
            f"Each of the {n_out} units of {self.label} connects to every one of the {n_in} "
            f"inputs{flat} with its own weight: W is {n_out} × {n_in}."
        )
        return text + (
            f" With biases, one more per unit: {n_out}." if bias else " No bias terms are counted."
        )

    def ops_reason(self, result: LayerResult) -> str | None:
        if not result.in_shape.is_sequence:
            return None
        return (
            f"{self.label} multiplies its d_in × d_out matrix at each of the T positions: "
            "MAC = T · d_in · d_out."
        )

    def phrase(self, result: LayerResult) -> str:
        if result.in_shape.is_sequence:
            return f"a linear layer of {result.out_shape.dims[1]} units at every position"
        return f"a fully connected layer of {result.out_shape.dims[0]} units"

    torch_types: ClassVar[tuple[str, ...]] = ("Linear",)

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | None:
        return {"kind": "linear", "units": module.out_features, "bias": module.bias is not None}

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.Flatten`` then ``nn.Linear``; ``units: same`` is the flattened input's size. On
        a sequence (the referee's ``in_shape.form``), ``nn.Linear`` alone, on the last axis."""
        if getattr(in_shape, "form", None) == "sequence":
            d = in_shape[-1]
            units = d if raw["units"] == "same" else int(raw["units"])
            return nn.Linear(d, units, bias=True, device="meta")
        features = 1
        for d in in_shape:
            features *= d
        units = features if raw["units"] == "same" else int(raw["units"])
        return nn.Sequential(nn.Flatten(), nn.Linear(features, units, bias=True, device="meta"))

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        """A fully connected layer of a few units (or ``same``, for a small input)."""
        small = shape.numel.is_Integer and int(shape.numel) <= 64
        layer: dict[str, Any] = {"kind": "linear"}
        layer["units"] = "same" if small and rng.random() < 0.2 else rng.randint(1, 20)
        if rng.random() < 0.5:
            layer["bias"] = rng.random() < 0.5
        return layer
