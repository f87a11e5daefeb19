"""Convolutions over 1, 2 and 3 spatial axes, plain and transposed: ``conv1d``, ``conv2d``,
``conv3d``, ``convtranspose1d``, ``convtranspose2d``, ``convtranspose3d`` (stride, padding,
dilation, groups; ``output_padding`` for the transposed ones).

Parameters: K · C_in/G · C_out weights (K the product of the kernel's sizes) and C_out biases.
MACs of a convolution: (output positions) · C_out · K · C_in/G, one per kernel element per
output value (PyTorch ``Conv2d`` docs; Dumoulin & Visin 2016 for the output size). A transposed
convolution scatters each input value through a K · C_out/G slice of its kernel: (input
positions) · C_in · K · C_out/G MACs, as ``torch.utils.flop_counter.conv_flop_count`` counts.
``groups: same`` is a depthwise convolution (G = C_in); ``filters: same`` keeps the channels.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import sympy as sp

from derivations.fields import (
    NonNegatives1,
    NonNegatives2,
    NonNegatives3,
    Offsets1,
    Offsets2,
    Offsets3,
    Paddings1,
    Paddings2,
    Paddings3,
    Positive,
    Positives1,
    Positives2,
    Positives3,
    Size,
    Sizes1,
    Sizes2,
    Sizes3,
    SizeT,
)
from derivations.formula import Formula, as_size, is_concrete, product
from derivations.layers.base import (
    Count,
    LayerResult,
    dims_text,
    layer_kind,
    plain,
    raw_tuple,
    require_map,
)
from derivations.layers.window import (
    AXIS_SYMBOLS,
    C_IN,
    C_OUT,
    KERNEL_SYMBOLS,
    G,
    Pair,
    Windowed,
    pair,
    transposed_size,
)
from derivations.shapes import Shape, ShapeError


@cache
def _conv_rhs(rank: int, grouped: bool, transposed: bool) -> tuple[sp.Expr, sp.Expr]:
    """Weights K·C_in(/G)·C_out and MACs (positions)·C_out·K·C_in(/G) — for a transposed
    convolution (input positions)·C_in·K·C_out(/G) — built once per form: unevaluated under
    ``sp.evaluate(False)``, which clears SymPy's cache."""
    axes = {1: "L", 2: "HW", 3: "DHW"}[rank]
    with sp.evaluate(False):
        kernel = list(KERNEL_SYMBOLS[rank])
        depth = [C_IN / G] if grouped else [C_IN]
        weights = product([*kernel, *depth, C_OUT])
        if transposed:
            inputs = [AXIS_SYMBOLS[a][0] for a in axes]
            fan = [C_OUT / G] if grouped else [C_OUT]
            return weights, product([*inputs, C_IN, *kernel, *fan])
        outputs = [AXIS_SYMBOLS[a][1] for a in axes]
        return weights, product([*outputs, C_OUT, *kernel, *depth])


