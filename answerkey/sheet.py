"""What the question sheet shows besides the questions: answer space, empty tables to fill in,
figures without their answers, and how a part is marked (bonus, graduate students only).

View models only (every string already LaTeX); :mod:`answerkey.render` puts them in the
templates. Heights here are the room a student gets, not a measurement: the layout itself is
measured in TeX (:data:`answerkey.preamble.LAYOUT`).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from answerkey.derive import Key, KeyedPart
from answerkey.figures import TIKZ, module_graph
from answerkey.latex import Tex, escape, shape_tex, tex
from answerkey.preamble import FIT_BOX, NUMBERS
from answerkey.spec import LoadedProblem
from answerkey.spec_sheet import FigureSpec, SpaceSpec
from answerkey.stack import Style, layer_stack
from derivations.answers import Answer, Cell, Table
from derivations.shapes import Shape

LINE_CM = 0.635
"""The exam class's \\linefillheight (0.25 in): one ruled line."""
ROW_CM = 0.75
"""A row of an empty table, with room to write (\\arraystretch 1.9 at 10 pt)."""
SHEET_ROWS = 24
"""Rows per grid of a table to fill in: a longer table (a zoo network's shape table) is set
as several grids, the head repeated on each, with a page break allowed between them, so that
each fits a page (24 rows of :data:`ROW_CM` and the head are about 19 cm)."""


def cell_tex(cell: Cell) -> Tex:
    """One cell of a table: text escaped, a shape H × W × C, a number (a fraction as ≈)."""
    if cell is None:
        return Tex("")
    if isinstance(cell, str):
        return escape(cell)
    if isinstance(cell, Shape):
        return Tex(f"${shape_tex(cell)}$")
    value = sp.sympify(cell)
    if value.is_Rational and not value.is_Integer:
        return Tex(rf"$\approx {float(value):.3g}$")
    return Tex(f"${tex(value)}$")


def heading_tex(column: str) -> Tex:
    """A bold column heading; one whose last words are in parentheses (``Params (with
    biases)``) on two lines, so that a heading is not what makes a table too wide."""
    if not column:
        return Tex("")
    head, paren, rest = column.partition(" (")
    if not paren:
        return Tex(rf"\textbf{{{escape(column)}}}")
    return Tex(rf"\textbf{{\shortstack{{{escape(head)}\\({escape(rest)}}}}}")


def blank_table(table: Table) -> dict[str, Any]:
    """The table as the sheet prints it: a ruled grid, the given cells filled, the rest
    blank. A column with nothing given takes a share of the line (tabularx ``X``); one with
    some given cells is as wide as they are; the whole is shrunk to the line if wider. The
    rows come in ``blocks`` of at most :data:`SHEET_ROWS`, one grid each."""
    given = table.given or ()
    columns = range(len(table.columns))
    blank = [all(row[i] is None for row in given) for i in columns]
    some = [any(row[i] is None for row in given) for i in columns]
    if not any(blank):  # tabularx needs one X column: the last with a blank
        blank = [i == max((j for j in columns if some[j]), default=-1) for i in columns]
    x = r">{\centering\arraybackslash}X"
    kinds = (x if b else ("c" if s else "l") for b, s in zip(blank, some, strict=True))
    spec = "|" + "|".join(kinds) + "|"
    rows = [Tex(" & ".join(cell_tex(c) for c in row)) for row in given]
    if table.total is not None:
        label = table.total[0] if isinstance(table.total[0], str) else None
        rows.append(Tex(" & ".join([cell_tex(label), *[""] * (len(table.columns) - 1)])))
    return {
        "spec": Tex(spec),
        "head": Tex(" & ".join(heading_tex(c) for c in table.columns)),
        "rows": rows,
        "blocks": [rows[i : i + SHEET_ROWS] for i in range(0, max(len(rows), 1), SHEET_ROWS)],
    }


def _fill_in(answers: tuple[Answer, ...]) -> Table | None:
    """The table a part's sheet prints to fill in: its answers' one table with given cells,
    when that table is the whole answer (nothing else to write)."""
    tables = [a.table for a in answers if a.table is not None and a.table.given is not None]
    others = [a for a in answers if a.table is None or a.table.given is None]
    return tables[0] if len(tables) == 1 and not others else None


