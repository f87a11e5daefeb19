"""Every Homework 3 answer, against arithmetic done independently here.

The expected numbers are written as the products a careful instructor would multiply out
(``1200 * 500``), not copied from the tool's output; the scanned student answers are wrong in
several places (993,750 not 453,750; 18 × 18 × 128 after Conv-5; 1,677,721,600 MACs for the
5 × 5 convolution, not double that), and these tests pin the right ones.
"""

from __future__ import annotations

import json

import pytest
import sympy as sp

from answerkey.derive import Key
from answerkey.jsonout import dumps
from derivations.answers import Answer


def answers(key: Key) -> dict[str, list[Answer]]:
    return {part.label: list(part.answers) for part in key.parts()}


def value(key: Key, label: str, index: int = 0) -> object:
    return answers(key)[label][index].value


def test_every_part_is_answered(hw3_key: Key) -> None:
    got = answers(hw3_key)
    expected = {
        "1(a)",
        "1(b)",
        "1(c)",
        "1(d)",
        "1(e)",
        "1(f)",
        "2(a)",
        "2(b)",
        "2(c)",
        "3(a)",
        "4(a)",
        "4(b)",
        "4(c)",
        "4(d)",
    } | {f"4(b).{i}" for i in range(1, 7)}
    assert set(got) == expected
    assert all(got[label] for label in expected - {"4(b)"}), "a part has no answer"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("1(a)", 1200),
        ("1(b)", 1200 * 500),
        ("1(c)", 500 * 750),
        ("1(d)", 750 * 25),
        ("1(e)", 1200 * 500 + 500 * 750 + 750 * 25),
    ],
)
def test_dense_network(hw3_key: Key, label: str, expected: int) -> None:
    assert value(hw3_key, label) == expected


def test_dense_total_is_not_the_scans(hw3_key: Key) -> None:
    assert value(hw3_key, "1(e)") == 993_750 != 453_750


def test_cnn_table(hw3_key: Key) -> None:
    table = answers(hw3_key)["3(a)"][0].table
    assert table is not None
    rows = {row[0]: row for row in table.rows}
    expected = {  # name: (input HWC, output HWC, weights, biases)
        "Conv-1": ((256, 256, 3), (256, 256, 128), 3 * 3 * 3 * 128, 128),
        "Conv-2": ((256, 256, 128), (128, 128, 64), 5 * 5 * 128 * 64, 64),
        "Conv-3": ((128, 128, 64), (61, 61, 128), 7 * 7 * 64 * 128, 128),
        "Pool-1": ((61, 61, 128), (30, 30, 128), 0, 0),
        "Conv-4": ((30, 30, 128), (24, 24, 64), 7 * 7 * 128 * 64, 64),
        "Conv-5": ((24, 24, 64), (18, 18, 128), 7 * 7 * 64 * 128, 128),
        "FC-1": ((18, 18, 128), (41472,), 41472 * 41472, 41472),
        "FC-2": ((41472,), (10,), 41472 * 10, 10),
    }
    assert list(rows) == list(expected)
    for name, (inp, out, weights, biases) in expected.items():
        _, got_in, _, got_out, got_w, got_wb = rows[name]
        assert tuple(got_in.hwc()) == inp, name
        assert tuple(got_out.hwc()) == out, name
        assert (got_w, got_wb) == (weights, weights + biases), name
    assert table.total is not None
    assert table.total[-2] == sum(w for _, _, w, _ in expected.values())
    assert table.total[-1] == sum(w + b for _, _, w, b in expected.values())
    floored = [note.split(":")[0] for note in table.notes]
    assert floored == ["Conv-2", "Conv-3", "Pool-1"]


def test_inception_module(hw3_key: Key) -> None:
    hw = 128 * 128
    pads = answers(hw3_key)["4(b).1"][0]
    assert [s.formula.value for s in pads.steps] == [1, 2]
    shape = value(hw3_key, "4(b).2")
    assert tuple(shape.hwc()) == (128, 128, 64 + 128 + 64 + 512)  # type: ignore[attr-defined]
    macs = {
        "1×1 conv": hw * 64 * 512,
        "1×1 reduce (3×3)": hw * 64 * 512,
        "3×3 conv": hw * 128 * 9 * 64,
        "1×1 reduce (5×5)": hw * 64 * 512,
        "5×5 conv": hw * 64 * 25 * 64,
        "3×3 max pool": hw * 512 * 9,
        "1×1 projection": hw * 512 * 512,
    }
    ops = answers(hw3_key)["4(b).3"][0]
    assert {s.label: s.formula.value for s in ops.steps} == macs
    assert value(hw3_key, "4(b).5") == sum(macs.values()) == 8_866_758_656
    params = 512 * 64 * 3 + 9 * 64 * 128 + 25 * 64 * 64 + 512 * 512
    assert value(hw3_key, "4(b).4") == value(hw3_key, "4(b).6") == params == 536_576


def test_naive_module_and_comparison(hw3_key: Key) -> None:
    hw = 128 * 128
    naive_params = 512 * 64 + 9 * 512 * 128 + 25 * 512 * 64
    naive_ops = hw * 64 * 512 + hw * 128 * 9 * 512 + hw * 64 * 25 * 512 + hw * 512 * 9
    got = answers(hw3_key)["4(c)"]
    assert [a.kind for a in got] == ["params", "ops", "compare"]
    assert got[0].value == naive_params == 1_441_792
    assert got[1].value == naive_ops == 23_697_817_600
    assert got[2].value == sp.Rational(naive_params, 536_576)
    assert value(hw3_key, "4(d)") == sp.Rational(536_576, naive_params)


def test_per_layer_counts_sum_to_totals(hw3_key: Key) -> None:
    for label in ("4(b).3", "4(b).4", "4(c)"):
        for answer in answers(hw3_key)[label][:2]:
            assert sum(s.formula.value for s in answer.steps) == answer.value


def test_formulas_evaluate_to_their_values(hw3_key: Key) -> None:
    """Each printed substitution, evaluated independently, equals the printed value."""
    checked = 0
    for parts in answers(hw3_key).values():
        for answer in parts:
            for step in answer.steps:
                f = step.formula
                if f.values and not isinstance(f.rhs, sp.MatrixExpr):
                    assert sp.sympify(str(f.substituted)) == f.value, step.label
                    checked += 1
    assert checked > 40


def test_json_is_deterministic_and_typed(hw3_key: Key) -> None:
    text = dumps(hw3_key)
    assert text == dumps(hw3_key)
    data = json.loads(text)
    part = data["problems"][0]["parts"][1]
    assert part["answers"][0]["value"] == 600000
    assert isinstance(part["answers"][0]["value"], int)
    table = data["problems"][2]["parts"][0]["answers"][0]["table"]
    assert table["rows"][1][3] == [128, 128, 64]
