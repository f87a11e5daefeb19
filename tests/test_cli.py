"""Every command of the CLI, run as a user runs it: exit code, what it prints, what it writes.

build, snippets, slides and variants run without TeX here (``--no-pdf``, ``--formats tex``)
so that they test the command, not TeX; test_render, test_snippets and test_variants compile
the same outputs. check runs PyTorch.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from answerkey.cli import main

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "specs" / "small-cnn.yaml"
RANDOM = ROOT / "specs" / "homework3-random.yaml"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def test_derive_prints_the_answers() -> None:
    result = run("derive", SMALL)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["problems"][0]["parts"][2]["answers"][0]["value"] == 136_970


def test_build(tmp_path: Path) -> None:
    result = run("build", SMALL, "-o", tmp_path / "out", "--no-pdf")
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
    assert written == ["answers.json", "key.tex", "questions.tex"]
    assert r"\begin{tabular}" in (tmp_path / "out" / "key.tex").read_text(encoding="utf-8")


def test_snippets(tmp_path: Path) -> None:
    result = run("snippets", SMALL, "--formats", "tex", "-o", tmp_path / "snip")
    assert result.exit_code == 0, result.output
    names = {p.name for p in (tmp_path / "snip").iterdir()}
    assert "preamble.tex" in names and "p1-a-table.tex" in names
    assert "p1-b-bn-1-params.tex" in names  # BN-1 weights, role params
    assert result.output.strip().endswith(str(tmp_path / "snip"))


def test_slides(tmp_path: Path) -> None:
    result = run("slides", SMALL, "-o", tmp_path / "deck", "--no-pdf")
    assert result.exit_code == 0, result.output
    deck = (tmp_path / "deck" / "slides.tex").read_text(encoding="utf-8")
    assert r"\documentclass[11pt,aspectratio=169]{beamer}" in deck
    assert "136{,}970" in deck or r"\num{136970}" in deck


def test_variants(tmp_path: Path) -> None:
    result = run(
        "variants", RANDOM, "--count", "2", "--seed", "3", "-o", tmp_path / "v", "--no-pdf"
    )
    assert result.exit_code == 0, result.output
    assert "2 variants in" in result.output
    names = sorted(p.name for p in (tmp_path / "v").iterdir() if not p.name.startswith("."))
    assert names[:2] == ["v001", "v002"] and "variants.csv" in names


@pytest.mark.usefixtures("torch_available")
def test_check() -> None:
    result = run("check", SMALL)
    assert result.exit_code == 0, result.output
    assert "all 12 rows agree with PyTorch" in result.output
    assert "BN-1" in result.output and "Flatten" in result.output


def test_a_bad_spec_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.read_text(encoding="utf-8").replace("kernel: 2}", "kernel: 0}", 1))
    for command in ("derive", "build", "check", "slides", "snippets"):
        result = run(
            command,
            bad,
            *(["-o", tmp_path / command] if command != "derive" and command != "check" else []),
        )
        assert result.exit_code == 2, (command, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "bad.yaml:" in lines[0] and "kernel" in lines[0], command
