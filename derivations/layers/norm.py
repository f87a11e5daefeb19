"""Normalisation: ``batchnorm1d``/``2d``/``3d``, ``layernorm``, ``groupnorm`` and
``instancenorm1d``/``2d``/``3d``.

Each normalises its input with a mean and variance (over the batch and positions per channel
for batch norm, Ioffe & Szegedy 2015; over the trailing ``shape`` per sample for layer norm, Ba
et al. 2016; over groups of channels per sample for group norm, Wu & He 2018; over positions
per sample and channel for instance norm, Ulyanov et al. 2016), then scales by a trainable γ and
shifts by a trainable β. Batch norm (and instance norm when it tracks them) also keeps a running
mean and variance per channel: buffers in PyTorch, non-trainable weights in Keras. The named
counts are :attr:`Count.SCALES`, :attr:`Count.SHIFTS`, :attr:`Count.RUNNING_MEANS` and
:attr:`Count.RUNNING_VARS`; the ``norm`` convention decides which are "parameters". Each costs
two operations per element when ``norm_ops`` counts them (scale and shift, the statistics
folded in as at inference).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import sympy as sp

from derivations.fields import Positive, Size
from derivations.formula import Formula, as_size, is_concrete, product
from derivations.layers.base import Count, LayerKind, LayerResult, dims_text, layer_kind
from derivations.shapes import Shape, ShapeError

C = sp.Symbol("C", positive=True, integer=True)
N_NORM = sp.Symbol("N", positive=True, integer=True)


GAMMA, BETA, MU = sp.Symbol("gamma"), sp.Symbol("beta"), sp.Symbol("mu")
SIGMA2 = sp.Symbol("sigma") ** 2


def _per_channel(c: sp.Expr, affine: bool, tracked: bool) -> dict[Count, Formula]:
    counts: dict[Count, Formula] = {}
    names = (
        (affine, Count.SCALES, GAMMA),
        (affine, Count.SHIFTS, BETA),
        (tracked, Count.RUNNING_MEANS, MU),
        (tracked, Count.RUNNING_VARS, SIGMA2),
    )
    for on, count, lhs in names:
        if on:
            counts[count] = Formula.of(lhs, C, {C: c})
    return counts


def _ops(shape: Shape) -> Formula:
    return Formula(sp.Symbol("OPS"), product([sp.Integer(2), shape.numel]))


class Normalisation(LayerKind):
    """What every normalisation shares: its prose and its operations."""

    title: ClassVar[str] = "normalisation"

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        counts = result.counts
        text = f"{self.label} normalises {self.over(result)}"
        if Count.SCALES in counts:
            n = counts[Count.SCALES].value
            both = counts[Count.SHIFTS].value if Count.SHIFTS in counts else None
            if both is None:
                text += f", then scales by a learned γ: {n} parameters ({self.scope})."
            else:
                text += (
                    f", then scales by a learned γ and shifts by a learned β ({self.scope}): "
                    f"{n} + {both} = {n + both} parameters."
                )
        else:
            text += ", with no learned scale or shift: no parameters."
        if Count.RUNNING_MEANS in counts:
            n = counts[Count.RUNNING_MEANS].value
            text += (
                f" It also keeps a running mean and variance per channel, 2 · {n} = {2 * n} "
                "numbers that are not trained (buffers in PyTorch; Keras's summary counts them "
                "as non-trainable parameters)."
            )
        return text

    def over(self, result: LayerResult) -> str:
        """What the statistics are taken over, in a sentence."""
        return f"each of its {result.in_shape.channels} channels with the batch's mean and variance"

    @property
    def scope(self) -> str:
        return "one of each per channel"

    def phrase(self, result: LayerResult) -> str:
        channels = result.in_shape.channels
        return f"{self.title} over {channels} channels → {dims_text(result.out_shape)}"


class BatchNorm(Normalisation):
    """Batch normalisation over the channels of a map (C per channel: γ, β; running mean and
    variance). Fields: ``affine`` (default true: γ and β), ``track_running_stats`` (default
    true)."""

    affine: bool = True
    track_running_stats: bool = True

    rank: ClassVar[tuple[int, ...]] = (2,)
    torch_name: ClassVar[str] = ""
    title: ClassVar[str] = "batch normalisation"
    per_sample: ClassVar[bool] = False
    """Instance norm: statistics per sample and channel, over the positions."""

    def over(self, result: LayerResult) -> str:
        if self.per_sample:
            return (
                f"each of its {result.in_shape.channels} channels with that sample's own mean "
                "and variance over the positions"
            )
        return super().over(result)

    def forward(self, shape: Shape) -> LayerResult:
        ranks = self.rank
        ok = shape.is_map and shape.spatial_rank in ranks
        if 0 in ranks and shape.is_vector:
            ok = True
        if not ok:
            wants = {0: "a vector [C]", 1: "an L×C map", 2: "an H×W×C map", 3: "a D×H×W×C map"}
            raise ShapeError(
                None,
                f"{self.kind_name} needs {' or '.join(wants[r] for r in ranks)}, but its input "
                f"is {dims_text(shape)}",
            )
        if self.per_sample and is_concrete(*shape.spatial) and sp.Mul(*shape.spatial) == 1:
            raise ShapeError(
                None,
                f"{self.kind_name} normalises each channel over its positions, but "
                f"{dims_text(shape)} has one position per channel (PyTorch refuses it)",
            )
        counts = _per_channel(shape.channels, self.affine, self.track_running_stats)
        counts[Count.NORM_OPS] = _ops(shape)
        return LayerResult(self, shape, shape, (), counts)

    torch_types: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | None:
        """``affine`` and ``track_running_stats`` where they differ from this kind's
        defaults (an instance norm's are false, a batch norm's true)."""
        fields: dict[str, Any] = {"kind": cls.model_fields["kind"].default}
        for name in ("affine", "track_running_stats"):
            if bool(getattr(module, name)) != cls.model_fields[name].default:
                fields[name] = bool(getattr(module, name))
        return fields

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return getattr(nn, cls.torch_name)(
            in_shape[0],
            affine=bool(raw.get("affine", cls.model_fields["affine"].default)),
            track_running_stats=bool(
                raw.get("track_running_stats", cls.model_fields["track_running_stats"].default)
            ),
            device="meta",
        )

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        takes = (shape.is_map and shape.spatial_rank in cls.rank) or (
            0 in cls.rank and shape.is_vector
        )
        if not takes:
            return None
        layer: dict[str, Any] = {"kind": cls.model_fields["kind"].default}
        if rng.random() < 0.25:
            layer["affine"] = rng.random() < 0.5
        if rng.random() < 0.25:
            layer["track_running_stats"] = rng.random() < 0.5
        return layer


@layer_kind
class BatchNorm1d(BatchNorm):
    """Batch normalisation of a vector [C] or an L × C map, per channel."""

    kind: Literal["batchnorm1d"] = "batchnorm1d"
    rank: ClassVar[tuple[int, ...]] = (0, 1)
    torch_name: ClassVar[str] = "BatchNorm1d"
    torch_types: ClassVar[tuple[str, ...]] = ("BatchNorm1d",)
    example: ClassVar[Mapping[str, Any]] = {"kind": "batchnorm1d"}
    example_input: ClassVar[Any] = {"map": [40, 6]}


@layer_kind
class BatchNorm2d(BatchNorm):
    """Batch normalisation of an H × W × C map, per channel: γ and β (2C parameters) and a
    running mean and variance (2C buffers)."""

    kind: Literal["batchnorm2d"] = "batchnorm2d"
    rank: ClassVar[tuple[int, ...]] = (2,)
    torch_name: ClassVar[str] = "BatchNorm2d"
    torch_types: ClassVar[tuple[str, ...]] = ("BatchNorm2d",)
    example: ClassVar[Mapping[str, Any]] = {"name": "BN-1", "kind": "batchnorm2d"}


@layer_kind
class BatchNorm3d(BatchNorm):
    """Batch normalisation of a D × H × W × C map, per channel."""

    kind: Literal["batchnorm3d"] = "batchnorm3d"
    rank: ClassVar[tuple[int, ...]] = (3,)
    torch_name: ClassVar[str] = "BatchNorm3d"
    torch_types: ClassVar[tuple[str, ...]] = ("BatchNorm3d",)
    example: ClassVar[Mapping[str, Any]] = {"kind": "batchnorm3d", "affine": False}
    example_input: ClassVar[Any] = [5, 12, 12, 3]


@layer_kind
class InstanceNorm1d(BatchNorm):
    """Instance normalisation of an L × C map: per sample and channel over positions.
    ``affine`` and ``track_running_stats`` default to false, as in PyTorch."""

    kind: Literal["instancenorm1d"] = "instancenorm1d"
    affine: bool = False
    track_running_stats: bool = False
    rank: ClassVar[tuple[int, ...]] = (1,)
    torch_name: ClassVar[str] = "InstanceNorm1d"
    torch_types: ClassVar[tuple[str, ...]] = ("InstanceNorm1d",)
    per_sample: ClassVar[bool] = True
    title: ClassVar[str] = "instance normalisation"
    example: ClassVar[Mapping[str, Any]] = {"kind": "instancenorm1d", "affine": True}
    example_input: ClassVar[Any] = {"map": [40, 6]}


@layer_kind
class InstanceNorm2d(BatchNorm):
    """Instance normalisation of an H × W × C map (``affine``, ``track_running_stats``:
    default false, as in PyTorch)."""

    kind: Literal["instancenorm2d"] = "instancenorm2d"
    affine: bool = False
    track_running_stats: bool = False
    rank: ClassVar[tuple[int, ...]] = (2,)
    torch_name: ClassVar[str] = "InstanceNorm2d"
    torch_types: ClassVar[tuple[str, ...]] = ("InstanceNorm2d",)
    per_sample: ClassVar[bool] = True
    title: ClassVar[str] = "instance normalisation"
    example: ClassVar[Mapping[str, Any]] = {"kind": "instancenorm2d", "affine": True}


@layer_kind
class InstanceNorm3d(BatchNorm):
    """Instance normalisation of a D × H × W × C map (defaults as ``instancenorm2d``)."""

    kind: Literal["instancenorm3d"] = "instancenorm3d"
    affine: bool = False
    track_running_stats: bool = False
    rank: ClassVar[tuple[int, ...]] = (3,)
    torch_name: ClassVar[str] = "InstanceNorm3d"
    torch_types: ClassVar[tuple[str, ...]] = ("InstanceNorm3d",)
    per_sample: ClassVar[bool] = True
    title: ClassVar[str] = "instance normalisation"
    example: ClassVar[Mapping[str, Any]] = {"kind": "instancenorm3d", "track_running_stats": True}
    example_input: ClassVar[Any] = [5, 12, 12, 3]


@layer_kind
class GroupNorm(Normalisation):
    """Group normalisation: the channels of a map (or a vector) in ``groups`` groups (must
    divide C), normalised per sample and group; ``affine`` (default true): γ and β per
    channel. No running statistics."""

    kind: Literal["groupnorm"] = "groupnorm"
    groups: Positive
    affine: bool = True

    title: ClassVar[str] = "group normalisation"
    example: ClassVar[Mapping[str, Any]] = {"kind": "groupnorm", "groups": 2}

    def over(self, result: LayerResult) -> str:
        return (
            f"each group of {result.in_shape.channels}/{self.groups} channels with that "
            "sample's mean and variance over the group"
        )

    def forward(self, shape: Shape) -> LayerResult:
        if shape.is_sequence:
            raise ShapeError(None, f"groupnorm needs a map or a vector, got {dims_text(shape)}")
        c = shape.channels
        if is_concrete(c) and sp.Mod(c, self.groups) != 0:
            raise ShapeError("groups", f"groups = {self.groups} does not divide the channels ({c})")
        counts = _per_channel(c, self.affine, False)
        counts[Count.NORM_OPS] = _ops(shape)
        return LayerResult(self, shape, shape, (), counts)

    torch_types: ClassVar[tuple[str, ...]] = ("GroupNorm",)

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | None:
        fields: dict[str, Any] = {"kind": "groupnorm", "groups": int(module.num_groups)}
        if not module.affine:
            fields["affine"] = False
        return fields

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return nn.GroupNorm(
            int(raw["groups"]), in_shape[0], affine=bool(raw.get("affine", True)), device="meta"
        )

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        if shape.is_sequence:
            return None
        c = int(shape.channels)
        groups = rng.choice([g for g in (1, 2, 3, 4, c) if c % g == 0])
        layer: dict[str, Any] = {"kind": "groupnorm", "groups": groups}
        if rng.random() < 0.3:
            layer["affine"] = False
        return layer


@layer_kind
class LayerNorm(Normalisation):
    """Layer normalisation over the trailing ``shape`` of each sample, written as PyTorch's
    ``normalized_shape`` (its trailing sizes in PyTorch's order: ``[d]`` for a T × d sequence,
    ``[C, H, W]`` for a whole H × W × C map; default: the features, ``[d]`` of a sequence or
    ``[N]`` of a vector; a map must give it). ``affine`` (default true): γ per normalised
    element; ``bias`` (default true): β, as PyTorch's ``elementwise_affine`` and ``bias``."""

    kind: Literal["layernorm"] = "layernorm"
    shape: list[Size] | None = None
    affine: bool = True
    bias: bool = True

    title: ClassVar[str] = "layer normalisation"
    example: ClassVar[Mapping[str, Any]] = {"name": "LN", "kind": "layernorm"}
    example_input: ClassVar[Any] = {"sequence": [10, 16]}
    size_fields: ClassVar[tuple[str, ...]] = ("shape",)

    def normalised(self, shape: Shape) -> tuple[sp.Expr, ...]:
        if self.shape is None:
            if shape.is_map:
                raise ShapeError(
                    "shape",
                    f"layernorm of a map needs shape: the trailing sizes to normalise over, in "
                    f"PyTorch's order ({' × '.join(str(d) for d in shape.dims)} for "
                    f"{dims_text(shape)})",
                )
            return (shape.dims[-1],)
        given = tuple(as_size(d) for d in self.shape)
        trailing = shape.dims[-len(given) :] if len(given) <= len(shape.dims) else ()
        if len(trailing) != len(given) or any(
            is_concrete(a, b) and a != b for a, b in zip(given, trailing, strict=True)
        ):
            torch_order = " × ".join(str(d) for d in shape.dims)
            raise ShapeError(
                "shape",
                f"shape {list(given)} must be the trailing sizes of the input in PyTorch's "
                f"order ({torch_order}, from {dims_text(shape)})",
            )
        return given

    def over(self, result: LayerResult) -> str:
        dims = self.normalised(result.in_shape)
        return (
            f"each sample with its own mean and variance over {' × '.join(map(str, dims))} values"
        )

    @property
    def scope(self) -> str:
        return "one of each per normalised value"

    def forward(self, shape: Shape) -> LayerResult:
        dims = self.normalised(shape)
        n = sp.Mul(*dims)
        counts: dict[Count, Formula] = {}
        if self.affine:
            counts[Count.SCALES] = Formula.of(sp.Symbol(r"\gamma"), N_NORM, {N_NORM: n})
            if self.bias:
                counts[Count.SHIFTS] = Formula.of(sp.Symbol(r"\beta"), N_NORM, {N_NORM: n})
        counts[Count.NORM_OPS] = _ops(shape)
        return LayerResult(self, shape, shape, (), counts)

    def counts_bias(self, default: bool) -> bool:
        """β is counted whenever the layer has it (its ``bias`` is not the convention's)."""
        return True

    torch_types: ClassVar[tuple[str, ...]] = ("LayerNorm",)

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | None:
        """``shape`` (PyTorch's ``normalized_shape``), and ``affine``/``bias`` when off."""
        fields: dict[str, Any] = {"kind": "layernorm"}
        fields["shape"] = [int(d) for d in module.normalized_shape]
        if not module.elementwise_affine:
            fields["affine"] = False
        elif module.bias is None:
            fields["bias"] = False
        return fields

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.LayerNorm`` over ``shape``, else over the last axis (a sequence's features,
        a vector)."""
        shape = raw.get("shape")
        normalized = [int(d) for d in shape] if shape is not None else [in_shape[-1]]
        return nn.LayerNorm(
            normalized,
            elementwise_affine=bool(raw.get("affine", True)),
            bias=bool(raw.get("bias", True)),
            device="meta",
        )

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        dims = [int(d) for d in shape.dims]
        k = rng.randint(1, len(dims))
        layer: dict[str, Any] = {"kind": "layernorm", "shape": dims[-k:]}
        if rng.random() < 0.2:
            layer["affine"] = False
        elif rng.random() < 0.2:
            layer["bias"] = False
        return layer