class Convolution(Windowed):
    """What every convolution has: ``filters`` (size, or ``same``: as many as the input has
    channels), a kernel, stride, padding and dilation per axis, ``groups`` (a number dividing
    the input channels and the filters, or ``same``: one group per input channel, depthwise),
    ``bias`` (default: the convention)."""

    filters: Size | Literal["same"]
    groups: Positive | Literal["same"] = 1
    bias: bool | None = None
    if TYPE_CHECKING:  # declared by each kind, with its rank's field types
        kernel: SizeT
        stride: SizeT
        padding: SizeT | str
        dilation: tuple[int, ...]
        output_padding: tuple[int, ...]

    title: ClassVar[str] = "convolution"
    transposed: ClassVar[bool] = False
    size_fields: ClassVar[tuple[str, ...]] = ("filters", "kernel", "stride", "padding")

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
    def padding_spec(self) -> tuple[int | str, ...] | str:
        value: tuple[int | str, ...] | str = self.padding
        return value

    def group_count(self, c_in: sp.Expr) -> sp.Expr:
        return c_in if self.groups == "same" else sp.Integer(self.groups)

    def filter_number(self, c_in: sp.Expr) -> sp.Expr:
        return c_in if self.filters == "same" else as_size(self.filters)

    def spatial_rules(self, shape: Shape) -> tuple[Any, ...]:
        return self.windows(shape)

    def forward(self, shape: Shape) -> LayerResult:
        rules = self.spatial_rules(shape)
        c_in = shape.channels
        g, filters = self.group_count(c_in), self.filter_number(c_in)
        if g != 1 and is_concrete(c_in, filters):
            for what, n in (("input channels", c_in), ("filters", filters)):
                if sp.Mod(n, g) != 0:
                    said = (
                        f"groups: same ({g}, one per input channel)"
                        if self.groups == "same"
                        else f"groups = {g}"
                    )
                    raise ShapeError("groups", f"{said} does not divide the {what} ({n})")
        out = shape.with_spatial(tuple(r.formula.value for r in rules), filters)
        weights_rhs, macs_rhs = _conv_rhs(self.rank, g != 1, self.transposed)
        kernel = self.kernel_size
        values: dict[sp.Symbol, sp.Expr] = {C_IN: c_in, C_OUT: filters, G: g}
        values.update(zip(KERNEL_SYMBOLS[self.rank], kernel, strict=True))
        for axis, size_in, size_out in zip(self.axes, shape.spatial, out.spatial, strict=True):
            values[AXIS_SYMBOLS[axis][0]] = size_in
            values[AXIS_SYMBOLS[axis][1]] = size_out
        weights = Formula.of(sp.Symbol("W"), weights_rhs, values)
        macs = Formula.of(sp.Symbol("MAC"), macs_rhs, values)
        biases = Formula.of(sp.Symbol("b"), C_OUT, values)
        adds = Formula.of(sp.Symbol("OPS"), out.numel, {})
        counts = {
            Count.WEIGHTS: weights,
            Count.BIASES: biases,
            Count.MACS: macs,
            Count.BIAS_OPS: adds,
        }
        return LayerResult(self, shape, out, rules, counts, (*kernel, c_in / g))

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        *ks, depth = result.kernel or (0, 0)
        filters = result.out_shape.channels
        kernel = " × ".join(str(k) for k in (*ks, depth))
        extent = "height and width" if self.rank == 2 else "size"
        text = (
            f"{self.label} has {filters} filters, each a {kernel} kernel "
            + (
                "that spans the full input depth"
                if result.in_shape.channels == depth
                else f"over its group's {depth} input channels"
            )
            + f"; the same weights slide over every position, so the input's {extent} do"
            + ("es" if self.rank != 2 else "")
            + " not enter."
        )
        if bias:
            return text + f" Each filter adds one bias: {filters}."
        return text + " No bias terms are counted."

    def phrase(self, result: LayerResult) -> str:
        kernel = "×".join(str(k) for k in self.kernel_size)
        out = dims_text(result.out_shape)
        filters = result.out_shape.channels
        return f"a {kernel} {self.title} with {filters} filters → {out}"

    @classmethod
    def _torch_options(cls, raw: Mapping[str, Any], rank: int, c_in: int) -> dict[str, Any]:
        """Kernel, stride, padding, dilation, groups and filters from the spec's fields;
        ``padding: same``/``valid`` is passed to PyTorch as written, ``groups: same`` is the
        input's channels, and an absent field keeps PyTorch's default."""
        options: dict[str, Any] = {"kernel_size": raw_tuple(raw["kernel"], rank)}
        for name in ("stride", "dilation", "output_padding"):
            if name in raw:
                options[name] = raw_tuple(raw[name], rank)
        if "padding" in raw:
            pad = raw["padding"]
            options["padding"] = pad if pad in ("same", "valid") else raw_tuple(pad, rank)
        groups = raw.get("groups", 1)
        options["groups"] = c_in if groups == "same" else int(groups)
        filters = raw["filters"]
        options["out_channels"] = c_in if filters == "same" else int(filters)
        return options

    torch_types: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | None:
        """Filters, kernel, and every setting PyTorch holds that is not its default (a
        transposed convolution's ``output_padding`` too); None for a padding mode other than
        zeros (the sizes would agree, the layer would not)."""
        if module.padding_mode != "zeros":
            return None
        pad = module.padding if isinstance(module.padding, str) else plain(module.padding)
        fields: dict[str, Any] = {
            "kind": cls.model_fields["kind"].default,
            "filters": module.out_channels,
            "kernel": plain(module.kernel_size),
        }
        settings = [
            ("stride", plain(module.stride), 1),
            ("padding", pad, 0),
            ("dilation", plain(module.dilation), 1),
            ("groups", module.groups, 1),
        ]
        if cls.transposed:
            settings.append(("output_padding", plain(module.output_padding), 0))
        for name, value, default in settings:
            if value != default:
                fields[name] = value
        fields["bias"] = module.bias is not None
        return fields

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        """A random layer of this kind for ``shape`` (None if it cannot take it)."""
        if shape.spatial_rank != cls.rank:
            return None
        c = int(shape.channels)
        layer: dict[str, Any] = {"kind": cls.model_fields["kind"].default}
        layer["kernel"] = [rng.choice([1, 2, 3]) for _ in range(cls.rank)]
        if rng.random() < 0.5:
            layer["stride"] = rng.choice([1, 2])
        if rng.random() < 0.4:
            layer["dilation"] = rng.choice([1, 2])
        if rng.random() < 0.5:
            layer["padding"] = rng.choice([0, 1])
        g = rng.choice([g for g in (1, 1, 2, c) if c % g == 0])
        if g != 1:
            layer["groups"] = "same" if g == c and rng.random() < 0.7 else g
        same = g == c and rng.random() < 0.3
        layer["filters"] = "same" if same else g * rng.randint(1, 3)
        if cls.transposed and rng.random() < 0.5:
            s = layer.get("stride", 1)
            d = layer.get("dilation", 1)
            if max(s, d) > 1:
                layer["output_padding"] = rng.randrange(max(s, d))
        if rng.random() < 0.5:
            layer["bias"] = rng.random() < 0.5
        return layer


