"""Answers → LaTeX source, through the Jinja2 templates in ``templates/``.

This module turns derived answers into view models (every string already LaTeX: escaped text
or printer output) and renders ``document.tex.j2``. Jinja uses ``((* *))``, ``((( )))`` and
``((= =))`` so that LaTeX's braces and percent signs never clash, and ``StrictUndefined`` so
that a missing value is an error, not an empty string.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import sympy as sp

import templates
from answerkey.derive import Key, KeyedPart
from answerkey.figures import figure_kind
from answerkey.latex import Tex, chain_parts, escape, shape_tex, step_tex, tex
from answerkey.preamble import FONTS, MATH, PAGE, answer_packages, union
from derivations.answers import Answer, Cell, Step, Table
from derivations.shapes import Shape

TAIL = (
    Tex(r"\pdftrailerid{}"),  # no random /ID: two builds give the same bytes
    Tex(r"\addpoints"),
    Tex(r"\renewcommand{\solutiontitle}{\noindent\textbf{Solution.}\enspace}"),
    Tex(r"\unframedsolutions"),
    Tex(r"\pointsinrightmargin"),
    Tex(r"\bracketedpoints"),
    Tex(r"\allowdisplaybreaks"),
)

ONE_LINE = 95  # characters of LaTeX that fit one display line comfortably
TERMS_PER_LINE = 4


def trusted(value: Any) -> Any:
    """Jinja's ``finalize``: what a template prints must be :data:`~answerkey.latex.Tex`
    (escaped text or printer output) or a number; a plain ``str`` is refused, so that no text
    reaches a document unescaped by oversight."""
    if isinstance(value, str) and not isinstance(value, Tex):
        raise TypeError(f"text reached a LaTeX template unescaped: {value[:80]!r}")
    if not isinstance(value, str | int | float):
        raise TypeError(f"a LaTeX template was given a {type(value).__name__}: {value!r:.80}")
    return value


@cache
def environment() -> jinja2.Environment:
    """The LaTeX templates' environment: ``((* *))``, ``((( )))``, ``((= =))`` delimiters,
    strict undefined values, and :func:`trusted` on every printed value."""
    return jinja2.Environment(
        finalize=trusted,
        loader=jinja2.FileSystemLoader(Path(templates.__file__).parent),
        block_start_string="((*",
        block_end_string="*))",
        variable_start_string="(((",
        variable_end_string=")))",
        comment_start_string="((=",
        comment_end_string="=))",
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def sum_lines(step: Step) -> list[Tex] | None:
    """A long sum of earlier results: the numbers, four to a line, then the total."""
    f = step.formula
    if not isinstance(f.rhs, sp.Add) or len(f.values) <= TERMS_PER_LINE:
        return None
    terms = [tex(v) for _, v in f.values]
    chunks = [terms[i : i + TERMS_PER_LINE] for i in range(0, len(terms), TERMS_PER_LINE)]
    lines = [Tex(f"{tex(f.lhs)} &= " + " + ".join(chunks[0]))]
    lines += [Tex(r"&\quad + " + " + ".join(c)) for c in chunks[1:]]
    lines.append(Tex(f"&= {tex(f.value)}"))
    return lines


def declarations(steps: tuple[Step, ...]) -> tuple[list[Step], Tex | None]:
    """Split off the steps that only state a matrix's size (``W ∈ ℝ^{m×n}``): one line."""
    decl = [s for s in steps if s.formula.lhs == s.formula.rhs and s.shape]
    rest = [s for s in steps if s not in decl]
    line = Tex(r",\quad ".join(step_tex(s) for s in decl)) if decl else None
    return rest, line


def step_view(step: Step) -> dict[str, Any]:
    lines = sum_lines(step)
    if lines is None:
        single = step_tex(step)
        parts = chain_parts(step.formula)
        if len(single) <= ONE_LINE or len(parts) < 3 or step.shape:
            lines = [single]
        else:
            lines = [Tex(f"{parts[0]} &= {parts[1]}")] + [Tex(f"&= {p}") for p in parts[2:]]
    return {
        "label": escape(step.label),
        "cite": escape(step.cite) if step.cite else None,
        "note": escape(step.note) if step.note else None,
        "lines": lines,
    }


def _row_view(step: Step) -> dict[str, Tex]:
    """A step as one row of an aligned block: label, working, note."""
    return {
        "label": escape(step.label),
        "working": step_tex(step),
        "note": escape(step.note) if step.note else Tex(""),
    }


def _cell(cell: Cell) -> Tex:
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


def _table_view(table: Table) -> dict[str, Any]:
    spec = "l" + "".join(
        "r" if i >= 4 or table.columns[0] == "" else "c" for i in range(1, len(table.columns))
    )
    return {
        "spec": Tex(spec),
        "head": Tex(" & ".join(rf"\textbf{{{escape(c)}}}" if c else "" for c in table.columns)),
        "rows": [Tex(" & ".join(_cell(c) for c in row)) for row in table.rows],
        "total": Tex(" & ".join(_cell(c) for c in table.total)) if table.total else None,
        "notes": [escape(n) for n in table.notes],
    }


