"""Layer kinds: one class each, in family modules (``conv``, ``pool``, ``dense``, ``reshape``,
...), filed in :data:`LAYER_KINDS` by the ``@layer_kind`` decorator as the modules load.

A lookup of a kind by name loads its module, and iterating :data:`LAYER_KINDS` loads every
module of this package in sorted order (:mod:`derivations.registry`), so adding a kind is
adding its class to a family module (or a new module): nothing else names it. See
``docs/extending.md``.
"""

from __future__ import annotations

from derivations.layers.base import (
    LAYER_KINDS,
    Count,
    LayerKind,
    LayerResult,
    SizeRule,
    dims_text,
    layer_kind,
)
from derivations.layers.dense import Dense
from derivations.layers.window import Windowed

__all__ = [
    "LAYER_KINDS",
    "Count",
    "Dense",
    "LayerKind",
    "LayerResult",
    "SizeRule",
    "Windowed",
    "dims_text",
    "layer_kind",
]
