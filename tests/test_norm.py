"""batchnorm2d: the counts are named (scale γ and shift β, trainable; running mean and
variance, buffers), and the ``norm`` convention says what the key sums: PyTorch's 2C
parameters (the running statistics are buffers) or Keras's summary, 4C of which 2C are
non-trainable. The ``bias`` convention is about bias vectors of convolutions and linear layers;
a normalisation's shift β is an affine parameter and is counted under both. PyTorch agrees on
every count (γ is its ``weight``, β its ``bias``, the statistics its floating-point buffers)."""

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
    assert result.count(Count.SCALES) == 16  # γ
    assert result.count(Count.SHIFTS) == 16  # β
    assert result.count(Count.RUNNING_MEANS) == result.count(Count.RUNNING_VARS) == 16
    assert result.count(Count.MACS) == 0


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize(("norm", "expected"), [("pytorch", 32), ("keras", 64)])
def test_the_norm_convention_decides_not_the_bias_one(bias: bool, norm: str, expected: int) -> None:
    net = NetworkSpec.model_validate(_net()).to_model("n", ())
    analysis = analyze(net, Conventions(bias=bias, norm=norm))  # type: ignore[arg-type]
    (_, bn) = analysis.layers()[-1]
    assert analysis.params(bn) == expected
    assert analysis.ops(bn) == 0
    assert analysis.ops(bn) == 0 if not analysis.conventions.norm_ops else 2 * 16 * 4 * 4


def test_affine_and_running_stats_can_be_off() -> None:
    plain = BatchNorm2d(affine=False, track_running_stats=False).forward(Shape.image(8, 2, 2))
    assert set(plain.counts) == {Count.NORM_OPS}  # an operation count, off by default


def test_needs_a_feature_map() -> None:
    with pytest.raises(ShapeError, match="H×W×C"):
        BatchNorm2d().forward(Shape.vector(10))


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize(
    "fields",
    [{}, {"affine": False}, {"track_running_stats": False}, {"affine": True}],
    ids=["default", "no-affine", "no-stats", "explicit"],
)
@pytest.mark.parametrize("norm", ["pytorch", "keras"])
def test_pytorch_agrees(fields: dict[str, Any], norm: str) -> None:
    from answerkey.referee import RawConventions, check_network

    raw = _net(**fields)
    for bias in (False, True):
        net = NetworkSpec.model_validate(raw).to_model("n", ())
        conventions = Conventions(bias=bias, norm=norm)  # type: ignore[arg-type]
        referee = RawConventions(bias=bias, norm=norm)
        rows = check_network(analyze(net, conventions), raw, bias, conventions=referee)
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
        assert params == (32 if affine else 0) + (32 if stats and norm == "keras" else 0)
