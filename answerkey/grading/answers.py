"""Students' answer files: CSV (a row per student) or YAML (a list of students).

CSV: columns ``student`` and ``variant`` (optional), then one column per item, named as in
the variants manifest (``1(b)``, ``3(a) Conv-2 Output size``, ``4(b).3 5×5 conv``). YAML::

    students:
      - student: Ada Lovelace
        variant: v003          # optional: the variant the student sat
        answers:
          1(b): 600,000
          3(a) Conv-2 Output size: 128 x 128 x 64

An unknown item name, a missing ``student`` or a duplicate student is an error naming the
file, line and field (exit 2); nothing is written.
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from answerkey.errors import SpecError
from answerkey.yamlpos import load_yaml


@dataclass(frozen=True)
class Sheet:
    """One student's answers: item id → the text they wrote."""

    student: str
    variant: str
    answers: dict[str, str]
    where: str  # file:line, for messages


def _text(value: object) -> str:
    return "" if value is None else str(value)


def read_answers(path: Path, known: Collection[str]) -> list[Sheet]:
    """Every sheet of ``path``; item names are checked against ``known``."""
    if not path.is_file():
        raise SpecError(str(path), None, "no such answers file")
    sheets = _read_csv(path, known) if path.suffix.lower() == ".csv" else _read_yaml(path, known)
    seen: dict[str, str] = {}
    for s in sheets:
        if s.student in seen:
            raise SpecError(
                s.where, "student", f"{s.student!r} appears twice (also {seen[s.student]})"
            )
        seen[s.student] = s.where
    return sheets


def _unknown(where: str, field: str, name: str, known: Collection[str]) -> SpecError:
    return SpecError(
        where, field, f"no item named {name!r} (list them with: answerkey grade SPEC --items)"
    )


def _read_csv(path: Path, known: Collection[str]) -> list[Sheet]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows or "student" not in rows[0]:
        raise SpecError(f"{path}:1:1", "student", "the first row must name a 'student' column")
    header = rows[0]
    for col, name in enumerate(header, 1):
        if name not in ("student", "variant") and name not in known:
            raise _unknown(f"{path}:1:{col}", name, name, known)
    out = []
    for line, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(header, row, strict=False))
        student = cells.get("student", "").strip()
        if not student:
            raise SpecError(f"{path}:{line}:1", "student", "a row without a student name")
        answers = {k: v for k, v in cells.items() if k not in ("student", "variant")}
        out.append(Sheet(student, cells.get("variant", "").strip(), answers, f"{path}:{line}"))
    return out


def _read_yaml(path: Path, known: Collection[str]) -> list[Sheet]:
    located = load_yaml(path)
    data = located.data.get("students")
    if not isinstance(data, list):
        raise SpecError(located.where(()), "students", "expected 'students:', a list")
    out = []
    for i, entry in enumerate(data):
        where = located.where(("students", i))
        if not isinstance(entry, dict) or not _text(entry.get("student")).strip():
            raise SpecError(where, f"students[{i}].student", "each entry needs a 'student'")
        answers = entry.get("answers") or {}
        if not isinstance(answers, dict):
            raise SpecError(
                located.where(("students", i, "answers")),
                f"students[{i}].answers",
                "expected a mapping",
            )
        for name in answers:
            if str(name) not in known:
                raise _unknown(
                    located.where(("students", i, "answers", name), at_key=True),
                    f"students[{i}].answers",
                    str(name),
                    known,
                )
        out.append(
            Sheet(
                _text(entry["student"]).strip(),
                _text(entry.get("variant")).strip(),
                {str(k): _text(v) for k, v in answers.items()},
                where.rsplit(":", 1)[0],
            )
        )
    return out
