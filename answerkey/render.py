"""Answers → LaTeX source, through the Jinja2 templates in ``templates/``.

This module turns derived answers into view models (every string already LaTeX: escaped text
or printer output) and renders ``document.tex.j2``. Jinja uses ``((* *))``, ``((( )))`` and
``((= =))`` so that LaTeX's braces and percent signs never clash, and ``StrictUndefined`` so
that a missing value is an error, not an empty string.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import sympy as sp

import templates
from answerkey import characters
from answerkey.characters import Engine
from answerkey.derive import Key, KeyedPart
from answerkey.figures import figure_kind
from answerkey.latex import Tex, chain_parts, escape, shape_tex, step_tex, tex
from answerkey.preamble import (
    BLANK_TABLE,
    FIT_BOX,
    GRADE_TABLE,
    LAYOUT,
    LOST_CHARS,
    MATH,
    PAGE,
    SHEET,
    TEXT,
    TRAILER_ID,
    answer_packages,
    fonts,
    union,
)
from answerkey.prose import to_tex
from answerkey.sheet import (
    FIGURE_PACKAGES,
    cell_tex,
    figure_views,
    grade_table,
    heading_tex,
    marks,
    space_view,
)
from answerkey.spec import LoadedProblem
from derivations.answers import Answer, Step, Table
from derivations.shapes import Shape

NAME_LINE = 60
"""Characters of a student's name and number that share one line of the sheet."""

ANCHORS = ("\\firstpageheader", "\\title{", "\\begin{document}")
"""Where a document's preamble starts reading text: the character mappings go before."""

TAIL = (
    TRAILER_ID,
    LOST_CHARS,
    # A paragraph that cannot be broken well (a long word in pieces) is spaced out a little
    # rather than overfilling the line.
    Tex(r"\setlength{\emergencystretch}{3em}"),
    Tex(r"\addpoints"),
    Tex(r"\renewcommand{\solutiontitle}{\noindent\textbf{Solution.}\enspace}"),
    Tex(r"\unframedsolutions"),
    # Unframed, a solution needs no box: set on the page, it breaks like any text (a table
    # or a figure moves whole to the next page; a title or label is kept with what follows),
    # where the class's framed box would overfill a page with a block it cannot split.
    Tex(
        r"\renewenvironment{TheSolution}{\par\nobreak\vspace{\parskip}\leftskip=0pt\rightskip=0pt"
        r"\solutiontitle\ignorespaces}{\unskip\par}"
    ),
    Tex(r"\pointsinrightmargin"),
    Tex(r"\bracketedpoints"),
)

TERMS_PER_LINE = 4
COMPACT_WIDTH = 100
"""Visible characters (:func:`visible_width`) a label and its working may take as one row of
the compact aligned block; a longer row sends the answer to one display per step."""


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
    """A long sum of earlier results (each term a symbol standing for one of them): the
    numbers, four to a line, then the total."""
    f = step.formula
    if not isinstance(f.rhs, sp.Add) or len(f.values) <= TERMS_PER_LINE:
        return None
    if not all(term in f.mapping for term in f.rhs.args):
        return None
    terms = [tex(v) for _, v in f.values]
    chunks = [terms[i : i + TERMS_PER_LINE] for i in range(0, len(terms), TERMS_PER_LINE)]
    lines = [Tex(f"{tex(f.lhs)} &= " + " + ".join(chunks[0]))]
    lines += [Tex(r"&\quad + " + " + ".join(c)) for c in chunks[1:]]
    lines.append(Tex(f"&= {tex(f.value)}"))
    return lines


def visible_width(tex_text: str) -> int:
    """A rough count of the characters ``tex_text`` shows: commands and braces take none, a
    ``\\num`` its digits and separators, a binary operator three (with its spacing)."""
    text = re.sub(r"\\num\{(\d+)\}", lambda m: f"{int(m.group(1)):,}", tex_text)
    text = re.sub(r"\\(cdot|times|to)\b", "x", text)
    text = re.sub(r"\\[a-zA-Z]+", "", text)
    text = re.sub(r"[{}^_\s]", "", text)
    return len(re.sub(r"[=+-]", "xxx", text))


