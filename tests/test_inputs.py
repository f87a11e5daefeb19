"""Inputs of every form: vectors [N], sequences [T, d], 1-, 2- and 3-D maps channels last, and
an optional batch size.

The spec writes the course's order (channels last); the derivations keep PyTorch's (channels
first, sequences ``batch_first``); the referee reads the raw spec itself and must agree.
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy as sp

from answerkey.spec_network import NetworkSpec
from derivations.conventions import Conventions
from derivations.formula import size_symbol
from derivations.layers import Count
from derivations.network import analyze
from derivations.shapes import Shape, ShapeError

FLAT = [{"kind": "flatten"}, {"name": "fc", "kind": "linear", "units": 5}]

CASES: list[tuple[Any, Shape, tuple[int, ...]]] = [  # input field, our shape, course order
    ([7], Shape.vector(7), (7,)),
    ([6, 5, 3], Shape.image(3, 6, 5), (6, 5, 3)),
    ([4, 6, 5, 3], Shape.map(3, 4, 6, 5), (4, 6, 5, 3)),
    ({"vector": [7]}, Shape.vector(7), (7,)),
    ({"sequence": [10, 16]}, Shape.sequence(10, 16), (10, 16)),
    ({"map": [12, 2]}, Shape.map(2, 12), (12, 2)),
    ({"map": [6, 5, 3], "batch": 8}, Shape.image(3, 6, 5), (6, 5, 3)),
    ({"map": [4, 6, 5, 3]}, Shape.map(3, 4, 6, 5), (4, 6, 5, 3)),
]


@pytest.mark.parametrize(("field", "shape", "course"), CASES, ids=[str(c[0]) for c in CASES])
def test_every_input_form(field: Any, shape: Shape, course: tuple[int, ...]) -> None:
    net = NetworkSpec.model_validate({"input": field, "layers": FLAT}).to_model("n", ())
    assert net.input == shape
    assert tuple(net.input.hwc()) == course
    assert net.input.as_list() == list(course)
    analysis = analyze(net, Conventions(bias=True))
    assert analysis.output == Shape.vector(5)
    n = 1
    for d in course:
        n *= d
    assert analysis.layers()[0][1].out_shape == Shape.vector(n)
    batch = field.get("batch") if isinstance(field, dict) else None
    assert net.batch == (None if batch is None else batch)


def test_forms_are_told_apart() -> None:
    seq, map1 = Shape.sequence(10, 16), Shape.map(16, 10)
    assert seq != Shape((sp.Integer(10), sp.Integer(16)))  # a bare pair of sizes is a map
    assert (seq.channels, seq.length, seq.channel_axis) == (16, 10, 1)
    assert (map1.channels, map1.length, map1.spatial_rank) == (16, 10, 1)
    assert seq.axis_names() == ("T", "d") and map1.axis_names() == ("L", "C")
    assert Shape.map(3, 4, 6, 5).axis_names() == ("D", "H", "W", "C")
    assert Shape.image(3, 6, 5).is_image and not Shape.map(3, 4, 6, 5).is_image
    assert seq.with_channels(20) == Shape.sequence(10, 20)
    assert Shape.map(3, 4, 6, 5).with_channels(7).hwc() == (4, 6, 5, 7)


def test_symbolic_sequence_and_batch() -> None:
    raw = {"input": {"sequence": ["T", "d_model"], "batch": "B"}, "layers": FLAT}
    net = NetworkSpec.model_validate(raw).to_model("n", ())
    t, d = size_symbol("T"), size_symbol("d_model")
    assert net.input == Shape.sequence(t, d) and net.batch == size_symbol("B")
    fc = analyze(net, Conventions()).layers()[1][1]
    assert fc.count(Count.WEIGHTS) == 5 * t * d
    assert fc.in_shape.numel == t * d


def test_two_listed_sizes_are_ambiguous() -> None:
    with pytest.raises(ShapeError, match=r"write \{sequence: \[T, d\]\} or \{map: \[L, C\]\}"):
        NetworkSpec.model_validate({"input": [10, 16], "layers": FLAT}).to_model("n", ())


def test_a_conv2d_names_what_it_got() -> None:
    net = NetworkSpec.model_validate(
        {"input": {"sequence": [10, 16]}, "layers": [{"kind": "conv2d", "filters": 2, "kernel": 1}]}
    ).to_model("n", ())
    with pytest.raises(
        ShapeError,
        match=r"needs an H×W×C feature map, but its input is a "
        r"sequence of 10 × 16 \(T × d\)",
    ):
        analyze(net, Conventions())


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize(("field", "shape", "course"), CASES, ids=[str(c[0]) for c in CASES])
def test_every_input_form_agrees_with_pytorch(
    field: Any, shape: Shape, course: tuple[int, ...]
) -> None:
    from answerkey.referee import check_network, measure

    raw = {"input": field, "layers": FLAT}
    net = NetworkSpec.model_validate(raw).to_model("n", ())
    rows = check_network(analyze(net, Conventions(bias=True)), raw, True)
    assert rows and all(r.ok for r in rows), rows
    assert (
        measure({"input": field, "layers": [{"kind": "activation", "function": "relu"}]}, True)[
            0
        ].shape
        == shape.dims
    )
