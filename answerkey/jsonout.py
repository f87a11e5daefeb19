"""Answers as JSON (schema in ``docs/answers-json.md``).

Integers are JSON integers, shapes lists in H, W, C order, formulas LaTeX strings, symbolic
values SymPy strings. Keys are sorted and the output ends in a newline, so the same spec gives
byte-identical files.
"""

from __future__ import annotations

import json
from typing import Any

import sympy as sp

from answerkey import __version__
from answerkey.derive import Key, KeyedPart
from answerkey.figures import figure_kind
from answerkey.latex import shape_tex, step_tex, tex
from answerkey.prose import source
from derivations.answers import Answer, Step, Table
from derivations.formula import int_value
from derivations.shapes import Shape

SCHEMA = "answerkey/answers@1"


def scalar(value: Any) -> Any:
    """A JSON value for a number, shape, text or None."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, Shape):
        return value.as_list()
    if isinstance(value, sp.MatrixBase):  # an explicit matrix of numbers: rows of values
        return [[scalar(v) for v in value.row(i)] for i in range(value.rows)]
    if isinstance(value, sp.Float):
        return float(value)
    expr = sp.sympify(value)
    as_int = int_value(expr)
    if as_int is not None:
        return as_int
    if expr.is_Rational and not expr.free_symbols:
        return {"fraction": str(expr), "decimal": float(expr)}
    return str(expr)


def _step(step: Step) -> dict[str, Any]:
    f = step.formula
    return {
        "label": step.label,
        "formula": f"{tex(f.lhs)} = {tex(f.rhs)}",
        "working": step_tex(step),
        "shape": list(step.shape) if step.shape else None,
        "cite": step.cite,
        "values": {str(k): scalar(v) for k, v in f.values},
        "value": None if f.is_identity else scalar(f.value),
        "note": step.note,
    }


def _table(table: Table) -> dict[str, Any]:
    return {
        "columns": list(table.columns),
        "rows": [[scalar(c) for c in row] for row in table.rows],
        "total": [scalar(c) for c in table.total] if table.total else None,
        "notes": list(table.notes),
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": answer.kind,
        "value": scalar(answer.value),
        "unit": answer.unit,
        "explanation": answer.explanation,
        "steps": [_step(s) for s in answer.steps],
    }
    if isinstance(answer.value, Shape):
        out["value_tex"] = shape_tex(answer.value)
    if answer.table is not None:
        out["table"] = _table(answer.table)
    if answer.figure is not None:
        out["figure"] = answer.figure.name
        out.update(figure_kind(answer.figure).json(answer.figure))
    if answer.sum is not None:
        out["sum"] = tex(answer.sum)
    for also in answer.also:
        out[also.name] = scalar(also.value)
    if answer.prose:
        out["text"] = source(answer.prose)
    return out


def _part(part: KeyedPart) -> dict[str, Any]:
    return {
        "id": part.spec.id,
        "label": part.label,
        "points": part.spec.total_points,
        "note": part.spec.note,
        "answers": [answer_json(a) for a in part.answers],
        "subparts": [_part(p) for p in part.subparts],
    }


def key_json(key: Key) -> dict[str, Any]:
    spec = key.loaded.spec
    return {
        "schema": SCHEMA,
        "generator": f"answerkey {__version__}",
        "spec": key.loaded.name,
        "title": spec.title,
        "problems": [
            {
                "id": p.loaded.spec.id,
                "number": p.number,
                "title": p.loaded.spec.title,
                "points": p.points,
                "note": p.loaded.spec.note,
                "conventions": p.loaded.conventions.describe(),
                "parts": [_part(part) for part in p.parts],
            }
            for p in key.problems
        ],
    }


def dumps(key: Key) -> str:
    return json.dumps(key_json(key), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
