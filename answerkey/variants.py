"""Randomized exam variants: derive, typeset, and a manifest to mark from.

The variants themselves are drawn by :mod:`answerkey.draw` (their own seed each, constraints
checked); the same spec and seed always give the same bytes here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from answerkey.batch import Batcher, Doc, batch_size, concatenate, progress
from answerkey.build import move_into_place
from answerkey.compile import INSTALL_HINT, have_tex
from answerkey.derive import Key, derive
from answerkey.draw import Variant, draw_variants, iter_variants
from answerkey.errors import AnswerkeyError, SpecError
from answerkey.jsonout import dumps, scalar
from answerkey.render import render

__all__ = ["Variant", "build_variants", "draw_variants", "read_roster"]


@dataclass(frozen=True)
class Student:
    name: str
    id: str


def read_roster(path: Path) -> list[Student]:
    """Students from a CSV with ``name`` and ``id`` columns (or the first two columns)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise SpecError(str(path), None, f"cannot read the roster: {err.strerror}") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise SpecError(str(path), None, "the roster is empty")
    head = [h.strip().lower() for h in rows[0]]
    if "name" in head:
        ni, ii = head.index("name"), head.index("id") if "id" in head else None
        body = rows[1:]
    else:
        ni, ii, body = 0, 1, rows
    students = [
        Student(r[ni].strip(), r[ii].strip() if ii is not None and ii < len(r) else "")
        for r in body
        if r and r[ni].strip()
    ]
    if not students:
        raise SpecError(str(path), None, "the roster lists no students")
    return students


DETAILED = {"params", "ops", "same_padding", "output_shapes"}
"""Question kinds whose every step (each layer's count) gets a manifest column."""


def _answer_columns(key: Key) -> dict[str, Any]:
    """Every answer value a grader marks from: headline values, each table cell, and each
    layer's count where a question asks per layer."""
    out: dict[str, Any] = {}

    def put(label: str, value: Any) -> None:
        name, n = label, 2
        while name in out:
            name, n = f"{label} #{n}", n + 1
        out[name] = value

    for part in key.parts():
        for answer in part.answers:
            head = part.label if len(part.answers) == 1 else f"{part.label} {answer.kind}"
            if answer.table is not None:
                for row in answer.table.rows:
                    for column, cell in zip(answer.table.columns[1:], row[1:], strict=True):
                        put(f"{head} {row[0]} {column}".strip(), scalar(cell))
            elif answer.value is not None:
                put(head, scalar(answer.value))
            if answer.kind in DETAILED:
                for step in answer.steps:
                    put(f"{head} {step.label}", scalar(step.formula.value))
    return out


def _csv_value(value: Any) -> str:
    if isinstance(value, list):
        return "x".join(str(v) for v in value)
    if isinstance(value, dict):
        return f"{value['decimal']:.6g}"
    return "" if value is None else str(value)


@dataclass(frozen=True)
class VariantsResult:
    directory: Path
    variants: tuple[Variant, ...]
    warning: str | None = None


def build_variants(
    spec: Path,
    count: int | None,
    seed: int,
    roster: Path | None = None,
    outdir: Path | None = None,
    pdf: bool = True,
    jobs: int | None = None,
) -> VariantsResult:
    """Write every variant's sheet, key and answers, the combined PDFs and the manifest."""
    students = read_roster(roster) if roster else []
    if count is None:
        count = len(students) or 1
    if students and len(students) != count:
        raise AnswerkeyError(f"the roster lists {len(students)} students but --count is {count}")
    spec_hash = hashlib.sha256(spec.read_bytes()).hexdigest()
    target = outdir or Path("build") / spec.stem / "variants"
    target.parent.mkdir(parents=True, exist_ok=True)
    typeset = pdf and have_tex()
    warning = None if typeset or not pdf else f"PDFs not made: {INSTALL_HINT}"
    variants: list[Variant] = []
    jobs = jobs or os.cpu_count() or 1
    advance, stop = progress(2 * count) if typeset else ((lambda n: None), (lambda: None))
    with (
        tempfile.TemporaryDirectory(prefix=".variants-", dir=target.parent) as tmp,
        Batcher(Path(tmp), batch_size(count, jobs), jobs, advance) as batcher,
    ):
        work = Path(tmp) / "out"
        work.mkdir()
        rows = []
        try:
            for v in iter_variants(spec, count, seed):
                variants.append(v)
                student = students[v.index - 1] if students else None
                key = derive(v.loaded)
                rendered = render(
                    key,
                    variant=f"Variant {v.index}",
                    student=(student.name, student.id) if student else None,
                )
                folder = work / v.id
                folder.mkdir()
                for kind, text in (("key", rendered.key), ("questions", rendered.questions)):
                    tex = folder / f"{kind}.tex"
                    tex.write_text(text, encoding="utf-8")
                    if typeset:  # typeset in batches while the next variants are drawn
                        batcher.add(kind, Doc(f"{v.id}/{tex.name}", tex, text))
                (folder / "answers.json").write_text(dumps(key), encoding="utf-8")
                rows.append(
                    {
                        "variant": v.id,
                        "seed": v.seed,
                        "spec_sha256": spec_hash,
                        "student_name": student.name if student else "",
                        "student_id": student.id if student else "",
                        "variables": v.values,
                        "answers": _answer_columns(key),
                    }
                )
            runs = batcher.finish()
        finally:
            stop()
        if typeset:
            concatenate(runs["questions"], work / "all-questions.pdf")
            concatenate(runs["key"], work / "all-keys.pdf")
        _write_manifest(work, rows)
        move_into_place(work, target)
    return VariantsResult(target, tuple(variants), warning)


def _write_manifest(work: Path, rows: list[dict[str, Any]]) -> None:
    (work / "variants.json").write_text(
        json.dumps(rows, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    variables = sorted({k for r in rows for k in r["variables"]})
    answers: list[str] = []
    for r in rows:
        for k in r["answers"]:
            if k not in answers:
                answers.append(k)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        ["variant", "seed", "spec_sha256", "student_name", "student_id", *variables, *answers]
    )
    for r in rows:
        writer.writerow(
            [
                r["variant"],
                r["seed"],
                r["spec_sha256"],
                r["student_name"],
                r["student_id"],
                *(r["variables"].get(v, "") for v in variables),
                *(_csv_value(r["answers"].get(a)) for a in answers),
            ]
        )
    (work / "variants.csv").write_text(buf.getvalue(), encoding="utf-8")
