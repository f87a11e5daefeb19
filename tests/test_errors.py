"""Bad input gets one clear line: ``file:line:col field: message``, exit code 2, no traceback.

Each case is a small spec with one thing wrong; the table says where the message must point
and what it must say.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from answerkey.cli import main

VALID = """\
title: T
problems:
  - id: p
    title: P
    networks:
      net:
        input: [32, 32, 3]
        layers:
          - {name: c1, kind: conv2d, filters: 8, kernel: 3, stride: 1, padding: 1}
          - {name: fc, kind: linear, units: 10}
    parts:
      - id: a
        text: Count.
        ask: {kind: layer_params, layer: c1}
"""

BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "title: *i\n"
)


def edit(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


CASES = [  # id, spec text, expected "line:col", field (or None), words in the message
    ("yaml-syntax", "title: [unclosed\nproblems: 3\n", "2:9", None, "YAML syntax error"),
    ("empty", "", None, None, "empty"),
    ("not-a-mapping", "- a\n- b\n", "1:1", None, "top level must be a mapping"),
    (
        "unknown-question-kind",
        edit("kind: layer_params", "kind: layer_param"),
        "14:21",
        "problems[0].parts[0].ask.kind",
        "did you mean 'layer_params'",
    ),
    (
        "unknown-layer-kind",
        edit("kind: conv2d", "kind: conv3d"),
        "9:30",
        "problems[0].networks.net.layers[0].kind",
        "did you mean 'conv2d'",
    ),
    (
        "unknown-field",
        edit("stride: 1", "strid: 1"),
        "9:61",
        "problems[0].networks.net.layers[0].strid",
        "did you mean 'stride'",
    ),
    (
        "missing-field",
        edit("filters: 8, ", ""),
        "9:13",
        "problems[0].networks.net.layers[0].filters",
        "missing required field",
    ),
    ("missing-title", VALID.replace("title: T\n", ""), "1:1", "title", "missing required field"),
    (
        "wrong-type",
        edit("units: 10", "units: [10]"),
        "10:45",
        "problems[0].networks.net.layers[1].units",
        "positive integer or a symbol",
    ),
    (
        "bool-is-not-int",
        edit("filters: 8", "filters: true"),
        "9:47",
        "problems[0].networks.net.layers[0].filters",
        "got True",
    ),
    (
        "zero-size",
        edit("input: [32, 32, 3]", "input: [32, 0, 3]"),
        "7:21",
        "problems[0].networks.net.input[1]",
        "positive integer",
    ),
    (
        "negative-filters",
        edit("filters: 8", "filters: -8"),
        "9:47",
        "problems[0].networks.net.layers[0].filters",
        "got -8",
    ),
    (
        "stride-zero",
        edit("stride: 1", "stride: 0"),
        "9:69",
        "problems[0].networks.net.layers[0].stride",
        "expected a positive integer, got 0",
    ),
    (
        "symbol-where-number",
        edit("stride: 1", "stride: s"),
        "9:69",
        "problems[0].networks.net.layers[0].stride",
        "a symbol is allowed only for sizes",
    ),
    (
        "kernel-too-large",
        edit("kernel: 3, stride: 1, padding: 1", "kernel: 40, stride: 1, padding: 1"),
        "9:58",
        "problems[0].networks.net.layers[0].kernel",
        "larger than the padded input",
    ),
    (
        "groups-do-not-divide",
        edit("padding: 1}", "padding: 1, groups: 2}"),
        "9:92",
        "problems[0].networks.net.layers[0].groups",
        "does not divide the input channels (3)",
    ),
    (
        "conv-after-flatten",
        edit(
            "- {name: fc, kind: linear, units: 10}",
            "- {name: fc, kind: linear, units: 10}\n"
            "          - {name: c2, kind: conv2d, filters: 2, kernel: 1}",
        ),
        "11:13",
        "problems[0].networks.net.layers[2]",
        "needs an H×W×C feature map",
    ),
    (
        "same-even-kernel",
        edit("kernel: 3, stride: 1, padding: 1", "kernel: 4, stride: 1, padding: same"),
        "9:81",
        "problems[0].networks.net.layers[0].padding",
        "odd kernel",
    ),
    (
        "no-such-layer",
        edit("layer: c1", "layer: c9"),
        "14:42",
        "problems[0].parts[0].ask.layer",
        "no layer named 'c9'",
    ),
    (
        "duplicate-key",
        edit("title: P", "title: P\n    title: Q"),
        "5:5",
        "problems[0].title",
        "given twice",
    ),
    (
        "points-do-not-add-up",
        edit("title: P", "title: P\n    points: 5").replace(
            "text: Count.", "text: Count.\n        points: 2"
        ),
        "3:5",
        "problems[0]",
        "add up to 2, not 5",
    ),
    (
        "duplicate-layer-name",
        edit("name: fc", "name: c1"),
        "10:20",
        "problems[0].networks.net.layers[1].name",
        "used twice",
    ),
    (
        "concat-size-mismatch",
        edit(
            "- {name: fc, kind: linear, units: 10}",
            "- kind: parallel\n            name: blk\n            branches:\n"
            "              - {name: one, layers: [{name: x, kind: conv2d, filters: 2, kernel: 1}]}"
            "\n"
            "              - {name: two, layers: [{name: y, kind: conv2d, filters: 2, kernel: 3}]}",
        ),
        "13:15",
        "problems[0].networks.net.layers[1].branches",
        "needs the same height and width",
    ),
    (
        "input-two-sizes-ambiguous",
        edit("input: [32, 32, 3]", "input: [32, 3]"),
        "7:16",
        "problems[0].networks.net.input",
        "write {sequence: [T, d]} or {map: [L, C]}",
    ),
    (
        "input-sequence-rank",
        edit("input: [32, 32, 3]", "input: {sequence: [32, 32, 3]}"),
        "7:27",
        "problems[0].networks.net.input.sequence",
        "a sequence is written [T, d], got 3 sizes",
    ),
    (
        "input-two-forms",
        edit("input: [32, 32, 3]", "input: {sequence: [32, 3], map: [32, 3]}"),
        "7:16",
        "problems[0].networks.net.input",
        "give exactly one of vector: [N], sequence: [T, d] or map",
    ),
    (
        "input-batch-zero",
        edit("input: [32, 32, 3]", "input: {map: [32, 32, 3], batch: 0}"),
        "7:42",
        "problems[0].networks.net.input.batch",
        "expected a positive integer",
    ),
    ("alias-bomb", BOMB, None, None, "alias bomb"),
    ("merge-key", "base: &b {x: 1}\nother:\n  <<: *b\n", "3:3", "other", "merge keys"),
]


def run(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["derive", str(path)])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("text", "where", "field", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_spec(
    tmp_path: Path, text: str, where: str | None, field: str | None, words: str
) -> None:
    spec = tmp_path / "x.yaml"
    spec.write_text(text, encoding="utf-8")
    code, out = run(spec)
    assert code == 2, out
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    line = lines[0]
    sep = " " if field else ": "
    prefix = f"answerkey: {spec}:{where}{sep}" if where else f"answerkey: {spec}"
    assert line.startswith(prefix), line
    if field:
        assert f" {field}: " in line, line
    assert words in line, line
    assert "Traceback" not in out


def test_ten_megabyte_spec(tmp_path: Path) -> None:
    spec = tmp_path / "big.yaml"
    spec.write_text("title: T\n" + "# padding\n" * 1_100_000, encoding="utf-8")
    code, out = run(spec)
    assert code == 2 and "a spec may be at most" in out


def test_missing_file(tmp_path: Path) -> None:
    code, out = run(tmp_path / "nope.yaml")
    assert code == 2 and out.strip() == f"answerkey: {tmp_path / 'nope.yaml'}: no such file"


def test_directory(tmp_path: Path) -> None:
    code, out = run(tmp_path)
    assert code == 2 and "is a directory" in out


def test_real_process_has_no_traceback_unless_debug(tmp_path: Path) -> None:
    spec = tmp_path / "x.yaml"
    spec.write_text(edit("stride: 1", "stride: 0"), encoding="utf-8")
    cmd = [sys.executable, "-m", "answerkey.cli"]
    quiet = subprocess.run([*cmd, "derive", str(spec)], capture_output=True, text=True)
    assert quiet.returncode == 2
    assert quiet.stdout == "" and "Traceback" not in quiet.stderr
    assert quiet.stderr.count("\n") == 1
    loud = subprocess.run([*cmd, "--debug", "derive", str(spec)], capture_output=True, text=True)
    assert "Traceback" in loud.stderr


def test_valid_spec_passes(tmp_path: Path) -> None:
    spec = tmp_path / "x.yaml"
    spec.write_text(textwrap.dedent(VALID), encoding="utf-8")
    code, out = run(spec)
    assert code == 0 and '"value": 216' in out
