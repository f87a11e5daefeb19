"""``answerkey moodle``: a Moodle XML question bank of a spec's variants.

Follows Moodle's XML format (docs.moodle.org "Moodle XML format"; question/format/xml/format.php
reads it): a ``<question type="category">`` per part, then one question per variant in it, so a
quiz's random question draws one variant. A part with a single count or real is a
``numerical`` question (``<answer fraction="100">`` with ``<tolerance>``: 0 for counts, 0.5 %
for reals; each named misconception is a ``fraction="0"`` answer whose feedback names it); a
part with several values is a ``multianswer`` (cloze) question whose text holds one
``{w:NUMERICAL:=value:tolerance#feedback~%0%value:0#feedback}`` per number (a shape gives one per
dimension), whose whole-number weights ``w`` share the part's points as the grader does and
make the question's mark (:func:`cloze_weights`). A numerical question's ``<defaultgrade>`` is
the part's points. Figures travel inside the file as
``<file name=… path="/" encoding="base64">`` and are shown with ``@@PLUGINFILE@@/name``. The
worked solution is the general feedback, HTML with ``\\( … \\)`` math for Moodle's MathJax
filter.
"""

from __future__ import annotations

import base64
import html
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import sympy as sp

from answerkey.grading.items import Item
from answerkey.grading.rules import Mistake
from answerkey.lms.content import Figure, Question, blank_label

REAL_TOLERANCE = Fraction(1, 200)


def number(value: Any) -> str:
    """A value as Moodle's number syntax: digits, a point, no grouping."""
    if isinstance(value, (sp.Rational, Fraction)) and not isinstance(value, int):
        return f"{float(value):.6g}"
    return str(int(value)) if isinstance(value, (int, sp.Integer)) else f"{float(value):.6g}"


def tolerance(item: Item) -> str:
    if item.kind == "real":
        return f"{abs(float(item.expected)) * float(REAL_TOLERANCE):.6g}"
    return "0"


def _text(parent: ET.Element, tag: str, text: str, fmt: str | None = "html") -> ET.Element:
    el = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(el, "text").text = text
    return el


def _files(parent: ET.Element, figures: Iterable[Figure]) -> None:
    for fig in figures:
        f = ET.SubElement(parent, "file", {"name": fig.name, "path": "/", "encoding": "base64"})
        f.text = base64.b64encode(fig.png).decode("ascii")


def _img(figures: Iterable[Figure]) -> str:
    return "".join(
        f'<p><img src="@@PLUGINFILE@@/{html.escape(f.name)}" alt="figure"></p>' for f in figures
    )


def _cloze_escape(text: str) -> str:
    """Feedback inside a cloze field: ``}``, ``~``, ``#`` and ``\\`` are escaped."""
    out = html.escape(text, quote=False)
    for ch in "\\}~#":
        out = out.replace(ch, "\\" + ch)
    return out


def _mistake_values(item: Item, index: int | None) -> list[tuple[Mistake, Any]]:
    """Each misconception's value for this field (one dimension of a shape, or the number)."""
    out = []
    seen = {_component(item.expected, index)}
    for m in item.mistakes:
        value = _component(m.value, index)
        if value is not None and value not in seen:
            seen.add(value)
            out.append((m, value))
    return out


def _component(value: Any, index: int | None) -> Any:
    if index is None:
        return value
    return value[index] if isinstance(value, tuple) and len(value) > index else None


def _fields(item: Item) -> int:
    return len(item.expected) if item.kind == "shape" else 1


def cloze_weights(q: Question) -> list[int]:
    """Each item's weight per field (a shape has a field per dimension), in whole numbers.

    Moodle's cloze grammar takes whole-number weights (``{2:NUMERICAL:…}``), and a cloze
    question's mark is their sum: qtype_multianswer_extract_question adds them up, the XML
    import reads no ``<defaultgrade>`` for a cloze, and the editing form removes the field. So
    each field's weight is its item's points split equally over its fields, times the
    smallest whole k that makes every weight whole: the weights sum to the question's points
    where that is possible (k = 1), else to k × points (a 15-point table of 38 numeric cells,
    sizes with 2 or 3 fields, sums to 1,140 = 76 × 15; the quiz slot's maximum mark scales it
    back exactly).
    """
    # the items' points are quotients of the spec's points by small counts: exact again
    points = [Fraction(i.points).limit_denominator(10**6) for i in q.items]
    if not any(points):  # a part without points: every item alike
        points = [Fraction(1)] * len(q.items)
    shares = [p / _fields(i) for p, i in zip(points, q.items, strict=True)]
    scale = math.lcm(*(s.denominator for s in shares))
    return [int(s * scale) for s in shares]


