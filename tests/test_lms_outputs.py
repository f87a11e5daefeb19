"""The online exports write like every other output, and say which parts they leave out."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from answerkey.cli import main

ROOT = Path(__file__).resolve().parent.parent
HW3 = ROOT / "specs" / "homework3.yaml"


def test_a_users_file_is_never_overwritten(tmp_path: Path) -> None:
    mine = tmp_path / "bank.xml"
    mine.write_text("my own bank")
    for command in ("moodle", "canvas"):
        result = CliRunner().invoke(main, [command, str(HW3), "--no-figures", "-o", str(mine)])
        assert result.exit_code == 2 and "never overwritten" in result.output
        assert mine.read_text() == "my own bank"
        beside = tmp_path / f"{command}.out"  # beside the user's file is fine
        result = CliRunner().invoke(main, [command, str(HW3), "--no-figures", "-o", str(beside)])
        assert result.exit_code == 0, result.output
        assert beside.is_file() and mine.read_text() == "my own bank"


def test_parts_left_out_are_named(tmp_path: Path) -> None:
    out = tmp_path / "online" / "bank.xml"
    result = CliRunner().invoke(main, ["moodle", str(HW3), "--no-figures", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    lines = [x for x in result.output.splitlines() if x.startswith("answerkey: not exported")]
    assert len(lines) == 1
    # the equation, the perceptron's graph-free algebra and the description are by hand
    for label in ("1(f)", "2(a)", "4(a)"):
        assert label in lines[0]
    assert "3(a)" not in lines[0]
    again = CliRunner().invoke(main, ["moodle", str(HW3), "--no-figures", "-o", str(out)])
    assert again.exit_code == 0, again.output  # its own earlier output is replaced
