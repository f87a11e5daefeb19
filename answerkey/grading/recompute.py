"""The key's own formulas, re-run on a student's values (error carried forward, misconceptions).

This is the one module of the grader that reads a layer's result (output shape, parameter
and operation formulas): every other module sees numbers and :class:`Formula` objects. A
student's earlier value is put where the key had its own, and the key's rule recomputes the
rest: ``layer.forward(student's input shape)`` for a table row, the ``Total`` formula with the
student's parts for a sum. Nothing here does arithmetic of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from derivations.formula import Formula, int_value
from derivations.layers.base import Count, LayerResult
from derivations.network import Analysis
from derivations.shapes import DerivationError, Shape


@dataclass(frozen=True)
class Recomputed:
    """A value the key's formula gives from other inputs, with its working (LaTeX)."""

    value: object
    formula: Formula | None


def shape_of(hwc: tuple[int, ...]) -> Shape:
    """A student's H × W × C (or N) as the derivations' C×H×W :class:`Shape`."""
    if len(hwc) == 3:
        return Shape.image(hwc[2], hwc[0], hwc[1])
    return Shape.vector(sp.Mul(*[sp.Integer(d) for d in hwc]))


def hwc_of(shape: Shape) -> tuple[int, ...] | None:
    """A concrete shape as an H × W × C (or N) tuple of ints."""
    dims = [int_value(d) for d in shape.hwc()]
    return None if any(d is None for d in dims) else tuple(d for d in dims if d is not None)


def forward(result: LayerResult, given_in: tuple[int, ...]) -> LayerResult | None:
    """The same layer run on the student's input shape (None if the layer cannot take it)."""
    try:
        return result.layer.forward(shape_of(given_in))
    except (DerivationError, ValueError, TypeError):
        return None


def row_values(analysis: Analysis, result: LayerResult) -> dict[str, Recomputed]:
    """What a shape-table row holds, from a layer result: output size, kernel, parameters."""
    out: dict[str, Recomputed] = {}
    hwc = hwc_of(result.out_shape)
    if hwc is not None:
        size = result.sizes[0].formula if result.sizes else None
        out["Output size"] = Recomputed(hwc, size)
    if result.kernel is not None:
        kernel = tuple(int_value(k) for k in result.kernel)
        if all(k is not None for k in kernel):
            out["Kernel size"] = Recomputed(kernel, None)
    weights = int_value(result.count(Count.WEIGHTS))
    formula = result.formula(Count.WEIGHTS)
    if weights is not None:
        with_biases = result.count(Count.WEIGHTS) + result.count(Count.BIASES)
        out["Params (weights)"] = Recomputed(weights, formula)
        out["Params (with biases)"] = Recomputed(int_value(with_biases), formula)
        out["Params"] = Recomputed(int_value(analysis.params(result)), formula)
    return out


def with_values(formula: Formula, changes: Mapping[sp.Symbol, sp.Expr]) -> Formula:
    """The key's formula with some of its values replaced by the student's."""
    values = {s: changes.get(s, v) for s, v in formula.values}
    return Formula(formula.lhs, formula.rhs, tuple(values.items()))


def subscript(symbol: sp.Symbol) -> str:
    """The label a summed symbol stands for: ``N_{H-1}`` → ``H-1``."""
    name = str(symbol)
    return name[name.index("_{") + 2 : -1] if "_{" in name and name.endswith("}") else name
