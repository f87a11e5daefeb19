"""Print-ready documents, measured: every spec in specs/ (and tests/specs/), ten random
variants, the slides and the snippets are typeset, and every TeX log is read. A box that
overfills by more than 1 pt, a missing character or a LaTeX warning outside a short
allow-list fails the test. Also: --strict, the Overleaf zip under two engines, the snippets
used as documented, the question sheet's tables and marks, and the slides' fitting."""

from __future__ import annotations

import re
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import answerkey.compile as compile_module
from answerkey.build import build
from answerkey.compile import compile_pdf
from answerkey.derive import derive
from answerkey.errors import CompileError
from answerkey.latex import Tex
from answerkey.load import load_spec
from answerkey.render import render
from answerkey.slides import Frame, Measures, display_label, pack, write_slides
from answerkey.snippets import write_snippets
from answerkey.texlog import LogEntry, read_log
from answerkey.variants import build_variants

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml")) + sorted((ROOT / "tests" / "specs").glob("*.yaml"))
PRINT = ROOT / "tests" / "specs" / "print.yaml"
ALLOWED = (
    # One pass (answerkey.compile): the exam class records point totals and labels in the
    # .aux for a second pass; the documents print their points from the spec instead.
    re.compile(r"Class exam Warning: Point totals have changed"),
    re.compile(r"LaTeX Warning: Label\(s\) may have changed"),
    # The snippets' standalone class notes that TeX runs without shell escape, as it must.
    re.compile(r"Package shellesc Warning: Shell escape disabled"),
    # Beamer's PDF bookmarks cannot hold math; the frame title prints it all the same.
    re.compile(r"Package hyperref Warning: Token not allowed in a PDF string"),
)
"""LaTeX warnings that do not show on the page."""


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Every TeX run's (file name, log) while the test runs."""
    seen: list[tuple[str, str]] = []
    original = compile_module.run_pass

    def recording(tex: Path, *args: object, **kwargs: object) -> tuple[int, str]:
        result = original(tex, *args, **kwargs)  # type: ignore[arg-type]
        log = tex.with_suffix(".log")
        if log.exists():
            seen.append((tex.name, log.read_text(encoding="utf-8", errors="replace")))
        return result

    monkeypatch.setattr(compile_module, "run_pass", recording)
    yield seen


def problems(logs: list[tuple[str, str]]) -> list[str]:
    """What is wrong in ``logs``: overfull boxes over 1 pt, missing characters, warnings
    outside :data:`ALLOWED`."""
    bad = []
    for name, text in logs:
        for entry in read_log(text):
            if _bad(entry):
                bad.append(f"{name}: {entry.message}")
    return bad


def _bad(entry: LogEntry) -> bool:
    if entry.kind == "overfull":
        return (entry.points or 0) > 1.0
    if entry.kind == "warning":
        return not any(a.search(entry.message) for a in ALLOWED)
    return entry.kind == "missing"


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_every_spec_prints_clean(
    spec: Path, tex_available: None, logs: list[tuple[str, str]], tmp_path: Path
) -> None:
    result = build(spec, tmp_path / "out")
    assert {"key.pdf", "questions.pdf"} <= set(result.files)
    assert len(logs) == 2
    assert problems(logs) == []
    assert result.warnings == ()
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "out" / "key.pdf"), "-"], capture_output=True, text=True
    ).stdout
    if spec.stem != "hostile":  # hostile prints its control characters as code points
        assert "U+" not in text


@pytest.mark.slow
def test_ten_random_variants_print_clean(
    tex_available: None, logs: list[tuple[str, str]], tmp_path: Path
) -> None:
    build_variants(ROOT / "specs" / "homework3-random.yaml", 10, 12, outdir=tmp_path / "v")
    assert logs
    assert problems(logs) == []


