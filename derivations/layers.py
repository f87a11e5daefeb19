"""Layer kinds: one class each, with its shape, parameter and operation rule.

Every kind registers itself in :data:`LAYER_KINDS` under the name a spec uses for it, so adding
a kind touches this table and nothing else. A rule returns :class:`LayerResult`, whose numbers
are all :class:`~derivations.formula.Formula` objects: the key prints their working, the tests
evaluate them against PyTorch.

Output size of a strided window (PyTorch ``Conv2d``/``MaxPool2d`` docs, "Shape" section;
Dumoulin & Visin, *A guide to convolution arithmetic*, relationship 15):
``H_out = ⌊(H + 2P − D(K − 1) − 1) / S⌋ + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import sympy as sp

from derivations.formula import Formula, is_concrete, product, total
from derivations.shapes import Shape, ShapeError

Pair = tuple[sp.Expr, sp.Expr]

H_IN, W_IN, C_IN = sp.symbols("H_in W_in C_in", positive=True, integer=True)
H_OUT, W_OUT, C_OUT = sp.symbols("H_out W_out C_out", positive=True, integer=True)
N_IN, N_OUT = sp.symbols("N_in N_out", positive=True, integer=True)
K_H, K_W = sp.symbols("K_h K_w", positive=True, integer=True)
K, S, D, G = sp.symbols("K S D G", positive=True, integer=True)
P = sp.Symbol("P", nonnegative=True, integer=True)

ONE, TWO, ZERO = sp.Integer(1), sp.Integer(2), sp.Integer(0)
"""Shared defaults (SymPy integers are immutable, so sharing them is safe)."""


@dataclass(frozen=True)
class SizeRule:
    """The output size along one spatial axis, with a flag when the floor drops a remainder."""

    formula: Formula
    remainder: sp.Expr | None  # the dropped remainder, when concrete and non-zero


@dataclass(frozen=True)
class LayerResult:
    """What one layer does to the shape that reaches it, and what it costs."""

    layer: Layer
    in_shape: Shape
    out_shape: Shape
    sizes: tuple[SizeRule, ...] = ()
    weights: Formula | None = None
    biases: Formula | None = None
    macs: Formula | None = None
    window_ops: Formula | None = None
    kernel: tuple[sp.Expr, ...] | None = None

    @property
    def weight_count(self) -> sp.Expr:
        return self.weights.value if self.weights else sp.Integer(0)

    @property
    def bias_count(self) -> sp.Expr:
        return self.biases.value if self.biases else sp.Integer(0)

    @property
    def mac_count(self) -> sp.Expr:
        return self.macs.value if self.macs else sp.Integer(0)

    @property
    def floored(self) -> bool:
        return any(s.remainder for s in self.sizes)


@dataclass(frozen=True)
class Layer:
    """Fields every kind shares. ``path`` locates the layer in its spec for error messages."""

    name: str
    path: tuple[str | int, ...] = field(default=(), compare=False)
    activation: str = "identity"

    kind: ClassVar[str] = ""

    def forward(self, shape: Shape) -> LayerResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def has_bias(self, default: bool) -> bool:
        """Whether this layer counts biases: its own ``bias`` field, else the convention."""
        own = getattr(self, "bias", None)
        return default if own is None else bool(own)


LAYER_KINDS: dict[str, type[Layer]] = {}


def register(cls: type[Layer]) -> type[Layer]:
    """Add a layer kind to :data:`LAYER_KINDS` under ``cls.kind``."""
    LAYER_KINDS[cls.kind] = cls
    return cls


def window_size(
    size: sp.Expr,
    kernel: sp.Expr,
    stride: sp.Expr,
    padding: sp.Expr,
    dilation: sp.Expr,
    axis: str,
    field_name: str,
) -> SizeRule:
    """One axis of a strided window: the formula above, substituted, with its remainder."""
    inp, out = (H_IN, H_OUT) if axis == "H" else (W_IN, W_OUT)
    with sp.evaluate(False):
        span = [inp, 2 * P, -D * (K - 1), -1] if dilation != 1 else [inp, 2 * P, -K]
    values = {inp: size, P: padding, D: dilation, K: kernel, S: stride}
    if is_concrete(size, kernel, padding, dilation):
        reach = dilation * (kernel - 1) + 1
        if size + 2 * padding < reach:
            raise ShapeError(
                field_name,
                f"kernel {kernel} (dilation {dilation}) is larger than the padded input "
                f"{size} + 2·{padding} = {size + 2 * padding}",
            )
    with sp.evaluate(False):
        rhs = total([*span, 1]) if stride == 1 else total([sp.floor(total(span) / S), 1])
    formula = Formula.of(out, rhs, values)
    remainder = None
    if stride != 1 and is_concrete(size, kernel, padding, dilation, stride):
        left = size + 2 * padding - dilation * (kernel - 1) - 1
        rem = sp.Mod(left, stride)
        remainder = rem if rem != 0 else None
    return SizeRule(formula, remainder)


def spatial(
    shape: Shape, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, kind: str
) -> tuple[SizeRule, SizeRule]:
    """Both spatial axes of a window over a feature map (raises on a vector input)."""
    if not shape.is_image:
        raise ShapeError(
            None,
            f"{kind} needs an H×W×C feature map, but its input is a vector of "
            f"{shape.dims[0]}: put it before any flatten or linear layer",
        )
    h = window_size(shape.height, kernel[0], stride[0], padding[0], dilation[0], "H", "kernel")
    w = window_size(shape.width, kernel[1], stride[1], padding[1], dilation[1], "W", "kernel")
    return h, w


@register
@dataclass(frozen=True)
class Conv2d(Layer):
    """A 2-D convolution: ``filters`` output channels, each a K_h × K_w × C_in/G kernel."""

    kind: ClassVar[str] = "conv2d"
    filters: sp.Expr = ONE
    kernel: Pair = (ONE, ONE)
    stride: Pair = (ONE, ONE)
    padding: Pair = (ZERO, ZERO)
    dilation: Pair = (ONE, ONE)
    groups: int = 1
    bias: bool | None = None

    def forward(self, shape: Shape) -> LayerResult:
        h, w = spatial(shape, self.kernel, self.stride, self.padding, self.dilation, "conv2d")
        c_in, g = shape.channels if shape.is_image else sp.Integer(0), self.groups
        if g != 1 and is_concrete(c_in, self.filters):
            for what, n in (("input channels", c_in), ("filters", self.filters)):
                if sp.Mod(n, g) != 0:
                    raise ShapeError("groups", f"groups = {g} does not divide the {what} ({n})")
        out = Shape.image(self.filters, h.formula.value, w.formula.value)
        depth = [C_IN / G] if g != 1 else [C_IN]
        values = {
            K_H: self.kernel[0],
            K_W: self.kernel[1],
            C_IN: c_in,
            C_OUT: self.filters,
            G: g,
            H_OUT: out.height,
            W_OUT: out.width,
        }
        with sp.evaluate(False):
            weights = Formula.of(sp.Symbol("W"), product([K_H, K_W, *depth, C_OUT]), values)
            macs = Formula.of(
                sp.Symbol("MAC"), product([H_OUT, W_OUT, C_OUT, K_H, K_W, *depth]), values
            )
        biases = Formula.of(sp.Symbol("b"), C_OUT, values)
        kernel = (self.kernel[0], self.kernel[1], c_in / g)
        return LayerResult(self, shape, out, (h, w), weights, biases, macs, None, kernel)


@dataclass(frozen=True)
class Pool2d(Layer):
    """A pooling window; no parameters. Its operations count one per window element."""

    kernel: Pair = (TWO, TWO)
    stride: Pair = (TWO, TWO)
    padding: Pair = (ZERO, ZERO)
    dilation: Pair = (ONE, ONE)

    def forward(self, shape: Shape) -> LayerResult:
        h, w = spatial(shape, self.kernel, self.stride, self.padding, self.dilation, self.kind)
        for axis, pad, k in zip("HW", self.padding, self.kernel, strict=True):
            if is_concrete(pad, k) and 2 * pad > k:
                raise ShapeError(
                    "padding",
                    f"padding {pad} is more than half the {axis} kernel {k} "
                    "(PyTorch refuses such a pooling window)",
                )
        out = Shape.image(shape.channels, h.formula.value, w.formula.value)
        values = {
            K_H: self.kernel[0],
            K_W: self.kernel[1],
            C_OUT: shape.channels,
            H_OUT: out.height,
            W_OUT: out.width,
        }
        with sp.evaluate(False):
            ops = Formula.of(sp.Symbol("OPS"), product([H_OUT, W_OUT, C_OUT, K_H, K_W]), values)
        kernel = (self.kernel[0], self.kernel[1])
        return LayerResult(self, shape, out, (h, w), None, None, None, ops, kernel)


@register
@dataclass(frozen=True)
class MaxPool2d(Pool2d):
    kind: ClassVar[str] = "maxpool2d"


@register
@dataclass(frozen=True)
class AvgPool2d(Pool2d):
    kind: ClassVar[str] = "avgpool2d"


@register
@dataclass(frozen=True)
class Linear(Layer):
    """A fully connected layer. A feature-map input is flattened first (C·H·W features).

    ``units=None`` means "as many units as the flattened input" (Homework 3's FC-1).
    """

    kind: ClassVar[str] = "linear"
    units: sp.Expr | None = None
    bias: bool | None = None

    def forward(self, shape: Shape) -> LayerResult:
        n_in = shape.numel
        n_out = n_in if self.units is None else self.units
        values = {N_IN: n_in, N_OUT: n_out}
        with sp.evaluate(False):
            weights = Formula.of(sp.Symbol("W"), product([N_IN, N_OUT]), values)
            macs = Formula.of(sp.Symbol("MAC"), product([N_IN, N_OUT]), values)
        biases = Formula.of(sp.Symbol("b"), N_OUT, values)
        return LayerResult(self, shape, Shape.vector(n_out), (), weights, biases, macs, None, None)


@register
@dataclass(frozen=True)
class Flatten(Layer):
    """Unwraps a feature map into a vector of C·H·W features."""

    kind: ClassVar[str] = "flatten"

    def forward(self, shape: Shape) -> LayerResult:
        return LayerResult(self, shape, Shape.vector(shape.numel))


@register
@dataclass(frozen=True)
class Activation(Layer):
    """An element-wise (or, for softmax, vector-wise) function; shape and cost unchanged."""

    kind: ClassVar[str] = "activation"

    def forward(self, shape: Shape) -> LayerResult:
        return LayerResult(self, shape, shape)
