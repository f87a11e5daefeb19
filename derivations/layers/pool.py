"""Pooling: ``maxpool2d`` and ``avgpool2d``, a window with no parameters.

A pooling output looks at K_h · K_w inputs: its operations are counted as H_out · W_out · C ·
K_h · K_w window operations (when the ``pool_ops`` convention says so). The output size is the
strided-window rule of :mod:`derivations.layers.window` (PyTorch ``MaxPool2d`` docs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import sympy as sp

from derivations.fields import Padding, PositivePair
from derivations.formula import Formula, is_concrete, product
from derivations.layers.base import Count, LayerResult, dims_text, layer_kind, raw_pair
from derivations.layers.window import C_OUT, H_OUT, K_H, K_W, W_OUT, Pair, Windowed, pair
from derivations.shapes import Shape, ShapeError


class Pool2d(Windowed):
    """A pooling window; ``stride`` defaults to the kernel, as in PyTorch. Fields: ``kernel``,
    ``stride`` (default: the kernel), ``padding`` (default 0, ``same`` allowed; at most half
    the kernel, as PyTorch requires)."""

    kernel: PositivePair
    stride: PositivePair | None = None
    padding: Padding = (0, 0)

    size_fields: ClassVar[tuple[str, ...]] = ()

    @property
    def kernel_size(self) -> Pair:
        return pair(self.kernel)

    @property
    def stride_size(self) -> Pair:
        return pair(self.stride or self.kernel)

    @property
    def padding_spec(self) -> tuple[int, int] | str:
        return self.padding

    def forward(self, shape: Shape) -> LayerResult:
        h, w = self.windows(shape)
        for axis, pad, k in zip("HW", self.padding_size, self.kernel_size, strict=True):
            if is_concrete(pad, k) and 2 * pad > k:
                raise ShapeError(
                    "padding",
                    f"padding {pad} is more than half the {axis} kernel {k} "
                    "(PyTorch refuses such a pooling window)",
                )
        out = Shape.image(shape.channels, h.formula.value, w.formula.value)
        kh, kw = self.kernel_size
        values = {K_H: kh, K_W: kw, C_OUT: shape.channels, H_OUT: out.height, W_OUT: out.width}
        ops = Formula.of(sp.Symbol("OPS"), product([H_OUT, W_OUT, C_OUT, K_H, K_W]), values)
        return LayerResult(self, shape, out, (h, w), {Count.WINDOW_OPS: ops}, (kh, kw))

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        return f"{self.label} is a pooling window: it has no parameters."

    def phrase(self, result: LayerResult) -> str:
        kh, kw = self.kernel_size
        out = dims_text(result.out_shape)
        return f"a {kh}×{kw} {self.title} (stride {self.stride_size[0]}) → {out}"

    @classmethod
    def _torch_options(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Kernel, stride (absent: PyTorch's default, the kernel) and padding. PyTorch's
        pools take no ``same``: it is written out as (K − 1) // 2 per axis, which keeps the
        size at stride 1 for the odd kernels a spec may use."""
        kernel = raw_pair(raw["kernel"])
        options: dict[str, Any] = {"kernel_size": kernel}
        if "stride" in raw:
            options["stride"] = raw_pair(raw["stride"])
        pad = raw.get("padding", 0)
        if pad == "same":
            options["padding"] = tuple((k - 1) // 2 for k in kernel)
        elif pad != "valid":
            options["padding"] = raw_pair(pad)
        return options


@layer_kind
class MaxPool2d(Pool2d):
    """Max pooling over a K_h × K_w window."""

    kind: Literal["maxpool2d"] = "maxpool2d"
    title: ClassVar[str] = "max pooling"
    example: ClassVar[Mapping[str, Any]] = {
        "name": "Pool-1",
        "kind": "maxpool2d",
        "kernel": 2,
        "stride": 2,
    }

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return nn.MaxPool2d(**cls._torch_options(raw))


@layer_kind
class AvgPool2d(Pool2d):
    """Average pooling over a K_h × K_w window (zero padding counted in the average, as
    PyTorch's default)."""

    kind: Literal["avgpool2d"] = "avgpool2d"
    title: ClassVar[str] = "average pooling"
    example: ClassVar[Mapping[str, Any]] = {"kind": "avgpool2d", "kernel": 2}

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        return nn.AvgPool2d(**cls._torch_options(raw))
