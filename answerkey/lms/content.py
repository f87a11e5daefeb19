"""What an online question is made of, for any quiz system: text, blanks, worked feedback.

One :class:`Question` per part and variant: the problem and part text (HTML-escaped), the
blanks a student fills (the grader's items, with their points and the values of the named
misconceptions, so an LMS can name them too), the worked solution as HTML with TeX math in
``\\( … \\)`` for MathJax, and the figures (PNG) the text or the solution shows.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field

from answerkey.derive import Key, KeyedPart
from answerkey.grading.grade import prepare
from answerkey.grading.items import Item
from answerkey.grading.points import allot
from answerkey.latex import step_tex
from answerkey.mathjax import inline

NUMERIC = ("count", "real", "shape")


@dataclass(frozen=True)
class Figure:
    name: str  # file name, e.g. v001-p4-a-module-graph.png
    png: bytes
    in_text: bool  # shown with the question (else with the worked solution)


@dataclass(frozen=True)
class Question:
    """One part of one variant as an online question."""

    category: str  # the part: one category (Moodle) or group (Canvas) per part
    name: str
    variant: str
    text_html: str
    items: tuple[Item, ...]
    points: float  # the part's points the items carry (not those marked by hand)
    solution_html: str
    figures: tuple[Figure, ...] = field(default=())


def _p(text: str | None) -> str:
    return f"<p>{html.escape(text)}</p>" if text else ""


def solution_html(part: KeyedPart) -> str:
    """The key's working of a part: each step's chain, each explanation, as HTML."""
    out: list[str] = []
    for answer in part.answers:
        if answer.prose:
            spans = (
                html.escape(b) if k == "text" else rf"\({html.escape(b)}\)" for k, b in answer.prose
            )
            out.append("<p>" + "".join(spans) + "</p>")
        out.append(_p(answer.explanation))
        lines = [
            f"<li>{html.escape(s.label)}: {inline(step_tex(s))}</li>"
            if s.label
            else f"<li>{inline(step_tex(s))}</li>"
            for s in answer.steps
        ]
        if lines:
            out.append("<ul>" + "".join(lines) + "</ul>")
    return "".join(out)


def questions(key: Key, variant: str, figures: dict[str, list[Figure]]) -> Iterator[Question]:
    """The online questions of one variant's key: one per part that has numeric items
    (parts answered in prose or equations are left to a person)."""
    graded = prepare(key)
    online, _ = allot([i for i in graded.items if i.kind in NUMERIC], graded.parts, strict=False)
    by_group: dict[str, list[Item]] = {}
    for item in online:
        by_group.setdefault(item.group, []).append(item)
    for problem in key.problems:
        spec = problem.loaded.spec
        shared = [
            f
            for label, figs in figures.items()
            if label.startswith(f"{problem.number}(")
            for f in figs
            if f.in_text
        ]
        for part in problem.parts:
            items = by_group.get(part.label, [])
            if not items:
                continue
            text = _p(spec.text) + _p(part.spec.text)
            for sub in part.subparts:
                text += f"<p>{html.escape(sub.label)}: {html.escape(sub.spec.text)}</p>"
            solution = solution_html(part) + "".join(solution_html(s) for s in part.subparts)
            own = [f for f in figures.get(part.label, []) if not f.in_text]
            yield Question(
                category=f"{key.loaded.spec.title}/{part.label}",
                name=f"{part.label} {variant}".strip(),
                variant=variant,
                text_html=text,
                items=tuple(items),
                points=sum(i.points for i in items),
                solution_html=solution,
                figures=tuple(shared + own),
            )


def blank_label(item: Item, part_label: str) -> str:
    """How a blank is introduced in the question: the item id without its part label."""
    rest = item.id[len(part_label) :].strip() if item.id.startswith(part_label) else item.id
    return rest or "Answer"
