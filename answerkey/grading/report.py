"""What ``answerkey grade`` writes: a marks CSV and, per student, a feedback page (HTML, PDF).

``marks.csv`` has a row per student: name, variant, the points of each part, the automatic
total and what it is out of, and the parts left to mark by hand. ``feedback/<n>-<name>.html``
and ``.pdf`` show each answer beside the right one, the points, the key's working, and the
misconception named or the error carried forward. All is written in a temporary folder and
moved into place whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

import templates
from answerkey.compile import compile_all
from answerkey.grading.grade import Marked
from answerkey.grading.mark import Mark
from answerkey.latex import Tex, escape
from answerkey.mathjax import mathjax
from answerkey.outputs import OutputFolder
from answerkey.preamble import FONTS, MATH, union
from answerkey.render import environment
from answerkey.snippets import slug

STATUS_TEXT = {
    "correct": "right",
    "ecf": "error carried forward",
    "misconception": "misconception",
    "wrong": "wrong",
    "blank": "no answer",
    "unreadable": "unreadable",
}


def safe_cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (leading = + - @ tab CR quoted)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def marks_csv(marked: Sequence[Marked]) -> str:
    """The marks table: a column per automatically marked part, total, out of, manual parts."""
    groups: list[str] = []
    for m in marked:
        for g in m.by_group():
            if g not in groups:
                groups.append(g)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    manual = [label for label, _ in marked[0].manual] if marked else []
    w.writerow(
        ["student", "variant", *groups, "total", "out_of", *(f"{p} (by hand)" for p in manual)]
    )
    for m in marked:
        per = m.by_group()
        w.writerow(
            [
                safe_cell(m.sheet.student),
                safe_cell(m.sheet.variant),
                *(f"{per.get(g, 0):g}" for g in groups),
                f"{m.total:g}",
                f"{m.available:g}",
                *("" for _ in manual),
            ]
        )
    return buf.getvalue()


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return " × ".join(_show(v) for v in value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _rows(marks: Sequence[Mark]) -> list[dict[str, Any]]:
    return [
        {
            "id": m.item.id,
            "given": m.given,
            "expected": _show(m.item.expected),
            "status": m.status,
            "status_text": STATUS_TEXT[m.status],
            "points": f"{m.points:.2f}".rstrip("0").rstrip("."),
            "out_of": f"{m.item.points:.2f}".rstrip("0").rstrip("."),
            "note": m.note,
            "working": m.working,
            "key_working": m.item.working,
        }
        for m in marks
    ]


@cache
def html_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(templates.__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def feedback_html(m: Marked) -> str:
    """One student's feedback page (HTML; TeX math in ``\\( \\)`` for MathJax)."""
    env = html_environment()
    env.filters["mathjax"] = mathjax
    return env.get_template("grading/feedback.html.j2").render(
        title=m.key.loaded.spec.title,
        student=m.sheet.student,
        variant=m.sheet.variant,
        total=f"{m.total:.2f}",
        out_of=f"{m.available:g}",
        manual=m.manual,
        rows=_rows(m.marks),
    )


FEEDBACK_PAGE = (Tex(r"\usepackage[margin=2cm]{geometry}"),)
FEEDBACK_TABLE = (Tex(r"\usepackage{longtable,array}"), Tex(r"\usepackage{xcolor}"))
"""The feedback page's own packages; fonts and math come from answerkey.preamble."""


def feedback_tex(m: Marked) -> str:
    """One student's feedback page as LaTeX (every text escaped; working from the printer)."""
    rows = [r for r in _rows(m.marks) if r["status"] not in ("correct", "blank")]
    blank = escape(", ".join(x.item.id for x in m.marks if x.status == "blank"))
    for r in rows:
        for k in ("id", "given", "expected", "note", "status_text"):
            r[k] = escape(r[k])
        for k in ("points", "out_of", "working", "key_working"):  # numbers; printer output
            r[k] = Tex(r[k])
    return (
        environment()
        .get_template("grading/feedback.tex.j2")
        .render(
            preamble=union(FONTS, FEEDBACK_PAGE, MATH, FEEDBACK_TABLE),
            title=escape(m.key.loaded.spec.title),
            student=escape(m.sheet.student),
            variant=escape(m.sheet.variant),
            total=Tex(f"{m.total:.2f}"),
            out_of=Tex(f"{m.available:g}"),
            manual=[(escape(label), Tex(f"{pts:g}")) for label, pts in m.manual],
            rows=rows,
            blank=blank,
            right=sum(1 for x in m.marks if x.status == "correct"),
            count=len(m.marks),
        )
    )


def write_report(
    marked: Sequence[Marked], target: Path, pdf: bool, jobs: int | None = None
) -> Path:
    """Write ``marks.csv`` and ``feedback/`` into ``target`` (each replaced whole, never half;
    see :class:`~answerkey.outputs.OutputFolder`)."""
    with OutputFolder(target, "grade") as out:
        work = out.stage
        (work / "feedback").mkdir(parents=True)
        (work / "marks.csv").write_text(marks_csv(marked), encoding="utf-8")
        texs = []
        for n, m in enumerate(marked, 1):
            stem = f"{n:03d}-{slug(m.sheet.student)}"
            (work / "feedback" / f"{stem}.html").write_text(feedback_html(m), encoding="utf-8")
            if pdf:
                texs.append(work / "feedback" / f"{stem}.tex")
                texs[-1].write_text(feedback_tex(m), encoding="utf-8")
        if texs:
            compile_all(texs, jobs)
            for leftover in (work / "feedback").iterdir():
                if leftover.suffix not in (".html", ".pdf"):
                    leftover.unlink()
        out.commit(["feedback", "marks.csv"])
    return target
