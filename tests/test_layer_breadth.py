"""The CNN kinds beyond Homework 3, exactly: transposed and 1-/3-D convolutions, ceil-mode
and adaptive pooling, normalisation counts under both conventions, joins with identity
shortcuts and broadcasting, element-wise operation conventions, and size expressions.

Each rule is held against an independent integer statement of PyTorch's (quoted next to the
test); the referee tests (``test_referee.py``, ``test_registry.py``) hold the same kinds
against PyTorch itself.
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from answerkey.latex import chain
from answerkey.spec_network import NetworkSpec
from derivations.conventions import Conventions
from derivations.expressions import ExpressionError, parse_size
from derivations.fields import size
from derivations.formula import size_symbol
from derivations.layers import LAYER_KINDS, Count
from derivations.layers.resample import window_total
from derivations.network import Analysis, JoinResult, analyze
from derivations.shapes import Shape, ShapeError


def net(input_: Any, *layers: dict[str, Any], **conventions: Any) -> Analysis:
    raw = {"input": input_, "layers": [{"name": f"L{i}", **x} for i, x in enumerate(layers)]}
    model = NetworkSpec.model_validate(raw).to_model("n", ())
    return analyze(model, Conventions(**conventions))


def layer(input_: Any, spec: dict[str, Any], **conventions: Any) -> Any:
    return net(input_, spec, **conventions).layers()[0][1]


# -- output sizes against PyTorch's integer rules -------------------------------------------


@settings(max_examples=300, deadline=None)
@given(h=st.integers(1, 60), k=st.integers(1, 6), s=st.integers(1, 4), data=st.data())
def test_ceil_mode_matches_pytorch(h: int, k: int, s: int, data: st.DataObject) -> None:
    """``pooling_output_shape`` in aten/src/ATen/native/Pool.h: ⌊(H + 2P − K + (S − 1))/S⌋ + 1,
    minus one if the last window starts at or past H + P."""
    p = data.draw(st.integers(0, k // 2))
    if h + 2 * p < k:
        return
    got = layer(
        [h, h, 1], {"kind": "maxpool2d", "kernel": k, "stride": s, "padding": p, "rounding": "ceil"}
    )
    out = (h + 2 * p - k + (s - 1)) // s + 1
    if (out - 1) * s >= h + p:
        out -= 1
    assert got.out_shape.height == out
    floor = layer([h, h, 1], {"kind": "maxpool2d", "kernel": k, "stride": s, "padding": p})
    assert floor.out_shape.height == (h + 2 * p - k) // s + 1


def test_ceil_mode_drops_a_window_in_the_padding_and_says_so() -> None:
    got = layer(
        [5, 5, 1], {"kind": "maxpool2d", "kernel": 2, "stride": 2, "padding": 1, "rounding": "ceil"}
    )
    rule = got.sizes[0]
    assert rule.formula.value == 3 and "PyTorch drops it" in (rule.note or "")
    assert chain(rule.formula).endswith(r"\right\rceil + 1 - 1 = 3")


def test_rounding_convention_reaches_pools_not_convolutions() -> None:
    analysis = net(
        [8, 8, 1],
        {"kind": "conv2d", "filters": 1, "kernel": 3, "stride": 2},
        {"kind": "maxpool2d", "kernel": 2, "stride": 2},
        rounding="ceil",
    )
    (_, conv), (_, pool) = analysis.layers()
    assert conv.out_shape.height == 3  # ⌊5/2⌋ + 1: convolutions always floor
    assert pool.out_shape.height == 2  # ⌈1/2⌉ + 1 = 2
    assert any("round up" in line for line in analysis.conventions.describe())


@settings(max_examples=200, deadline=None)
@given(
    h=st.integers(1, 30),
    k=st.integers(1, 5),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    p=st.integers(0, 3),
    data=st.data(),
)
def test_transposed_size_matches_pytorch(
    h: int, k: int, s: int, d: int, p: int, data: st.DataObject
) -> None:
    """ConvTranspose2d docs: H_out = (H − 1)·S − 2P + D(K − 1) + output_padding + 1."""
    op = data.draw(st.integers(0, max(s, d) - 1))
    out = (h - 1) * s - 2 * p + d * (k - 1) + op + 1
    spec = {
        "kind": "convtranspose2d",
        "filters": 2,
        "kernel": k,
        "stride": s,
        "padding": p,
        "dilation": d,
        "output_padding": op,
    }
    if out < 1:
        with pytest.raises(ShapeError):
            layer([h, h, 1], spec)
        return
    got = layer([h, h, 2], spec)
    assert got.out_shape.hwc() == (out, out, 2)
    assert got.count(Count.MACS) == h * h * 2 * k * k * 2  # input positions · C_in · K · C_out


def test_output_padding_must_be_smaller_than_stride_or_dilation() -> None:
    with pytest.raises(ShapeError, match="smaller than the stride"):
        layer(
            [8, 8, 1],
            {
                "kind": "convtranspose2d",
                "filters": 1,
                "kernel": 3,
                "stride": 2,
                "output_padding": 2,
            },
        )


def test_one_and_three_dimensional_convolutions_print_their_own_axes() -> None:
    c1 = layer(
        {"map": [100, 4]}, {"kind": "conv1d", "filters": 8, "kernel": 5, "stride": 2, "padding": 2}
    )
    assert chain(c1.counts[Count.MACS]) == (
        r"\mathrm{MAC} = L_{\mathrm{out}} C_{\mathrm{out}} K C_{\mathrm{in}} = 50 \cdot 8 \cdot 5"
        r" \cdot 4 = \num{8000}"  # grouped from four digits on
    )
    c3 = layer(
        [8, 16, 16, 4], {"kind": "conv3d", "filters": 8, "kernel": 3, "padding": 1, "groups": 2}
    )
    assert c3.count(Count.WEIGHTS) == 3 * 3 * 3 * 2 * 8
    assert c3.out_shape.hwc() == (8, 16, 16, 8)


def test_depthwise_separable_is_written_naturally() -> None:
    analysis = net(
        [14, 14, 32],
        {"kind": "conv2d", "filters": "same", "groups": "same", "kernel": 3, "padding": 1},
        {"kind": "conv2d", "filters": 64, "kernel": 1},
    )
    (_, dw), (_, pw) = analysis.layers()
    assert dw.count(Count.WEIGHTS) == 3 * 3 * 32 and dw.kernel == (3, 3, 1)
    assert pw.count(Count.WEIGHTS) == 32 * 64
    assert dw.count(Count.MACS) == 14 * 14 * 32 * 9


# -- adaptive pooling -----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(size_=st.integers(1, 50), out=st.integers(1, 50))
def test_adaptive_window_total_is_the_sum_of_pytorchs_windows(size_: int, out: int) -> None:
    """AdaptiveAveragePooling.cpp: window i spans ⌊i·L/O⌋ .. ⌈(i + 1)·L/O⌉."""
    brute = sum(-(-(i + 1) * size_ // out) - (i * size_ // out) for i in range(out))
    assert window_total(sp.Integer(size_), sp.Integer(out)) == brute


def test_adaptive_and_global_pooling() -> None:
    a = layer([7, 9, 5], {"kind": "adaptiveavgpool2d", "output": [3, 3]})
    assert a.out_shape.hwc() == (3, 3, 5)
    assert a.count(Count.WINDOW_OPS) == 5 * window_total(7, 3) * window_total(9, 3)
    g = layer([7, 9, 5], {"kind": "globalavgpool"})
    assert g.out_shape == Shape.vector(5) and g.count(Count.WINDOW_OPS) == 7 * 9 * 5
    h = size_symbol("h")
    sym = net(["h", "h", 5], {"kind": "adaptiveavgpool2d", "output": 1}).layers()[0][1]
    assert sym.count(Count.WINDOW_OPS) == 5 * h * h


def test_upsample() -> None:
    up = layer([7, 9, 5], {"kind": "upsample", "scale": [2, 3], "mode": "bilinear"})
    assert up.out_shape.hwc() == (14, 27, 5)
    with pytest.raises(ShapeError, match="does not apply to a 1-D map"):
        layer({"map": [7, 5]}, {"kind": "upsample", "scale": 2, "mode": "bilinear"})


# -- normalisation ----------------------------------------------------------------------------


def test_batch_norm_counts_as_pytorch_or_as_keras() -> None:
    spec = {"kind": "batchnorm2d"}
    torch_way = net([8, 8, 16], spec)
    keras_way = net([8, 8, 16], spec, norm="keras")
    (_, r), (_, k) = torch_way.layers()[0], keras_way.layers()[0]
    for count in (Count.SCALES, Count.SHIFTS, Count.RUNNING_MEANS, Count.RUNNING_VARS):
        assert r.count(count) == 16
    assert torch_way.params(r) == 32 and keras_way.params(k) == 64
    assert any("buffers, not parameters" in x for x in torch_way.conventions.describe())
    assert any("non-trainable" in x for x in keras_way.conventions.describe())
    bare = layer([8, 8, 16], {"kind": "batchnorm2d", "affine": False})
    assert Count.SCALES not in bare.counts and bare.count(Count.RUNNING_MEANS) == 16


def test_layer_group_and_instance_norm() -> None:
    ln = layer({"sequence": [10, 64]}, {"kind": "layernorm"})
    assert (ln.count(Count.SCALES), ln.count(Count.SHIFTS)) == (64, 64)
    assert Count.RUNNING_MEANS not in ln.counts
    whole = layer([4, 4, 8], {"kind": "layernorm", "shape": [8, 4, 4]})
    assert whole.count(Count.SCALES) == 128
    with pytest.raises(ShapeError, match="trailing sizes"):
        layer([4, 4, 8], {"kind": "layernorm", "shape": [8]})
    gn = layer([4, 4, 8], {"kind": "groupnorm", "groups": 4})
    assert gn.count(Count.SCALES) == 8
    with pytest.raises(ShapeError, match="does not divide the channels"):
        layer([4, 4, 8], {"kind": "groupnorm", "groups": 3})
    inn = layer([4, 4, 8], {"kind": "instancenorm2d"})
    assert inn.counts.keys() == {Count.NORM_OPS}


# -- joins ----------------------------------------------------------------------------------


def _residual(shortcut: list[dict[str, Any]], stride: int = 1) -> dict[str, Any]:
    main = [
        {"name": "c1", "kind": "conv2d", "filters": 8, "kernel": 3, "padding": 1, "stride": stride},
        {"name": "bn1", "kind": "batchnorm2d"},
    ]
    return {
        "kind": "parallel",
        "join": "add",
        "branches": [{"name": "main", "layers": main}, {"name": "shortcut", "layers": shortcut}],
    }


def test_identity_shortcut_and_projection() -> None:
    identity = net([8, 8, 8], _residual([]))
    assert identity.output.hwc() == (8, 8, 8)
    projection = [{"name": "proj", "kind": "conv2d", "filters": 8, "kernel": 1, "stride": 2}]
    down = net([8, 8, 8], _residual(projection, stride=2))
    assert down.output.hwc() == (4, 4, 8)


def test_a_shortcut_of_another_shape_names_both() -> None:
    with pytest.raises(ShapeError) as err:
        net([8, 8, 8], _residual([], stride=2))
    assert "gives 8 × 8 × 8" in err.value.message and "gives 4 × 4 × 8" in err.value.message


def test_squeeze_and_excitation_multiplies_with_broadcasting() -> None:
    gate = [
        {"name": "sq", "kind": "adaptiveavgpool2d", "output": 1},
        {"name": "fc1", "kind": "conv2d", "filters": 2, "kernel": 1},
        {"name": "fc2", "kind": "conv2d", "filters": 8, "kernel": 1, "activation": "sigmoid"},
    ]
    block = {
        "kind": "parallel",
        "join": "multiply",
        "branches": [{"name": "x", "layers": []}, {"name": "se", "layers": gate}],
    }
    analysis = net([6, 6, 8], block, join_ops=True)
    join = analysis.rows[-1].result
    assert isinstance(join, JoinResult) and join.out_shape.hwc() == (6, 6, 8)
    assert analysis.ops(join) == 6 * 6 * 8


def test_elementwise_operation_conventions() -> None:
    spec = {"kind": "conv2d", "filters": 4, "kernel": 1, "activation": "relu"}
    plain = net([5, 5, 2], spec, {"kind": "batchnorm2d"}, bias=True)
    counted = net(
        [5, 5, 2],
        spec,
        {"kind": "batchnorm2d"},
        bias=True,
        bias_ops=True,
        norm_ops=True,
        activation_ops=True,
    )
    (_, conv), (_, bn) = plain.layers()
    outputs = 5 * 5 * 4
    assert plain.ops(conv) == outputs * 2 and plain.ops(bn) == 0
    (_, conv2), (_, bn2) = counted.layers()
    assert counted.ops(conv2) == outputs * 2 + outputs + outputs  # MACs, bias adds, ReLU
    assert counted.ops(bn2) == 2 * outputs
    lines = counted.conventions.describe()
    assert any("a bias addition costs one operation per output" in x for x in lines)


# -- size expressions -----------------------------------------------------------------------


def test_size_expressions() -> None:
    c = size_symbol("c_in")
    analysis = net(
        ["h", "h", "c_in"],
        {
            "kind": "conv2d",
            "filters": "2*c_in",
            "kernel": 3,
            "stride": "s",
            "padding": "(3 - 1)//2",
        },
    )
    result = analysis.layers()[0][1]
    assert result.count(Count.WEIGHTS) == 9 * c * 2 * c
    assert result.out_shape.height.has(sp.floor)  # a symbolic stride keeps the floor
    assert size("12/4") == 3 and size("d_model/heads") == "d_model/heads"


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "a.b",
        "f(2)",
        "x[0]",
        "lambda: 1",
        "2**99",
        "1e3",
        "'a'",
        "x if y else z",
    ],
)
def test_expressions_refuse_everything_but_arithmetic(text: str) -> None:
    with pytest.raises((ExpressionError, ValueError)):
        size(text)
    with pytest.raises(ExpressionError):
        parse_size(text)


def test_every_kind_is_documented_with_an_example_that_validates() -> None:
    """docs/spec.md names every registered kind and each YAML example of its layer section
    is a valid layer (validated as a spec would be)."""
    import re
    from pathlib import Path

    import yaml
    from pydantic import TypeAdapter

    from answerkey.blocks import expanded_network
    from answerkey.spec_network import AnyLayer

    doc = (Path(__file__).resolve().parent.parent / "docs" / "spec.md").read_text()
    section = doc[doc.index("### Layer kinds") : doc.index("## parts")]
    missing = [k for k in LAYER_KINDS if f"`{k}`" not in section]
    assert missing == []
    adapter = TypeAdapter(AnyLayer)
    examples = 0
    for block in re.findall(r"```yaml\n(.*?)```", section, flags=re.S):
        loaded = yaml.safe_load(block)
        if not isinstance(loaded, list):  # whole networks (the blocks examples): analysed
            for net in loaded["networks"].values():
                model = NetworkSpec.model_validate(expanded_network(net)).to_model("n", ())
                assert analyze(model, Conventions()).layers()
                examples += 1
            continue
        for item in loaded:
            adapter.validate_python(item)
            examples += 1
    assert examples >= 30