@pytest.mark.slow
@pytest.mark.parametrize("spec", [ROOT / "specs" / "homework3.yaml", PRINT], ids=lambda p: p.stem)
def test_slides_fit_by_measuring(
    spec: Path, tex_available: None, logs: list[tuple[str, str]], tmp_path: Path
) -> None:
    write_slides(spec, tmp_path / "s", theme="Madrid")
    assert problems(logs[-1:]) == []  # the final deck: every frame fits
    deck = (tmp_path / "s" / "slides.tex").read_text(encoding="utf-8")
    assert r"\usetheme{Madrid}" in deck
    loaded = load_spec(spec)
    for problem in loaded.spec.problems:  # each statement and note is in the deck
        assert problem.title[:12] in deck or "Résumé" in deck
    if spec.stem == "homework3":
        assert "The scan lost the Conv-1 line" in deck
        assert "Consider the architecture of GoogLeNet" in deck


def test_pack_fills_frames_in_order_and_continues() -> None:
    """Items go on while their measured heights fit the room; the rest continue on a
    "(cont.)" frame without the question; an item taller than a frame gets one alone."""
    items = tuple(Tex(f"item {i}") for i in range(5))
    deck = [Frame(Tex("1(a) Nets"), Tex("Why?"), items)]
    measures = Measures(100.0, {0: 20.0}, {0: [30.0, 30.0, 30.0, 500.0, 10.0]})
    packed = pack(deck, measures)
    assert [f.items for f in packed] == [items[:2], items[2:3], items[3:4], items[4:]]
    assert [f.question for f in packed] == [Tex("Why?"), None, None, None]
    assert [str(f.title) for f in packed[1:]] == ["1(a) Nets (cont.)"] * 3
    unmeasured = Measures(100.0, {}, {})
    assert pack(deck, unmeasured) == deck


def test_subpart_titles_number_as_the_key() -> None:
    assert [display_label(x) for x in ("4(b).1", "4(b).4", "4(b).9", "4(b).14", "1(a)")] == [
        "4(b)i",
        "4(b)iv",
        "4(b)ix",
        "4(b)xiv",
        "1(a)",
    ]


@pytest.mark.slow
def test_packed_deck_uses_its_frames(tex_available: None, tmp_path: Path) -> None:
    """Measured packing puts several items on a frame: Homework 3's 3(a) working (sixteen
    layer steps, the table and the reason) takes at most four frames; no frame is overfull
    (the fit test above)."""
    write_slides(ROOT / "specs" / "homework3.yaml", tmp_path / "s")
    deck = (tmp_path / "s" / "slides.tex").read_text(encoding="utf-8")
    assert 0 < deck.count("{3(a) A CNN shape and parameter table (cont.)}") <= 4
    assert "{4(b)ii The GoogLeNet inception module}" in deck


@pytest.mark.slow
def test_a_part_text_taller_than_a_frame_is_scaled_not_cut(
    tex_available: None, logs: list[tuple[str, str]], tmp_path: Path
) -> None:
    """A part's text alone taller than a frame: its frame shows it scaled, every word kept,
    and the working continues on the next frame."""
    sentence = "How many parameters does the hidden layer have, counting every weight?"
    spec = tmp_path / "long.yaml"
    spec.write_text(
        "title: T\nproblems:\n  - id: p\n    title: P\n"
        "    networks: {n: {input: [4], layers: [{name: h, kind: linear, units: 2}]}}\n"
        "    parts:\n      - id: a\n        points: 2\n"
        f"        text: {' '.join([sentence] * 40)}\n"
        "        ask: {kind: layer_params, layer: h}\n",
        encoding="utf-8",
    )
    write_slides(spec, tmp_path / "s")
    assert problems(logs[-1:]) == []
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "s" / "slides.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert " ".join(text.split()).count("counting every weight") == 40


@pytest.mark.slow
def test_snippets_print_clean_and_as_documented(
    tex_available: None, logs: list[tuple[str, str]], tmp_path: Path
) -> None:
    """Formula and working snippets are math for \\[ ... \\]; tables are text; each keeps
    its labels."""
    out = tmp_path / "sn"
    write_snippets(ROOT / "specs" / "homework3.yaml", out, ["tex", "pdf"])
    assert problems(logs) == []
    working = (out / "p1-e-total-params-working.tex").read_text(encoding="utf-8")
    assert r"\text{H-1 weights}" in working and r"\text{Total}" in working
    assert not working.lstrip().startswith("$")
    doc = tmp_path / "sn" / "use.tex"
    doc.write_text(
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[margin=2cm]{geometry}\n"
        "\\input{preamble}\n"
        "\\begin{document}\n\\[ \\input{p1-b-h-1-params} \\]\n"
        "\\[ \\input{p1-e-total-params-working} \\]\n\\input{p3-a-table}\n\\end{document}\n",
        encoding="utf-8",
    )
    compile_pdf(doc, reads_aux=False)
    assert problems(logs[-1:]) == []


