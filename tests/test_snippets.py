"""Snippets, slides and the notebook API: every Homework 3 item compiles, crops, converts."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from answerkey.derive import derive
from answerkey.load import load_spec
from answerkey.notebook import answers, mathjax
from answerkey.slides import frames, write_slides
from answerkey.snippets import collect, write_snippets

ROOT = Path(__file__).resolve().parent.parent
HW3 = ROOT / "specs" / "homework3.yaml"
GOLDEN = Path(__file__).parent / "golden" / "snippets"


@pytest.fixture(scope="module")
def snippets_dir(tmp_path_factory: pytest.TempPathFactory, tex_available: None) -> Path:
    out = tmp_path_factory.mktemp("snip") / "snippets"
    write_snippets(HW3, out, dpi=100)
    return out


def test_every_part_has_snippets() -> None:
    items = collect(derive(load_spec(HW3)))
    names = [s.name for s in items]
    assert len(names) == len(set(names))
    for stem in (
        "p1-a",
        "p1-e",
        "p1-f",
        "p2-a",
        "p2-b",
        "p2-c",
        "p3-a",
        "p4-a",
        "p4-b1",
        "p4-b2",
        "p4-b3",
        "p4-b4",
        "p4-b5",
        "p4-b6",
        "p4-c",
        "p4-d",
    ):
        assert any(n.startswith(stem + "-") for n in names), stem
    kinds = {s.kind for s in items}
    assert kinds == {"formula", "working", "table", "graph"}
    assert "p3-a-conv-2-output" in names and "p3-a-table" in names
    assert "p2-b-compute-graph" in names and "p4-b2-module-graph" in names


@pytest.mark.parametrize(
    "name", ["p3-a-conv-2-output", "p1-e-total-params-working", "p3-a-table", "p2-b-compute-graph"]
)
def test_snippet_golden(name: str, update_golden: bool) -> None:
    body = {s.name: s.body for s in collect(derive(load_spec(HW3)))}[name] + "\n"
    golden = GOLDEN / f"{name}.tex"
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(body, encoding="utf-8")
    assert body == golden.read_text(encoding="utf-8")


def _pgm_dark_pixels(png: Path, tmp: Path) -> tuple[int, int, int]:
    """Width, height and the number of dark pixels, via poppler's grey PGM of the PDF."""
    pdf = png.with_suffix(".pdf")
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "50", "-singlefile", str(pdf), str(tmp / "g")], check=True
    )
    data = (tmp / "g.pgm").read_bytes()
    parts = data.split(maxsplit=4)
    width, height = int(parts[1]), int(parts[2])
    pixels = parts[4][-width * height :]
    return width, height, sum(1 for p in pixels if p < 128)


def test_files_are_cropped_nonblank_and_parse(snippets_dir: Path, tmp_path: Path) -> None:
    names = sorted(p.stem for p in snippets_dir.glob("p[0-9]*.tex"))
    assert len(names) > 80
    for name in names:
        for ext in ("pdf", "svg", "png"):
            assert (snippets_dir / f"{name}.{ext}").stat().st_size > 0, (name, ext)
        ET.parse(snippets_dir / f"{name}.svg")  # well-formed XML
    # a page at 50 dpi is 425 × 550; a cropped formula is far smaller, and not blank
    for name in ("p1-b-h-1-params", "p3-a-conv-2-output", "p3-a-table", "p4-b2-module-graph"):
        w, h, dark = _pgm_dark_pixels(snippets_dir / f"{name}.png", tmp_path)
        assert w * h < 425 * 550 / 2, name
        assert dark > 20, name
    assert (snippets_dir / "preamble.tex").read_text().count("\\usepackage") >= 3
    index = (snippets_dir / "index.html").read_text()
    assert index.count("<figure") == len(names)
    assert 'href="p3-a-table.svg"' in index


def test_snippet_body_inputs_into_an_article(snippets_dir: Path, tmp_path: Path) -> None:
    from answerkey.compile import compile_pdf

    for f in ("preamble.tex", "p3-a-table.tex", "p2-c-perceptron-backprop-working.tex"):
        (tmp_path / f).write_text((snippets_dir / f).read_text())
    doc = tmp_path / "doc.tex"
    doc.write_text(
        "\\documentclass{article}\n\\input{preamble}\n\\begin{document}\n"
        "\\input{p3-a-table}\n\n\\[ \\input{p2-c-perceptron-backprop-working} \\]\n"
        "\\end{document}\n"
    )
    assert compile_pdf(doc).exists()


def test_slides_have_a_frame_per_part(tmp_path: Path, tex_available: None) -> None:
    key = derive(load_spec(HW3))
    titles = [f.title for f in frames(key)]
    for label in ("1(a)", "1(f)", "2(b)", "2(c)", "3(a)", "4(a)", "4(b)ii", "4(d)"):
        assert any(t.startswith(label + " ") for t in titles), label
    written = write_slides(HW3, tmp_path)
    pdf = tmp_path / "slides.pdf"
    assert written == [tmp_path / "slides.tex", pdf]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))
    assert pages > len(titles)  # overlays: more pages than frames
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "993,750" in text and "8,866,758,656" in text


def test_notebook_objects_show_their_working() -> None:
    key = answers(HW3)
    assert key["1(e)"].value == 993_750
    latex = key["1(e)"]._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and "993{,}750" in latex
    assert "\\num" not in latex
    assert list(key)[:3] == ["1(a)", "1(b)", "1(c)"]
    assert (
        mathjax(r"\text{1\ensuremath{\times}1} \num{1234567}") == r"\text{1$\times$1} 1{,}234{,}567"
    )
