"""What a question's answer is made of: steps of working, a value, a reason, maybe a table or
a figure, and the hints that tell every output how to present it.

These are data, not LaTeX: the renderer prints them through the project's SymPy printer, the
JSON writer serialises them, and the tests evaluate them. Text fields are plain Unicode
sentences; the renderer escapes them. The presentation hints (``headline``,
``step_columns``, :attr:`Step.role`, the typed ``figure``) are what rendering, JSON,
snippets, slides, the notebook and the variants manifest read, so that none of them needs to
know which kind of question an answer came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal, Union

import sympy as sp

from derivations.formula import Formula
from derivations.network import Analysis, Parallel
from derivations.shapes import Shape

Role = Literal["params", "biases", "buffers", "ops", "output", "depth", "padding"]
"""What a step's left side is, for naming it (``conv-2-output``, ``h-1-params``)."""


@dataclass(frozen=True)
class Step:
    """One line of working: ``label: lhs = rhs = substituted = value``, and an optional note
    (for instance where the floor drops a remainder)."""

    label: str
    formula: Formula
    note: str | None = None
    shape: tuple[int, ...] | None = None  # the matrix size of the left-hand side, if a matrix
    cite: str | None = None  # the identity or rule this line uses
    role: Role | None = None


Cell = Union[str, sp.Expr, Shape, None]


@dataclass(frozen=True)
class Table:
    """A table of the key: column headings and rows of cells (text, numbers or shapes).

    ``given`` is the table as the question sheet prints it for the student to fill in: the
    cells the question gives (layer names, kernels as stated), None where the student writes;
    None when the question gives no table to fill in."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()
    total: tuple[Cell, ...] | None = None
    given: tuple[tuple[Cell, ...], ...] | None = None


@dataclass(frozen=True, eq=False)
class ModuleGraphFigure:
    """A figure: the analysed network drawn as a module graph (input at the bottom, a column
    per parallel branch, each box with its layer and output size)."""

    analysis: Analysis
    name: ClassVar[str] = "module-graph"


MAX_DRAWN_ROWS = 14
"""Rows of boxes a module graph may have (1.45 cm each): more would not fit on a page (and
some 400 would pass TeX's largest dimension); such a network gets no drawing."""


def module_graph(analysis: Analysis) -> ModuleGraphFigure | None:
    """The module graph of ``analysis``, or None when it is too tall to draw on a page."""
    rows = 1 + sum(
        1 + max(len(b.layers) for b in node.branches) if isinstance(node, Parallel) else 1
        for node in analysis.network.layers
    )
    return ModuleGraphFigure(analysis) if rows <= MAX_DRAWN_ROWS else None


@dataclass(frozen=True)
class ComputeGraphFigure:
    """A figure: a computational graph. Nodes are ``(id, symbol, role)``, edges ``(src, dst,
    size)``; ``edge_labels`` optionally names the value an edge carries (``z``)."""

    nodes: tuple[tuple[str, sp.Basic, str], ...]
    edges: tuple[tuple[str, str, tuple[int, ...]], ...]
    edge_labels: tuple[sp.Basic | None, ...] = ()
    name: ClassVar[str] = "compute-graph"


@dataclass(frozen=True, eq=False)
class ValueGraphFigure:
    """A figure: a computational graph with numbers. Nodes are ``(id, symbol, role)`` with
    role ``input``, ``op``, ``param`` or ``output``; edges ``(src, dst, symbol, value,
    gradient)``, where value is what the edge carries forward and gradient ∂L/∂(that value)
    (None where none is asked), explicit SymPy matrices or numbers; ``decimals`` how many
    places they print with."""

    nodes: tuple[tuple[str, sp.Basic, str], ...]
    edges: tuple[tuple[str, str, sp.Basic, sp.Basic | None, sp.Basic | None], ...]
    decimals: int
    name: ClassVar[str] = "value-graph"


Figure = Union[ModuleGraphFigure, ComputeGraphFigure, ValueGraphFigure]


def roman(number: int) -> str:
    """``number`` (1 or more) in lower-case Roman numerals, as the exam class numbers subparts
    and the key numbers a module's branches: 4 → ``iv``."""
    roman_text = ""
    for size, letters in (
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
        (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
    ):  # fmt: skip
        while number >= size:
            roman_text, number = roman_text + letters, number - size
    return roman_text


@dataclass(frozen=True)
class Also:
    """A value an answer gives besides its headline (a comparison's ratio of operations):
    ``name`` is its key in ``answers.json``."""

    name: str
    value: sp.Expr


@dataclass(frozen=True)
class Answer:
    """The answer to one question of one part.

    ``value`` is the headline number (or shape, or None for prose answers); ``headline`` says
    whether the key prints it as the answer line (a table or a description is its own answer);
    ``step_columns`` whether each step's value gets a column of the variants manifest (per
    layer counts); ``sum`` is the written sum of the steps' values, when the answer adds them
    up; ``figure`` is the diagram the answer draws; ``prose`` is an answer the instructor
    wrote: text and math spans (``("text", ...)``, ``("math", ...)``), the math already
    checked against the safe subset of ``answerkey.prose``.
    """

    kind: str
    value: sp.Expr | Shape | None
    unit: str
    explanation: str
    steps: tuple[Step, ...] = ()
    table: Table | None = None
    figure: Figure | None = field(default=None, compare=False)
    headline: bool = True
    step_columns: bool = False
    sum: sp.Expr | None = None
    also: tuple[Also, ...] = ()
    prose: tuple[tuple[str, str], ...] = ()
