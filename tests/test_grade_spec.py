"""``answerkey grade`` end to end on specs that use its spec fields: a part's ``rubric:``,
``conventions: ecf_credit`` (top level and per problem), and a sum that two parts print.

Each spec is Homework 3 with one field added; the student is the scanned sheet
(tests/fixtures/homework3-seed-answers.yaml, whose verdicts test_grade.py holds), so every
expected mark below is hand arithmetic on counts of that sheet's answers.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from answerkey.derive import derive
from answerkey.grading.asked import unmarked
from answerkey.grading.grade import prepare
from answerkey.load import load_spec
from tests.conftest import HOMEWORK3, ROOT

SEED = ROOT / "tests" / "fixtures" / "homework3-seed-answers.yaml"
SEED_ANSWERS: dict[str, str] = yaml.safe_load(SEED.read_text())["students"][0]["answers"]


def hw3(tmp_path: Path, change: Any, name: str = "hw3") -> Path:
    """Homework 3 with ``change(data)`` applied, written to ``tmp_path``."""
    data = yaml.safe_load(HOMEWORK3.read_text())
    change(data)
    out = tmp_path / f"{name}.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return out


def part(data: dict[str, Any], problem: str, part_id: str) -> dict[str, Any]:
    prob = next(p for p in data["problems"] if p["id"] == problem)
    return next(p for p in prob["parts"] if p["id"] == part_id)  # type: ignore[no-any-return]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "answerkey.cli", *args], capture_output=True, text=True, cwd=ROOT
    )


def grade_csv(spec: Path, answers: Path, out: Path) -> list[dict[str, str]]:
    proc = run("grade", str(spec), "--answers", str(answers), "-o", str(out), "--no-pdf")
    assert proc.returncode == 0, proc.stderr
    with (out / "marks.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def answers_file(tmp_path: Path, answers: dict[str, str], name: str = "a") -> Path:
    out = tmp_path / f"{name}.yaml"
    students = [{"student": "S", "answers": answers}]
    out.write_text(yaml.safe_dump({"students": students}, allow_unicode=True))
    return out


RUBRIC_3A = [
    {"points": 6, "text": "Every output size", "items": "3(a) * Output size"},
    {"points": 1, "text": "Says why the dense layers have no kernel"},
]
RUBRIC_4A = [
    {"points": 3, "text": "Names the four branches and the concatenation"},
    {"points": 2, "text": "Explains what the 1×1 reductions save"},
]


def with_rubrics(data: dict[str, Any]) -> None:
    part(data, "cnn", "a")["rubric"] = RUBRIC_3A
    part(data, "inception", "a")["rubric"] = RUBRIC_4A


def test_rubric_marks_end_to_end(tmp_path: Path) -> None:
    spec = hw3(tmp_path, with_rubrics)
    row = grade_csv(spec, SEED, tmp_path / "marks")[0]
    # 3(a) is 15 points over 8 layers × 5 columns = 40 cells. The criterion gives its 6 points
    # to the 8 output sizes (0.75 each); 1 point is marked by hand; the other 32 cells share
    # 15 − 6 − 1 = 8 (0.25 each). The sheet has 21 cells of 3(a), all right, 6 of them
    # output sizes (Conv-2, Conv-3, Pool-1, Conv-4, FC-1, FC-2).
    given = [k for k in SEED_ANSWERS if k.startswith("3(a) ")]
    outputs = [k for k in given if k.endswith(" Output size")]
    assert (len(given), len(outputs)) == (21, 6)
    assert float(row["3(a)"]) == pytest.approx(6 * 0.75 + 15 * 0.25)  # 8.25
    by_hand = [k for k in row if k.endswith("(by hand)")]
    assert by_hand == [
        "1(f) (by hand)",
        "2(a) (by hand)",
        "3(a): Says why the dense layers have no kernel (by hand)",
        "4(a): Names the four branches and the concatenation (by hand)",
        "4(a): Explains what the 1×1 reductions save (by hand)",
    ]
    # 53 points are marked automatically without a rubric (test_grade.py); 3(a)'s criterion
    # by hand takes 1 of them; 4(a) was marked by hand already
    assert float(row["out_of"]) == 52
    groups = [k for k in row if k not in ("student", "variant", "total", "out_of", *by_hand)]
    # each column is rounded to 4 decimals, the total once
    assert float(row["total"]) == pytest.approx(sum(float(row[g]) for g in groups), abs=1e-3)


def test_rubric_shares_on_items(tmp_path: Path) -> None:
    graded = prepare(derive(load_spec(hw3(tmp_path, with_rubrics))))
    cells = {i.id: i.points for i in graded.items if i.group == "3(a)"}
    assert len(cells) == 40 and sum(cells.values()) == pytest.approx(14)
    assert {p for k, p in cells.items() if k.endswith("Output size")} == {0.75}
    assert {p for k, p in cells.items() if not k.endswith("Output size")} == {0.25}
    assert ("4(a): Explains what the 1×1 reductions save", 2.0) in graded.manual


def test_rubric_printed_in_the_key(tmp_path: Path, tex_available: None) -> None:
    spec = hw3(tmp_path, with_rubrics)
    proc = run("build", str(spec), "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    tex = (tmp_path / "out" / "key.tex").read_text()
    assert r"\item[\mbox{[6]}] Every output size" in tex
    assert "Rubric:" not in (tmp_path / "out" / "questions.tex").read_text()
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "out" / "key.pdf"), "-"], capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    assert "Rubric: [6] Every output size [1] Says why the dense layers have no kernel" in flat
    assert "[2] Explains what the 1×1 reductions save" in flat


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (
            lambda d: part(d, "inception", "b")["subparts"][2].update(rubric=RUBRIC_4A),
            "problems[3].parts[1].subparts[2].rubric",
            "a rubric needs the part's points",
        ),
        (
            lambda d: part(d, "cnn", "a").update(rubric=[{**RUBRIC_3A[0], "points": 16}]),
            "problems[2].parts[0].rubric",
            "add up to 16, more than the part's 15",
        ),
        (
            lambda d: part(d, "cnn", "a").update(rubric={"3(a) * Output size": 6}),
            "problems[2].parts[0].rubric",
            "expected a list of criteria, each {points, text, items}, got dict",
        ),
    ],
)
def test_bad_rubric_is_one_line(tmp_path: Path, change: Any, where: str, message: str) -> None:
    spec = hw3(tmp_path, change)
    proc = run("build", str(spec), "-o", str(tmp_path / "out"), "--no-pdf")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert where in proc.stderr and message in proc.stderr
    assert not (tmp_path / "out").exists()


def test_rubric_items_that_match_nothing(tmp_path: Path) -> None:
    typo = [{**RUBRIC_3A[0], "items": "3(a) * Ouput size"}]
    spec = hw3(tmp_path, lambda d: part(d, "cnn", "a").update(rubric=typo))
    line = next(n for n, t in enumerate(spec.read_text().splitlines(), 1) if "Ouput size" in t)
    out = tmp_path / "marks"
    proc = run("grade", str(spec), "--answers", str(SEED), "-o", str(out), "--no-pdf")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert f"{spec}:{line}:" in proc.stderr
    assert "problems[2].parts[0].rubric[0].items" in proc.stderr
    assert "'3(a) * Ouput size' matches no item of 3(a)" in proc.stderr
    assert not out.exists()


def test_ecf_credit_per_problem(tmp_path: Path) -> None:
    def credit(data: dict[str, Any]) -> None:
        data["conventions"]["ecf_credit"] = 0.5
        inception = next(p for p in data["problems"] if p["id"] == "inception")
        inception["conventions"] = {"ecf_credit": 0.25}

    spec = hw3(tmp_path, credit)
    # the scanned sheet, plus biases added in 1(b) (500·1200 + 500) and 1(e) the right sum
    # of the student's own three layers: an ECF in problem 1 as well
    answers = {**SEED_ANSWERS, "1(b)": "600,500", "1(e)": "994,250"}
    row = grade_csv(spec, answers_file(tmp_path, answers), tmp_path / "marks")[0]
    assert float(row["1(b)"]) == 0  # biases added: a misconception
    assert float(row["1(e)"]) == pytest.approx(0.5 * 2)  # ECF at the top-level 50 %
    # 4(b): 10 points over 27 items (4(b).3's and 4(b).4's sums are 4(b).5's and 4(b).6's,
    # see test_value_asked_by_another_part); 8 right (two paddings, six module operations)
    # and 4(b).5 by ECF at problem 4's 25 %
    assert float(row["4(b)"]) == pytest.approx((8 + 0.25) * 10 / 27, abs=1e-4)
    # 4(c): 5 points over 12 items (two sums with four layers each, and the comparison's two
    # ratios); three right, the 5×5 FLOPs, and the sum by ECF at 25 %
    assert float(row["4(c)"]) == pytest.approx((3 + 0.25) * 5 / 12, abs=1e-4)


def test_ecf_credit_stated_in_the_key(tmp_path: Path, tex_available: None) -> None:
    def credit(data: dict[str, Any]) -> None:
        data["conventions"]["ecf_credit"] = 0.5
        next(p for p in data["problems"] if p["id"] == "inception")["conventions"] = {
            "ecf_credit": 0.25
        }

    proc = run("build", str(hw3(tmp_path, credit)), "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "out" / "key.pdf"), "-"], capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    own = "a value that follows from your own earlier wrong value earns"
    assert f"{own} 50% of its marks" in flat
    assert f"{own} 25% of its marks" in flat  # problem 4's conventions
    assert flat.count(own) == 2


def test_value_asked_by_another_part(tmp_path: Path) -> None:
    items = prepare(derive(load_spec(HOMEWORK3))).items
    ids = {i.id for i in items}
    # 4(b).3 asks the operations of each module, 4(b).5 their total: the total is marked once
    assert "4(b).3" not in ids and "4(b).4" not in ids
    assert {"4(b).5", "4(b).6", "4(b).3 5×5 conv", "4(c) params", "4(c) ops"} <= ids
    assert sum(i.points for i in items if i.group == "4(b)") == pytest.approx(10)
    # the comparisons of 4(c) and 4(d) ask for the ratios; their tables' counts are those
    # 4(c) params/ops and 4(b).5/4(b).6 ask for
    compared = sorted(i for i in ids if i.startswith(("4(c) compare", "4(d)")))
    assert compared == [
        "4(c) compare ratio (first / second) Operations",
        "4(c) compare ratio (first / second) Parameters",
        "4(d) ratio (first / second) Operations",
        "4(d) ratio (first / second) Parameters",
    ]
    assert unmarked(derive(load_spec(HOMEWORK3))) == {
        "4(b).3": "4(b).5",
        "4(b).4": "4(b).6",
        "4(c) compare the naive inception module (b) Parameters": "4(c) params",
        "4(c) compare the naive inception module (b) Operations": "4(c) ops",
        "4(c) compare the inception module (a) Parameters": "4(b).6",
        "4(c) compare the inception module (a) Operations": "4(b).5",
        "4(d) the inception module (a) Parameters": "4(b).6",
        "4(d) the inception module (a) Operations": "4(b).5",
        "4(d) the naive inception module (b) Parameters": "4(c) params",
        "4(d) the naive inception module (b) Operations": "4(c) ops",
    }
    # a sheet with only the sums under 4(b).3/4(b).4 (as a manifest's columns allow) and
    # 4(b).5 right earns 4(b).5's share and nothing for the repeated sums
    answers = {"4(b).3": "8,866,758,656", "4(b).4": "536,576", "4(b).5": "8,866,758,656"}
    row = grade_csv(HOMEWORK3, answers_file(tmp_path, answers), tmp_path / "marks")[0]
    assert float(row["4(b)"]) == pytest.approx(10 / 27, abs=1e-4)
    assert float(row["total"]) == pytest.approx(10 / 27, abs=1e-4)
