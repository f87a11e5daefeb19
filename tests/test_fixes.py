"""The bugs found while moving to the registries, each held to the right value.

Each test builds the smallest spec that showed the bug and checks what the key must say.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from answerkey.cli import main
from answerkey.derive import derive
from answerkey.load import load_spec
from answerkey.render import render
from derivations.conventions import Conventions
from derivations.layers.conv import Conv2d
from derivations.network import Branch, Network, Parallel, analyze
from derivations.shapes import Shape


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def key_of(path: Path) -> str:
    return render(derive(load_spec(path))).key


# -- the conventions box is the spec's, not the first problem's ------------------------------

CONVENTIONS = """\
title: Conventions
conventions: {bias: false}
problems:
  - id: a
    title: With biases
    conventions: {bias: true}
    networks: {n: {input: [4], layers: [{name: fc, kind: linear, units: 3}]}}
    parts: [{id: a, text: Count., ask: {kind: layer_params, layer: fc}}]
  - id: b
    title: Without
    networks: {n: {input: [4], layers: [{name: fc, kind: linear, units: 3}]}}
    parts: [{id: a, text: Count., ask: {kind: layer_params, layer: fc}}]
"""


def test_conventions_box_states_the_specs_conventions(tmp_path: Path) -> None:
    spec = write(tmp_path, CONVENTIONS)
    loaded = load_spec(spec)
    assert [a.value for p in derive(loaded).parts() for a in p.answers] == [4 * 3 + 3, 4 * 3]
    key = key_of(spec)
    box = key[key.index("Conventions of this key") : key.index(r"\end{itemize}")]
    assert "parameters are weights only" in box
    assert "one bias per output unit" not in box
    assert key.count("Conventions for this problem") == 1  # problem a only
    own = key[key.index("Conventions for this problem") :]
    assert "include one bias per output unit" in own[: own.index(r"\part")]


# -- network_backprop refuses a CNN, as network_equation does --------------------------------

CNN = """\
title: CNN
problems:
  - id: p
    title: P
    networks:
      net:
        input: [8, 8, 3]
        layers:
          - {name: Conv-1, kind: conv2d, filters: 4, kernel: 3}
          - {name: fc, kind: linear, units: 2}
    parts: [{id: a, text: Backprop?, ask: %s}]
"""


@pytest.mark.parametrize("kind", ["network_backprop", "network_equation"])
def test_dense_network_questions_refuse_a_cnn(tmp_path: Path, kind: str) -> None:
    result = CliRunner().invoke(main, ["derive", str(write(tmp_path, CNN % kind))])
    assert result.exit_code == 2
    assert "spec.yaml:11:" in result.output
    assert "Conv-1 is a conv2d: only dense layers have a" in result.output
    assert "Traceback" not in result.output


# -- network_equation says what the activations are ------------------------------------------

DENSE = """\
title: Dense
problems:
  - id: p
    title: P
    networks:
      net:
        input: [5]
        layers:
          - {kind: linear, units: 4, activation: %s}
          - {kind: linear, units: 3, activation: %s}
    parts: [{id: a, text: Equation?, ask: network_equation}]
"""


def _equation(tmp_path: Path, first: str, second: str) -> tuple[str, str]:
    loaded = load_spec(write(tmp_path, DENSE % (first, second)))
    (answer,) = next(iter(derive(loaded).parts())).answers
    from answerkey.latex import step_tex

    return answer.explanation, step_tex(answer.steps[0])


def test_network_equation_names_each_activation(tmp_path: Path) -> None:
    why, tex = _equation(tmp_path, "relu", "softmax")
    assert "tanh" not in why and "tanh" not in tex
    assert "applies its activation (linear-1: ReLU, linear-2: softmax)" in why
    assert r"\operatorname{ReLU}" in tex and r"\operatorname{softmax}" in tex
    why, _ = _equation(tmp_path, "sigmoid", "sigmoid")
    assert "applies sigmoid element-wise" in why
    why, tex = _equation(tmp_path, "identity", "identity")
    assert "applies no activation" in why


def test_names_print_as_text_and_the_input_is_x(tmp_path: Path) -> None:
    """A default name such as linear-2 is text in math (not linear − 2); the input vector is
    x (not I, which reads as an identity matrix)."""
    _, tex = _equation(tmp_path, "tanh", "tanh")
    assert tex.startswith(r"\text{linear-2} = ")
    assert r"W_{\text{linear-1}} \mathbf{x}" in tex
    assert r"\mathbf{I}" not in tex


# -- sub-sub-parts reach the documents; deeper nesting is refused ----------------------------

NESTED = """\
title: Nested
problems:
  - id: p
    title: P
    networks: {n: {input: [7], layers: [{name: fc, kind: linear, units: 11}]}}
    parts:
      - id: a
        text: Outer.
        subparts:
          - id: "1"
            text: Middle.
            subparts:
              - id: x
                text: Inner question.
                ask: {kind: layer_params, layer: fc}
