"""The numbers of a numeric pass through a dense network: decimals read exactly, the working
(every symbol's value so far and the steps that gave them), each layer's symbols, and the
computational graph with values and gradients (:class:`~derivations.answers.ValueGraphFigure`).
Used by :mod:`derivations.questions.numeric_pass`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import sympy as sp
from pydantic import PlainValidator

from derivations.answers import Step, ValueGraphFigure
from derivations.backprop import Gradient
from derivations.fields import fail
from derivations.formula import Formula
from derivations.shapes import ShapeError

DIGITS = 40
"""Significant digits every value is computed with (printing rounds to the asked decimals)."""
_DECIMAL = re.compile(r"^\s*-?\d{1,7}(\.\d{1,12})?\s*$")


def decimal(value: Any) -> str:
    """A decimal number as written (``0.15``, ``-2``, ``"0.3"`` from a variant's text): its
    text, so that it is read exactly (no binary rounding)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise fail(f"expected a number, got {type(value).__name__} {value!r}"[:120])
    text = repr(value) if isinstance(value, float) else str(value)
    if not _DECIMAL.match(text):
        raise fail(f"expected a decimal number such as 0.25 (at most 7 digits before the point "
                   f"and 12 after), got {value!r}"[:160])  # fmt: skip
    return text.strip()


Number = Annotated[str, PlainValidator(decimal)]
"""A decimal number, kept as its text so that it is read exactly (``0.1`` is 1/10)."""


def to_float(text: str) -> sp.Float:
    return sp.Float(text, DIGITS)


def column(values: list[str]) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix([[to_float(v)] for v in values])


class Working:
    """The working of one pass: every symbol's value so far, and the steps that gave them."""

    def __init__(self, decimals: int) -> None:
        self.values: dict[sp.Basic, sp.Basic] = {}
        self.steps: list[Step] = []
        self.decimals = decimals

    def step(self, label: str, lhs: sp.Basic, rhs: sp.Basic, cite: str | None = None) -> Any:
        """A step ``lhs = rhs`` with the known values put in; its value becomes lhs's."""
        used = {s: v for s, v in self.values.items() if s in rhs.free_symbols}
        f = Formula(lhs, rhs, tuple(used.items()), self.decimals)
        self.steps.append(Step(label, f, cite=cite))
        self.values[lhs] = f.value
        return f.value


@dataclass(frozen=True)
class LayerSymbols:
    """Layer k's symbols: W, b (None without biases), z, its activation a, its error δ."""

    k: int
    label: str
    act: str
    W: sp.MatrixSymbol
    b: sp.MatrixSymbol | None
    z: sp.MatrixSymbol
    a: sp.MatrixSymbol
    delta: sp.MatrixSymbol


def check_vector(field: str, values: list[str], size: int) -> None:
    if len(values) != size:
        raise ShapeError(field, f"expected {size} numbers, got {len(values)}")


def matrix(label: str, rows: list[list[str]], n: int, m: int) -> sp.ImmutableMatrix:
    if len(rows) != n or any(len(r) != m for r in rows):
        got = f"{len(rows)} × {len(rows[0]) if rows else 0}"
        needs = f"layer {label!r} needs W of {n} × {m} (units × inputs), got {got}"
        raise ShapeError(f"weights.{label}.W", needs)
    return sp.ImmutableMatrix([[to_float(v) for v in r] for r in rows])


def value_graph(
    x: sp.MatrixSymbol,
    layers: list[LayerSymbols],
    y: sp.MatrixSymbol,
    upstream: dict[sp.MatrixSymbol, sp.Basic],
    work: Working,
) -> ValueGraphFigure:
    """The layer-level computational graph: x → (W·+b) → z → f → a → … → loss → L."""
    values = work.values

    def grad(expr: sp.Basic | None) -> sp.Basic | None:
        if expr is None:
            return None
        return values[expr] if expr in values else Formula(expr, expr, tuple(values.items())).value

    nodes: list[tuple[str, sp.Basic, str]] = [("x", x, "input")]
    edges: list[tuple[str, str, sp.Basic, sp.Basic | None, sp.Basic | None]] = []
    prev, carried = "x", x
    for lay in layers:
        op = f"lin{lay.k}"
        nodes += [(op, sp.Symbol("affine"), "op"), (f"W{lay.k}", lay.W, "param")]
        edges.append((f"W{lay.k}", op, lay.W, values[lay.W], values[Gradient(lay.W)]))
        if lay.b is not None:
            nodes.append((f"b{lay.k}", lay.b, "param"))
            edges.append((f"b{lay.k}", op, lay.b, values[lay.b], values[Gradient(lay.b)]))
        edges.append((prev, op, carried, values[carried], grad(upstream.get(carried))))
        nodes.append((f"f{lay.k}", sp.Symbol(lay.act), "op"))
        edges.append((op, f"f{lay.k}", lay.z, values[lay.z], values[lay.delta]))
        prev, carried = f"f{lay.k}", lay.a
    L = sp.Symbol("L")
    nodes += [("loss", sp.Symbol("loss"), "op"), ("y", y, "param"), ("L", L, "output")]
    edges += [
        (prev, "loss", carried, values[carried], grad(upstream.get(carried))),
        ("y", "loss", y, values[y], None),
        ("loss", "L", L, values[L], sp.Integer(1)),
    ]
    return ValueGraphFigure(tuple(nodes), tuple(edges), work.decimals)
