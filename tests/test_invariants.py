"""Invariants that hold for every spec in specs/, not only Homework 3.

- Per-layer counts add up to the totals the key states (steps to the answer, table rows to
  the table's total, each network's layers to its total parameters).
- Every formula, evaluated at the spec's numbers independently of ``Formula.value`` (printed,
  read back by SymPy, evaluated), equals the value the key prints.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from answerkey.derive import Key, derive
from answerkey.load import load_spec
from derivations.answers import Answer, Step
from derivations.questions.counts import total_params_sum

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))


@pytest.fixture(scope="module", params=SPECS, ids=lambda p: p.stem)
def key(request: pytest.FixtureRequest) -> Key:
    return derive(load_spec(request.param))


def _answers(key: Key) -> list[Answer]:
    return [a for part in key.parts() for a in part.answers]


def _counted(steps: tuple[Step, ...]) -> list[Step]:
    return [s for s in steps if s.label != "Total"]


def test_specs_are_found() -> None:
    assert {"homework3", "general-formulas", "small-cnn"} <= {p.stem for p in SPECS}


def test_per_layer_steps_add_up_to_the_answer(key: Key) -> None:
    checked = 0
    for answer in _answers(key):
        if answer.sum is not None:  # params, ops: each step one layer's count
            total = sum((s.formula.value for s in answer.steps), sp.Integer(0))
            assert sp.simplify(total - answer.value) == 0, answer.kind
            checked += 1
        totals = [s for s in answer.steps if s.label == "Total"]
        if totals:  # total_params, total_ops: the Total line is the answer
            assert totals[0].formula.value == answer.value, answer.kind
            if answer.kind == "total_params":
                parts = sum((s.formula.value for s in _counted(answer.steps)), sp.Integer(0))
                assert sp.simplify(parts - answer.value) == 0
            checked += 1
    assert checked or not any(a.sum is not None for a in _answers(key))


def test_table_rows_add_up_to_the_total_row(key: Key) -> None:
    for answer in _answers(key):
        table = answer.table
        if table is None or table.total is None:
            continue
        for column, total in enumerate(table.total):
            if total is None or isinstance(total, str):
                continue
            cells = [row[column] for row in table.rows]
            assert sp.simplify(sp.Add(*cells) - total) == 0, (answer.kind, table.columns[column])


def test_every_network_sums_its_layers(key: Key) -> None:
    for problem in key.loaded.problems:
        for analysis in problem.context.analyses.values():
            per_layer = sum((analysis.params(r) for _, r in analysis.layers()), sp.Integer(0))
            assert sp.simplify(per_layer - total_params_sum(analysis).value) == 0


def test_formulas_evaluate_to_their_values(key: Key) -> None:
    """Each printed substitution, read back and evaluated, equals the printed value."""
    checked = 0
    for answer in _answers(key):
        for step in answer.steps:
            f = step.formula
            if not f.values or f.is_identity:
                continue
            if f.substituted.free_symbols:  # a symbolic spec: compare the expressions
                assert sp.simplify(f.rhs.xreplace(f.mapping).doit() - f.value) == 0
            elif f.value.has(sp.Float):  # decimals: the printed substitution, evaluated
                back = f.substituted.doit()
                back = back.as_explicit() if isinstance(back, sp.MatrixExpr) else back
                diff = sp.Matrix(back) - sp.Matrix(f.value) if f.value.is_Matrix else back - f.value
                entries = list(diff) if f.value.is_Matrix else [diff]
                assert all(abs(sp.N(d)) < 1e-25 for d in entries), step.label
            else:
                assert sp.sympify(str(f.substituted)) == f.value, step.label
            checked += 1
    assert checked > 0
