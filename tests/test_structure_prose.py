"""The key's prose is written from the structure: joins by what they do, residual blocks as
residual, the activations the spec names, capitalised sentences, totals labelled by what they
hold (Homework 3's inception total adds pooling operations to MACs: "operations")."""

from __future__ import annotations

from pathlib import Path

import pytest

from answerkey.derive import Key, derive
from answerkey.load import load_spec

RESIDUAL = """\
title: A residual block
problems:
  - id: res
    title: A residual block
    networks:
      block:
        title: the residual block
        input: [56, 56, 256]
        layers:
          - kind: parallel
            name: Add
            join: add
            branches:
              - name: bottleneck
                layers:
                  - {name: 1×1 reduce, kind: conv2d, filters: 64, kernel: 1, activation: relu}
                  - {name: 3×3 conv, kind: conv2d, filters: 64, kernel: 3, padding: same,
                     activation: relu}
                  - {name: 1×1 expand, kind: conv2d, filters: 256, kernel: 1}
              - name: shortcut
                layers:
                  - {name: identity, kind: activation, function: identity}
    parts:
      - {id: a, text: Describe the block., ask: describe}
      - {id: b, text: Total operations., ask: total_ops}
      - {id: c, text: Operations., ask: ops}
      - {id: d, text: Output sizes., ask: output_shapes}
      - {id: e, text: Parameters., ask: params}
  - id: dense
    title: Dense
    networks:
      mlp:
        input: [20]
        layers:
          - {name: H-1, kind: linear, units: 10, activation: relu}
          - {name: O, kind: linear, units: 3, activation: softmax}
    parts:
      - {id: a, text: The equation., ask: network_equation}
"""


@pytest.fixture(scope="module")
def residual(tmp_path_factory: pytest.TempPathFactory) -> Key:
    path: Path = tmp_path_factory.mktemp("prose") / "residual.yaml"
    path.write_text(RESIDUAL, encoding="utf-8")
    return derive(load_spec(path))


def _answer(key: Key, label: str, index: int = 0):  # type: ignore[no-untyped-def]
    return next(p for p in key.parts() if p.label == label).answers[index]


def test_residual_block_is_described_as_residual(residual: Key) -> None:
    text = _answer(residual, "1(a)").explanation
    assert "Add is a residual block with 2 branches" in text
    assert "(ii) shortcut: the input, unchanged;" in text
    assert "added element-wise to the input the shortcut carries (a residual connection)" in text
    assert "a 1×1 convolution with 64 filters → 56 × 56 × 64, then ReLU" in text
    assert "The 1×1 convolution before the 3×3 convolution reduces the depth it sees" in text
    assert "restores the depth" in text
    for wrong in ("concatenat", "5×5", "pooling", "several scales", "module"):
        assert wrong not in text, wrong


def test_residual_cost_names_its_join(residual: Key) -> None:
    total = _answer(residual, "1(b)")
    assert total.explanation == (
        "The block's cost is the sum of its layers' operations; the element-wise addition "
        "that joins the branches is not counted."
    )
    assert total.unit == "operations (MACs)"  # only MACs: no pooling in this block


def test_output_sizes_speak_only_of_what_the_network_has(residual: Key, hw3_key: Key) -> None:
    """The residual block has convolutions and an add join: no pooling, no concatenation."""
    why = _answer(residual, "1(d)").explanation
    assert why == (
        "Each output size follows from the layer's kernel, stride and padding by the rule "
        "above; a convolution's depth is its number of filters."
    )
    inception = [  # Homework 3's inception module: convolutions, pooling, a concatenation
        a.explanation for p in hw3_key.parts() for a in p.answers if a.kind == "output_shapes"
    ]
    assert inception and all(
        w.endswith("pooling keeps the depth, and a concatenation adds up its branches' depths.")
        for w in inception
    )


def test_parameters_name_only_the_parameter_free_layers_it_has(
    residual: Key, hw3_key: Key
) -> None:
    """No pooling and no concatenation in the residual block: the sentence names neither;
    Homework 3's networks have both, and say so."""
    why = _answer(residual, "1(e)").explanation
    assert why.endswith("independent of the input's height and width.")
    assert "pooling" not in why and "concatenation" not in why
    hw3 = [a.explanation for p in hw3_key.parts() for a in p.answers if a.kind == "params"]
    assert any(w.endswith("; pooling and concatenation have none.") for w in hw3)


def test_activations_come_from_the_spec(residual: Key) -> None:
    why = _answer(residual, "2(a)").explanation
    assert "applies its activation (H-1: ReLU, O: softmax);" in why
    assert "tanh" not in why


def test_homework3_totals_and_sentences(hw3_key: Key) -> None:
    per_module = _answer(hw3_key, "4(b).3")
    total = _answer(hw3_key, "4(b).5")
    assert per_module.unit == total.unit == "operations"  # MACs plus 75,497,472 pooling ops
    assert "concatenation only stacks the branches' outputs and costs none" in total.explanation
    for part in hw3_key.parts():
        for answer in part.answers:
            if answer.explanation:
                assert answer.explanation[0].isupper(), (part.label, answer.explanation[:40])
    assert "applies tanh element-wise" in _answer(hw3_key, "1(f)").explanation