def declarations(steps: tuple[Step, ...]) -> tuple[list[Step], Tex | None]:
    """Split off the steps that only state a matrix's size (``W ∈ ℝ^{m×n}``): one line."""
    decl = [s for s in steps if s.formula.lhs == s.formula.rhs and s.shape]
    rest = [s for s in steps if s not in decl]
    line = Tex(r",\quad ".join(step_tex(s) for s in decl)) if decl else None
    return rest, line


def step_view(step: Step) -> dict[str, Any]:
    """One step: its label, cite and note, and its working as ``lines`` (a long sum: several
    aligned lines) or as a chain that TeX sets on one line when it fits (``chain``) and
    otherwise broken before each relation sign (``rows``: see ``\\akchain``)."""
    single = step_tex(step)
    lines = sum_lines(step) or [single]
    parts = chain_parts(step.formula)
    rows = single
    if len(parts) >= 3 and not step.shape:
        rows = Tex(" \\\\ ".join([f"{parts[0]} &= {parts[1]}", *(f"&= {p}" for p in parts[2:])]))
    return {
        "label": escape(step.label),
        "cite": escape(step.cite) if step.cite else None,
        "note": escape(step.note) if step.note else None,
        "lines": lines,
        "line_blocks": _blocks(lines),
        "chain": single,
        "rows": rows,
    }


def _row_view(step: Step) -> dict[str, Tex]:
    """A step as one row of an aligned block (label, working, note), and as two rows when
    the block is wider than the line: the general formula, then its values."""
    working = step_tex(step)
    parts = chain_parts(step.formula)
    note = rf" &&\quad \text{{{escape(step.note)}}}" if step.note else ""
    one = rf"&\text{{{escape(step.label)}}}\quad && {working}{note}"
    two = one
    if len(parts) >= 3 and not step.shape:
        rest = " = ".join(parts[2:])
        two = rf"&\text{{{escape(step.label)}}}\quad && {parts[0]} = {parts[1]}{note} \\" + (
            f"\n  &&& \\qquad = {rest}"
        )
    return {"one": Tex(one), "two": Tex(two)}


def rows_tex(rows: list[dict[str, Tex]]) -> dict[str, Tex]:
    """The bodies of ``\\akrows``: one row per step, and two per step (one per source line:
    TeX reads a line into a buffer of 200,000 characters)."""
    return {
        "one": Tex(" \\\\\n  ".join(r["one"] for r in rows)),
        "two": Tex(" \\\\\n  ".join(r["two"] for r in rows)),
    }


TABLE_ROWS = 20
"""Rows per tabular (and per aligned block of working): a longer table is set as several, the
head repeated on each, so that it breaks across pages (longtable would need a second LaTeX
pass for its column widths)."""

SOLUTION_BREAK = Tex(
    r"\newcommand{\solutionbreak}{\ifprintanswers\end{TheSolution}\par"
    r"\dimen0=\pagegoal\advance\dimen0 by -\pagetotal"
    r"\ifdim\dimen0<24\baselineskip\newpage\fi"
    r"\def\solutiontitle{}\begin{TheSolution}\fi}"
)
"""Before each block of a long answer: the exam class boxes a whole solution to split it
across pages, a box can be at most 16383 pt (about 23 pages) tall, and a block (a tabular)
that does not fit the rest of a page would overflow it; this ends the solution, starts a new
page unless a block's height is left, and goes on in a new solution, untitled. Only in
documents that have a long answer."""


def _blocks(rows: list[Any]) -> list[list[Any]]:
    """Rows in blocks of :data:`TABLE_ROWS` lines' height: a line with a fraction (a
    floored size, a grouped depth) stands twice as tall and counts twice."""
    blocks: list[list[Any]] = [[]]
    height = 0
    for row in rows:
        tall = 2 if r"\frac" in str(row.get("working", "") if isinstance(row, dict) else row) else 1
        if height + tall > TABLE_ROWS and blocks[-1]:
            blocks.append([])
            height = 0
        blocks[-1].append(row)
        height += tall
    return blocks if blocks[-1] else []


