"""Marking one student's answers against a key's items.

Each item is read (:mod:`answerkey.grading.values`), then decided in this order: right (or an
accepted equivalent form); error carried forward (the value follows, by the key's formula, from
the student's own earlier wrong values); a named misconception; wrong. A wrong value whose
inputs were all right is an arithmetic slip. Points come from the spec (part points, a part's
``rubric:``, :mod:`.points`); an ECF value earns ``ecf_credit`` of its item's points (the
conventions of the item's problem, :attr:`Item.ecf_credit`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import sympy as sp

from answerkey.grading.items import Item
from answerkey.grading.symbolic import equivalent, parse_symbolic, parse_symbolic_shape
from answerkey.grading.values import (
    clean,
    parse_int,
    parse_real,
    parse_shape,
    same_shape,
    text_key,
)
from answerkey.latex import step_tex
from derivations.answers import Step

Status = Literal["correct", "ecf", "misconception", "wrong", "blank", "unreadable"]
REAL_TOLERANCE = Fraction(1, 200)
"""Relative tolerance for real answers (ratios): 0.5 %, so three significant figures pass."""


@dataclass(frozen=True)
class Mark:
    """The outcome of one item: what was given, what it is, and the points it earns."""

    item: Item
    given: str
    status: Status
    points: float
    note: str = ""
    working: str = ""  # LaTeX: the ECF recomputation or the misconception's working
    code: str = ""  # the misconception's code, when one is named


def read(item: Item, text: str, symbols: Mapping[str, sp.Symbol]) -> Any:
    """The value of an answer for this item's kind, or None if it cannot be read."""
    if item.kind == "count":
        return parse_int(text)
    if item.kind == "shape":
        return parse_shape(text)
    if item.kind == "real":
        return parse_real(text)
    if item.kind == "symbolic":
        return parse_symbolic(text, symbols)
    if item.kind == "symbolic_shape":
        return parse_symbolic_shape(text, symbols)
    return text_key(text)


def matches(item: Item, given: Any, expected: Any) -> bool:
    """Whether a read value equals an expected one under the item's kind."""
    if given is None or expected is None:
        return False
    if item.kind == "shape":
        return isinstance(expected, tuple) and same_shape(given, expected)
    if item.kind == "real":
        exp = Fraction(str(sp.Rational(expected))) if isinstance(expected, sp.Expr) else expected
        exp = Fraction(exp)
        return abs(given - exp) <= abs(exp) * REAL_TOLERANCE
    if item.kind == "symbolic":
        return isinstance(expected, (int, sp.Expr)) and equivalent(given, sp.sympify(expected))
    if item.kind == "symbolic_shape":
        if len(expected) == 1 and len(given) == 2 and given[1] == 1:
            given = given[:1]  # a vector N may be written N × 1
        return len(given) == len(expected) and all(
            equivalent(g, sp.sympify(e)) for g, e in zip(given, expected, strict=True)
        )
    if item.kind == "text":
        return given == text_key(str(expected))
    return bool(given == expected)


def _fmt(value: Any) -> str:
    if isinstance(value, tuple):
        return " × ".join(_fmt(v) for v in value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def mark_student(
    items: Sequence[Item],
    answers: Mapping[str, str],
    symbols: Mapping[str, sp.Symbol],
) -> list[Mark]:
    """Mark every item; ``answers`` maps item ids to the student's text (missing = blank)."""
    texts = {i.id: clean(answers.get(i.id)) for i in items}
    values = {i.id: read(i, texts[i.id], symbols) if texts[i.id] else None for i in items}
    right = {i.id: _right(i, values[i.id]) for i in items}
    return [_one(i, texts[i.id], values, right) for i in items]


def _right(item: Item, value: Any) -> bool:
    return matches(item, value, item.expected) or any(matches(item, value, a) for a in item.accept)


def _one(item: Item, text: str, values: Mapping[str, Any], right: Mapping[str, bool]) -> Mark:
    value = values[item.id]
    if not text:
        return Mark(item, text, "blank", 0.0, "no answer")
    if value is None:
        return Mark(item, text, "unreadable", 0.0, f"could not read this as a {item.kind}")
    if right[item.id]:
        return Mark(item, text, "correct", item.points)
    if item.ecf is not None and not all(right.get(s, False) for s in item.sources):
        again = item.ecf(values)
        if again is not None and matches(item, value, again.value):
            work = step_tex(Step("", again.formula)) if again.formula is not None else ""
            wrong = [s for s in item.sources if not right.get(s, False)]
            note = f"{_fmt(again.value)} follows, by the key's formula, from your own " + ", ".join(
                f"{s} = {_fmt(values.get(s))}" for s in wrong
            )
            return Mark(item, text, "ecf", item.points * item.ecf_credit, note, work)
    for mistake in item.mistakes:
        if matches(item, value, mistake.value):
            return Mark(
                item, text, "misconception", 0.0, mistake.text, mistake.working, mistake.code
            )
    if item.sources and all(right.get(s, False) for s in item.sources):
        return Mark(
            item,
            text,
            "wrong",
            0.0,
            "arithmetic slip: the values it is computed from "
            "are right, so the method is right and the arithmetic is not",
        )
    return Mark(item, text, "wrong", 0.0, "")
