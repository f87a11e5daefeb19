"""``answerkey grade``: the scanned Homework 3 sheet, rule values, answer reading, errors.

Rule values are checked against arithmetic written out here from the spec's numbers
(Homework 3, problem 3 and 4), not against the grader's own formulas.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from answerkey.derive import derive
from answerkey.grading.grade import grade, prepare
from answerkey.grading.report import write_report
from answerkey.grading.symbolic import equivalent, parse_symbolic
from answerkey.grading.values import parse_int, parse_shape
from answerkey.load import load_spec
from tests.conftest import HOMEWORK3, ROOT

SEED = ROOT / "tests" / "fixtures" / "homework3-seed-answers.yaml"


@pytest.fixture(scope="module")
def seed_marks():  # type: ignore[no-untyped-def]
    return grade(HOMEWORK3, SEED)[0]


def test_seed_sheet_outcome(seed_marks) -> None:  # type: ignore[no-untyped-def]
    """Every answer the scan shows, decided by the rules (see the fixture's comments)."""
    by_id = {m.item.id: m for m in seed_marks.marks}
    not_right = {
        i: (m.status, m.code) for i, m in by_id.items() if m.status not in ("correct", "blank")
    }
    assert not_right == {
        # 600,000 + 375,000 + 18,750 is 993,750: the three layer counts are right
        "1(e)": ("wrong", ""),
        # 128·128·64·5·5·64 = 1,677,721,600; the sheet's 3,355,443,200 is exactly twice that
        "4(b).3 5×5 conv": ("misconception", "flops-for-macs"),
        # H = A + … + G with the doubled F: the right sum of the student's own parts
        "4(b).5": ("ecf", ""),
        # naive 5×5: 128·128·64·5·5·512 = 13,421,772,800; the sheet has twice that
        "4(c) ops 5×5 conv": ("misconception", "flops-for-macs"),
        "4(c) ops": ("ecf", ""),
    }
    assert "arithmetic slip" in by_id["1(e)"].note
    assert by_id["4(b).5"].points == by_id["4(b).5"].item.points  # ECF: full credit by default
    right = [m for m in seed_marks.marks if m.status == "correct"]
    assert len(right) == 36
    assert seed_marks.manual == (("1(f)", 5.0), ("2(a)", 2.0), ("4(a)", 5.0))
    per = seed_marks.by_group()
    assert per["1(b)"] == 2 and per["1(e)"] == 0
    assert per["3(a)"] == pytest.approx(21 * 15 / 40)  # 21 of the table's 40 cells, all right
    assert seed_marks.available == 53


def test_seed_feedback_names_each_mistake(seed_marks, tmp_path: Path, tex_available) -> None:  # type: ignore[no-untyped-def]
    out = write_report([seed_marks], tmp_path / "marks", pdf=True)
    html = next((out / "feedback").glob("*.html")).read_text()
    assert "arithmetic slip" in html
    assert html.count("FLOPs for MACs") == 2
    assert html.count("error carried forward") >= 2
    pdf = next((out / "feedback").glob("*.pdf"))
    text = " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split()
    )
    assert "FLOPs for MACs" in text and "453,750" in text and "993,750" in text
    csv = (out / "marks.csv").read_text().splitlines()
    assert csv[0].startswith("student,variant,1(a)") and csv[1].startswith("Homework 3 seed,")
    assert sorted(p.suffix for p in (out / "feedback").iterdir()) == [".html", ".pdf"]


@pytest.fixture(scope="module")
def hw3_items():  # type: ignore[no-untyped-def]
    return {i.id: i for i in prepare(derive(load_spec(HOMEWORK3))).items}


def _values(item, code):  # type: ignore[no-untyped-def]
    return [m.value for m in item.mistakes if m.code == code]


def test_rule_values_against_hand_arithmetic(hw3_items) -> None:  # type: ignore[no-untyped-def]
    conv2 = "3(a) Conv-2 "
    assert _values(hw3_items[conv2 + "Params (weights)"], "c-in-left-out") == [5 * 5 * 64]
    assert _values(hw3_items[conv2 + "Params (weights)"], "biases-added") == [5 * 5 * 128 * 64 + 64]
    assert _values(hw3_items[conv2 + "Params (with biases)"], "biases-forgotten") == [
        5 * 5 * 128 * 64
    ]
    # ⌈(256 + 4 − 5)/2⌉ + 1 = 129; the floor gives 128
    assert _values(hw3_items[conv2 + "Output size"], "ceil-for-floor") == [(129, 129, 64)]
    assert (127, 127, 64) in _values(hw3_items[conv2 + "Output size"], "off-by-one")
    assert _values(hw3_items["3(a) Pool-1 Params (weights)"], "pool-params") == [
        2 * 2 * 128,
        2 * 2 * 128 * 128,
    ]
    assert _values(hw3_items["3(a) Conv-3 Kernel size"], "k-squared") == [(7, 7)]
    ops = hw3_items["4(b).3 3×3 conv"]
    assert _values(ops, "k-squared") == [128 * 128 * 128 * 3 * 3]
    assert _values(ops, "flops-for-macs") == [2 * 128 * 128 * 128 * 3 * 3 * 64]
    assert _values(hw3_items["4(b).1 5×5 conv"], "padding-doubled") == [4]
    assert 993_750 + 600_000 in _values(hw3_items["1(e)"], "counted-twice")
    assert _values(hw3_items["1(e)"], "biases-added") == [993_750 + 500 + 750 + 25]
    assert _values(hw3_items["2(b) edge Wt→mm"], "transposed") == [(4, 2)]
    assert sum(i.points for i in hw3_items.values() if i.group == "3(a)") == pytest.approx(15)


def test_reading_answers() -> None:
    assert parse_int("453,750") == 453750 and parse_int("453 750") == 453750
    assert parse_int("45,37") is None and parse_int("twelve") is None
    assert parse_shape("41,472x1") == (41472, 1) and parse_shape("[128, 128, 64]") == (128, 128, 64)
    assert parse_shape("128 × 128 × 64") == (128, 128, 64) and parse_shape("12 x") is None


def test_symbolic_equivalence_and_safety() -> None:
    h, k = sp.symbols("H_in K", positive=True, integer=True)
    syms = {"H_in": h, "K": k}
    given = parse_symbolic("(H_in - K + 2)/2 + H_in/2", syms)
    assert given is not None and equivalent(given, h - k / 2 + 1)
    assert not equivalent(parse_symbolic("H_in - K", syms), h - k + 1)  # type: ignore[arg-type]
    for hostile in ("__import__('os')", "H_in.__class__", "exec(1)", "lambda: 1", "x" * 400):
        assert parse_symbolic(hostile, syms) is None


def test_unknown_item_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "answers.csv"
    bad.write_text("student,1(b),3(z) nothing\nAda,600000,1\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "answerkey.cli",
            "grade",
            str(HOMEWORK3),
            "--answers",
            str(bad),
            "-o",
            str(tmp_path / "out"),
            "--no-pdf",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert f"{bad}:1:3" in proc.stderr and "3(z) nothing" in proc.stderr
    assert not (tmp_path / "out").exists()
