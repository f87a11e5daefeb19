"""Counting conventions: what an answer key counts as a parameter and as an operation.

Courses differ, so every convention is stated once in the spec, can be overridden per problem,
and is printed at the top of the key. Homework 3's: biases only where a problem says so, one
operation per multiply-accumulate, one per element of each pooling window, floor rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import sympy as sp

from derivations.formula import Formula
from derivations.layers.base import Count, LayerResult

OpsUnit = Literal["mac", "flop"]
PoolOps = Literal["window", "none"]


@dataclass(frozen=True)
class Conventions:
    """How to count. ``bias``: whether layers count bias terms by default; ``ops``: ``mac``
    (one multiply-accumulate = one operation) or ``flop`` (2 per MAC, as FLOP counters do);
    ``pool_ops``: ``window`` (one per window element per output) or ``none``;
    ``rounding``: how strided sizes round (``floor``, as PyTorch and Keras do);
    ``ecf_credit``: the share of an item's points that ``answerkey grade`` gives a value that
    follows from the student's own earlier wrong value (error carried forward)."""

    bias: bool = False
    ops: OpsUnit = "mac"
    pool_ops: PoolOps = "window"
    rounding: Literal["floor"] = "floor"
    ecf_credit: float = 1.0

    def override(self, **changes: Any) -> Conventions:
        """These conventions with the given fields replaced (``None`` values ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def mac_factor(self) -> int:
        return 2 if self.ops == "flop" else 1

    def param_terms(self, result: LayerResult) -> list[tuple[Count, Formula]]:
        """The counts that make up a layer's parameters: its weights, and its biases when
        the layer (its own ``bias`` field, else this convention) counts them. Other stored
        counts (running statistics, say) are named but not summed."""
        bias = result.layer.counts_bias(self.bias)
        chosen = (Count.WEIGHTS, Count.BIASES) if bias else (Count.WEIGHTS,)
        return [(c, f) for c, f in result.counts.items() if c in chosen]

    def op_terms(self, result: LayerResult) -> list[tuple[Count, Formula]]:
        """The counts that make up a layer's operations: its MACs, and its window operations
        when ``pool_ops`` is ``window``."""
        chosen = (Count.MACS, Count.WINDOW_OPS) if self.pool_ops == "window" else (Count.MACS,)
        return [(c, f) for c, f in result.counts.items() if c in chosen]

    def params_of(self, result: LayerResult) -> sp.Expr:
        """A layer's parameters under these conventions."""
        return sp.sympify(sum((f.value for _, f in self.param_terms(result)), sp.Integer(0)))

    def ops_of(self, result: LayerResult) -> sp.Expr:
        """A layer's operations under these conventions (MACs scaled to FLOPs if asked)."""
        total = sp.Integer(0)
        for count, f in self.op_terms(result):
            total += f.value * (self.mac_factor if count is Count.MACS else 1)
        return sp.sympify(total)

    def describe(self) -> list[str]:
        """The conventions as sentences, for the key's conventions box and the JSON."""
        unit = (
            "one operation is one multiply-accumulate (MAC): output height × width × depth × "
            "kernel height × width × input depth"
            if self.ops == "mac"
            else "operations are FLOPs: two per multiply-accumulate (one multiply, one add)"
        )
        pool = (
            "a pooling layer costs one operation per element of each window "
            "(output height × width × depth × window height × width)"
            if self.pool_ops == "window"
            else "pooling layers are not counted as operations"
        )
        bias = (
            "parameters include one bias per output unit or filter"
            if self.bias
            else "parameters are weights only; biases are excluded unless a problem says otherwise"
        )
        rounding = "strided output sizes round down: ⌊(H + 2P − K)/S⌋ + 1, as PyTorch and Keras"
        lines = [
            f"Operations: {unit}.",
            f"Pooling: {pool}.",
            f"Parameters: {bias}.",
            f"Rounding: {rounding}.",
        ]
        if self.ecf_credit != 1.0:
            lines.append(
                f"Marking: a value that follows from your own earlier wrong value earns "
                f"{self.ecf_credit:.0%} of its marks (error carried forward)."
            )
        return lines
