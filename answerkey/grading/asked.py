"""Which values a part asks for, so that each value is marked once, and what items are called.

A ``params`` or ``ops`` question answers each layer and prints their sum under them. When
another part of the same problem asks for that total (``total_params``/``total_ops`` of the
same network, the same value), the part asked for the layers, not the sum: Homework 3's
4(b).3 asks "the number of operations in each module" and 4(b).5 "the total number of
operations". Marking the sum in both would give its points twice, so the sum is an item only
of the part that asks for the total. Where no part asks for it (4(c): "the number of
parameters ... of the naive module"), the sum is that part's answer and is marked there.
Likewise a ``compare`` table repeats each network's parameters and operations beside the
ratio it asks for; a cell whose value another question of the problem asks for (4(c)'s and
4(b).6's counts in 4(d)'s table) is marked there, not again in the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from answerkey.derive import Key, KeyedPart, KeyedProblem
from derivations.answers import Answer

TOTAL_OF = {"params": "total_params", "ops": "total_ops"}
"""A question kind whose headline is a sum → the kind that asks for that sum alone."""


def head(part: KeyedPart, index: int) -> str:
    """The item name of a part's ``index``-th answer, as the variants manifest names it
    (``4(b).3``; ``4(c) params`` when the part asks several questions)."""
    if len(part.answers) == 1:
        return part.label
    return f"{part.label} {part.answers[index].kind}"


def _walk(parts: tuple[KeyedPart, ...]) -> Iterator[KeyedPart]:
    for part in parts:
        yield part
        yield from _walk(part.subparts)


FAMILY = {"params": "params", "total_params": "params", "ops": "ops", "total_ops": "ops"}
"""The question kinds whose headline is a network's parameters or operations."""
COLUMNS = {"Parameters": "params", "Operations": "ops"}
"""A ``compare`` table's columns, by the quantity they hold."""

Asked = tuple[str, int, Any]
"""A quantity of one network: (``params`` or ``ops``, id of the network, value)."""


def _answers(problem: KeyedProblem) -> Iterator[tuple[KeyedPart, int, Any, Answer]]:
    for part in _walk(problem.parts):
        for k, pair in enumerate(part.asked()):  # the instructor's prose answer is no value
            yield part, k, *pair


def asked_elsewhere(problem: KeyedProblem) -> dict[str, str]:
    """Item name → the item that asks for the same value instead (``{"4(b).3": "4(b).5"}``):
    sums whose total another part asks, and ``compare`` cells asked by another question."""
    context = problem.loaded.context

    def network(question: Any, name: str | None = None) -> int:
        return id(context.get(name if name is not None else getattr(question, "network", None)))

    totals: dict[Asked, str] = {}
    for part, k, question, answer in _answers(problem):
        if answer.kind in TOTAL_OF.values():
            asked = (FAMILY[answer.kind], network(question), answer.value)
            totals.setdefault(asked, head(part, k))
    out: dict[str, str] = {}
    marked = dict(totals)
    for part, k, question, answer in _answers(problem):
        if answer.kind in TOTAL_OF:
            asked = (FAMILY[answer.kind], network(question), answer.value)
            if asked in totals:
                out[head(part, k)] = totals[asked]
            else:
                marked.setdefault(asked, head(part, k))
    for part, k, question, answer in _answers(problem):
        if answer.kind != "compare" or answer.table is None:
            continue
        names = list(getattr(question, "networks", ()))
        for row, name in zip(answer.table.rows, names, strict=False):
            for column, cell in zip(answer.table.columns[1:], row[1:], strict=True):
                where = marked.get((COLUMNS.get(column, ""), network(question, name), cell))
                if where is not None:
                    out[f"{head(part, k)} {row[0]} {column}"] = where
    return out


def unmarked(key: Key) -> dict[str, str]:
    """Every value of ``key`` that is not an item, with the item that marks it. An answers
    file may name them (the variants manifest has their columns); they are not marked."""
    out: dict[str, str] = {}
    for problem in key.problems:
        out.update(asked_elsewhere(problem))
    return out
