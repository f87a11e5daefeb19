"""Layer kinds: one class each, in family modules (``conv``, ``pool``, ``dense``, ``reshape``,
...), filed in :data:`LAYER_KINDS` by the ``@layer_kind`` decorator as the modules load.

Every module of this package is imported here, in sorted order, so adding a kind is adding
its class to a family module (or a new module): nothing else names it. See
``docs/extending.md``.
"""

from __future__ import annotations

import importlib
import pkgutil

from derivations.layers.base import (
    LAYER_KINDS,
    Count,
    LayerKind,
    LayerResult,
    SizeRule,
    dims_text,
    layer_kind,
)

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

from derivations.layers.dense import Dense  # noqa: E402 - after discovery, for the re-export
from derivations.layers.window import Windowed  # noqa: E402

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
