"""Normalisation: ``batchnorm2d``, batch normalisation over the channels of a feature map.

Each of the C channels is normalised with the batch's mean and variance, then scaled by a
learned γ and shifted by a learned β (Ioffe & Szegedy, *Batch Normalization*, 2015, Alg. 1).
PyTorch's ``BatchNorm2d`` keeps γ as ``weight`` and β as ``bias`` (2C trainable parameters
when ``affine``), and a running mean and variance per channel as buffers (2C numbers kept but
not trained, when ``track_running_stats``). The shape is unchanged; there are no MACs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import sympy as sp

from derivations.formula import Formula, product
from derivations.layers.base import (
    Count,
    LayerKind,
    LayerResult,
    dims_text,
    layer_kind,
    require_feature_map,
)
from derivations.shapes import Shape

C = sp.Symbol("C", positive=True, integer=True)
GAMMA, BETA = sp.Symbol("gamma"), sp.Symbol("beta")
STATS = sp.Symbol("S")  # the running statistics: a mean and a variance per channel


@layer_kind
class BatchNorm2d(LayerKind):
    """Batch normalisation over the C channels of an H×W×C feature map (PyTorch
    ``BatchNorm2d``). Fields: ``affine`` (default true: a learned scale γ and shift β per
    channel, PyTorch's weight and bias), ``track_running_stats`` (default true: a running
    mean and variance per channel, kept as buffers and not trained). The shape is unchanged."""

    kind: Literal["batchnorm2d"] = "batchnorm2d"
    affine: bool = True
    track_running_stats: bool = True

    title: ClassVar[str] = "batch normalisation"
    example: ClassVar[Mapping[str, Any]] = {"name": "BN-1", "kind": "batchnorm2d"}

    def forward(self, shape: Shape) -> LayerResult:
        require_feature_map(shape, self.kind_name)
        values = {C: shape.channels}
        counts: dict[Count, Formula] = {}
        if self.affine:
            counts[Count.WEIGHTS] = Formula.of(GAMMA, C, values)
            counts[Count.BIASES] = Formula.of(BETA, C, values)
        if self.track_running_stats:
            with sp.evaluate(False):
                counts[Count.BUFFERS] = Formula.of(STATS, product([sp.Integer(2), C]), values)
        return LayerResult(self, shape, shape, (), counts)

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        c = result.in_shape.channels
        if self.affine:
            text = (
                f"{self.label} normalises each of its {c} channels with the batch's mean and "
                f"variance, then scales it by a learned γ: {c} weights."
            )
            text += (
                f" Each channel's shift β is a bias: {c} more."
                if bias
                else f" Its {c} shifts β are biases, not counted here."
            )
        else:
            text = f"{self.label} normalises its {c} channels with no learned scale or shift."
        if self.track_running_stats:
            text += (
                f" It also keeps a running mean and variance per channel, 2 · {c} = {2 * c} "
                "numbers that are not trained (buffers, not parameters)."
            )
        return text

    def phrase(self, result: LayerResult) -> str:
        return f"batch normalisation over {result.in_shape.channels} channels → " + dims_text(
            result.out_shape
        )

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.BatchNorm2d`` on the input's channels, ``affine`` and
        ``track_running_stats`` as the spec writes them (PyTorch's defaults if absent)."""
        options = {k: bool(raw[k]) for k in ("affine", "track_running_stats") if k in raw}
        return nn.BatchNorm2d(in_shape[0], device="meta", **options)
