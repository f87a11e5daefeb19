"""``answerkey grade``, as a table of contents: keys → items → read sheets → mark → write.

Each student is marked against the key of the variant they sat: with ``--variants DIR`` the
variant's drawn values are read from that folder's manifest (``variants.json``) and its key is
derived again from the spec, so every formula is at hand for error carried forward; without
it, every student is marked against the spec's own key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy as sp

from answerkey.derive import Key, KeyedPart, derive
from answerkey.errors import SpecError
from answerkey.grading.answers import Sheet, read_answers
from answerkey.grading.asked import unmarked
from answerkey.grading.items import Item, items_of
from answerkey.grading.mark import Mark, mark_student
from answerkey.grading.points import Criterion, PartPoints, RubricMismatch, allot
from answerkey.load import load_spec
from answerkey.spec import validate
from answerkey.variables import substitute
from answerkey.yamlpos import Loc, dotted, load_yaml


@dataclass(frozen=True)
class Marked:
    """One student's marks, with the key they were marked against."""

    sheet: Sheet
    key: Key
    marks: tuple[Mark, ...]
    manual: tuple[tuple[str, float], ...]  # parts marked by hand: (label, points)

    @property
    def total(self) -> float:
        return round(sum(m.points for m in self.marks), 4)

    @property
    def available(self) -> float:
        return round(sum(m.item.points for m in self.marks), 4)

    def by_group(self) -> dict[str, float]:
        """Points per part, each summed exactly and then rounded to 4 decimals."""
        out: dict[str, float] = {}
        for m in self.marks:
            out[m.item.group] = out.get(m.item.group, 0.0) + m.points
        return {g: round(p, 4) for g, p in out.items()}


@dataclass(frozen=True)
class Graded:
    """A key made ready to mark: items with points, symbols, what is marked by hand."""

    key: Key
    items: tuple[Item, ...]
    symbols: dict[str, sp.Symbol]
    manual: tuple[tuple[str, float], ...]
    parts: tuple[PartPoints, ...] = ()  # the points and rubrics the items' points come from


def _part_locs(key: Key) -> dict[str, Loc]:
    """Each part's label → where the spec defines it (``problems[i].parts[j]...``)."""
    out: dict[str, Loc] = {}

    def walk(parts: tuple[KeyedPart, ...], base: Loc) -> None:
        for j, part in enumerate(parts):
            out[part.label] = (*base, j)
            walk(part.subparts, (*base, j, "subparts"))

    for i, problem in enumerate(key.problems):
        walk(problem.parts, ("problems", i, "parts"))
    return out


def prepare(key: Key) -> Graded:
    """The items of ``key`` with their points (part points and ``rubric:``).

    Raises :class:`SpecError` at the criterion's ``items`` when a rubric names no item of
    its part (or only items an earlier criterion took)."""
    items = items_of(key)
    parts = [
        PartPoints(
            part.label,
            float(part.spec.points),
            tuple(Criterion(c.points, c.text, c.items or ()) for c in part.spec.rubric or ()),
        )
        for part in key.parts()
        if part.spec.points is not None
    ]
    try:
        marked, manual = allot(items, parts)
    except RubricMismatch as err:
        loc: Loc = (*_part_locs(key)[err.part], "rubric", err.index, "items")
        raise SpecError(key.loaded.located.where(loc), dotted(loc), err.message) from None
    symbols: dict[str, sp.Symbol] = {}
    for item in items:
        if item.kind in ("symbolic", "symbolic_shape"):
            exprs = item.expected if isinstance(item.expected, tuple) else (item.expected,)
            for expr in exprs:
                symbols.update({str(s): s for s in sp.sympify(expr).free_symbols})
    return Graded(key, tuple(marked), symbols, tuple(manual), tuple(parts))


def _variant_keys(spec: Path, variants: Path) -> dict[str, Graded]:
    manifest = variants / "variants.json"
    if not manifest.is_file():
        raise SpecError(str(variants), None, "no variants.json here (run answerkey variants)")
    rows: list[dict[str, Any]] = json.loads(manifest.read_text(encoding="utf-8"))
    sha = hashlib.sha256(spec.read_bytes()).hexdigest()
    located = load_yaml(spec)
    out: dict[str, Graded] = {}
    for row in rows:
        if row.get("spec_sha256") != sha:
            raise SpecError(str(manifest), "spec_sha256", f"made from another version of {spec}")
        values = {k: int(v) for k, v in row["variables"].items()}
        loaded = validate(located, substitute(located, values), spec.stem)
        out[str(row["variant"])] = prepare(derive(loaded))
    return out


def all_items(spec: Path) -> list[Item]:
    """The items of the spec's own key (what an answers file may name)."""
    return list(prepare(derive(load_spec(spec))).items)


def grade(spec: Path, answers: Path, variants: Path | None = None) -> list[Marked]:
    """Mark every sheet of ``answers``; the result is pure data (see :mod:`.report`)."""
    keys = _variant_keys(spec, variants) if variants else {"": prepare(derive(load_spec(spec)))}
    known = {i.id for g in keys.values() for i in g.items}
    known |= {name for g in keys.values() for name in unmarked(g.key)}  # accepted, not marked
    sheets = read_answers(answers, known)
    out = []
    for sheet in sheets:
        graded = keys.get(sheet.variant) if variants else keys[""]
        if graded is None:
            raise SpecError(sheet.where, "variant", f"no variant {sheet.variant!r} in {variants}")
        marks = mark_student(graded.items, sheet.answers, graded.symbols)
        out.append(Marked(sheet, graded.key, tuple(marks), graded.manual))
    return out