class Transposed(Convolution):
    """A transposed convolution (PyTorch's ``ConvTransposeNd``): each input value scatters a
    kernel into the output; ``output_padding`` (less than the stride or the dilation) adds
    rows to one side of the output. Padding is a number per axis."""

    transposed: ClassVar[bool] = True
    title: ClassVar[str] = "transposed convolution"

    def spatial_rules(self, shape: Shape) -> tuple[Any, ...]:
        require_map(shape, self.kind_name, self.rank)
        k, s, p, d = self.kernel_size, self.stride_size, self.padding_size, self.dilation_size
        extra = pair(self.output_padding)
        for axis, a, si, di in zip(self.axes, extra, s, d, strict=True):
            if is_concrete(a, si, di) and not (a < si or a < di):
                raise ShapeError(
                    "output_padding",
                    f"output_padding {a} on {axis} must be smaller than the stride ({si}) or "
                    f"the dilation ({di})",
                )
        return tuple(
            transposed_size(shape.spatial[i], k[i], s[i], p[i], d[i], extra[i], axis)
            for i, axis in enumerate(self.axes)
        )

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        *ks, depth = result.kernel or (0, 0)
        filters = result.out_shape.channels
        kernel = " × ".join(str(k) for k in ks)
        text = (
            f"{self.label} scatters each of its {result.in_shape.channels} input channels "
            f"through a {kernel} kernel into {filters} output channels"
            + ("" if depth == result.in_shape.channels else " of its group")
            + ": K · C_in/G · C_out weights, as many as the convolution it transposes; the "
            "input's size does not enter."
        )
        if bias:
            return text + f" Each output channel adds one bias: {filters}."
        return text + " No bias terms are counted."


