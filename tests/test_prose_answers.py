"""A part with the instructor's own ``answer:`` (prose, with or without an ``ask``) grades and
exports: the prose is marked by hand, the values its questions ask are marked as before."""

from __future__ import annotations

import csv
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from answerkey.derive import derive
from answerkey.grading.grade import prepare
from answerkey.load import load_spec
from tests.conftest import ROOT

SPEC = """\
title: T
problems:
  - id: p
    title: P
    networks: {n: {input: [4], layers: [{name: h, kind: linear, units: 2}]}}
    parts:
      - {id: a, points: 2, text: Params?, ask: {kind: layer_params, layer: h}}
      - {id: b, points: 2, text: Discuss., answer: 'Because $2 \\cdot 4 = 8$.'}
      - id: c
        points: 2
        text: Params, and why?
        ask: {kind: layer_params, layer: h}
        answer: Each unit has a weight per input.
"""
HW4 = ROOT / "specs" / "homework4.yaml"
LEFT_OUT = "not exported (answered in prose or equations; mark by hand): "


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "answerkey.cli", *args], capture_output=True, text=True, cwd=ROOT
    )


def spec(tmp_path: Path) -> Path:
    out = tmp_path / "spec.yaml"
    out.write_text(SPEC)
    return out


def left_out(stderr: str) -> list[str]:
    line = next(x for x in stderr.splitlines() if LEFT_OUT in x)
    return line.split(LEFT_OUT)[1].split(", ")


def test_items_leave_the_prose_out(tmp_path: Path) -> None:
    proc = run("grade", str(spec(tmp_path)), "--items")
    assert proc.returncode == 0, proc.stderr
    names = [line.split("\t")[0] for line in proc.stdout.splitlines()]
    assert names == ["1(a)", "1(c) layer_params"]  # 1(b) has no value; 1(c)'s count is one


def test_grade_marks_the_values_and_leaves_the_prose_by_hand(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"  # h: 4 inputs × 2 units = 8 weights (biases not counted)
    answers.write_text(
        'students:\n  - {student: S, answers: {"1(a)": "8", "1(c) layer_params": "10"}}\n'
    )
    out = tmp_path / "marks"
    proc = run("grade", str(spec(tmp_path)), "--answers", str(answers), "-o", str(out), "--no-pdf")
    assert proc.returncode == 0, proc.stderr
    with (out / "marks.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows == [
        {
            "student": "S",
            "variant": "",
            "1(a)": "2",
            "1(c)": "0",
            "total": "2",
            "out_of": "4",
            "1(b) (by hand)": "",
        }
    ]


def test_moodle_exports_the_values_and_names_the_prose(tmp_path: Path) -> None:
    out = tmp_path / "m.xml"
    proc = run("moodle", str(spec(tmp_path)), "--count", "2", "--seed", "1", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert left_out(proc.stderr) == ["1(b)"]
    questions = [q for q in ET.parse(out).getroot() if q.get("type") == "numerical"]
    assert [q.findtext("name/text") for q in questions] == ["1(a)", "1(c)"]
    for q in questions:
        right = next(a for a in q.iter("answer") if a.get("fraction") == "100")
        assert right.findtext("text") == "8"
    assert "Each unit has a weight per input." in (
        questions[1].findtext("generalfeedback/text") or ""
    )


def test_canvas_exports_the_values_and_names_the_prose(tmp_path: Path) -> None:
    out = tmp_path / "c.zip"
    proc = run("canvas", str(spec(tmp_path)), "--count", "2", "--seed", "1", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert left_out(proc.stderr) == ["1(b)"]
    with zipfile.ZipFile(out) as z:
        qti = ET.fromstring(z.read("gT/gT.xml"))
    titles = [e.get("title") for e in qti.iter() if e.tag.endswith("}item")]
    assert titles == ["1(a)", "1(c)"]


def test_homework4_discussion_exports_and_grades(tmp_path: Path) -> None:
    out = tmp_path / "m.xml"
    proc = run("moodle", str(HW4), "--count", "2", "--seed", "1", "--no-figures", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "6(a)" in left_out(proc.stderr)  # "Discussion": the instructor's answer, a rubric
    assert run("grade", str(HW4), "--items").returncode == 0
    graded = prepare(derive(load_spec(HW4)))
    assert not any(i.group == "6(a)" for i in graded.items)
    assert [(label, pts) for label, pts in graded.manual if label.startswith("6(a)")] == [
        (
            "6(a): The block learns only a residual, the difference from the identity, which is"
            " easy to reach",
            3.0,
        ),
        ("6(a): The shortcut carries the gradient back unchanged (the identity term)", 3.0),
        ("6(a): Batch norm normalises each channel over the batch, then scales and shifts", 3.0),
        ("6(a): Why the convolutions need no bias", 1.0),
    ]
