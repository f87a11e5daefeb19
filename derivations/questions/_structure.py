"""What a network's structure shows, for prose written from it: dimension reductions (a 1×1
layer with weights feeding a larger window in the same branch) and projections (a 1×1 layer
after a parameter-free window, i.e. after pooling). No kind is named: the tests are on
capabilities (:class:`~derivations.layers.Windowed`) and counts."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from derivations.layers import Count, LayerResult, Windowed
from derivations.network import Analysis


@dataclass(frozen=True)
class Reductions:
    """``kernels``: the windows (``3×3``) that 1×1 reductions feed, in order of appearance;
    ``title``: what the reduced layers are (``convolution``); ``projections``: how many 1×1
    layers follow a pooling window."""

    kernels: tuple[str, ...]
    title: str
    projections: int


def _weighted_window(result: LayerResult) -> bool:
    return isinstance(result.layer, Windowed) and Count.WEIGHTS in result.counts


def _pooling(result: LayerResult) -> bool:
    return isinstance(result.layer, Windowed) and Count.WEIGHTS not in result.counts


def _one_by_one(result: LayerResult) -> bool:
    return result.kernel is not None and tuple(result.kernel[:2]) == (1, 1)


def reductions(analysis: Analysis) -> Reductions | None:
    """The reductions of ``analysis`` (None if it has none)."""
    kernels: list[str] = []
    title = ""
    projections = 0
    for (r1, a), (r2, b) in itertools.pairwise(analysis.layers()):
        if r1.branch is None or r1.branch != r2.branch:
            continue
        if _weighted_window(a) and _weighted_window(b) and _one_by_one(a) and b.kernel:
            if b.kernel[0] > 1:
                text = f"{b.kernel[0]}×{b.kernel[1]}"
                kernels += [text] if text not in kernels else []
                title = b.layer.title
        elif _pooling(a) and _weighted_window(b) and _one_by_one(b):
            projections += 1
    if not kernels:
        return None
    return Reductions(tuple(kernels), title, projections)


def and_list(items: tuple[str, ...] | list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
