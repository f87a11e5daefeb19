"""What a network's structure shows, for prose written from it: dimension reductions (a 1×1
layer with weights feeding a larger window in the same branch), expansions (a 1×1 layer with
weights after that window, restoring the depth), projections (a 1×1 layer after a
parameter-free window, i.e. after pooling), shortcuts (a branch that passes its input through
unchanged) and the joins. No kind is named: the tests are on capabilities
(:class:`~derivations.layers.Windowed`), counts and shapes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp

from derivations.layers import Count, LayerResult, Windowed
from derivations.network import Analysis, Branch, JoinResult, Parallel


@dataclass(frozen=True)
class Reductions:
    """``kernels``: the windows (``3×3``) that 1×1 reductions feed, in order of appearance;
    ``title``: what the reduced layers are (``convolution``); ``count``: how many reductions
    there are; ``projections``: how many 1×1 layers follow a pooling window; ``expansions``:
    how many 1×1 layers follow a reduced window in the same branch."""

    kernels: tuple[str, ...]
    title: str
    projections: int
    count: int = 1
    expansions: int = 0


def _weighted_window(result: LayerResult) -> bool:
    return isinstance(result.layer, Windowed) and Count.WEIGHTS in result.counts


def _pooling(result: LayerResult) -> bool:
    return isinstance(result.layer, Windowed) and Count.WEIGHTS not in result.counts


def _one_by_one(result: LayerResult) -> bool:
    return result.kernel is not None and tuple(result.kernel[:2]) == (1, 1)


def _wide(size: object) -> bool:
    """A window side known to be larger than 1 (a symbolic side is not)."""
    value = sp.sympify(size)
    return bool(value.is_number and value > 1)


def reductions(analysis: Analysis) -> Reductions | None:
    """The reductions of ``analysis`` (None if it has none)."""
    kernels: list[str] = []
    title = ""
    projections = count = expansions = 0
    for (r1, a), (r2, b) in itertools.pairwise(analysis.layers()):
        if r1.branch is None or r1.branch != r2.branch:
            continue
        if _weighted_window(a) and _weighted_window(b) and _one_by_one(a) and b.kernel:
            if _wide(b.kernel[0]):
                text = f"{b.kernel[0]}×{b.kernel[1]}"
                kernels += [text] if text not in kernels else []
                title = b.layer.title
                count += 1
        elif _weighted_window(a) and _weighted_window(b) and _one_by_one(b) and a.kernel:
            expansions += _wide(a.kernel[0])
        elif _pooling(a) and _weighted_window(b) and _one_by_one(b):
            projections += 1
    if not kernels:
        return None
    return Reductions(tuple(kernels), title, projections, count, expansions)


def is_shortcut(analysis: Analysis, branch: Branch) -> bool:
    """Whether ``branch`` passes its input through unchanged: no layers, or only layers
    that keep the shape, count nothing and apply the identity."""
    results = [r for _, r in analysis.layers() if any(r.layer is x for x in branch.layers)]
    return all(
        not r.counts and r.in_shape == r.out_shape and r.layer.applied == "identity"
        for r in results
    )


def is_residual(analysis: Analysis, block: Parallel) -> bool:
    """An addition join with a shortcut branch: a residual block."""
    return block.join == "add" and any(is_shortcut(analysis, b) for b in block.branches)


def joins(analysis: Analysis) -> list[Parallel]:
    """The parallel blocks of ``analysis``, in order."""
    return [r.result.block for r in analysis.rows if isinstance(r.result, JoinResult)]


def whole(analysis: Analysis) -> str:
    """What to call the network in a sentence: ``block`` (residual), ``module`` (it has
    parallel branches) or ``network``."""
    found = joins(analysis)
    if found and all(is_residual(analysis, b) for b in found):
        return "block"
    return "module" if found else "network"


def and_list(items: tuple[str, ...] | list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def sentence(text: str) -> str:
    """``text`` starting with a capital letter (the rest as written)."""
    return text[:1].upper() + text[1:]


def grouped(value: object) -> str:
    """A count as prose prints it: ``100,352``, thousands separated as the key's tables print
    them; anything not a whole number (a symbolic count) as it is."""
    if isinstance(value, int | sp.Integer):
        return f"{int(value):,}"
    return str(value)