@layer_kind
class Conv1d(Convolution):
    """A 1-D convolution over an L × C map: ``filters`` output channels, each a K × C_in/G
    kernel. Fields as ``conv2d``, one value per axis."""

    kind: Literal["conv1d"] = "conv1d"
    kernel: Sizes1
    stride: Sizes1 = (1,)
    padding: Paddings1 = (0,)
    dilation: Positives1 = (1,)

    rank: ClassVar[int] = 1
    example: ClassVar[Mapping[str, Any]] = {
        "name": "Conv-1",
        "kind": "conv1d",
        "filters": 8,
        "kernel": 5,
        "stride": 2,
        "padding": 2,
    }
    example_input: ClassVar[Any] = {"map": [40, 6]}

    torch_types: ClassVar[tuple[str, ...]] = ("Conv1d",)

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.Conv1d`` from the spec's fields."""
        return nn.Conv1d(
            in_shape[0], bias=True, device="meta", **cls._torch_options(raw, 1, in_shape[0])
        )


@layer_kind
class Conv2d(Convolution):
    """A 2-D convolution: ``filters`` output channels, each a K_h × K_w × C_in/G kernel.

    Fields: ``filters`` (size, or ``same``), ``kernel`` (``3``, ``[3, 5]`` or ``"3x5"``),
    ``stride`` (default 1), ``padding`` (number, pair, ``same`` = D(K − 1)/2 per axis, or
    ``valid`` = 0; default 0), ``dilation`` (default 1), ``groups`` (default 1; must divide the
    input channels and the filters; ``same`` for depthwise), ``bias`` (default: the
    convention)."""

    kind: Literal["conv2d"] = "conv2d"
    kernel: Sizes2
    stride: Sizes2 = (1, 1)
    padding: Paddings2 = (0, 0)
    dilation: Positives2 = (1, 1)

    rank: ClassVar[int] = 2
    example: ClassVar[Mapping[str, Any]] = {
        "name": "Conv-2",
        "kind": "conv2d",
        "filters": 64,
        "kernel": 5,
        "stride": 2,
        "padding": 2,
    }

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        kh, kw, depth = result.kernel or (0, 0, 0)
        if depth != result.in_shape.channels:
            return super().param_reason(result, bias)
        filters = result.out_shape.channels
        text = (
            f"{self.label} has {filters} filters, each a {kh} × {kw} × {depth} kernel "
            "that spans the full input depth; the same weights slide over every position, "
            "so the input's height and width do not enter."
        )
        if bias:
            return text + f" Each filter adds one bias: {filters}."
        return text + " No bias terms are counted."

    def phrase(self, result: LayerResult) -> str:
        kh, kw = self.kernel_size
        out = dims_text(result.out_shape)
        return f"a {kh}×{kw} convolution with {result.out_shape.channels} filters → {out}"

    torch_types: ClassVar[tuple[str, ...]] = ("Conv2d",)

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.Conv2d`` from the spec's fields; ``padding: same``/``valid`` is passed to
        PyTorch as written, and an absent field keeps PyTorch's default."""
        return nn.Conv2d(
            in_shape[0], bias=True, device="meta", **cls._torch_options(raw, 2, in_shape[0])
        )


@layer_kind
class Conv3d(Convolution):
    """A 3-D convolution over a D × H × W × C map: each filter a K_d × K_h × K_w × C_in/G
    kernel. Fields as ``conv2d``, one value or three ``[depth, height, width]`` per axis
    field (``"3x3x3"`` too)."""

    kind: Literal["conv3d"] = "conv3d"
    kernel: Sizes3
    stride: Sizes3 = (1, 1, 1)
    padding: Paddings3 = (0, 0, 0)
    dilation: Positives3 = (1, 1, 1)

    rank: ClassVar[int] = 3
    example: ClassVar[Mapping[str, Any]] = {
        "kind": "conv3d",
        "filters": 8,
        "kernel": [1, 3, 3],
        "padding": [0, 1, 1],
    }
    example_input: ClassVar[Any] = [5, 12, 12, 3]

    torch_types: ClassVar[tuple[str, ...]] = ("Conv3d",)

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.Conv3d`` from the spec's fields."""
        return nn.Conv3d(
            in_shape[0], bias=True, device="meta", **cls._torch_options(raw, 3, in_shape[0])
        )


