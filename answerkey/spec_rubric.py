"""A part's ``rubric:``: criteria, each with points and the text of what earns them.

One field serves two readers. The key prints each criterion's ``text`` and points under the
part's solution; ``answerkey grade`` gives a criterion that names ``items`` (glob patterns on
item ids, as ``answerkey grade SPEC --items`` lists them) its points, shared equally by the
items it matches, and lists a criterion without ``items`` as marked by hand::

    rubric:
      - {points: 4, text: Every output size, items: "3(a) * Output size"}
      - {points: 1, text: Names the dense layers' kernels as not applicable}

A part's items that no criterion matches share the points the rubric leaves over.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, PlainValidator

from derivations.fields import Strict, Text, fail, text


def _points(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise fail(f"expected a positive number of points, got {value!r}")
    return float(value)


def _patterns(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise fail("expected an item-id pattern or a list of them, got an empty list")
    out = tuple(text(v).strip() for v in values)
    if not all(out):
        raise fail("an item-id pattern cannot be empty")
    return out


Points = Annotated[float, PlainValidator(_points)]
Patterns = Annotated[tuple[str, ...], PlainValidator(_patterns)]


class Criterion(Strict):
    """What earns ``points``: ``text`` says it (printed in the key and the feedback);
    ``items`` (a glob pattern such as ``"3(a) * Output size"``, or a list of them) names the
    items ``answerkey grade`` marks for it; without ``items`` it is marked by hand."""

    points: Points
    text: Text
    items: Patterns | None = None


def _criteria(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        got = f"{type(value).__name__} {value!r}"[:80] if value != [] else "an empty list"
        raise fail(f"expected a list of criteria, each {{points, text, items}}, got {got}")
    return value


Rubric = Annotated[list[Criterion], BeforeValidator(_criteria)]


def check_total(criteria: list[Criterion] | None, points: int | None) -> None:
    """A rubric needs its part's ``points`` and may not give out more than them.

    Raises the located validation error (``fail``) otherwise."""
    if not criteria:
        return
    if points is None:
        raise fail("a rubric needs the part's points: add 'points:' to this part")
    total = sum(c.points for c in criteria)
    if total > points + 1e-9:
        raise fail(f"the rubric's points add up to {total:g}, more than the part's {points}")
