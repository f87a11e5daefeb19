"""The layer-stack figure and ``answerkey draw``: one block per layer with its size, the
residual shortcut drawn as an arrow, answers from the analysis, files written safely."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from answerkey.load import load_spec
from answerkey.picture import figure_document, find_network
from answerkey.spec import LoadedSpec
from answerkey.stack import layer_stack

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = ROOT / "specs" / "classic-networks.yaml"


@pytest.fixture(scope="module")
def classic() -> LoadedSpec:
    return load_spec(CLASSIC)


def test_lenet_has_a_block_per_layer_with_its_size(classic: LoadedSpec) -> None:
    layout = layer_stack(find_network(classic, "lenet5"))
    labels = [str(b.label) for b in layout["blocks"]]
    assert len(labels) == 1 + 8  # the input and eight layers
    assert "28 \\times 28 \\times 6" in labels[1]  # C1: (32 - 5 + 1) = 28, 6 filters
    assert "5 \\times 5 \\times 16" in labels[4]  # S4 halves C3's 10 × 10
    assert labels[5].endswith("400$")  # 5 · 5 · 16
    assert len(layout["edges"]) == 8


def test_answers_are_the_analysis_counts(classic: LoadedSpec) -> None:
    layout = layer_stack(find_network(classic, "lenet5"), answers=True)
    notes = [str(b.note) for b in layout["blocks"]]
    assert "params $156$" in notes[1]  # 5 · 5 · 1 · 6 + 6
    assert "params $\\num{48120}$" in notes[6]  # 400 · 120 + 120
    # a convolution's operations are MACs; a pool's are window operations, not MACs
    assert "MACs $\\num{117600}$" in notes[1]  # 28 · 28 · 6 · 5 · 5 · 1
    assert "ops $\\num{4704}$" in notes[2] and "MACs" not in notes[2]  # 14 · 14 · 6 · 2 · 2


def test_the_identity_branch_is_a_residual_arrow(classic: LoadedSpec) -> None:
    layout = layer_stack(find_network(classic, "block"))
    shapes = [str(b.shape) for b in layout["blocks"]]
    assert shapes.count("sum") == 1 and shapes.count("fork") == 1
    assert not any("identity" in str(b.label) for b in layout["blocks"])
    assert any("|-" in str(e) for e in layout["edges"])  # around the residual column


def test_boxes_have_faces_only_for_maps(classic: LoadedSpec) -> None:
    blocks = layer_stack(find_network(classic, "vgg16"), style="boxes")["blocks"]
    assert len(blocks[1].faces) == 2
    assert blocks[-1].faces == ()  # fc8's output is a vector


def test_unknown_network_names_the_known_ones(classic: LoadedSpec) -> None:
    with pytest.raises(Exception, match="networks: block, lenet5, vgg16"):
        find_network(classic, "alexnet")


def test_document_is_deterministic(classic: LoadedSpec) -> None:
    net = find_network(classic, "block")
    assert figure_document(net, True, "boxes") == figure_document(net, True, "boxes")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "answerkey.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.usefixtures("tex_available")
def test_draw_writes_each_format_and_never_overwrites(tmp_path: Path) -> None:
    for fmt in ("pdf", "svg", "png"):
        out = tmp_path / f"lenet.{fmt}"
        done = _cli("draw", str(CLASSIC), "--network", "lenet5", "-o", str(out))
        assert done.returncode == 0, done.stderr
        assert out.stat().st_size > 1000
    before = (tmp_path / "lenet.pdf").read_bytes()
    again = _cli("draw", str(CLASSIC), "--network", "vgg16", "-o", str(tmp_path / "lenet.pdf"))
    assert again.returncode == 2 and "--force" in again.stderr
    assert (tmp_path / "lenet.pdf").read_bytes() == before
    bad = _cli("draw", str(CLASSIC), "--network", "nope", "-o", str(tmp_path / "x.pdf"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert not (tmp_path / "x.pdf").exists()


def test_sheet_stack_shows_no_computed_size_and_the_key_its_answers(
    classic: LoadedSpec,
) -> None:
    from answerkey.derive import derive
    from answerkey.render import render

    rendered = render(derive(classic))
    sheet, key = rendered.questions, rendered.key
    lenet = sheet[sheet.index("LeNet-5 reads") : sheet.index("VGG-16 reads")]
    assert r"\textbf{C1}" in lenet and "32 \\times 32 \\times 1" in lenet  # names, the input
    assert "28 \\times 28 \\times 6" not in lenet and "params" not in lenet  # no answer
    assert "ifprintanswers" not in sheet
    key_lenet = key[key.index("LeNet-5 reads") : key.index("VGG-16 reads")]
    shown, hidden = key_lenet.split("\\else", 1)
    assert "28 \\times 28 \\times 6" in shown and "params $156$" in shown
    assert "28 \\times 28 \\times 6" not in hidden.split("\\fi", 1)[0]  # the sheet's copy
    vgg = sheet[sheet.index("VGG-16 reads") :]
    assert r"\scalebox{0.8" in vgg  # 22 layers scaled to the page's height
    assert "shift={(" in vgg  # boxes: 3-D faces


def test_a_module_graph_figure_takes_no_answers(tmp_path: Path) -> None:
    text = CLASSIC.read_text(encoding="utf-8").replace(
        "{network: vgg16, style: boxes,", "{network: vgg16, answers: true,"
    )
    spec = tmp_path / "graph-answers.yaml"
    spec.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "answerkey.cli", "check", str(spec)],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "graph-answers.yaml:" in done.stderr and "figures[0]" in done.stderr
    assert "a module graph shows no answers" in done.stderr


def test_classic_networks_each_fit_one_page(classic: LoadedSpec) -> None:
    """LeNet-5, VGG-16 and the ResNet block each fit one page's text height (about 25 cm
    on A4 and US letter) at full size, with or without answers."""
    for name, rows in (("lenet5", 9), ("vgg16", 23), ("block", 8)):
        for answers in (False, True):
            layout = layer_stack(find_network(classic, name), answers=answers, style="boxes")
            assert len(layout["blocks"]) >= rows
            assert layout["height"] <= 25.0, (name, layout["height"])


WIDE = """\
title: Wide input
course: Deep Learning
problems:
  - id: wide
    title: A wide signal
    points: 10
    text: A network reads a signal of 12000 samples.
    networks:
      rnet:
        input: [12000]
        layers:
          - {name: fc1, kind: linear, units: 10}
    figures:
      - {network: rnet, style: stack}
      - {network: rnet, style: graph}
    parts:
      - {id: a, points: 10, text: How many parameters?, ask: total_params}
