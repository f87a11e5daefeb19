"""Randomized exam variants: derive, typeset, and a manifest to mark from.

The variants themselves are drawn by :mod:`answerkey.draw` (their own seed each, constraints
checked); the same spec and seed always give the same bytes here.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from answerkey.batch import Batcher, Doc, batch_size, concatenate, progress
from answerkey.build import default_outdir
from answerkey.derive import Key, derive
from answerkey.draw import Variant, draw_variants, iter_located
from answerkey.errors import UsageError
from answerkey.jsonout import dumps, scalar
from answerkey.outputs import OutputFolder
from answerkey.render import render
from answerkey.roster import read_roster
from answerkey.tools import require_tex
from answerkey.yamlpos import load_yaml

__all__ = ["Variant", "build_variants", "draw_variants", "read_roster"]


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
            if answer.step_columns:
                for step in answer.steps:
                    put(f"{head} {step.label}", scalar(step.formula.value))
    return out


def _csv_value(value: Any) -> str:
    if isinstance(value, list):
        return "x".join(str(v) for v in value)
    if isinstance(value, dict):
        return f"{value['decimal']:.6g}"
    return "" if value is None else str(value)


_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")


def spreadsheet_safe(cell: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: a text starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return would be run as a formula (CSV injection; OWASP), so it
    gets a leading ``'``. Numbers, negative ones included, stay numbers."""
    text = str(cell)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(text):
        return "'" + text
    return text


@dataclass(frozen=True)
class VariantsResult:
    directory: Path
    variants: tuple[Variant, ...]


def build_variants(
    spec: Path,
    count: int | None,
    seed: int,
    roster: Path | None = None,
    outdir: Path | None = None,
    pdf: bool = True,
    jobs: int | None = None,
    force: bool = False,
) -> VariantsResult:
    """Write every variant's sheet, key and answers, the combined PDFs and the manifest.

    Raises :class:`SpecError` (spec or roster), :class:`UsageError`, :class:`ToolMissing`,
    :class:`OutputError` or :class:`CompileError`; nothing is written unless all succeed.
    """
    students = read_roster(roster) if roster else []
    if count is None:
        count = len(students) or 1
    if students and len(students) != count:
        raise UsageError(f"the roster lists {len(students)} students but --count is {count}")
    located = load_yaml(spec)
    drawn = iter_located(located, spec.stem, count, seed)
    if pdf:
        require_tex()
    variants: list[Variant] = []
    jobs = jobs or os.cpu_count() or 1
    advance, stop = progress(2 * count) if pdf else ((lambda n: None), (lambda: None))
    inputs = [spec, *([roster] if roster else [])]
    target = outdir or default_outdir(spec) / "variants"
    with (
        OutputFolder(target, "variants", force, inputs) as out,
        Batcher(out.stage, batch_size(count, jobs), jobs, advance) as batcher,
    ):
        work = out.stage  # the batches' own .tex and .pdf stay here, uncommitted
        rows = []
        try:
            for v in drawn:
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
                    if pdf:  # typeset in batches while the next variants are drawn
                        batcher.add(kind, Doc(f"{v.id}/{tex.name}", tex, text))
                (folder / "answers.json").write_text(dumps(key), encoding="utf-8")
                rows.append(
                    {
                        "variant": v.id,
                        "seed": v.seed,
                        "spec_sha256": located.sha256,
                        "student_name": student.name if student else "",
                        "student_id": student.id if student else "",
                        "variables": v.values,
                        "answers": _answer_columns(key),
                    }
                )
            runs = batcher.finish()
        finally:
            stop()
        names = [v.id for v in variants] + ["variants.csv", "variants.json"]
        if pdf:
            concatenate(runs["questions"], work / "all-questions.pdf")
            concatenate(runs["key"], work / "all-keys.pdf")
            names += ["all-keys.pdf", "all-questions.pdf"]
        _write_manifest(work, rows)
        out.commit(sorted(names))
    return VariantsResult(out.target, tuple(variants))


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
    header = ["variant", "seed", "spec_sha256", "student_name", "student_id", *variables]
    writer.writerow([spreadsheet_safe(c) for c in [*header, *answers]])
    for r in rows:
        writer.writerow(
            spreadsheet_safe(c)
            for c in [
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
