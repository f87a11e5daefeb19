"""The class roster: one student per row of a CSV, read strictly.

A roster is a file a spreadsheet wrote, so it is read defensively: it must be a regular file of
bounded size, in UTF-8 or UTF-16 with a byte-order mark, valid CSV (an unterminated quote is an
error, not a silent merge of students), and each name and id one short line of printable text.
Errors are :class:`~answerkey.errors.SpecError` naming the roster's line.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from answerkey.errors import SpecError
from answerkey.yamlpos import read_regular
from derivations.fields import CONTROL, LINE_BREAKS


@dataclass(frozen=True)
class Student:
    name: str
    id: str


def read_roster(path: Path) -> list[Student]:
    """Students from a CSV with ``name`` and ``id`` columns (or the first two columns).

    The file must be a regular file of at most :data:`MAX_ROSTER_BYTES`, in UTF-8 (a BOM is
    allowed) or UTF-16 with a BOM; a row without a name, an unterminated quote, a line break
    or control character in a field, or a field longer than :data:`MAX_FIELD` characters is
    a :class:`SpecError` naming the roster's line.
    """
    text = _roster_text(path)
    reader = csv.reader(io.StringIO(text), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as err:
        raise SpecError(f"{path}:{reader.line_num}", None, f"not valid CSV: {err}") from None
    rows = [(n, r) for n, r in rows if any(c.strip() for c in r)]
    if not rows:
        raise SpecError(str(path), None, "the roster lists no students")
    head = [h.strip().lower() for h in rows[0][1]]
    if "name" in head:
        ni, ii = head.index("name"), head.index("id") if "id" in head else None
        body = rows[1:]
    else:
        ni, ii, body = 0, 1, rows
    students = []
    for line, row in body:
        where = f"{path}:{line}"
        if ni >= len(row) or not row[ni].strip():
            raise SpecError(where, None, "this row has no student name")
        name = _roster_field(row[ni], where, "name")
        sid = _roster_field(row[ii], where, "id") if ii is not None and ii < len(row) else ""
        students.append(Student(name, sid))
    if not students:
        raise SpecError(str(path), None, "the roster lists no students")
    return students


MAX_ROSTER_BYTES = 5_000_000
"""A roster of 10,000 students with long names is under a megabyte."""
MAX_FIELD = 200
"""Characters in a student's name or id."""


def _roster_text(path: Path) -> str:
    data = read_regular(path, MAX_ROSTER_BYTES, "roster")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise SpecError(
            str(path),
            None,
            f"the roster is not {encoding.upper().removesuffix('-SIG')} text (byte "
            f"0x{data[err.start]:02X} at offset {err.start}); save it as CSV UTF-8",
        ) from None


def _roster_field(value: str, where: str, what: str) -> str:
    value = value.strip()
    if LINE_BREAKS.search(value):
        raise SpecError(
            where, None, f"the student's {what} has a line break (an unbalanced quote?)"
        )
    bad = CONTROL.search(value)
    if bad:
        raise SpecError(
            where, None, f"the student's {what} holds the control character U+{ord(bad[0]):04X}"
        )
    if len(value) > MAX_FIELD:
        raise SpecError(
            where, None, f"the student's {what} has {len(value)} characters; at most {MAX_FIELD}"
        )
    return value
