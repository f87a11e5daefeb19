"""Tensor shapes and the errors a shape rule raises.

Shapes are kept as PyTorch keeps them (without the batch axis): ``(N,)`` for a vector,
``(T, d)`` for a sequence of T positions with d features (``batch_first``), and channels first
for a feature map: ``(C, L)``, ``(C, H, W)``, ``(C, D, H, W)`` for 1-, 2- and 3-D maps. The
course writes maps channels last (L × C, H × W × C, D × H × W × C); that is a matter of
display (:meth:`Shape.hwc`), not of storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import sympy as sp

from derivations.formula import is_concrete

Form = Literal["vector", "sequence", "map"]


class DerivationError(ValueError):
    """A spec that parsed but asks for something the math cannot give.

    ``field`` names the spec field at fault relative to the layer or question that raised it, so
    that the loader can point at its line and column.
    """

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.path: tuple[str | int, ...] = ()  # set by the network walker: which layer


class ShapeError(DerivationError):
    """A layer cannot take the shape that reaches it (too small, wrong rank, groups, ...)."""


class Unsupported(DerivationError):
    """A well-formed request the derivations do not cover (e.g. ``same`` padding, stride 2)."""


SPATIAL_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
"""The course's names of a map's spatial axes, by the map's rank."""


@dataclass(frozen=True)
class Shape:
    """A tensor shape without the batch axis (PyTorch's order, see the module docstring).

    ``form`` says how to read ``dims``: it defaults to ``vector`` for one dimension and to
    ``map`` otherwise; a sequence must say so (:meth:`sequence`)."""

    dims: tuple[sp.Expr, ...]
    form: Form = field(default="map")

    def __post_init__(self) -> None:
        if len(self.dims) == 1 and self.form == "map":
            object.__setattr__(self, "form", "vector")

    @classmethod
    def image(cls, channels: sp.Expr, height: sp.Expr, width: sp.Expr) -> Shape:
        """A 2-D feature map of C channels, H × W."""
        return cls.map(channels, height, width)

    @classmethod
    def map(cls, channels: sp.Expr, *spatial: sp.Expr) -> Shape:
        """A feature map of C channels over 1, 2 or 3 spatial axes (L; H, W; D, H, W)."""
        return cls(tuple(sp.sympify(d) for d in (channels, *spatial)), "map")

    @classmethod
    def vector(cls, size: sp.Expr) -> Shape:
        return cls((sp.sympify(size),), "vector")

    @classmethod
    def sequence(cls, length: sp.Expr, features: sp.Expr) -> Shape:
        """T positions of d features each (``[T, d]``, PyTorch's ``batch_first`` order)."""
        return cls((sp.sympify(length), sp.sympify(features)), "sequence")

    @classmethod
    def from_course(cls, form: Form, dims: tuple[sp.Expr, ...]) -> Shape:
        """A shape from the course's reading order: ``[N]``, ``[T, d]``, or a map channels
        last (``[L, C]``, ``[H, W, C]``, ``[D, H, W, C]``)."""
        if form == "map":
            return cls.map(dims[-1], *dims[:-1])
        if form == "sequence":
            return cls.sequence(*dims)
        return cls.vector(dims[0])

    @property
    def is_map(self) -> bool:
        return self.form == "map"

    @property
    def spatial_rank(self) -> int:
        """1, 2 or 3 for a map; 0 for a vector or a sequence."""
        return len(self.dims) - 1 if self.is_map else 0

    @property
    def is_image(self) -> bool:
        """A 2-D feature map (C, H, W)."""
        return self.spatial_rank == 2

    @property
    def is_vector(self) -> bool:
        return self.form == "vector"

    @property
    def is_sequence(self) -> bool:
        return self.form == "sequence"

    @property
    def channel_axis(self) -> int:
        """The axis a concatenation stacks along: C of a map, d of a sequence, N of a vector."""
        return 1 if self.is_sequence else 0

    @property
    def channels(self) -> sp.Expr:
        """C of a map, d (features) of a sequence, N of a vector."""
        return self.dims[self.channel_axis]

    @property
    def length(self) -> sp.Expr:
        """T of a sequence, L of a 1-D map."""
        return self.dims[0] if self.is_sequence else self.dims[1]

    @property
    def spatial(self) -> tuple[sp.Expr, ...]:
        """A map's spatial sizes in PyTorch's order (L; H, W; D, H, W); () otherwise."""
        return self.dims[1:] if self.is_map else ()

    @property
    def height(self) -> sp.Expr:
        return self.dims[-2]

    @property
    def width(self) -> sp.Expr:
        return self.dims[-1]

    @property
    def numel(self) -> sp.Expr:
        return sp.Mul(*self.dims)

    def with_channels(self, channels: sp.Expr) -> Shape:
        """This shape with another size on its channel axis."""
        dims = list(self.dims)
        dims[self.channel_axis] = sp.sympify(channels)
        return Shape(tuple(dims), self.form)

    def with_spatial(self, spatial: tuple[sp.Expr, ...], channels: sp.Expr | None = None) -> Shape:
        """A map of the same rank with new spatial sizes (and channels, if given)."""
        return Shape.map(self.channels if channels is None else channels, *spatial)

    def hwc(self) -> tuple[sp.Expr, ...]:
        """The dimensions in the course's reading order: H × W × C (maps channels last, so
        L × C and D × H × W × C too), T × d for a sequence, N for a vector."""
        if self.is_map:
            return (*self.dims[1:], self.dims[0])
        return self.dims

    def axis_names(self) -> tuple[str, ...]:
        """The letters of :meth:`hwc`'s axes: ``("H", "W", "C")``, ``("T", "d")``, ``("N",)``."""
        if self.is_map:
            return (*SPATIAL_NAMES[self.spatial_rank], "C")
        return ("T", "d") if self.is_sequence else ("N",)

    @property
    def concrete(self) -> bool:
        return is_concrete(*self.dims)

    def as_list(self) -> list[int | str]:
        """The dimensions of :meth:`hwc` as JSON values: ints where concrete, else SymPy's
        string."""
        out: list[int | str] = []
        for d in self.hwc():
            out.append(int(d) if is_concrete(d) else str(d))
        return out