def _table_view(table: Table) -> dict[str, Any]:
    spec = "l" + "".join(
        "r" if i >= 4 or table.columns[0] == "" else "c" for i in range(1, len(table.columns))
    )
    view: dict[str, Any] = {
        "spec": Tex(spec),
        "head": Tex(" & ".join(heading_tex(c) for c in table.columns)),
        "rows": [Tex(" & ".join(cell_tex(c) for c in row)) for row in table.rows],
        "total": Tex(" & ".join(cell_tex(c) for c in table.total)) if table.total else None,
        "notes": [escape(n) for n in table.notes],
    }
    rows = view["rows"]
    starts = range(0, max(len(rows), 1), TABLE_ROWS)
    view["blocks"] = [
        {
            **view,
            "rows": rows[i : i + TABLE_ROWS],
            "total": view["total"] if i == starts[-1] else None,
        }
        for i in starts
    ]
    return view


def answer_view(answer: Answer) -> dict[str, Any]:
    steps, declared = declarations(answer.steps)
    sums = [s for s in steps if sum_lines(s) is not None]
    short = [s for s in steps if s not in sums]
    compact = (
        len(short) > 3
        and not any(s.cite for s in short)
        and all(visible_width(step_tex(s)) + len(s.label) <= COMPACT_WIDTH for s in short)
    )
    view: dict[str, Any] = {
        "view": "table" if answer.table else "steps",
        "steps": [step_view(s) for s in (sums if compact else steps)],
        "row_blocks": [
            rows_tex(b) for b in _blocks([_row_view(s) for s in short] if compact else [])
        ],
        "declared": declared,
        "explanation": escape(answer.explanation),
        "unit": escape(answer.unit) if answer.unit not in ("shape", "ratio") else Tex(""),
        "result": None,
        "total": None,
        "figure": answer.figure.name if answer.figure else None,
        "prose": to_tex(answer.prose) if answer.prose else None,
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


LEVELS = (Tex("part"), Tex("subpart"), Tex("subsubpart"))
"""The exam class's three levels of parts (a spec may not nest deeper: spec.validate)."""


def _part_view(part: KeyedPart, problem: LoadedProblem, depth: int = 0) -> dict[str, Any]:
    bonus = part.spec.bonus or problem.spec.bonus  # a bonus problem's parts are bonus parts
    return {
        "label": escape(part.label),
        "level": LEVELS[depth],
        "inner": LEVELS[min(depth + 1, len(LEVELS) - 1)],
        "points": part.spec.points,
        "text": escape(part.spec.text),
        "note": escape(part.spec.note) if part.spec.note else None,
        "answers": [answer_view(a) for a in part.answers],
        "space": space_view(part),
        "figures": figure_views(part.spec.figures, problem),
        **marks(bonus, part.spec.graduate),
        "subparts": [_part_view(p, problem, depth + 1) for p in part.subparts],
        "rubric": [(Tex(f"{c.points:g}"), escape(c.text)) for c in part.spec.rubric or ()],
    }


@dataclass(frozen=True)
class Rendered:
    questions: str
    key: str


def _long(answer: dict[str, Any]) -> bool:
    """Whether an answer view comes in several blocks (and so needs ``\\solutionbreak``)."""
    blocks = [answer["row_blocks"], answer.get("table", {}).get("blocks", ())]
    blocks += [s["line_blocks"] for s in answer["steps"]]
    return any(len(b) > 1 for b in blocks)


def _answer_views(parts: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for part in parts:
        yield from part["answers"]
        yield from _answer_views(part["subparts"])


def _parts(parts: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for part in parts:
        yield part
        yield from _parts(part["subparts"])


def _preamble(key: Key, problems: list[dict[str, Any]], grades: bool, engine: str) -> list[Tex]:
    """Fonts, page and math, the packages of every fragment the key uses, then the exam
    class's settings (and ``\\solutionbreak`` where an answer is long)."""
    used = (answer_packages(a) for part in key.parts() for a in part.answers)
    views = (a for p in problems for a in _answer_views(p["parts"]))
    breaks = [SOLUTION_BREAK] if any(_long(a) for a in views) else []
    figures = FIGURE_PACKAGES if _has_figures(problems) else ()
    grade = GRADE_TABLE if grades else ()
    return union(fonts(engine), PAGE, MATH, LAYOUT, *used, figures, grade, TAIL, breaks)


def _has_figures(problems: list[dict[str, Any]]) -> bool:
    return any(True for _ in _figure_views(problems))


def _figure_views(problems: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for p in problems:
        yield from p["figures"]
        for part in _parts(p["parts"]):
            yield from part["figures"]


def _sheet_preamble(problems: list[dict[str, Any]], grades: bool, engine: str) -> list[Tex]:
    """The question sheet prints no answer: fonts, page, the symbols of escaped text, its
    answer spaces, and only the figures and empty tables it shows."""
    figures = union(*(f["packages"] for f in _figure_views(problems)))
    tables = any(
        part["space"]["table"] is not None for p in problems for part in _parts(p["parts"])
    )
    blank = (*FIT_BOX, *BLANK_TABLE) if tables else ()
    grade = GRADE_TABLE if grades else ()
    return union(fonts(engine), PAGE, TEXT, SHEET, figures, blank, grade, TAIL)


def with_characters(document: str, engine: Engine) -> str:
    """``document`` with the mappings of the characters it uses (:mod:`answerkey.characters`)
    written after its packages and before anything that reads text in the preamble (the
    exam class's headers, a Beamer title): LuaTeX and XeTeX map a character only where it
    is read after its mapping."""
    lines = characters.preamble(document, engine)
    if not lines:
        return document
    at = min(
        (i for i in (document.find(m) for m in ANCHORS) if i >= 0), default=len(document)
    )
    return document[:at] + "".join(f"{line}\n" for line in lines) + document[at:]


def render(
    key: Key,
    variant: str | None = None,
    student: tuple[str, str] | None = None,
    engine: Engine = "pdflatex",
) -> Rendered:
    """The question sheet and the answer key of ``key``, as LaTeX source for ``engine``
    (pdflatex, lualatex or xelatex); ``variant`` and ``student`` (name, id) are printed in
    the header and on the name line."""
    spec = key.loaded.spec
    base_conventions = key.loaded.conventions
    problems = []
    for p in key.problems:
        own = p.loaded.conventions
        parts = [_part_view(part, p.loaded) for part in p.parts]
        problems.append(
            {
                "title": escape(p.loaded.spec.title),
                "text": escape(p.loaded.spec.text),
                "note": escape(p.loaded.spec.note) if p.loaded.spec.note else None,
                "conventions": Tex(" ".join(escape(c) for c in own.describe()))
                if own != base_conventions
                else None,
                "parts": parts,
                "figures": figure_views(p.loaded.spec.figures, p.loaded),
                **marks(p.loaded.spec.bonus, p.loaded.spec.graduate),
            }
        )
    table = grade_table(key)
    context = {
        "title": escape(spec.title),
        "course": escape(spec.course or ""),
        "date": escape(spec.date) if spec.date else None,
        "instructions": escape(spec.instructions) if spec.instructions else None,
        "note": escape(spec.note) if spec.note else None,
        "conventions": [escape(c) for c in base_conventions.describe()],
        "problems": problems,
        "preamble": _preamble(key, problems, bool(table), engine),
        "grade_table": table,
        "bonus_column": any(row[2] for row in table),
        "variant": escape(variant) if variant else None,
        "student": [escape(student[0]), escape(student[1])] if student else None,
        # a long name and number each get a line, rather than breaking one across two
        "student_lines": student is not None and len(student[0]) + len(student[1]) > NAME_LINE,
    }
    doc = environment().get_template("document.tex.j2")
    sheet = {**context, "preamble": _sheet_preamble(problems, bool(table), engine)}
    return Rendered(
        questions=with_characters(
            doc.render(answers=False, header=Tex("Questions"), **sheet), engine
        ),
        key=with_characters(doc.render(answers=True, header=Tex("Answer key"), **context), engine),
    )