def test_an_overfull_box_is_located_and_strict_fails(
    tex_available: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An overfull box names the part and the generated line; --strict makes it exit 3 and
    moves nothing into place (a box is forced to overflow in part 1(b) of Homework 3)."""
    import answerkey.build as build_module

    real = build_module.render

    def overflowing(key, **kwargs):  # type: ignore[no-untyped-def]
        out = real(key, **kwargs)
        wide = "\\noindent\\hbox to 2cm{\\hskip 30cm}\\par\n% answerkey: 1(c)"
        return replace(out, key=out.key.replace("% answerkey: 1(c)", wide, 1))

    monkeypatch.setattr(build_module, "render", overflowing)
    spec = ROOT / "specs" / "homework3.yaml"
    result = build(spec, tmp_path / "loose")
    (warning,) = result.warnings
    assert re.match(r"key\.tex:\d+ \(1\(b\)\): Overfull \\hbox \(7\d\d\.\d+pt too wide\)", warning)
    assert "\\hskip 30cm" in warning  # the generated line, quoted
    with pytest.raises(CompileError, match=r"an overfull box over 1 pt \(--strict\)"):
        build(spec, tmp_path / "strict", strict=True)
    assert not (tmp_path / "strict").exists()
    assert CompileError.exit_code == 3


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_overleaf_zip_compiles_as_uploaded(
    engine: str, tex_available: None, tmp_path: Path
) -> None:
    build(PRINT, tmp_path / "b", pdf=False, overleaf=True)
    with zipfile.ZipFile(tmp_path / "b" / "overleaf.zip") as archive:
        assert sorted(archive.namelist()) == ["key.tex", "questions.tex"]
        archive.extractall(tmp_path / engine)
    for name in ("key.tex", "questions.tex"):
        compile_pdf(tmp_path / engine / name, reads_aux=False, engine=engine)
        log = (tmp_path / engine / name).with_suffix(".log").read_text(errors="replace")
        assert problems([(name, log)]) == []


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["lualatex", "xelatex"])
def test_other_engines_and_a_fallback_font(
    engine: str, tex_available: None, tmp_path: Path
) -> None:
    text = PRINT.read_text(encoding="utf-8")
    spec = tmp_path / "cjk.yaml"
    spec.write_text(text.replace("course: ", "course: 深度学习 😀 ", 1), encoding="utf-8")
    build(spec, tmp_path / "o", engine=engine)  # type: ignore[arg-type]
    shown = subprocess.run(
        ["pdftotext", str(tmp_path / "o" / "key.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "深度学习" in shown and "U+" not in shown


def test_sheet_prints_the_table_to_fill_in_and_the_marks() -> None:
    rendered = render(derive(load_spec(PRINT)))
    sheet = rendered.questions
    assert r"\begin{tabularx}{\linewidth}" in sheet
    row = r"1\ensuremath{\times}1 reduce & $56 \times 56 \times 256$ & 1~\ensuremath{\times} 1 &  &"
    assert row in sheet
    assert r"\bonuspart[2]" in sheet and r"\bonustitledquestion{A bonus problem}" in sheet
    assert r"\textbf{(Graduate students only.)}" in sheet
    assert r"\fillwithlines{3.8cm}" in sheet and r"\makeemptybox{3.0cm}" in sheet
    assert "tikzpicture" in sheet and "The block" in sheet
    hw3 = render(derive(load_spec(ROOT / "specs" / "homework3.yaml"))).questions
    assert "bonus" not in hw3.lower()
    assert hw3.count("tikzpicture") == 4  # figures (a) and (b) on the sheet
