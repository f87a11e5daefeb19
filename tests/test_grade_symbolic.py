"""``answerkey grade`` on a spec whose answers are formulas: specs/general-formulas.yaml.

The spec has no points, so the test gives its two parts some (1(a): 4, 2(a): 6) and grades a
class of four through the CLI. Each answer is written the way a student might: expanded or
factored, ``ceil(h/2)`` for the key's ``⌊(h − 1)/2⌋ + 1`` (equal for every positive integer
h, proved one residue class at a time), or with a known mistake. The expected verdicts and
marks are written out here, not taken from the grader.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import sympy as sp
import yaml

from answerkey.grading.grade import grade
from answerkey.grading.symbolic import equivalent, parse_symbolic, parse_symbolic_shape
from tests.conftest import ROOT
from tests.test_grade_spec import run

SPEC = ROOT / "specs" / "general-formulas.yaml"
RIGHT = {
    "1(a)": "n_h*(n_in + 1) + n_out*(n_h + 1)",
    "2(a) output_shapes": "ceil(h/2) x ceil(h/2) x k",
    "2(a) output_shapes conv": "floor((h + 2*1 - 3)/2) + 1",
    "2(a) layer_params": "k*(3*3*c + 1)",
    "2(a) ops": "9 c k ceiling(h/2)^2",
    "2(a) ops conv": "(floor((h - 1)/2) + 1)^2 * 3*3*c*k",
}
MISTAKES = {  # item → (answer, the misconception the verdict must name)
    "1(a)": ("n_in*n_h + n_h*n_out", "biases-forgotten"),
    "2(a) output_shapes conv": ("floor(h/2 - 1/2)", "off-by-one"),
    "2(a) layer_params": ("9*c*k", "biases-forgotten"),
    "2(a) ops conv": ("9*k*(floor((h - 1)/2) + 1)**2", "k-squared"),
}
CLASS: dict[str, dict[str, str]] = {
    "equivalent forms": RIGHT,
    "misconceptions": {
        **{item: answer for item, (answer, _) in MISTAKES.items()},
        # no rule for a size, and floor(h/2) + 1 is one too many for even h
        "2(a) output_shapes": "floor(h/2) + 1 x floor(h/2) + 1 x k",
        # the right product of the student's own (wrong) layer count: ECF
        "2(a) ops": "9*k*(floor((h - 1)/2) + 1)**2",
    },
    "mixed": {
        "1(a)": "n_h*n_in + n_h + n_h*n_out + n_out",
        "2(a) output_shapes": "[floor((h-1)/2)+1, floor((h-1)/2)+1, k]",
        "2(a) output_shapes conv": "h/2",  # wrong for every h
        "2(a) layer_params": "9ck + os",  # names nothing of the key: unreadable
        "2(a) ops conv": RIGHT["2(a) ops conv"],
    },
    "flops": {"2(a) ops": "18*c*k*(floor((h-1)/2) + 1)**2"},
}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = yaml.safe_load(SPEC.read_text())
    data["problems"][0]["parts"][0]["points"] = 4
    data["problems"][1]["parts"][0]["points"] = 6
    out = tmp_path_factory.mktemp("sym") / "formulas.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    students = [{"student": name, "answers": given} for name, given in CLASS.items()]
    out = tmp_path_factory.mktemp("sym") / "answers.yaml"
    out.write_text(yaml.safe_dump({"students": students}, sort_keys=False))
    return out


def verdicts(marked: Any) -> dict[str, tuple[str, str]]:
    return {m.item.id: (m.status, m.code) for m in marked.marks}


def test_symbolic_verdicts(spec: Path, answers: Path) -> None:
    marked = {m.sheet.student: m for m in grade(spec, answers)}
    assert set(verdicts(marked["equivalent forms"]).values()) == {("correct", "")}
    assert verdicts(marked["misconceptions"]) == {
        **{item: ("misconception", code) for item, (_, code) in MISTAKES.items()},
        "2(a) output_shapes": ("wrong", ""),
        "2(a) ops": ("ecf", ""),
    }
    assert verdicts(marked["mixed"]) == {
        "1(a)": ("correct", ""),
        "2(a) output_shapes": ("correct", ""),
        "2(a) output_shapes conv": ("wrong", ""),
        "2(a) layer_params": ("unreadable", ""),
        "2(a) ops": ("blank", ""),
        "2(a) ops conv": ("correct", ""),
    }
    assert verdicts(marked["flops"])["2(a) ops"] == ("misconception", "flops-for-macs")


def test_symbolic_marks_csv(spec: Path, answers: Path, tmp_path: Path) -> None:
    proc = run("grade", str(spec), "--answers", str(answers), "-o", str(tmp_path), "--no-pdf")
    assert proc.returncode == 0, proc.stderr
    with (tmp_path / "marks.csv").open(newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    # 2(a)'s 6 points over its 5 items (the size, the size formula, the parameters, the
    # operations and the layer's operations): 1.2 each; 1(a) is one item of 4 points
    expect = {
        "equivalent forms": (4, 6),
        "misconceptions": (0, 1.2),  # only the ECF sum, at the default full credit
        "mixed": (4, 2.4),  # the size and the layer's operations
        "flops": (0, 0),
    }
    for student, (one, two) in expect.items():
        row = rows[student]
        assert float(row["1(a)"]) == one and float(row["2(a)"]) == pytest.approx(two), student
        assert float(row["total"]) == pytest.approx(one + two), student
        assert float(row["out_of"]) == 10


def test_equivalence_is_for_positive_integers() -> None:
    h, k = sp.symbols("h k", positive=True, integer=True)
    syms = {"h": h, "k": k}
    key = sp.floor((h - 1) / 2) + 1
    for same in ("ceiling(h/2)", "floor((h + 1)/2)", "floor(h/2 + 1/2)"):
        assert equivalent(parse_symbolic(same, syms), key), same  # type: ignore[arg-type]
    for other in ("floor(h/2) + 1", "(h + 1)/2", "ceiling(h/2) + floor(k/3) - floor(k/3) + 1"):
        assert not equivalent(parse_symbolic(other, syms), key), other  # type: ignore[arg-type]
    # two symbols under one floor: the residues of both are tried (h mod 2 × k mod 2)
    assert equivalent(
        parse_symbolic("floor((h*k + 1)/2)", syms),  # type: ignore[arg-type]
        sp.ceiling(h * k / 2),
    )
    assert parse_symbolic_shape("ceil(h/2) × ceil(h/2) × k", syms) == (
        sp.ceiling(h / 2),
        sp.ceiling(h / 2),
        k,
    )
    assert parse_symbolic_shape("Max(h, k) x 2", syms) == (sp.Max(h, k), 2)
    assert parse_symbolic_shape("h x __import__('os')", syms) is None