def space_view(part: KeyedPart) -> dict[str, Any]:
    """The room under a question: ``kind`` (box, lines, table or none), its ``height`` and
    the ``table`` to fill in. The sheet keeps a question's text and its space on one page
    (no page break in the text or between them: TeX moves them together)."""
    space: SpaceSpec | None = part.spec.space
    fill = _fill_in(part.answers)
    points = part.spec.points or 2
    kind, cm = "box", min(2.5 + 0.8 * points, 12.0)
    if space is None and fill is not None:
        kind = "table"
    elif space is not None and space.none:
        kind, cm = "none", 0.0
    elif space is not None and space.lines is not None:
        kind, cm = "lines", space.lines * LINE_CM
    elif space is not None and space.height is not None:
        cm = float(space.height.removesuffix("cm"))
    elif space is not None and space.table:
        if fill is None:
            fill = next((a.table for a in part.answers if a.table is not None), None)
        kind = "table" if fill is not None else "box"
    table = None
    if kind == "table" and fill is not None:
        table = blank_table(fill)
        cm = ROW_CM * (len(table["rows"]) + 2)
    return {
        "kind": Tex(kind),
        "height": Tex(f"{cm:.1f}cm"),
        "table": table,
    }


FIGURE_PACKAGES = (*FIT_BOX, *TIKZ)
"""What every figure shown with a question uses, in the sheet and the key alike."""


def _writes_num(layout: Any) -> bool:
    """Whether a label of ``layout`` (nested dicts, lists and blocks of Tex) writes ``\\num``
    (latex.number groups a given size of 10,000 or more: ``input \\num{12000}``)."""
    if isinstance(layout, str):
        return r"\num{" in layout
    if isinstance(layout, dict):
        return any(_writes_num(v) for v in layout.values())
    if isinstance(layout, list | tuple):
        return any(_writes_num(v) for v in layout)
    if hasattr(layout, "__dataclass_fields__"):
        return any(_writes_num(getattr(layout, f)) for f in layout.__dataclass_fields__)
    return False


STACK_HEIGHT_CM = 20.0
"""A layer stack taller than this is scaled down to it (a page's text is about 22 cm)."""


def figure_views(figures: list[FigureSpec], problem: LoadedProblem) -> list[dict[str, Any]]:
    """The figures shown with a question: each network as a module graph or a layer stack
    without computed sizes (layer names and given settings only), and its caption. A stack
    (``fragment`` ``layer-stack``) has a ``scale`` that keeps it within
    :data:`STACK_HEIGHT_CM`, and with ``answers`` a ``key_layout`` showing the sizes,
    parameters and operations, which only the key prints. ``packages``: what the sheet's
    copy uses (siunitx only where a label writes ``\\num``)."""
    out = []
    for figure in figures:
        analysis = problem.context.get(figure.network, "figures")
        view: dict[str, Any] = {
            "fragment": "module-graph",
            "layout": None,
            "key_layout": None,
            "scale": Tex("1"),
            "caption": escape(figure.caption) if figure.caption else None,
        }
        if figure.style == "graph":
            view["layout"] = module_graph(analysis, sizes=False)
        else:
            style: Style = "flat" if figure.style == "stack" else "boxes"
            view["fragment"] = "layer-stack"
            view["layout"] = layer_stack(analysis, answers=False, style=style, sizes=False)
            if figure.answers:
                view["key_layout"] = layer_stack(analysis, answers=True, style=style)
            height = float(view["layout"]["height"])
            view["scale"] = Tex(f"{min(1.0, STACK_HEIGHT_CM / height):.3f}")
        numbers = NUMBERS if _writes_num(view["layout"]) else ()
        view["packages"] = (*FIGURE_PACKAGES, *numbers)
        out.append(view)
    return out


def marks(bonus: bool, graduate: bool) -> dict[str, Any]:
    """How a part or problem is marked: the exam class's bonus command prefix and the words
    printed before its text."""
    return {
        "bonus": Tex("bonus" if bonus else ""),
        "graduate": Tex(r"\textbf{(Graduate students only.)} " if graduate else ""),
    }


def _points(parts: tuple[KeyedPart, ...], bonus: bool) -> tuple[int, int]:
    """The (regular, bonus) points the exam class counts for these parts: each printed
    ``\\part[n]``, a bonus part's (or any part of a bonus problem's) as bonus points."""
    regular = extra = 0
    for part in parts:
        inner = _points(part.subparts, bonus or part.spec.bonus)
        if bonus or part.spec.bonus:
            extra += (part.spec.points or 0) + inner[0] + inner[1]
        else:
            regular += (part.spec.points or 0) + inner[0]
            extra += inner[1]
    return regular, extra


def grade_table(key: Key) -> list[tuple[Tex, int, int]]:
    """The rows of the grade table: each problem's title, points and bonus points, then
    ``Total:``; empty when no problem has points (the exam class prints no table)."""
    if not any(p.points for p in key.problems):
        return []
    rows = [
        (escape(p.loaded.spec.title), *_points(p.parts, p.loaded.spec.bonus))
        for p in key.problems
    ]
    total = (Tex("Total:"), sum(r[1] for r in rows), sum(r[2] for r in rows))
    return [*rows, total]
