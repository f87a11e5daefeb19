"""Convolutions: ``conv2d`` (with stride, padding, dilation and groups).

Parameters: K_h · K_w · C_in/G · C_out weights and C_out biases; MACs: H_out · W_out · C_out ·
K_h · K_w · C_in/G (PyTorch ``Conv2d`` docs; Dumoulin & Visin 2016 for the output size).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar, Literal

import sympy as sp

from derivations.fields import Padding, Positive, PositivePair, Size, SizePair
from derivations.formula import Formula, as_size, is_concrete, product
from derivations.layers.base import (
    Count,
    LayerResult,
    dims_text,
    layer_kind,
    raw_pair,
)
from derivations.layers.window import (
    C_IN,
    C_OUT,
    H_OUT,
    K_H,
    K_W,
    W_OUT,
    G,
    Pair,
    Windowed,
    pair,
)
from derivations.shapes import Shape, ShapeError


@cache
def _conv_rhs(grouped: bool) -> tuple[sp.Expr, sp.Expr]:
    """Weights K_h·K_w·C_in(/G)·C_out and MACs H_out·W_out·C_out·K_h·K_w·C_in(/G), built
    once per form: unevaluated under ``sp.evaluate(False)``, which clears SymPy's cache."""
    with sp.evaluate(False):
        depth = [C_IN / G] if grouped else [C_IN]
        return product([K_H, K_W, *depth, C_OUT]), product([H_OUT, W_OUT, C_OUT, K_H, K_W, *depth])


@layer_kind
class Conv2d(Windowed):
    """A 2-D convolution: ``filters`` output channels, each a K_h × K_w × C_in/G kernel.

    Fields: ``filters`` (size), ``kernel`` (``3``, ``[3, 5]`` or ``"3x5"``), ``stride``
    (default 1), ``padding`` (number, pair, ``same`` = D(K − 1)/2 per axis, or ``valid`` = 0;
    default 0), ``dilation`` (default 1), ``groups`` (default 1; must divide the input
    channels and the filters), ``bias`` (default: the convention)."""

    kind: Literal["conv2d"] = "conv2d"
    filters: Size
    kernel: SizePair
    stride: PositivePair = (1, 1)
    padding: Padding = (0, 0)
    dilation: PositivePair = (1, 1)
    groups: Positive = 1
    bias: bool | None = None

    title: ClassVar[str] = "convolution"
    example: ClassVar[Mapping[str, Any]] = {
        "name": "Conv-2",
        "kind": "conv2d",
        "filters": 64,
        "kernel": 5,
        "stride": 2,
        "padding": 2,
    }
    size_fields: ClassVar[tuple[str, ...]] = ("filters", "kernel")

    @property
    def filter_count(self) -> sp.Expr:
        return as_size(self.filters)

    @property
    def kernel_size(self) -> Pair:
        return pair(self.kernel)

    @property
    def stride_size(self) -> Pair:
        return pair(self.stride)

    @property
    def dilation_size(self) -> Pair:
        return pair(self.dilation)

    @property
    def padding_spec(self) -> tuple[int, int] | str:
        return self.padding

    def forward(self, shape: Shape) -> LayerResult:
        h, w = self.windows(shape)
        c_in, g, filters = shape.channels, self.groups, self.filter_count
        if g != 1 and is_concrete(c_in, filters):
            for what, n in (("input channels", c_in), ("filters", filters)):
                if sp.Mod(n, g) != 0:
                    raise ShapeError("groups", f"groups = {g} does not divide the {what} ({n})")
        out = Shape.image(filters, h.formula.value, w.formula.value)
        weights_rhs, macs_rhs = _conv_rhs(g != 1)
        kh, kw = self.kernel_size
        values = {
            K_H: kh,
            K_W: kw,
            C_IN: c_in,
            C_OUT: filters,
            G: g,
            H_OUT: out.height,
            W_OUT: out.width,
        }
        weights = Formula.of(sp.Symbol("W"), weights_rhs, values)
        macs = Formula.of(sp.Symbol("MAC"), macs_rhs, values)
        biases = Formula.of(sp.Symbol("b"), C_OUT, values)
        counts = {Count.WEIGHTS: weights, Count.BIASES: biases, Count.MACS: macs}
        return LayerResult(self, shape, out, (h, w), counts, (kh, kw, c_in / g))

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        kh, kw, depth = result.kernel or (0, 0, 0)
        text = (
            f"{self.label} has {self.filters} filters, each a {kh} × {kw} × {depth} kernel "
            "that spans the full input depth; the same weights slide over every position, "
            "so the input's height and width do not enter."
        )
        if bias:
            return text + f" Each filter adds one bias: {self.filters}."
        return text + " No bias terms are counted."

    def phrase(self, result: LayerResult) -> str:
        kh, kw = self.kernel_size
        out = dims_text(result.out_shape)
        return f"a {kh}×{kw} convolution with {self.filters} filters → {out}"

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.Conv2d`` from the spec's fields; ``padding: same``/``valid`` is passed to
        PyTorch as written, and an absent field keeps PyTorch's default."""
        options: dict[str, Any] = {}
        for name in ("stride", "dilation"):
            if name in raw:
                options[name] = raw_pair(raw[name])
        if "padding" in raw:
            pad = raw["padding"]
            options["padding"] = pad if pad in ("same", "valid") else raw_pair(pad)
        return nn.Conv2d(
            in_shape[0],
            int(raw["filters"]),
            raw_pair(raw["kernel"]),
            groups=int(raw.get("groups", 1)),
            bias=True,
            device="meta",
            **options,
        )
