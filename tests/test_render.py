"""The typeset documents: golden .tex, real PDFs, safety against hostile strings,
reproducible bytes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import sympy as sp
from pylatex.utils import NoEscape

from answerkey.build import build
from answerkey.derive import derive
from answerkey.latex import escape
from answerkey.load import load_spec
from answerkey.render import render

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"
SPECS = [*sorted((ROOT / "specs").glob("*.yaml")), Path(__file__).parent / "specs" / "hostile.yaml"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_golden_tex(spec: Path, update_golden: bool) -> None:
    rendered = render(derive(load_spec(spec)))
    for name, text in (("questions", rendered.questions), ("key", rendered.key)):
        golden = GOLDEN / f"{spec.stem}.{name}.tex"
        if update_golden:
            golden.write_text(text, encoding="utf-8")
        assert golden.exists(), f"no golden file {golden.name}: run pytest --update-golden"
        assert text == golden.read_text(encoding="utf-8"), (
            f"{golden.name} differs; if the change is intended, run pytest --update-golden"
        )


def test_question_source_holds_no_answers() -> None:
    rendered = render(derive(load_spec(ROOT / "specs" / "homework3.yaml")))
    for secret in ("600000", "993750", "8866758656", "Why:", "solutionorbox"):
        assert secret in rendered.key
        assert secret not in rendered.questions


def test_render_is_deterministic() -> None:
    spec = ROOT / "specs" / "homework3.yaml"
    assert render(derive(load_spec(spec))) == render(derive(load_spec(spec)))


@pytest.mark.parametrize(
    ("text", "tex"),
    [
        ("a_b", r"a\_b"),
        ("100% & $5", r"100\% \& \$5"),
        (r"\input{x}", r"\textbackslash{}input\{x\}"),
        ("~^", r"\textasciitilde{}\textasciicircum{}"),
        ("3 × 3", r"3~\ensuremath{\times} 3"),  # the × of a size never starts a line
        ("W̃", r"\ensuremath{\tilde{W}}"),
        ("中", "中"),  # as itself: answerkey.characters maps it, or refuses it before TeX
        ("[1] H-1", r"{[}1{]} H-1"),  # PyLaTeX's bracket guard; hyphens stay hyphens
        ("two\nlines", "two lines"),
    ],
)
def test_escape(text: str, tex: str) -> None:
    out = escape(text)
    assert out == tex
    assert isinstance(out, NoEscape)


def test_escape_is_pylatex_escape_latex_where_no_rule_of_ours_applies() -> None:
    from pylatex.utils import escape_latex

    text = "Total: $30 & 5% of #3_a {b} ~ \\end \u00a0x"
    assert escape(text) == escape_latex(text)


def test_templates_take_only_trusted_latex() -> None:
    """A plain string is refused by every LaTeX template: text reaches a document escaped
    (escape) or as printer output (tex), both NoEscape, or not at all."""
    from answerkey.latex import tex
    from answerkey.render import environment

    template = environment().from_string("((( x )))")
    with pytest.raises(TypeError, match="unescaped"):
        template.render(x="\\input{/etc/passwd}")
    assert template.render(x=escape("\\input{x}")) == r"\textbackslash{}input\{x\}"
    assert template.render(x=tex(sp.Integer(12345))) == r"\num{12345}"
    assert template.render(x=3) == "3"
    with pytest.raises(TypeError, match="escaping LaTeX twice"):
        escape(escape("a_b"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, tex_available: None) -> dict[str, Path]:
    out = {}
    for spec in SPECS:
        target = tmp_path_factory.mktemp("build") / spec.stem
        build(spec, target)
        out[spec.stem] = target
    return out


def pdftotext(pdf: Path) -> str:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())


def test_every_spec_compiles(built: dict[str, Path]) -> None:
    for stem, target in built.items():
        names = sorted(p.name for p in target.iterdir())
        assert names == [
            ".answerkey",
            "answers.json",
            "key.pdf",
            "key.tex",
            "questions.pdf",
            "questions.tex",
        ], stem


KEY_NUMBERS = [
    "600,000",
    "375,000",
    "18,750",
    "993,750",
    "1,719,926,784",
    "41,472",
    "8,866,758,656",
    "536,576",
    "1,441,792",
    "23,697,817,600",
    "1,677,721,600",
    "128 × 128 × 768",
    "61 × 61 × 128",
    "18 × 18 × 128",
]


def test_key_has_the_answers_and_questions_do_not(built: dict[str, Path]) -> None:
    key = pdftotext(built["homework3"] / "key.pdf")
    questions = pdftotext(built["homework3"] / "questions.pdf")
    for number in KEY_NUMBERS:
        assert number in key, number
        assert number not in questions, number
    assert "Solution" not in questions and "Why:" not in questions
    assert "Problem" in questions or "Points" in questions


def test_hostile_strings_print_literally_and_touch_nothing(built: dict[str, Path]) -> None:
    key = pdftotext(built["hostile"] / "key.pdf")
    for literal in [
        "# $ % & ~ _ ^ \\ { }",
        "\\input{/etc/passwd}",
        "\\write18{touch",
        "\\immediate\\openout5=/tmp/answerkey-openout",
        "Café",
        "naïve",
        "\\end{document}",
        "Łódź",
        "c#1 $x$ \\relax",
    ]:
        assert literal in key, literal
    assert "root:" not in key
    assert not Path("/tmp/answerkey-pwned").exists()
    assert not Path("/tmp/answerkey-openout").exists()


def test_pdfs_are_byte_identical_across_builds(tmp_path: Path, tex_available: None) -> None:
    spec = ROOT / "specs" / "homework3.yaml"
    first, second = build(spec, tmp_path / "one"), build(spec, tmp_path / "two")
    for name in first.files:
        assert (first.directory / name).read_bytes() == (second.directory / name).read_bytes(), name


def test_failed_build_leaves_the_old_one(
    tmp_path: Path, tex_available: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from answerkey import build as build_module
    from answerkey.errors import CompileError

    spec = ROOT / "specs" / "homework3.yaml"
    target = tmp_path / "out"
    build(spec, target, pdf=False)
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def broken(paths: list[Path], jobs: int | None = None, **_: object) -> list[Path]:
        raise CompileError("boom")

    monkeypatch.setattr(build_module, "compile_all", broken)
    with pytest.raises(CompileError):
        build(spec, target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "temporary files left behind"


def test_tex_error_quotes_the_generated_line(tmp_path: Path, tex_available: None) -> None:
    from answerkey.compile import compile_pdf
    from answerkey.errors import CompileError

    tex = tmp_path / "bad.tex"
    tex.write_text(
        "\\documentclass{article}\n\\begin{document}\nfine\n\\undefinedmacro\n\\end{document}\n",
        encoding="utf-8",
    )
    with pytest.raises(CompileError) as err:
        compile_pdf(tex)
    assert "Undefined control sequence" in str(err.value)
    assert "bad.tex:4: \\undefinedmacro" in str(err.value)


def test_no_tex_is_exit_4_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from answerkey.errors import ToolMissing

    monkeypatch.setenv("PATH", str(tmp_path))  # no pdflatex on this PATH
    assert shutil.which("pdflatex") is None
    with pytest.raises(ToolMissing, match="apt-get install") as err:
        build(ROOT / "specs" / "homework3.yaml", tmp_path / "out")
    assert err.value.exit_code == 4
    assert not (tmp_path / "out").exists()
    result = build(ROOT / "specs" / "homework3.yaml", tmp_path / "out", pdf=False)
    assert set(result.files) == {"answers.json", "key.tex", "questions.tex"}


def _stack(layers: int) -> str:
    rows = "\n".join(
        f"          - {{name: Conv-{i + 1}, kind: conv2d, filters: {8 + (i * 37) % 120}, "
        f"kernel: {3 if i % 2 else 5}, padding: {1 if i % 2 else 2}}}"
        for i in range(layers)
    )
    return (
        f"title: Stack\nproblems:\n  - id: s\n    title: A deep stack\n    points: 3\n"
        f"    networks:\n      cnn:\n        input: [32, 32, 3]\n        layers:\n{rows}\n"
        f"    parts:\n      - {{id: a, points: 2, text: Fill in the table., ask: shape_table}}\n"
        f"      - {{id: b, points: 1, text: How many parameters?, ask: total_params}}\n"
    )


def test_long_table_breaks_across_pages(tmp_path: Path, tex_available: None) -> None:
    """A 300-layer table comes in blocks that break across pages: every row is printed, the
    working and the long sum too, and no box is overfull."""
    from answerkey.compile import compile_pdf

    spec = tmp_path / "stack.yaml"
    spec.write_text(_stack(300), encoding="utf-8")
    result = build(spec, tmp_path / "out", pdf=False)
    tex = result.directory / "key.tex"
    assert max(len(line) for line in tex.read_text(encoding="utf-8").splitlines()) < 10_000
    text = pdftotext(compile_pdf(tex, reads_aux=False))
    for i in range(1, 301):
        assert f"Conv-{i} 32 × 32" in text, f"row Conv-{i} missing"
    assert text.count("Layer Input size Kernel size Output size Params") == 15  # 20 rows each
    log = tex.with_suffix(".log").read_text(errors="replace")
    assert "Overfull" not in log


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_question_sheet_loads_only_what_it_uses(spec: Path) -> None:
    """The sheet prints no answer: no siunitx or booktabs in its preamble, and none of their
    commands in its body; TikZ only when it shows a question's figure; the key keeps what
    its answers use."""
    rendered = render(derive(load_spec(spec)))
    head, body = rendered.questions.split("\\begin{document}")
    for package, commands in (
        ("siunitx", ("\\num", "\\SI", "\\qty")),
        ("booktabs", ("\\toprule", "\\midrule", "\\bottomrule")),
    ):
        assert package not in head
        assert not any(c in body for c in commands), (package, commands)
    figures = any(p.figures for p in load_spec(spec).spec.problems)
    assert ("tikz" in head) == ("tikzpicture" in body) == figures
    assert "\\usepackage{siunitx}" in rendered.key


NO_STATEMENT = """\
title: Conventions
course: Deep Learning
conventions: {bias: true}
problems:
  - id: one
    title: First
    points: 5
    text: A small layer.
    networks:
      n1:
        input: [10]
        layers:
          - {name: fc, kind: linear, units: 4}
    parts:
      - {id: a, points: 5, text: How many parameters?, ask: total_params}
  - id: two
    title: Second
    points: 5
    conventions: {bias: false}
    note: Biases are left out here.
    networks:
      n2:
        input: [10]
        layers:
          - {name: fc, kind: linear, units: 4}
    parts:
      - {id: a, points: 5, text: How many parameters?, ask: total_params}
