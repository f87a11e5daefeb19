"""Symbols labelled with a name from the spec: ``C_{(ii) 3×3}``, ``N_{Conv-1}``.

A name from a spec is display text, not an identity: two branches may be shown alike, and a
sum keyed by display names alone would merge their terms (a concatenation of two 32-deep
branches of the same name summed as one). :class:`Labelled` prints as ``head_{label}`` but is
told apart by a ``key`` (the term's position), so every term of a sum stays its own.
"""

from __future__ import annotations

from typing import Any

import sympy as sp


class Labelled(sp.Symbol):
    """``head_{label}``, distinct from every other term with a different ``key``."""

    head: str
    label: str
    key: int

    def __new__(cls, head: str, label: str, key: int = 0, **assumptions: Any) -> Labelled:
        obj = sp.Symbol.__xnew__(cls, f"{head}_{{{label}}}", **assumptions)
        obj.head, obj.label, obj.key = head, label, key
        return obj  # type: ignore[no-any-return]

    def __getnewargs_ex__(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (self.head, self.label, self.key), dict(self.assumptions0)

    def _hashable_content(self) -> tuple[Any, ...]:
        return (*super()._hashable_content(), self.key)


def labelled_terms(head: str, labels: list[str]) -> list[Labelled]:
    """One symbol per label, in order, each its own even where two labels are alike."""
    return [Labelled(head, label, i) for i, label in enumerate(labels)]


class Entry(sp.Symbol):
    """One scalar of a numeric network, printed ``w^{(1)}_{12}``: ``head`` (``w``, ``b``,
    ``z``, ``a``, ``x``, ``y``, ``yhat``, ``delta``), the layer ``l`` (None for an input or a
    target) and the indices (1-based, as the course writes them)."""

    head: str
    layer: int | None
    indices: tuple[int, ...]

    def __new__(cls, head: str, indices: tuple[int, ...] = (), layer: int | None = None) -> Entry:
        sup = f"^({layer})" if layer is not None else ""
        sub = "_" + ",".join(str(i) for i in indices) if indices else ""
        obj = sp.Symbol.__xnew__(cls, f"{head}{sup}{sub}", real=True)
        obj.head, obj.layer, obj.indices = head, layer, tuple(indices)
        return obj  # type: ignore[no-any-return]

    def __getnewargs_ex__(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (self.head, self.indices, self.layer), {}
