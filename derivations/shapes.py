"""Tensor shapes and the errors a shape rule raises.

Shapes are kept channels-first, as PyTorch keeps them: ``(C, H, W)`` for a feature map and
``(N,)`` for a vector. The course writes feature maps as H × W × C; that is a matter of display
(:meth:`Shape.hwc`), not of storage.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derivations.formula import is_concrete


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


@dataclass(frozen=True)
class Shape:
    """A tensor shape without the batch axis, channels first."""

    dims: tuple[sp.Expr, ...]

    @classmethod
    def image(cls, channels: sp.Expr, height: sp.Expr, width: sp.Expr) -> Shape:
        return cls((sp.sympify(channels), sp.sympify(height), sp.sympify(width)))

    @classmethod
    def vector(cls, size: sp.Expr) -> Shape:
        return cls((sp.sympify(size),))

    @property
    def is_image(self) -> bool:
        return len(self.dims) == 3

    @property
    def is_vector(self) -> bool:
        return len(self.dims) == 1

    @property
    def channels(self) -> sp.Expr:
        return self.dims[0]

    @property
    def height(self) -> sp.Expr:
        return self.dims[1]

    @property
    def width(self) -> sp.Expr:
        return self.dims[2]

    @property
    def numel(self) -> sp.Expr:
        return sp.Mul(*self.dims)

    def hwc(self) -> tuple[sp.Expr, ...]:
        """The dimensions in the course's reading order: H × W × C, or N for a vector."""
        if self.is_image:
            return (self.height, self.width, self.channels)
        return self.dims

    @property
    def concrete(self) -> bool:
        return is_concrete(*self.dims)

    def as_list(self) -> list[int | str]:
        """H, W, C (or N) as JSON values: ints where concrete, else SymPy's string."""
        out: list[int | str] = []
        for d in self.hwc():
            out.append(int(d) if is_concrete(d) else str(d))
        return out