"""


@pytest.mark.usefixtures("tex_available")
def test_a_problem_without_a_statement_prints_its_conventions_after_its_numeral(
    tmp_path: Path,
) -> None:
    """With no statement, a \\par right after the problem's heading ended its item before the
    numeral was set, and the note and conventions printed above "2." (below 1's last part)."""
    spec = tmp_path / "conventions.yaml"
    spec.write_text(NO_STATEMENT, encoding="utf-8")
    build(spec, tmp_path / "out")
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "out" / "key.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line.strip() for line in text.splitlines()]
    two = next(i for i, line in enumerate(lines) if line.startswith("2. "))
    assert lines[two].startswith("2. Interpretation: Biases are left out here.")
    assert any(line.startswith("Conventions for this problem:") for line in lines[two:])
    assert not any("Conventions for this problem" in line for line in lines[:two])


@pytest.mark.usefixtures("tex_available")
def test_a_problem_without_a_statement_shows_its_figure_after_its_numeral(
    tmp_path: Path,
) -> None:
    """A figure begins with a \\par: with no statement it printed above "2." on both the sheet
    and the key; now the numeral has its own line and the figure follows it."""
    spec = tmp_path / "figure.yaml"
    spec.write_text(
        NO_STATEMENT.replace(
            "    note: Biases are left out here.\n",
            "    figures:\n      - {network: n2, style: stack}\n",
        ),
        encoding="utf-8",
    )
    build(spec, tmp_path / "out")
    for name in ("questions", "key"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(tmp_path / "out" / f"{name}.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        two = lines.index("2.")
        assert lines[two + 1] == "input 10", name  # the figure's first block
        assert "input 10" not in lines[:two], name
