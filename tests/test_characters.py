"""Any Unicode text: the mappings pdfLaTeX needs compile, an untypesettable character is a
located error before TeX runs, TeX's text ligatures stay literal, and numbers used as text
print as the spec wrote them."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from answerkey.characters import check_spec, preamble, problem, text_macro
from answerkey.compile import compile_pdf
from answerkey.latex import escape
from answerkey.load import load_spec
from answerkey.preamble import FONTS, TEXT
from answerkey.texlog import read_log

ROOT = Path(__file__).resolve().parent.parent
RANGES = [
    (0xA0, 0x250),  # Latin-1, Extended-A and -B
    (0x370, 0x400),  # Greek
    (0x1E00, 0x1F00),  # Latin Extended Additional
    (0x2000, 0x2200),  # punctuation, sub- and superscripts, currency, letterlike, arrows
    (0x2200, 0x2300),  # mathematical operators
    (0x1D400, 0x1D6A4),  # mathematical alphanumerics (italic H, P, K of the prose)
]


def _mapped() -> list[str]:
    out = []
    for start, stop in RANGES:
        for code in range(start, stop):
            char = chr(code)
            if unicodedata.category(char) in ("Cn", "Co", "Cs", "Cc", "Cf", "Mn", "Me", "Zl"):
                continue
            if text_macro(char) is not None:
                out.append(char)
    return out


def test_every_mapping_compiles_under_pdflatex(tex_available: None, tmp_path: Path) -> None:
    """Each character the module claims to set, set by pdfLaTeX through its generated
    \\akchar lines: no TeX error and no missing character in the log."""
    chars = _mapped()
    assert len(chars) > 900, len(chars)
    body = "\n".join(f"{c}\\par" for c in chars)
    lines = [*FONTS, *TEXT, *preamble(body, "pdflatex"), r"\tracinglostchars=3"]
    doc = (
        "\\documentclass{article}\n"
        + "\n".join(lines)
        + f"\n\\begin{{document}}\n{body}\n\\end{{document}}\n"
    )
    tex = tmp_path / "chars.tex"
    tex.write_text(doc, encoding="utf-8")
    compile_pdf(tex, reads_aux=False)
    log = read_log(tex.with_suffix(".log").read_text(encoding="utf-8", errors="replace"))
    assert not [e for e in log if e.kind == "missing"]


@pytest.mark.parametrize(
    ("char", "expected"),
    [
        ("α", r"{\ensuremath{\alpha}}"),
        ("∈", r"{\ensuremath{\in}}"),
        ("≠", r"{\ensuremath{\neq}}"),
        ("₁", r"\textsubscript{1}"),
        ("ⱼ", r"\textsubscript{j}"),
        ("²", r"\textsuperscript{2}"),
        ("ŀ", r"l\textperiodcentered{}"),
        ("ſ", r"{\fontencoding{TS1}\selectfont s}"),
        ("ǅ", r"D{\v{z}}"),
        ("⅓", r"1\textfractionsolidus{}3"),
        ("𝐻", r"{\ensuremath{\mathit{H}}}"),
    ],
)
def test_mappings(char: str, expected: str) -> None:
    assert text_macro(char) == expected
    assert problem(char, "pdflatex") is None


def test_what_needs_another_engine_or_font() -> None:
    assert "--engine lualatex or xelatex" in (problem("中", "pdflatex") or "")
    assert "fonts-symbola" in (problem("😀", "pdflatex") or "")
    assert "--engine lualatex" in (problem("ẞ", "pdflatex") or "")
    assert "private-use" in (problem("\ue000", "lualatex") or "")
    assert problem("\x01", "pdflatex") is None  # a control character is shown as its code point


def test_literal_text() -> None:
    """--, ,, '' and backticks print as typed; no line starts with = or with the × of a size."""
    assert escape("a--b") == "a-{}-b"
    assert escape("a---b") == "a-{}-{}-b"
    assert escape(",,x''") == ",{},x'{}'"
    assert escape("`x`") == r"\textasciigrave{}x\textasciigrave{}"
    assert escape("H = 128 × 64") == r"H~= 128~\ensuremath{\times} 64"
    assert escape("é and é") == "é and é"  # NFC: one character each
    assert escape("x₁ 中 ſ") == "x₁ 中 ſ"  # as UTF-8: the document maps what its engine needs


def _spec(tmp_path: Path, course: str) -> Path:
    text = (ROOT / "specs" / "homework3.yaml").read_text(encoding="utf-8")
    path = tmp_path / "spec.yaml"
    path.write_text(text.replace("course: Deep Learning", f"course: {course}"), encoding="utf-8")
    return path


def test_cjk_under_pdflatex_is_a_located_error(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "深度学习")
    with pytest.raises(Exception) as err:
        check_spec(load_spec(spec).located, "pdflatex")
    assert str(err.value).startswith(f"{spec}:3:9 course: cannot typeset '深'")
    proc = subprocess.run(
        [sys.executable, "-m", "answerkey.cli", "build", str(spec), "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--engine lualatex or xelatex" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_numbers_in_text_print_as_written(tmp_path: Path) -> None:
    text = (ROOT / "specs" / "homework3.yaml").read_text(encoding="utf-8")
    text = text.replace("title: Homework 3", "title: 1.50").replace("id: a\n", "id: 0x1F\n", 1)
    path = tmp_path / "n.yaml"
    path.write_text(text, encoding="utf-8")
    spec = load_spec(path).spec
    assert spec.title == "1.50"
    assert spec.problems[0].parts[0].id == "0x1F"
