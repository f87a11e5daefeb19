"""Pooling to a given size, and upsampling: ``adaptiveavgpool1d``/``2d``/``3d``,
``adaptivemaxpool1d``/``2d``/``3d``, ``globalavgpool``, ``globalmaxpool`` and ``upsample``.
None has parameters.

Adaptive pooling (PyTorch ``AdaptiveAvgPool2d``; ``aten/src/ATen/native/AdaptiveAveragePooling.cpp``
``start_index``/``end_index``): output position i of O along an axis of size L reads the
window ⌊i·L/O⌋ … ⌈(i + 1)·L/O⌉ − 1, so its window operations are C · Π over the axes of
T = Σᵢ (⌈(i + 1)L/O⌉ − ⌊iL/O⌋), which is L when O divides L (windows L/O wide, no overlap).
Global pooling is adaptive pooling to one position, then flattened to a vector of C
(Keras's ``GlobalAveragePooling2D``). Upsampling by a whole factor s gives L·s (PyTorch
``Upsample``: ⌊L·s⌋); it costs no operations under any convention here.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import sympy as sp

from derivations.fields import Positive, Size, Sizes1, Sizes2, Sizes3, SizeT
from derivations.formula import Formula, as_size, product
from derivations.layers.base import (
    Count,
    LayerKind,
    LayerResult,
    SizeRule,
    dims_text,
    layer_kind,
    plain,
    require_map,
)
from derivations.layers.window import AXIS_SYMBOLS, C_OUT
from derivations.shapes import SPATIAL_NAMES, Shape, ShapeError

_I = sp.Symbol("i", integer=True, nonnegative=True)


def window_total(size: sp.Expr, out: sp.Expr) -> sp.Expr:
    """T = Σᵢ (⌈(i + 1)L/O⌉ − ⌊iL/O⌋) for i < O: the summed widths of the O adaptive
    windows over L (L itself when O divides L)."""
    size, out = sp.sympify(size), sp.sympify(out)
    if (size / out).is_integer:
        return size
    terms = sp.ceiling((_I + 1) * size / out) - sp.floor(_I * size / out)
    return sp.Sum(terms, (_I, 0, out - 1)).doit()


class Adaptive(LayerKind):
    """Pooling to ``output`` positions per axis (one value for every axis, or one per axis),
    whatever the input's size."""

    rank: ClassVar[int] = 2
    torch_name: ClassVar[str] = ""
    size_fields: ClassVar[tuple[str, ...]] = ("output",)
    if TYPE_CHECKING:
        output: SizeT

    def forward(self, shape: Shape) -> LayerResult:
        require_map(shape, self.kind_name, self.rank)
        sizes = tuple(as_size(o) for o in self.output)
        out = shape.with_spatial(sizes)
        axes = SPATIAL_NAMES[self.rank]
        totals = [sp.Symbol(f"T_{a}") for a in axes]
        values: dict[sp.Symbol, sp.Expr] = {C_OUT: shape.channels}
        for t, size, o in zip(totals, shape.spatial, sizes, strict=True):
            values[t] = window_total(size, o)
        ops = Formula.of(sp.Symbol("OPS"), product([C_OUT, *totals]), values)
        return LayerResult(self, shape, out, (), {Count.WINDOW_OPS: ops})

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        return (
            f"{self.label} pools each channel to {dims_text(result.out_shape)} whatever its "
            "input size: it has no parameters."
        )

    def phrase(self, result: LayerResult) -> str:
        return f"{self.title} to {dims_text(result.out_shape)}"

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        out = raw["output"]
        size = tuple(int(o) for o in out) if isinstance(out, list) else int(out)
        return getattr(nn, cls.torch_name)(size)

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | None:
        """``output`` from ``output_size``; None where a size is None (keep the input's)."""
        out = module.output_size
        if out is None or (isinstance(out, tuple | list) and None in out):
            return None
        return {"kind": cls.model_fields["kind"].default, "output": plain(out)}

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        if shape.spatial_rank != cls.rank:
            return None
        out = [rng.randint(1, max(1, int(s))) for s in shape.spatial]
        return {"kind": cls.model_fields["kind"].default, "output": out}


@layer_kind
class AdaptiveAvgPool1d(Adaptive):
    """Adaptive average pooling of an L × C map to ``output`` positions."""

    kind: Literal["adaptiveavgpool1d"] = "adaptiveavgpool1d"
    output: Sizes1
    rank: ClassVar[int] = 1
    title: ClassVar[str] = "adaptive average pooling"
    torch_name: ClassVar[str] = "AdaptiveAvgPool1d"
    torch_types: ClassVar[tuple[str, ...]] = ("AdaptiveAvgPool1d",)
    example: ClassVar[Mapping[str, Any]] = {"kind": "adaptiveavgpool1d", "output": 7}
    example_input: ClassVar[Any] = {"map": [40, 6]}


