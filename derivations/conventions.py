"""Counting conventions: what an answer key counts as a parameter and as an operation.

Courses differ, so every convention is stated once in the spec, can be overridden per problem,
and is printed at the top of the key. Homework 3's: biases only where a problem says so, one
operation per multiply-accumulate, one per element of each pooling window, floor rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

import sympy as sp

from derivations.formula import Formula
from derivations.layers.base import Count, LayerKind, LayerResult


class Costed(Protocol):
    """A layer's result or a join's: named counts, and the layer (None for a join)."""

    @property
    def counts(self) -> Mapping[Count, Formula]: ...

    @property
    def layer(self) -> LayerKind | None: ...


OpsUnit = Literal["mac", "flop"]
PoolOps = Literal["window", "none"]
NormCounts = Literal["pytorch", "keras"]
RecurrentBias = Literal["pytorch", "keras"]

PRESENT_NORM = "normalisation"
PRESENT_CEIL = "ceil"
PRESENT_JOIN = "element-wise join"
PRESENT_RECURRENT = "recurrent layer"


@dataclass(frozen=True)
class Conventions:
    """How to count. ``bias``: whether layers count bias terms by default; ``ops``: ``mac``
    (one multiply-accumulate = one operation) or ``flop`` (2 per MAC, as FLOP counters do);
    ``pool_ops``: ``window`` (one per window element per output) or ``none``;
    ``rounding``: how strided pooling sizes round by default (``floor``, as PyTorch and Keras
    do, or ``ceil``, PyTorch's ``ceil_mode``);
    ``norm``: ``pytorch`` (a normalisation's scale and shift are parameters, its running
    mean and variance buffers: 2C) or ``keras`` (all four in the parameter count, as Keras's
    ``model.summary()``: 4C, 2C of them non-trainable);
    ``bias_ops``, ``norm_ops``, ``activation_ops``, ``join_ops``: whether a bias addition
    (one per output), a normalisation (two per element: scale and shift, the statistics
    folded in as at inference), an activation (one per element) and an element-wise join
    (one per element per extra branch) cost operations;
    ``ecf_credit``: the share of an item's points that ``answerkey grade`` gives a value that
    follows from the student's own earlier wrong value (error carried forward);
    ``recurrent_bias``: ``pytorch`` (an RNN, LSTM or GRU keeps two bias vectors per gate,
    b_ih and b_hh) or ``keras`` (one, b_ih; a GRU with ``reset_after`` keeps both);
    ``present``: what the problem's networks contain (normalisation, ceil rounding,
    element-wise joins, recurrent layers), so that the key states the conventions that apply
    to them."""

    bias: bool = False
    ops: OpsUnit = "mac"
    pool_ops: PoolOps = "window"
    rounding: Literal["floor", "ceil"] = "floor"
    norm: NormCounts = "pytorch"
    bias_ops: bool = False
    norm_ops: bool = False
    activation_ops: bool = False
    join_ops: bool = False
    ecf_credit: float = 1.0
    recurrent_bias: RecurrentBias = "pytorch"
    present: frozenset[str] = frozenset()

    def override(self, **changes: Any) -> Conventions:
        """These conventions with the given fields replaced (``None`` values ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def mac_factor(self) -> int:
        return 2 if self.ops == "flop" else 1

    def param_terms(self, result: LayerResult) -> list[tuple[Count, Formula]]:
        """The counts that make up a layer's parameters: its weights, and its biases when
        the layer (its own ``bias`` field, else this convention) counts them, those the layer
        names for these conventions (:meth:`LayerKind.bias_counts`: a recurrent layer's second
        vector only under ``recurrent_bias: pytorch``); a normalisation's scale and shift, and
        under ``norm: keras`` its running statistics."""
        layer = result.layer
        bias = layer.counts_bias(self.bias)
        chosen = {Count.WEIGHTS, Count.SCALES, Count.SHIFTS}
        if bias:
            chosen |= set(layer.bias_counts(self))
        if self.norm == "keras":
            chosen |= {Count.RUNNING_MEANS, Count.RUNNING_VARS}
        return [(c, f) for c, f in result.counts.items() if c in chosen]

    def op_terms(self, result: Costed) -> list[tuple[Count, Formula]]:
        """The counts that make up a layer's operations: its MACs, its window operations when
        ``pool_ops`` is ``window``, and the element-wise operations the conventions count."""
        chosen = {Count.MACS}
        flags = (
            (self.pool_ops == "window", Count.WINDOW_OPS),
            (
                self.bias_ops and result.layer is not None and result.layer.counts_bias(self.bias),
                Count.BIAS_OPS,
            ),
            (self.norm_ops, Count.NORM_OPS),
            (self.activation_ops, Count.ACTIVATION_OPS),
            (self.join_ops, Count.JOIN_OPS),
        )
        chosen |= {count for on, count in flags if on}
        return [(c, f) for c, f in result.counts.items() if c in chosen]

    def params_of(self, result: LayerResult) -> sp.Expr:
        """A layer's parameters under these conventions."""
        return sp.sympify(sum((f.value for _, f in self.param_terms(result)), sp.Integer(0)))

    def ops_of(self, result: Costed) -> sp.Expr:
        """A layer's operations under these conventions (MACs scaled to FLOPs if asked)."""
        total = sp.Integer(0)
        for count, f in self.op_terms(result):
            total += f.value * (self.mac_factor if count is Count.MACS else 1)
        return sp.sympify(total)

    def describe(self) -> list[str]:
        """The conventions as sentences, for the key's conventions box and the JSON. The
        normalisation and element-wise lines appear where they apply (:attr:`present`) or
        where the spec chose other than the default."""
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
        if self.rounding == "ceil":
            rounding = (
                "strided pooling sizes round up: ⌈(𝐻 + 2𝑃 − 𝐾)/𝑆⌉ + 1, as PyTorch's ceil_mode, "
                "which drops a last window that would start in the right padding; convolutions "
                "round down"
            )
        else:
            rounding = "strided output sizes round down: ⌊(𝐻 + 2𝑃 − 𝐾)/𝑆⌋ + 1, as PyTorch and Keras"
            if PRESENT_CEIL in self.present:
                rounding += (
                    "; a pooling layer marked rounding: ceil rounds up, as PyTorch's ceil_mode, "
                    "and drops a last window that would start in the right padding"
                )
        lines = [
            f"Operations: {unit}.",
            f"Pooling: {pool}.",
            f"Parameters: {bias}.",
            f"Rounding: {rounding}.",
        ]
        if PRESENT_NORM in self.present or self.norm != "pytorch":
            lines.append(f"Normalisation: {self._norm_text()}.")
        flags = (self.bias_ops, self.norm_ops, self.activation_ops, self.join_ops)
        if any(flags) or {PRESENT_NORM, PRESENT_JOIN} & self.present:
            lines.append(f"Element-wise operations: {self._elementwise_text()}.")
        if PRESENT_RECURRENT in self.present or self.recurrent_bias != "pytorch":
            lines.append(f"Recurrent biases: {self._recurrent_text()}.")
        if self.ecf_credit != 1.0:
            lines.append(
                f"Marking: a value that follows from your own earlier wrong value earns "
                f"{self.ecf_credit:.0%} of its marks (error carried forward)."
            )
        return lines

    def _norm_text(self) -> str:
        if self.norm == "keras":
            return (
                "counted as Keras's model summary counts them: the scale γ, the shift β and "
                "the moving mean and variance are all parameters (4 per channel), 2 per channel "
                "of them non-trainable"
            )
        return (
            "counted as PyTorch counts them: the scale γ and shift β are parameters (2 per "
            "channel); the running mean and variance are buffers, not parameters"
        )

    def _recurrent_text(self) -> str:
        if self.recurrent_bias == "keras":
            return (
                "an RNN or LSTM has one bias vector per gate block, as Keras keeps it; a GRU "
                "with reset_after (Keras's default) has two"
            )
        return (
            "an RNN, LSTM or GRU has two bias vectors per gate block, b_ih and b_hh, as "
            "PyTorch keeps them"
        )

    def _elementwise_text(self) -> str:
        def say(on: bool, yes: str, what: str) -> str:
            return f"{what} {yes}" if on else f"{what} costs nothing"

        parts = [
            say(self.bias_ops, "costs one operation per output", "a bias addition"),
            say(
                self.norm_ops,
                "costs two per element (scale and shift, statistics folded in)",
                "a normalisation",
            ),
            say(self.activation_ops, "costs one per element", "an activation"),
            say(self.join_ops, "costs one per element per extra branch", "an add or multiply join"),
        ]
        return "; ".join(parts)
