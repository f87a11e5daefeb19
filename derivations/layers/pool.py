"""Pooling windows over 1, 2 and 3 spatial axes: ``maxpool1d``/``2d``/``3d`` and
``avgpool1d``/``2d``/``3d``, windows with no parameters.

A pooling output looks at K inputs (K the product of the window's sizes): its operations are
counted as (output positions) · C · K window operations (when the ``pool_ops`` convention says
so). The output size is the strided-window rule of :mod:`derivations.layers.window` (PyTorch
``MaxPool2d`` docs), rounded down, or up with ``rounding: ceil`` (PyTorch's ``ceil_mode``,
with its rule that the last window must start inside the input or its left padding).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import sympy as sp

from derivations.fields import Paddings1, Paddings2, Paddings3, Sizes1, Sizes2, Sizes3, SizeT
from derivations.formula import Formula, is_concrete, product
from derivations.layers.base import (
    Count,
    LayerKind,
    LayerResult,
    dims_text,
    layer_kind,
    plain,
    raw_tuple,
)
from derivations.layers.window import (
    AXIS_SYMBOLS,
    C_OUT,
    KERNEL_SYMBOLS,
    Pair,
    Rounding,
    Windowed,
    pair,
)
from derivations.shapes import Shape, ShapeError


class Pool(Windowed):
    """A pooling window; ``stride`` defaults to the kernel, as in PyTorch. Fields: ``kernel``,
    ``stride`` (default: the kernel), ``padding`` (default 0, ``same`` allowed; at most half
    the kernel, as PyTorch requires), ``rounding`` (``floor`` or ``ceil``; default: the
    convention)."""

    rounding: Rounding | None = None
    unpadded_must_fit: ClassVar[bool] = False
    """PyTorch's ``avg_pool3d`` checks the input before padding against the kernel
    (``pool3d_shape_check(..., check_input_size=true)`` in ``aten/src/ATen/native/Pool.h``)."""
    if TYPE_CHECKING:  # declared by each kind, with its rank's field types
        kernel: SizeT
        stride: SizeT | None
        padding: SizeT | str

    size_fields: ClassVar[tuple[str, ...]] = ("kernel", "stride", "padding")

    @property
    def kernel_size(self) -> Pair:
        return pair(self.kernel)

    @property
    def stride_size(self) -> Pair:
        stride = self.stride
        return pair(stride if stride is not None else self.kernel)

    @property
    def padding_spec(self) -> tuple[int | str, ...] | str:
        value: tuple[int | str, ...] | str = self.padding
        return value

    @property
    def rounding_mode(self) -> Rounding:
        return self.rounding or "floor"

    def under(self, conventions: Any) -> LayerKind:
        """This pool with the convention's rounding where it gives none of its own."""
        if self.rounding is None and conventions.rounding != "floor":
            return self.model_copy(update={"rounding": conventions.rounding})
        return self

    def forward(self, shape: Shape) -> LayerResult:
        rules = self.windows(shape)
        for axis, pad, k in zip(self.axes, self.padding_size, self.kernel_size, strict=True):
            if is_concrete(pad, k) and 2 * pad > k:
                raise ShapeError(
                    "padding",
                    f"padding {pad} is more than half the {axis} kernel {k} "
                    "(PyTorch refuses such a pooling window)",
                )
        if self.unpadded_must_fit:
            for axis, size, k in zip(self.axes, shape.spatial, self.kernel_size, strict=True):
                if is_concrete(size, k) and size < k:
                    raise ShapeError(
                        "kernel",
                        f"the {axis} kernel {k} is larger than the unpadded input {size}, which "
                        "PyTorch's 3-D average pooling refuses whatever the padding",
                    )
        out = shape.with_spatial(tuple(r.formula.value for r in rules))
        kernel = self.kernel_size
        outs = [AXIS_SYMBOLS[a][1] for a in self.axes]
        values: dict[sp.Symbol, sp.Expr] = {C_OUT: shape.channels}
        values.update(zip(KERNEL_SYMBOLS[self.rank], kernel, strict=True))
        values.update(zip(outs, out.spatial, strict=True))
        rhs = product([*outs, C_OUT, *KERNEL_SYMBOLS[self.rank]])
        ops = Formula.of(sp.Symbol("OPS"), rhs, values)
        return LayerResult(self, shape, out, rules, {Count.WINDOW_OPS: ops}, kernel)

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        return f"{self.label} is a pooling window: it has no parameters."

    def phrase(self, result: LayerResult) -> str:
        kernel = "×".join(str(k) for k in self.kernel_size)
        out = dims_text(result.out_shape)
        return f"a {kernel} {self.title} (stride {self.stride_size[0]}) → {out}"

    torch_types: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | None:
        """Kernel, stride and padding where not PyTorch's defaults, ``rounding: ceil`` for
        ``ceil_mode``; None for a dilated max pool, or an average pool that leaves its padding
        out of the average or overrides its divisor (no field says so)."""
        if plain(getattr(module, "dilation", 1)) != 1:
            return None
        if not getattr(module, "count_include_pad", True):
            return None
        if getattr(module, "divisor_override", None) is not None:
            return None
        fields: dict[str, Any] = {"kind": cls.model_fields["kind"].default}
        if module.ceil_mode:
            fields["rounding"] = "ceil"
        fields["kernel"] = plain(module.kernel_size)
        stride = plain(module.stride if module.stride is not None else module.kernel_size)
        if stride != fields["kernel"]:
            fields["stride"] = stride
        if plain(module.padding) != 0:
            fields["padding"] = plain(module.padding)
        return fields

    @classmethod
    def _torch_options(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Kernel, stride (absent: PyTorch's default, the kernel), padding, and ``ceil_mode``
        from ``rounding``. PyTorch's pools take no ``same``: it is written out as (K − 1) // 2
        per axis, which keeps the size at stride 1 for the odd kernels a spec may use."""
        kernel = raw_tuple(raw["kernel"], cls.rank)
        options: dict[str, Any] = {"kernel_size": kernel}
        if "stride" in raw:
            options["stride"] = raw_tuple(raw["stride"], cls.rank)
        pad = raw.get("padding", 0)
        if pad == "same":
            options["padding"] = tuple((k - 1) // 2 for k in kernel)
        elif pad != "valid":
            options["padding"] = raw_tuple(pad, cls.rank)
        options["ceil_mode"] = raw.get("rounding", "floor") == "ceil"
        return options

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        """A random window of this kind for ``shape`` (None if it cannot take it)."""
        if shape.spatial_rank != cls.rank:
            return None
        k = rng.choice([2, 3])
        layer: dict[str, Any] = {"kind": cls.model_fields["kind"].default, "kernel": k}
        if rng.random() < 0.6:
            layer["stride"] = rng.choice([1, 2])
        pad = rng.choice([0, k // 2, "same" if k % 2 else 0])
        if pad:
            layer["padding"] = pad
        if rng.random() < 0.35:
            layer["rounding"] = "ceil"
        return layer


class MaxPool(Pool):
    """Max pooling: the largest value of each window."""

    title: ClassVar[str] = "max pooling"


class AvgPool(Pool):
    """Average pooling (zero padding counted in the average, as PyTorch's default)."""

    title: ClassVar[str] = "average pooling"


def _torch(name: str, cls: type[Pool], raw: Mapping[str, Any], nn: Any) -> Any:
    return getattr(nn, name)(**cls._torch_options(raw))


@layer_kind
class MaxPool1d(MaxPool):
    """Max pooling over a K window of an L × C map."""

    kind: Literal["maxpool1d"] = "maxpool1d"
    kernel: Sizes1
    stride: Sizes1 | None = None
    padding: Paddings1 = (0,)
    rank: ClassVar[int] = 1
    example: ClassVar[Mapping[str, Any]] = {"kind": "maxpool1d", "kernel": 3, "stride": 2}
    example_input: ClassVar[Any] = {"map": [40, 6]}

    torch_types: ClassVar[tuple[str, ...]] = ("MaxPool1d",)

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return _torch("MaxPool1d", cls, raw, nn)


@layer_kind
class MaxPool2d(MaxPool):
    """Max pooling over a K_h × K_w window."""

    kind: Literal["maxpool2d"] = "maxpool2d"
    kernel: Sizes2
    stride: Sizes2 | None = None
    padding: Paddings2 = (0, 0)
    rank: ClassVar[int] = 2
    example: ClassVar[Mapping[str, Any]] = {
        "name": "Pool-1",
        "kind": "maxpool2d",
        "kernel": 2,
        "stride": 2,
    }

    torch_types: ClassVar[tuple[str, ...]] = ("MaxPool2d",)

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return _torch("MaxPool2d", cls, raw, nn)


@layer_kind
class MaxPool3d(MaxPool):
    """Max pooling over a K_d × K_h × K_w window."""

    kind: Literal["maxpool3d"] = "maxpool3d"
    kernel: Sizes3
    stride: Sizes3 | None = None
    padding: Paddings3 = (0, 0, 0)
    rank: ClassVar[int] = 3
    example: ClassVar[Mapping[str, Any]] = {"kind": "maxpool3d", "kernel": [1, 2, 2]}
    example_input: ClassVar[Any] = [5, 12, 12, 3]

    torch_types: ClassVar[tuple[str, ...]] = ("MaxPool3d",)

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return _torch("MaxPool3d", cls, raw, nn)


@layer_kind
class AvgPool1d(AvgPool):
    """Average pooling over a K window of an L × C map."""

    kind: Literal["avgpool1d"] = "avgpool1d"
    kernel: Sizes1
    stride: Sizes1 | None = None
    padding: Paddings1 = (0,)
    rank: ClassVar[int] = 1
    example: ClassVar[Mapping[str, Any]] = {"kind": "avgpool1d", "kernel": 2}
    example_input: ClassVar[Any] = {"map": [40, 6]}

    torch_types: ClassVar[tuple[str, ...]] = ("AvgPool1d",)

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return _torch("AvgPool1d", cls, raw, nn)


@layer_kind
class AvgPool2d(AvgPool):
    """Average pooling over a K_h × K_w window (zero padding counted in the average, as
    PyTorch's default)."""

    kind: Literal["avgpool2d"] = "avgpool2d"
    kernel: Sizes2
    stride: Sizes2 | None = None
    padding: Paddings2 = (0, 0)
    rank: ClassVar[int] = 2
    example: ClassVar[Mapping[str, Any]] = {"kind": "avgpool2d", "kernel": 2}

    torch_types: ClassVar[tuple[str, ...]] = ("AvgPool2d",)

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return _torch("AvgPool2d", cls, raw, nn)


@layer_kind
class AvgPool3d(AvgPool):
    """Average pooling over a K_d × K_h × K_w window."""

    kind: Literal["avgpool3d"] = "avgpool3d"
    kernel: Sizes3
    stride: Sizes3 | None = None
    padding: Paddings3 = (0, 0, 0)
    rank: ClassVar[int] = 3
    unpadded_must_fit: ClassVar[bool] = True
    example: ClassVar[Mapping[str, Any]] = {"kind": "avgpool3d", "kernel": 2, "rounding": "ceil"}
    example_input: ClassVar[Any] = [5, 12, 12, 3]

    torch_types: ClassVar[tuple[str, ...]] = ("AvgPool3d",)

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return _torch("AvgPool3d", cls, raw, nn)
