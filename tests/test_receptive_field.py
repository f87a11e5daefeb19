"""``receptive_field``: the recursion against closed forms and against PyTorch.

PyTorch measures a receptive field independently: with every weight 1 and every bias 0, the
gradient of one output value in the middle of the map with respect to the input is non-zero
exactly on the input positions that value sees (max pooling is replaced by average pooling of
the same window, whose gradient reaches every position of the window).
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy as sp

from answerkey.spec_network import NetworkSpec
from derivations.conventions import Conventions
from derivations.network import analyze
from derivations.questions.base import Context
from derivations.questions.receptive_field import ReceptiveField
from derivations.shapes import ShapeError, Unsupported


def answer(layers: list[dict[str, Any]], size: Any = 64, **ask: Any) -> Any:
    raw = {"input": [size, size, 1], "layers": layers}
    net = NetworkSpec.model_validate(raw).to_model("n", ())
    ctx = Context({"n": analyze(net, Conventions())})
    return ReceptiveField.model_validate({"kind": "receptive_field", **ask}).derive(ctx)


def conv(k: Any, s: int = 1, d: int = 1, name: str | None = None) -> dict[str, Any]:
    layer = {"kind": "conv2d", "filters": 1, "kernel": k, "stride": s, "dilation": d}
    return layer | ({"name": name} if name else {})


def test_three_3x3_see_as_far_as_one_7x7() -> None:
    assert answer([conv(3), conv(3), conv(3)]).value == 7
    assert answer([conv(7)]).value == 7


def test_closed_form_with_strides_and_dilation() -> None:
    # r = 1 + sum (k_l - 1) d_l prod_{i<l} s_i  (Araujo et al. 2019, eq. 2)
    layers = [conv(7, 2), {"kind": "maxpool2d", "kernel": 3, "stride": 2}, conv(3, 1, 2), conv(5)]
    expected = 1 + 6 * 1 + 2 * 2 + 2 * 2 * 4 + 4 * 4
    assert answer(layers, size=128).value == expected


def test_symbolic_kernel() -> None:
    k = sp.Symbol("k", positive=True, integer=True)
    got = answer([conv("k"), conv("k", 2), conv("k")], size="n").value
    assert sp.expand(got - (4 * k - 3)) == 0


def test_branches_take_the_farthest() -> None:
    block = {
        "kind": "parallel",
        "name": "block",
        "branches": [
            {"name": "a", "layers": [conv(1, name="a1")]},
            {"name": "b", "layers": [conv(3, d=3, name="b1") | {"padding": 3}]},
        ],
    }
    assert answer([conv(3) | {"padding": 1}, block]).value == 3 + 2 * 3


def test_a_dense_layer_sees_the_whole_input() -> None:
    got = answer([conv(3), {"kind": "linear", "units": 4}])
    assert got.value is None and got.table.rows[-1][-1] == "whole input (64 × 64)"
    assert answer([conv(3, name="c"), {"kind": "linear", "units": 4}], layer="c").value == 3


def test_a_transposed_convolution_is_refused_by_name() -> None:
    up = {"kind": "convtranspose2d", "name": "up", "filters": 1, "kernel": 2, "stride": 2}
    with pytest.raises(Unsupported, match="up is a transposed convolution"):
        answer([conv(3), up])


def test_a_vector_input_is_refused() -> None:
    raw = {"input": [4], "layers": [{"kind": "linear", "units": 2}]}
    net = NetworkSpec.model_validate(raw).to_model("n", ())
    with pytest.raises(ShapeError, match="positions"):
        ReceptiveField().derive(Context({"n": analyze(net, Conventions())}))


def _torch_field(layers: list[tuple[str, int, int, int]], size: int) -> int:
    import torch

    mods: list[Any] = []
    for kind, k, s, d in layers:
        if kind == "conv":
            m = torch.nn.Conv2d(1, 1, k, stride=s, dilation=d, bias=False)
            torch.nn.init.ones_(m.weight)
        else:
            m = torch.nn.AvgPool2d(k, stride=s)
        mods.append(m)
    x = torch.zeros(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    y = torch.nn.Sequential(*mods).double()(x + 1)
    h, w = y.shape[-2:]
    y[0, 0, h // 2, w // 2].backward()
    rows = (x.grad[0, 0].abs().sum(dim=1) > 0).nonzero()
    return int(rows.max() - rows.min() + 1)


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize(
    "layers",
    [
        [("conv", 3, 1, 1)] * 3,
        [("conv", 7, 2, 1), ("pool", 3, 2, 1), ("conv", 3, 1, 2), ("conv", 5, 1, 1)],
        [("conv", 5, 2, 1), ("conv", 3, 2, 1), ("pool", 2, 2, 1), ("conv", 3, 1, 3)],
    ],
)
def test_recursion_agrees_with_pytorch(layers: list[tuple[str, int, int, int]]) -> None:
    spec = [
        conv(k, s, d) if kind == "conv" else {"kind": "avgpool2d", "kernel": k, "stride": s}
        for kind, k, s, d in layers
    ]
    assert answer(spec, size=160).value == _torch_field(layers, 160)
