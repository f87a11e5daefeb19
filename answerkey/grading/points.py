"""The points of each item: a part's points, shared by its items, or as its ``rubric:`` says.

A part's items are those of the part and of its sub-parts that have no points of their own
(:attr:`Item.group`). Without a rubric they share the part's points equally. A rubric
criterion that names ``items`` (glob patterns on item ids) shares its points equally among
the items it matches; one without ``items`` is marked by hand. The items no criterion
matches share what the criteria leave over; if there are none, that rest is marked by hand
too (so a part answered in prose, with no items, is marked by hand whole).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, replace

from answerkey.grading.items import Item, iter_groups

EPSILON = 1e-9


@dataclass(frozen=True)
class Criterion:
    """A rubric criterion as the grader reads it (see :mod:`answerkey.spec_rubric`)."""

    points: float
    text: str
    patterns: tuple[str, ...] = ()  # empty: marked by hand


@dataclass(frozen=True)
class PartPoints:
    """A part that carries points: its label (``3(a)``), points and rubric."""

    label: str
    points: float
    criteria: tuple[Criterion, ...] = ()


class RubricMismatch(ValueError):
    """A criterion's ``items`` match no item of its part, or only items an earlier criterion
    already gave points to. ``part`` is the part's label, ``index`` the criterion's."""

    def __init__(self, part: str, index: int, message: str) -> None:
        super().__init__(message)
        self.part, self.index, self.message = part, index, message


def _matches(item: Item, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(item.id, p) for p in patterns)


def allot(
    items: Sequence[Item], parts: Sequence[PartPoints], strict: bool = True
) -> tuple[list[Item], list[tuple[str, float]]]:
    """Items with their points, and what is marked by hand as ``(label, points)``: rubric
    criteria without items (``"4(a): Names the reductions"``), and a part's rest that no item
    takes (``"4(a)"``). Items of parts without points get 0.

    Raises :class:`RubricMismatch` for a criterion that matches no item of its part or only
    items an earlier criterion matched; with ``strict=False`` (a subset of the items, as an
    online quiz asks them) such a criterion is counted as marked by hand instead."""
    groups = dict(iter_groups(list(items)))
    points: dict[str, float] = {}
    manual: list[tuple[str, float]] = []
    for part in parts:
        members = groups.get(part.label, [])
        fixed: dict[str, float] = {}
        for n, c in enumerate(part.criteria):
            if not c.patterns:
                manual.append((f"{part.label}: {c.text}", c.points))
                continue
            hits = [i for i in members if _matches(i, c.patterns)]
            matched = [i for i in hits if i.id not in fixed]
            if strict and not hits:
                names = ", ".join(repr(p) for p in c.patterns)
                raise RubricMismatch(
                    part.label,
                    n,
                    f"{names} matches no item of {part.label} "
                    "(list them with: answerkey grade SPEC --items)",
                )
            if strict and len(matched) < len(hits):
                taken = next(i.id for i in hits if i.id in fixed)
                message = f"item {taken!r} is already given points by an earlier criterion"
                raise RubricMismatch(part.label, n, message)
            if not matched:  # a subset of the items (online): none of this criterion's
                manual.append((f"{part.label}: {c.text}", c.points))
                continue
            fixed.update({i.id: c.points / len(matched) for i in matched})
        rest = [i for i in members if i.id not in fixed]
        left = part.points - sum(c.points for c in part.criteria)
        if rest:
            fixed.update({i.id: left / len(rest) for i in rest})
        elif left > EPSILON:
            manual.append((part.label, left))
        points.update(fixed)
    return [replace(i, points=points.get(i.id, 0.0)) for i in items], manual