def answer_view(answer: Answer) -> dict[str, Any]:
    steps, declared = declarations(answer.steps)
    sums = [s for s in steps if sum_lines(s) is not None]
    short = [s for s in steps if s not in sums]
    compact = len(short) > 3 and not any(s.cite for s in short)
    view: dict[str, Any] = {
        "view": "table" if answer.table else "steps",
        "steps": [step_view(s) for s in (sums if compact else steps)],
        "rows": [_row_view(s) for s in short] if compact else [],
        "declared": declared,
        "explanation": escape(answer.explanation),
        "unit": escape(answer.unit) if answer.unit not in ("shape", "ratio") else Tex(""),
        "result": None,
        "total": None,
        "figure": answer.figure.name if answer.figure else None,
    }
    if answer.value is not None and answer.headline:
        view["result"] = (
            shape_tex(answer.value) if isinstance(answer.value, Shape) else tex(answer.value)
        )
    if answer.table is not None:
        view["table"] = _table_view(answer.table)
    if answer.figure is not None:
        view["layout"] = figure_kind(answer.figure).layout(answer.figure)
    return view


def _box(points: int | None, answers: tuple[Answer, ...]) -> Tex:
    height = 2.5 + 0.8 * (points or 2)
    if any(a.table is not None for a in answers):
        height = max(height, 9.0)
    return Tex(f"{min(height, 12.0):.1f}cm")


LEVELS = (Tex("part"), Tex("subpart"), Tex("subsubpart"))
"""The exam class's three levels of parts (a spec may not nest deeper: spec.validate)."""


def _part_view(part: KeyedPart, depth: int = 0) -> dict[str, Any]:
    return {
        "level": LEVELS[depth],
        "inner": LEVELS[min(depth + 1, len(LEVELS) - 1)],
        "points": part.spec.points,
        "text": escape(part.spec.text),
        "note": escape(part.spec.note) if part.spec.note else None,
        "answers": [answer_view(a) for a in part.answers],
        "box": _box(part.spec.points, part.answers),
        "subparts": [_part_view(p, depth + 1) for p in part.subparts],
        "rubric": [(Tex(f"{c.points:g}"), escape(c.text)) for c in part.spec.rubric or ()],
    }


@dataclass(frozen=True)
class Rendered:
    questions: str
    key: str


def _preamble(key: Key) -> list[Tex]:
    """Fonts, page and math, the packages of every fragment the key uses, then the exam
    class's settings."""
    used = (answer_packages(a) for part in key.parts() for a in part.answers)
    return union(FONTS, PAGE, MATH, *used, TAIL)


def _printed_points(parts: tuple[KeyedPart, ...]) -> int:
    """The points the exam class counts for these parts: each ``\\part[n]`` and
    ``\\subpart[n]`` printed."""
    return sum((p.spec.points or 0) + _printed_points(p.subparts) for p in parts)


def grade_table(key: Key) -> list[tuple[Tex, int]]:
    """The rows of the exam class's ``\\gradetable[v][questions]``: each problem's title and
    points, then ``Total:``; empty when no problem has points (the class prints no table)."""
    if not any(p.points for p in key.problems):
        return []
    rows = [(escape(p.loaded.spec.title), _printed_points(p.parts)) for p in key.problems]
    return [*rows, (Tex("Total:"), sum(points for _, points in rows))]


def render(
    key: Key, variant: str | None = None, student: tuple[str, str] | None = None
) -> Rendered:
    """The question sheet and the answer key of ``key``, as LaTeX source; ``variant`` and
    ``student`` (name, id) are printed in the header and on the name line."""
    spec = key.loaded.spec
    base_conventions = key.loaded.conventions
    problems = []
    for p in key.problems:
        own = p.loaded.conventions
        problems.append(
            {
                "title": escape(p.loaded.spec.title),
                "text": escape(p.loaded.spec.text),
                "note": escape(p.loaded.spec.note) if p.loaded.spec.note else None,
                "conventions": Tex(" ".join(escape(c) for c in own.describe()))
                if own != base_conventions
                else None,
                "parts": [_part_view(part) for part in p.parts],
            }
        )
    context = {
        "title": escape(spec.title),
        "course": escape(spec.course or ""),
        "date": escape(spec.date) if spec.date else None,
        "instructions": escape(spec.instructions) if spec.instructions else None,
        "conventions": [escape(c) for c in base_conventions.describe()],
        "problems": problems,
        "preamble": _preamble(key),
        "grade_table": grade_table(key),
        "variant": escape(variant) if variant else None,
        "student": [escape(student[0]), escape(student[1])] if student else None,
    }
    doc = environment().get_template("document.tex.j2")
    return Rendered(
        questions=doc.render(answers=False, header=Tex("Questions"), **context),
        key=doc.render(answers=True, header=Tex("Answer key"), **context),
    )
