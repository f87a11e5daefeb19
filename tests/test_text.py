"""Text as itself: escaping without markers, line breaks in one-line fields, symbol names the
printer prints and SymPy reads back, spreadsheet-safe CSV, MathJax-safe labels, and PDFs
that are the same bytes on every run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy as sp

from answerkey.derive import derive
from answerkey.jsonout import key_json
from answerkey.latex import escape
from answerkey.load import load_spec
from answerkey.mathjax import text as mathjax_text
from answerkey.notebook import PartAnswer
from answerkey.snippets import write_snippets
from answerkey.variants import spreadsheet_safe
from derivations.fields import paragraph, symbol_problem, text

ROOT = Path(__file__).resolve().parent.parent

LANGLE, RANGLE = r"\ensuremath{\langle}", r"\ensuremath{\rangle}"


def test_marker_characters_print_as_themselves() -> None:
    # U+0001/U+0002 once marked a combining tilde inside escape(): "x\x01y\x02z" gave "xỹz"
    assert escape("x\x01y\x02z") == f"x{LANGLE}U+0001{RANGLE}y{LANGLE}U+0002{RANGLE}z"
    assert escape("\x7f\x9f\x1b") == "".join(
        f"{LANGLE}U+{c:04X}{RANGLE}" for c in (0x7F, 0x9F, 0x1B)
    )
    assert escape("W\u0303") == r"\ensuremath{\tilde{W}}"
    assert escape("tab\tand\nline") == "tab\tand line"  # a newline is a space in TeX


def test_long_words_break_but_keep_every_character() -> None:
    word = "a" * 11 + "W\u0303" + "b" * 30
    out = escape(word)
    assert r"\ensuremath{\tilde{W}}" in out  # never cut from its letter
    assert out.replace(r"\allowbreak{}", "").replace(r"\ensuremath{\tilde{W}}", "W") == (
        "a" * 11 + "W" + "b" * 30
    )


@pytest.mark.parametrize(
    ("raw", "line"),
    [("a\nb", "a b"), ("a\r\n\r\nb", "a b"), ("a\rb", "a b"), ("a\u2028b", "a b"), (" a \n", "a")],
)
def test_one_line_fields_fold_line_breaks(raw: str, line: str) -> None:
    assert text(raw) == line


def test_prose_keeps_its_lines_in_one_convention() -> None:
    assert paragraph("one\r\n\r\ntwo\rthree\u2029four") == "one\n\ntwo\nthree\nfour"


@pytest.mark.parametrize("name", ["n", "n1", "n_in", "alpha", "alpha_2", "E_1", "H", "W_in"])
def test_symbol_names_the_printer_prints(name: str) -> None:
    assert symbol_problem(name) is None
    assert sp.sympify(name) == sp.Symbol(name)


@pytest.mark.parametrize(
    "name", ["n1_in", "a_b_", "a__b", "xscr", "I", "E", "pi", "oo", "S", "N", "Q", "beta", "lambda"]
)
def test_symbol_names_refused(name: str) -> None:
    assert symbol_problem(name) is not None


def test_the_jsons_sympy_text_reads_back_as_the_same_symbols() -> None:
    spec = ROOT / "specs" / "general-formulas.yaml"
    key = derive(load_spec(spec))
    values: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "value" and isinstance(v, str):
                    values.append(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(json.dumps(key_json(key))))
    assert values, "general-formulas.yaml has symbolic answers"
    for value in values:
        expr = sp.sympify(value)
        assert not expr.atoms(sp.NumberSymbol) and not expr.has(sp.I), value
        assert all(isinstance(s, sp.Symbol) for s in expr.free_symbols), value


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("-12", "-12"),
        ("3.5e-2", "3.5e-2"),
        (-7, "-7"),
        ("Ada", "Ada"),
    ],
)
def test_csv_cells_are_never_formulas(cell: object, shown: str) -> None:
    assert spreadsheet_safe(cell) == shown


def test_notebook_labels_reach_mathjax_as_text() -> None:
    label = r"1(a&) \href{javascript:alert(1)}{x} $\unicode{x}$"
    latex = PartAnswer(label, "q", ())._repr_latex_()
    assert r"\href" not in latex and "$\\unicode" not in latex
    assert mathjax_text("a_b") == r"\text{a}\_\text{b}"


def test_snippet_and_slide_pdfs_are_the_same_bytes_every_run(
    tmp_path: Path, tex_available: None
) -> None:
    spec = ROOT / "specs" / "homework3.yaml"
    one = write_snippets(spec, tmp_path / "one", formats=["pdf"]).directory
    two = write_snippets(spec, tmp_path / "two", formats=["pdf"]).directory
    pdfs = sorted(p.name for p in one.glob("*.pdf"))
    assert len(pdfs) > 50
    for name in pdfs:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
