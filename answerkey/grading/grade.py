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

from answerkey.derive import Key, derive
from answerkey.errors import SpecError
from answerkey.grading.answers import Sheet, read_answers
from answerkey.grading.items import Item, items_of
from answerkey.grading.mark import Mark, mark_student, with_points
from answerkey.load import load_spec
from answerkey.spec import validate
from answerkey.variables import substitute
from answerkey.yamlpos import load_yaml


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
        out: dict[str, float] = {}
        for m in self.marks:
            out[m.item.group] = round(out.get(m.item.group, 0.0) + m.points, 4)
        return out


@dataclass(frozen=True)
class Graded:
    """A key made ready to mark: items with points, the ECF share, symbols, manual parts."""

    key: Key
    items: tuple[Item, ...]
    ecf_credit: float
    symbols: dict[str, sp.Symbol]
    manual: tuple[tuple[str, float], ...]


def prepare(key: Key) -> Graded:
    """The items of ``key`` with their points (part points and ``rubric:``)."""
    items = items_of(key)
    points: dict[str, float] = {}
    rubrics: dict[str, dict[str, float]] = {}
    for part in key.parts():
        if part.spec.points is not None:
            points[part.label] = float(part.spec.points)
            rubrics[part.label] = dict(part.spec.rubric or {})
    groups = {i.group for i in items}
    manual = tuple((label, pts) for label, pts in points.items() if label not in groups)
    credit = key.problems[0].loaded.conventions.ecf_credit if key.problems else 1.0
    symbols: dict[str, sp.Symbol] = {}
    for item in items:
        if item.kind == "symbolic" and isinstance(item.expected, sp.Expr):
            symbols.update({str(s): s for s in item.expected.free_symbols})
    return Graded(key, tuple(with_points(items, points, rubrics)), credit, symbols, manual)


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
    sheets = read_answers(answers, known)
    out = []
    for sheet in sheets:
        graded = keys.get(sheet.variant) if variants else keys[""]
        if graded is None:
            raise SpecError(sheet.where, "variant", f"no variant {sheet.variant!r} in {variants}")
        marks = mark_student(graded.items, sheet.answers, graded.ecf_credit, graded.symbols)
        out.append(Marked(sheet, graded.key, tuple(marks), graded.manual))
    return out