"""


@pytest.mark.usefixtures("tex_available")
def test_a_figure_with_a_grouped_size_builds_both_pdfs(tmp_path: Path) -> None:
    """A given size of 10,000 or more prints as ``\\num{12000}`` in the sheet's figures:
    the sheet's preamble loads what its figures use (siunitx), not only the key's."""
    spec = tmp_path / "wide.yaml"
    spec.write_text(WIDE, encoding="utf-8")
    out = tmp_path / "out"
    done = _cli("build", str(spec), "-o", str(out))
    assert done.returncode == 0, done.stderr
    sheet = (out / "questions.tex").read_text(encoding="utf-8")
    assert r"\num{12000}" in sheet and r"\usepackage{siunitx}" in sheet
    for name in ("questions", "key"):
        text = subprocess.run(
            ["pdftotext", str(out / f"{name}.pdf"), "-"], capture_output=True, text=True
        ).stdout
        assert "12,000" in text, name


def test_a_global_pool_shows_no_computed_window_on_the_sheet(tmp_path: Path) -> None:
    """A global pool's window is its input map's size (8 × 8 here: 32 / 4), a computed
    size: the sheet's block names only the kind; a given kernel (conv, pool) stays; the key's
    stack shows the window."""
    text = WIDE.replace("[12000]", "[32, 32, 3]").replace(
        "          - {name: fc1, kind: linear, units: 10}",
        "          - {name: conv1, kind: conv2d, filters: 8, kernel: 3, padding: 1}\n"
        "          - {name: pool1, kind: maxpool2d, kernel: 4}\n"
        "          - {name: GAP, kind: globalavgpool}\n"
        "          - {name: fc1, kind: linear, units: 10}",
    )
    spec = tmp_path / "gap.yaml"
    spec.write_text(text, encoding="utf-8")
    net = find_network(load_spec(spec), "rnet")
    sheet = [str(b.label) for b in layer_stack(net, sizes=False)["blocks"]]
    assert sheet[3].endswith("global average pooling")  # no 8×8
    times = r"\ensuremath{\times}"
    assert f"3{times}3" in sheet[1] and f"4{times}4" in sheet[2]  # the spec's kernels
    assert not any(f"8{times}8" in label for label in sheet)
    key = [str(b.label) for b in layer_stack(net, answers=True)["blocks"]]
    assert f"global average pooling 8{times}8" in key[3]