"""


def test_sub_sub_parts_are_typeset(tmp_path: Path) -> None:
    key = key_of(write(tmp_path, NESTED))
    assert r"\begin{subsubparts}" in key
    assert r"\subsubpart Inner question." in key
    inner = key[key.index(r"\subsubpart Inner question.") :]
    assert r"W = N_{\mathrm{in}} N_{\mathrm{out}} = 7 \cdot 11 = 77" in inner


def test_sub_sub_parts_reach_the_pdf(tmp_path: Path, tex_available: None) -> None:
    from answerkey.build import build

    result = build(write(tmp_path, NESTED), tmp_path / "out")
    text = subprocess.run(
        ["pdftotext", str(result.directory / "key.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "Inner question." in text and "77" in text


def test_parts_deeper_than_three_levels_are_refused(tmp_path: Path) -> None:
    deeper = NESTED.replace(
        "                ask: {kind: layer_params, layer: fc}\n",
        "                subparts: [{id: q, text: Too deep.}]\n",
    )
    result = CliRunner().invoke(main, ["derive", str(write(tmp_path, deeper))])
    assert result.exit_code == 2
    assert "spec.yaml:15:17 problems[0].parts[0].subparts[0].subparts[0].subparts:" in (
        result.output
    )
    assert "at most 3 deep" in result.output


# -- branches: unique names within a block; depth symbols never merged by name ---------------

BRANCHES = """\
title: Branches
problems:
  - id: p
    title: P
    networks:
      net:
        input: [8, 8, 4]
        layers:
          - kind: parallel
            branches:
              - {name: b, layers: [{name: c1, kind: conv2d, filters: 32, kernel: 1}]}
              - {name: b, layers: [{name: c2, kind: conv2d, filters: 64, kernel: 1}]}
    parts: [{id: a, text: Shapes?, ask: output_shapes}]
"""


def test_two_branches_with_one_name_are_a_located_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["derive", str(write(tmp_path, BRANCHES))])
    assert result.exit_code == 2
    assert "problems[0].networks.net.layers[0].branches[1].name:" in result.output
    assert "the branch name 'b' is used twice in this block" in result.output


def test_concatenated_depth_never_merges_same_named_terms() -> None:
    convs = [Conv2d(filters=f, kernel=1).placed(f"c{f}", ()) for f in (32, 64)]
    block = Parallel("join", (Branch("b", (convs[0],)), Branch("b", (convs[1],))))
    analysis = analyze(Network("n", Shape.image(4, 8, 8), (block,)), Conventions())
    assert analysis.output.channels == 32 + 64
    depth = analysis.rows[-1].result.depth  # type: ignore[union-attr]
    assert depth is not None and depth.value == 96 and len(depth.values) == 2


# -- default names never collide -------------------------------------------------------------

DEFAULTS = """\
title: Defaults
problems:
  - id: p
    title: P
    networks:
      net:
        input: [8, 8, 4]
        layers:
          - kind: parallel
            branches:
              - name: left
                layers: [{kind: conv2d, filters: 4, kernel: 1}, {kind: activation, function: relu}]
              - name: right
                layers: [{kind: conv2d, filters: 4, kernel: 1}, {kind: activation, function: relu}]
          - {name: activation-3, kind: activation, function: relu}
          - {kind: activation, function: relu}
    parts: [{id: a, text: Shapes?, ask: output_shapes}]
"""


def test_unnamed_layers_get_names_that_never_collide(tmp_path: Path) -> None:
    loaded = load_spec(write(tmp_path, DEFAULTS))
    analysis = loaded.problems[0].context.analyses["net"]
    assert [r.label for r in analysis.rows] == [
        "conv2d-1",
        "activation-1",
        "conv2d-2",
        "activation-2",
        "parallel-1",
        "activation-3",
        "activation-4",  # activation-3 is the author's; the default skips it
    ]