@layer_kind
class AdaptiveAvgPool2d(Adaptive):
    """Adaptive average pooling of an H × W × C map to ``output`` (``[H_out, W_out]`` or one
    value for both), as before torchvision's classifiers."""

    kind: Literal["adaptiveavgpool2d"] = "adaptiveavgpool2d"
    output: Sizes2
    rank: ClassVar[int] = 2
    title: ClassVar[str] = "adaptive average pooling"
    torch_name: ClassVar[str] = "AdaptiveAvgPool2d"
    torch_types: ClassVar[tuple[str, ...]] = ("AdaptiveAvgPool2d",)
    example: ClassVar[Mapping[str, Any]] = {"kind": "adaptiveavgpool2d", "output": [6, 5]}


@layer_kind
class AdaptiveAvgPool3d(Adaptive):
    """Adaptive average pooling of a D × H × W × C map to ``output``."""

    kind: Literal["adaptiveavgpool3d"] = "adaptiveavgpool3d"
    output: Sizes3
    rank: ClassVar[int] = 3
    title: ClassVar[str] = "adaptive average pooling"
    torch_name: ClassVar[str] = "AdaptiveAvgPool3d"
    torch_types: ClassVar[tuple[str, ...]] = ("AdaptiveAvgPool3d",)
    example: ClassVar[Mapping[str, Any]] = {"kind": "adaptiveavgpool3d", "output": [1, 5, 5]}
    example_input: ClassVar[Any] = [5, 12, 12, 3]


@layer_kind
class AdaptiveMaxPool1d(Adaptive):
    """Adaptive max pooling of an L × C map to ``output`` positions."""

    kind: Literal["adaptivemaxpool1d"] = "adaptivemaxpool1d"
    output: Sizes1
    rank: ClassVar[int] = 1
    title: ClassVar[str] = "adaptive max pooling"
    torch_name: ClassVar[str] = "AdaptiveMaxPool1d"
    torch_types: ClassVar[tuple[str, ...]] = ("AdaptiveMaxPool1d",)
    example: ClassVar[Mapping[str, Any]] = {"kind": "adaptivemaxpool1d", "output": 9}
    example_input: ClassVar[Any] = {"map": [40, 6]}


@layer_kind
class AdaptiveMaxPool2d(Adaptive):
    """Adaptive max pooling of an H × W × C map to ``output``."""

    kind: Literal["adaptivemaxpool2d"] = "adaptivemaxpool2d"
    output: Sizes2
    rank: ClassVar[int] = 2
    title: ClassVar[str] = "adaptive max pooling"
    torch_name: ClassVar[str] = "AdaptiveMaxPool2d"
    torch_types: ClassVar[tuple[str, ...]] = ("AdaptiveMaxPool2d",)
    example: ClassVar[Mapping[str, Any]] = {"kind": "adaptivemaxpool2d", "output": 3}


@layer_kind
class AdaptiveMaxPool3d(Adaptive):
    """Adaptive max pooling of a D × H × W × C map to ``output``."""

    kind: Literal["adaptivemaxpool3d"] = "adaptivemaxpool3d"
    output: Sizes3
    rank: ClassVar[int] = 3
    title: ClassVar[str] = "adaptive max pooling"
    torch_name: ClassVar[str] = "AdaptiveMaxPool3d"
    torch_types: ClassVar[tuple[str, ...]] = ("AdaptiveMaxPool3d",)
    example: ClassVar[Mapping[str, Any]] = {"kind": "adaptivemaxpool3d", "output": 2}
    example_input: ClassVar[Any] = [5, 12, 12, 3]


class Global(LayerKind):
    """Pooling over every position of a map (1-, 2- or 3-D) to a vector of its C channels.
    No fields."""

    torch_name: ClassVar[str] = ""

    def forward(self, shape: Shape) -> LayerResult:
        if not shape.is_map:
            raise ShapeError(None, f"{self.kind_name} needs a feature map, got {dims_text(shape)}")
        axes = SPATIAL_NAMES[shape.spatial_rank]
        ins = [AXIS_SYMBOLS[a][0] for a in axes]
        values: dict[sp.Symbol, sp.Expr] = dict(zip(ins, shape.spatial, strict=True))
        values[C_OUT] = shape.channels
        ops = Formula.of(sp.Symbol("OPS"), product([*ins, C_OUT]), values)
        kernel = shape.spatial
        return LayerResult(
            self, shape, Shape.vector(shape.channels), (), {Count.WINDOW_OPS: ops}, kernel
        )

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        return (
            f"{self.label} reduces each of the {result.out_shape.dims[0]} channels to one value "
            "over all its positions: it has no parameters."
        )

    def phrase(self, result: LayerResult) -> str:
        return f"{self.title} → {dims_text(result.out_shape)}"

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """Adaptive pooling to 1 over the map's axes, then ``nn.Flatten``."""
        rank = len(in_shape) - 1
        return nn.Sequential(getattr(nn, f"{cls.torch_name}{rank}d")(1), nn.Flatten())

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        return {"kind": cls.model_fields["kind"].default} if shape.is_map else None


