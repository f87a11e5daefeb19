"""What a question's answer is made of: steps of working, a value, a reason, maybe a table.

These are data, not LaTeX: the renderer prints them through the project's SymPy printer, the
JSON writer serialises them, and the tests evaluate them. Text fields are plain Unicode
sentences; the renderer escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import sympy as sp

from derivations.formula import Formula
from derivations.network import Analysis
from derivations.shapes import Shape


@dataclass(frozen=True)
class Step:
    """One line of working: ``label: lhs = rhs = substituted = value``, and an optional note
    (for instance where the floor drops a remainder)."""

    label: str
    formula: Formula
    note: str | None = None
    shape: tuple[int, ...] | None = None  # the matrix size of the left-hand side, if a matrix
    cite: str | None = None  # the identity or rule this line uses


Cell = Union[str, sp.Expr, Shape, None]


@dataclass(frozen=True)
class Table:
    """A table of the key: column headings and rows of cells (text, numbers or shapes)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()
    total: tuple[Cell, ...] | None = None


@dataclass(frozen=True)
class Graph:
    """A computational graph: nodes ``(id, symbol, role)`` and edges ``(src, dst, size)``;
    ``edge_labels`` optionally names the value an edge carries (``z``)."""

    nodes: tuple[tuple[str, sp.Basic, str], ...]
    edges: tuple[tuple[str, str, tuple[int, ...]], ...]
    edge_labels: tuple[sp.Basic | None, ...] = ()


@dataclass(frozen=True)
class Answer:
    """The answer to one question of one part.

    ``value`` is the headline number (or shape, or None for prose answers); ``figure`` names a
    diagram the renderer draws from ``analysis`` (``module-graph``) when the question asks for
    one.
    """

    kind: str
    value: sp.Expr | Shape | None
    unit: str
    explanation: str
    steps: tuple[Step, ...] = ()
    table: Table | None = None
    figure: str | None = None
    analysis: Analysis | None = field(default=None, compare=False)
    graph: Graph | None = None
    extra: tuple[tuple[str, sp.Expr | str], ...] = ()