def cloze_field(item: Item, index: int | None, weight: int) -> str:
    """One ``{w:NUMERICAL:…}`` field: the right value, then each misconception at 0 %."""
    right = _component(item.expected, index)
    alts = [f"={number(right)}:{tolerance(item)}#{_cloze_escape('Right.')}"]
    for m, value in _mistake_values(item, index):
        alts.append(f"%0%{number(value)}:0#{_cloze_escape('Not quite: ' + m.text + '.')}")
    return "{" + f"{weight}:NUMERICAL:" + "~".join(alts) + "}"


def cloze_text(q: Question) -> str:
    """The question text with one labelled field per number."""
    part = q.name.rsplit(" ", 1)[0] if q.variant else q.name
    rows = []
    for item, weight in zip(q.items, cloze_weights(q), strict=True):
        label = html.escape(blank_label(item, part))
        if item.kind == "shape":
            fields = " × ".join(cloze_field(item, i, weight) for i in range(_fields(item)))
        else:
            fields = cloze_field(item, None, weight)
        rows.append(f"<tr><td>{label}</td><td>{fields}</td></tr>")
    return f"<table>{''.join(rows)}</table>"


def _numerical(quiz: ET.Element, q: Question) -> None:
    item = q.items[0]
    el = ET.SubElement(quiz, "question", {"type": "numerical"})
    _text(el, "name", q.name, None)
    qt = _text(el, "questiontext", q.text_html + _img(f for f in q.figures if f.in_text))
    _files(qt, (f for f in q.figures if f.in_text))
    gf = _text(el, "generalfeedback", q.solution_html + _img(f for f in q.figures if not f.in_text))
    _files(gf, (f for f in q.figures if not f.in_text))
    ET.SubElement(el, "defaultgrade").text = f"{q.points:g}"
    ET.SubElement(el, "penalty").text = "0.3333333"
    ET.SubElement(el, "hidden").text = "0"
    answers = [(100, item.expected, "Right.", tolerance(item))]
    answers += [(0, v, f"Not quite: {m.text}.", "0") for m, v in _mistake_values(item, None)]
    for fraction, value, feedback, tol in answers:
        a = ET.SubElement(el, "answer", {"fraction": str(fraction), "format": "moodle_auto_format"})
        ET.SubElement(a, "text").text = number(value)
        _text(a, "feedback", html.escape(feedback))
        ET.SubElement(a, "tolerance").text = tol
    ET.SubElement(el, "unitgradingtype").text = "0"
    ET.SubElement(el, "unitpenalty").text = "0.1000000"
    ET.SubElement(el, "showunits").text = "3"
    ET.SubElement(el, "unitsleft").text = "0"


def _cloze(quiz: ET.Element, q: Question) -> None:
    el = ET.SubElement(quiz, "question", {"type": "cloze"})
    _text(el, "name", q.name, None)
    body = q.text_html + _img(f for f in q.figures if f.in_text) + cloze_text(q)
    qt = _text(el, "questiontext", body)
    _files(qt, (f for f in q.figures if f.in_text))
    gf = _text(el, "generalfeedback", q.solution_html + _img(f for f in q.figures if not f.in_text))
    _files(gf, (f for f in q.figures if not f.in_text))
    ET.SubElement(el, "penalty").text = "0.3333333"
    ET.SubElement(el, "hidden").text = "0"


def bank(questions: Sequence[Question], course: str = "$course$/top") -> str:
    """The XML of a question bank: each category, then its questions (one per variant)."""
    quiz = ET.Element("quiz")
    for category in dict.fromkeys(q.category for q in questions):
        cat = ET.SubElement(quiz, "question", {"type": "category"})
        _text(cat, "category", f"{course}/{category}", None)
        _text(cat, "info", "", "html")
        for q in (q for q in questions if q.category == category):
            single = len(q.items) == 1 and q.items[0].kind in ("count", "real")
            (_numerical if single else _cloze)(quiz, q)
    ET.indent(quiz, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"