@layer_kind
class GlobalAvgPool(Global):
    """Global average pooling: the mean of each channel over all positions, a vector of C."""

    kind: Literal["globalavgpool"] = "globalavgpool"
    title: ClassVar[str] = "global average pooling"
    torch_name: ClassVar[str] = "AdaptiveAvgPool"
    example: ClassVar[Mapping[str, Any]] = {"name": "GAP", "kind": "globalavgpool"}


@layer_kind
class GlobalMaxPool(Global):
    """Global max pooling: the largest value of each channel, a vector of C."""

    kind: Literal["globalmaxpool"] = "globalmaxpool"
    title: ClassVar[str] = "global max pooling"
    torch_name: ClassVar[str] = "AdaptiveMaxPool"
    example: ClassVar[Mapping[str, Any]] = {"kind": "globalmaxpool"}


_MODES = {"nearest": (1, 2, 3), "linear": (1,), "bilinear": (2,), "trilinear": (3,)}


@layer_kind
class Upsample(LayerKind):
    """Upsampling of a map (1-, 2- or 3-D): ``scale`` (a whole factor, one for every axis or
    one per axis) or ``size`` (the output's spatial sizes), ``mode`` (``nearest``, default;
    ``linear`` for 1-D, ``bilinear`` for 2-D, ``trilinear`` for 3-D maps). No parameters, no
    operations counted."""

    kind: Literal["upsample"] = "upsample"
    scale: Positive | list[Positive] | None = None
    size: Size | list[Size] | None = None
    mode: Literal["nearest", "linear", "bilinear", "trilinear"] = "nearest"

    title: ClassVar[str] = "upsampling"
    example: ClassVar[Mapping[str, Any]] = {"kind": "upsample", "scale": 2, "mode": "bilinear"}
    size_fields: ClassVar[tuple[str, ...]] = ("size",)

    def _per_axis(self, value: Any, rank: int, field: str) -> tuple[sp.Expr, ...]:
        items = value if isinstance(value, list) else [value] * rank
        if len(items) != rank:
            raise ShapeError(
                field, f"expected one value or {rank} for a {rank}-D map, got {len(items)}"
            )
        return tuple(as_size(v) for v in items)

    def forward(self, shape: Shape) -> LayerResult:
        if not shape.is_map:
            raise ShapeError(None, f"upsample needs a feature map, got {dims_text(shape)}")
        rank = shape.spatial_rank
        if rank not in _MODES[self.mode]:
            raise ShapeError("mode", f"mode {self.mode!r} does not apply to a {rank}-D map")
        if (self.scale is None) == (self.size is None):
            raise ShapeError("scale", "give exactly one of scale and size")
        axes = SPATIAL_NAMES[rank]
        rules = []
        if self.scale is not None:
            s = sp.Symbol("s", positive=True, integer=True)
            for axis, size, factor in zip(
                axes, shape.spatial, self._per_axis(self.scale, rank, "scale"), strict=True
            ):
                inp, out = AXIS_SYMBOLS[axis]
                rules.append(Formula.of(out, product([inp, s]), {inp: size, s: factor}))
            spatial = tuple(f.value for f in rules)
        else:
            spatial = self._per_axis(self.size, rank, "size")
        return LayerResult(
            self,
            shape,
            shape.with_spatial(spatial),
            tuple(SizeRule(f, None, a) for f, a in zip(rules, axes, strict=False)),
        )

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        return f"{self.label} repeats or interpolates its input ({self.mode}): no parameters."

    def phrase(self, result: LayerResult) -> str:
        return f"{self.mode} upsampling → {dims_text(result.out_shape)}"

    torch_types: ClassVar[tuple[str, ...]] = ("Upsample",)

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | str | None:
        """``scale`` (whole factors only) or ``size``, and ``mode``."""
        if module.mode not in _MODES:
            return f"mode {module.mode!r}"
        fields: dict[str, Any] = {"kind": "upsample"}
        if module.size is not None:
            fields["size"] = plain(module.size)
        else:
            factors = module.scale_factor
            items = list(factors) if isinstance(factors, tuple | list) else [factors]
            if any(float(f) != int(f) for f in items):
                return f"scale_factor {factors}: only whole factors"
            fields["scale"] = plain(tuple(int(f) for f in items))
        if module.mode != "nearest":
            fields["mode"] = module.mode
        return fields

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        options: dict[str, Any] = {"mode": raw.get("mode", "nearest")}
        if "scale" in raw:
            s = raw["scale"]
            options["scale_factor"] = (
                tuple(float(v) for v in s) if isinstance(s, list) else float(s)
            )
        else:
            z = raw["size"]
            options["size"] = tuple(int(v) for v in z) if isinstance(z, list) else int(z)
        return nn.Upsample(**options)

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        if not shape.is_map:
            return None
        modes = [m for m, ranks in _MODES.items() if shape.spatial_rank in ranks]
        layer: dict[str, Any] = {"kind": "upsample", "mode": rng.choice(modes)}
        if rng.random() < 0.5:
            layer["scale"] = rng.choice([2, 3])
        else:
            layer["size"] = [int(s) + rng.randint(0, 5) for s in shape.spatial]
        return layer
