"""batchnorm2d: PyTorch's counting, 2C trainable parameters (γ as weight, β as bias) and 2C
running statistics (buffers), named separately; the conventions sum the parameters, never
the buffers; PyTorch agrees on every count."""

from __future__ import annotations

from typing import Any

import pytest

from answerkey.spec_network import NetworkSpec
from derivations.conventions import Conventions
from derivations.layers import Count
from derivations.layers.norm import BatchNorm2d
from derivations.network import analyze
from derivations.shapes import Shape, ShapeError


def _net(**fields: Any) -> dict[str, Any]:
    return {
        "input": [6, 6, 3],
        "layers": [
            {"name": "c", "kind": "conv2d", "filters": 16, "kernel": 3},
            {"name": "bn", "kind": "batchnorm2d", **fields},
        ],
    }


def test_counts_are_named_and_pytorchs() -> None:
    result = BatchNorm2d(name="bn").forward(Shape.image(16, 4, 4))
    assert result.out_shape == Shape.image(16, 4, 4)
    assert result.count(Count.WEIGHTS) == 16  # γ
    assert result.count(Count.BIASES) == 16  # β
    assert result.count(Count.BUFFERS) == 2 * 16  # running mean and variance
    assert result.count(Count.MACS) == 0


@pytest.mark.parametrize(("bias", "expected"), [(False, 16), (True, 32)])
def test_conventions_sum_parameters_never_buffers(bias: bool, expected: int) -> None:
    net = NetworkSpec.model_validate(_net()).to_model("n", ())
    analysis = analyze(net, Conventions(bias=bias))
    (_, bn) = analysis.layers()[-1]
    assert analysis.params(bn) == expected
    assert analysis.ops(bn) == 0


def test_affine_and_running_stats_can_be_off() -> None:
    plain = BatchNorm2d(affine=False, track_running_stats=False).forward(Shape.image(8, 2, 2))
    assert dict(plain.counts) == {}


def test_needs_a_feature_map() -> None:
    with pytest.raises(ShapeError, match="H×W×C"):
        BatchNorm2d().forward(Shape.vector(10))


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize(
    "fields",
    [{}, {"affine": False}, {"track_running_stats": False}, {"affine": True}],
    ids=["default", "no-affine", "no-stats", "explicit"],
)
def test_pytorch_agrees(fields: dict[str, Any]) -> None:
    from answerkey.referee import check_network

    raw = _net(**fields)
    for bias in (False, True):
        net = NetworkSpec.model_validate(raw).to_model("n", ())
        rows = check_network(analyze(net, Conventions(bias=bias)), raw, bias)
        assert rows and all(r.ok for r in rows), rows
        bn = rows[-1].ours
        assert bn is not None
        weights, biases, buffers, macs, params = bn.counts
        affine = fields.get("affine", True)
        stats = fields.get("track_running_stats", True)
        assert (weights, biases, buffers, macs) == (
            16 if affine else 0,
            16 if affine else 0,
            32 if stats else 0,
            0,
        )
        assert params == (16 + (16 if bias else 0) if affine else 0)