@layer_kind
class ConvTranspose1d(Transposed):
    """A 1-D transposed convolution: L_out = (L − 1)·S − 2P + D(K − 1) + P_out + 1. Fields as
    ``conv1d`` (padding a number) and ``output_padding`` (default 0)."""

    kind: Literal["convtranspose1d"] = "convtranspose1d"
    kernel: Sizes1
    stride: Sizes1 = (1,)
    padding: Offsets1 = (0,)
    output_padding: NonNegatives1 = (0,)
    dilation: Positives1 = (1,)

    rank: ClassVar[int] = 1
    example: ClassVar[Mapping[str, Any]] = {
        "kind": "convtranspose1d",
        "filters": 4,
        "kernel": 4,
        "stride": 2,
        "padding": 1,
    }
    example_input: ClassVar[Any] = {"map": [40, 6]}

    torch_types: ClassVar[tuple[str, ...]] = ("ConvTranspose1d",)

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.ConvTranspose1d`` from the spec's fields."""
        return nn.ConvTranspose1d(
            in_shape[0], bias=True, device="meta", **cls._torch_options(raw, 1, in_shape[0])
        )


@layer_kind
class ConvTranspose2d(Transposed):
    """A 2-D transposed convolution ("deconvolution"): H_out = (H − 1)·S − 2P + D(K − 1) +
    P_out + 1 per axis. Fields as ``conv2d`` (padding numbers) and ``output_padding``
    (default 0; smaller than the stride or the dilation)."""

    kind: Literal["convtranspose2d"] = "convtranspose2d"
    kernel: Sizes2
    stride: Sizes2 = (1, 1)
    padding: Offsets2 = (0, 0)
    output_padding: NonNegatives2 = (0, 0)
    dilation: Positives2 = (1, 1)

    rank: ClassVar[int] = 2
    example: ClassVar[Mapping[str, Any]] = {
        "name": "Up-1",
        "kind": "convtranspose2d",
        "filters": 32,
        "kernel": 3,
        "stride": 2,
        "padding": 1,
        "output_padding": 1,
    }

    torch_types: ClassVar[tuple[str, ...]] = ("ConvTranspose2d",)

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.ConvTranspose2d`` from the spec's fields."""
        return nn.ConvTranspose2d(
            in_shape[0], bias=True, device="meta", **cls._torch_options(raw, 2, in_shape[0])
        )


@layer_kind
class ConvTranspose3d(Transposed):
    """A 3-D transposed convolution. Fields as ``convtranspose2d``, three values per axis
    field."""

    kind: Literal["convtranspose3d"] = "convtranspose3d"
    kernel: Sizes3
    stride: Sizes3 = (1, 1, 1)
    padding: Offsets3 = (0, 0, 0)
    output_padding: NonNegatives3 = (0, 0, 0)
    dilation: Positives3 = (1, 1, 1)

    rank: ClassVar[int] = 3
    example: ClassVar[Mapping[str, Any]] = {
        "kind": "convtranspose3d",
        "filters": 4,
        "kernel": 2,
        "stride": 2,
    }
    example_input: ClassVar[Any] = [5, 12, 12, 3]

    torch_types: ClassVar[tuple[str, ...]] = ("ConvTranspose3d",)

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.ConvTranspose3d`` from the spec's fields."""
        return nn.ConvTranspose3d(
            in_shape[0], bias=True, device="meta", **cls._torch_options(raw, 3, in_shape[0])
        )
