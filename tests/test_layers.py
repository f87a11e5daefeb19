"""Layer rules, exactly: SymPy expressions, printed working, and properties over random sizes.

The output-size rule is checked against the integer formula PyTorch documents
(``(H + 2P − D(K − 1) − 1) // S + 1``, the Conv2d "Shape" section), and with symbols it must
stay a formula.
"""

from __future__ import annotations

import itertools

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from answerkey.latex import chain
from derivations.conventions import Conventions
from derivations.formula import size_symbol
from derivations.layers import Count
from derivations.layers import window as W
from derivations.layers.conv import Conv2d
from derivations.layers.dense import Linear
from derivations.layers.pool import MaxPool2d
from derivations.network import Network, analyze
from derivations.questions import Context
from derivations.questions.counts import TotalParams
from derivations.shapes import Shape, ShapeError

I = sp.Integer  # noqa: E741


def conv(k: int, s: int = 1, p: int = 0, d: int = 1, filters: int = 4) -> Conv2d:
    return Conv2d(name="c", filters=filters, kernel=k, stride=s, padding=p, dilation=d)


def test_conv_working_is_printed_in_reading_order() -> None:
    result = conv(5, 2, 2, filters=64).forward(Shape.image(128, 256, 256))
    assert chain(result.sizes[0].formula) == (
        r"H_{\mathrm{out}} = \left\lfloor{\frac{H_{\mathrm{in}} + 2 P - K}{S}}\right\rfloor + 1"
        r" = \left\lfloor{\frac{256 + 2 \cdot 2 - 5}{2}}\right\rfloor + 1 = 128"
    )
    assert chain(result.counts[Count.WEIGHTS]) == (
        r"W = K_{h} K_{w} C_{\mathrm{in}} C_{\mathrm{out}} = 5 \cdot 5 \cdot 128 \cdot 64"
        r" = \num{204800}"
    )
    assert result.sizes[0].remainder == 1


def test_dilation_enters_the_formula_only_when_used() -> None:
    plain = conv(3).forward(Shape.image(1, 10, 10)).sizes[0].formula
    dilated = conv(3, d=2).forward(Shape.image(1, 10, 10)).sizes[0].formula
    assert W.D not in plain.rhs.free_symbols
    assert W.D in dilated.rhs.free_symbols
    assert (plain.value, dilated.value) == (8, 6)


def test_symbolic_sizes_stay_formulas() -> None:
    h, n = size_symbol("h"), size_symbol("n_in")
    out = conv(3, 2, 1).forward(Shape.image(3, h, h)).out_shape
    assert sp.simplify(out.height - (sp.floor((h - 1) / 2) + 1)) == 0
    dense = Linear(name="fc", units=500).forward(Shape.vector(n))
    assert dense.count(Count.WEIGHTS) == 500 * n
    assert dense.count(Count.WEIGHTS).subs(n, 1200) == 600_000


def test_same_padding() -> None:
    assert [W.same_padding_formula(I(k), I(1)).value for k in (1, 3, 5, 7)] == [0, 1, 2, 3]
    assert W.same_padding_formula(I(3), I(2)).value == 2


def test_flop_convention_doubles_macs_and_pooling_can_be_free() -> None:
    net = Network("n", Shape.image(3, 8, 8), (conv(3, p=1), MaxPool2d(name="p", kernel=2)))
    mac = analyze(net, Conventions())
    flop = analyze(net, Conventions(ops="flop", pool_ops="none"))
    conv_row, pool_row = mac.layers()
    assert flop.ops(conv_row[1]) == 2 * mac.ops(conv_row[1]) == 2 * 8 * 8 * 4 * 9 * 3
    assert mac.ops(pool_row[1]) == 4 * 4 * 4 * 4
    assert flop.ops(pool_row[1]) == 0


def test_groups_divide_parameters() -> None:
    grouped = Conv2d(name="g", filters=8, kernel=3, groups=4)
    assert grouped.forward(Shape.image(8, 5, 5)).count(Count.WEIGHTS) == 3 * 3 * 2 * 8


sizes = st.integers(min_value=1, max_value=300)


@settings(max_examples=300, deadline=None)
@given(h=sizes, k=st.integers(1, 9), s=st.integers(1, 4), p=st.integers(0, 4), d=st.integers(1, 3))
def test_output_size_matches_the_integer_rule(h: int, k: int, s: int, p: int, d: int) -> None:
    layer = conv(k, s, p, d)
    reach = d * (k - 1) + 1
    if h + 2 * p < reach:
        try:
            layer.forward(Shape.image(1, h, h))
        except ShapeError as err:
            assert err.field == "kernel"
            return
        raise AssertionError("a kernel larger than the padded input was accepted")
    rule = layer.forward(Shape.image(1, h, h)).sizes[0]
    numerator = h + 2 * p - d * (k - 1) - 1
    assert rule.formula.value == numerator // s + 1
    assert bool(rule.remainder) == (numerator % s != 0)


@settings(max_examples=100, deadline=None)
@given(widths=st.lists(st.integers(1, 2000), min_size=2, max_size=6), bias=st.booleans())
def test_dense_layers_sum_to_the_total(widths: list[int], bias: bool) -> None:
    net = Network(
        "d",
        Shape.vector(I(widths[0])),
        tuple(Linear(name=f"L{i}", units=w) for i, w in enumerate(widths[1:])),
    )
    analysis = analyze(net, Conventions(bias=bias))
    total = TotalParams().derive(Context({"d": analysis})).value
    expected = sum(a * b + (b if bias else 0) for a, b in itertools.pairwise(widths))
    assert total == expected == sum(analysis.params(r) for _, r in analysis.layers())


def test_flatten_unwraps_and_activation_keeps_the_shape() -> None:
    from derivations.layers.reshape import Activation, Flatten

    flat = Flatten(name="f").forward(Shape.image(8, 5, 3))
    assert flat.out_shape == Shape.vector(I(8 * 5 * 3)) and dict(flat.counts) == {}
    relu = Activation(name="r", function="relu").forward(Shape.image(8, 5, 3))
    assert relu.out_shape == Shape.image(8, 5, 3) and dict(relu.counts) == {}
    assert relu.layer.applied == "relu"


def test_a_flatten_before_a_dense_layer_changes_nothing_it_counts() -> None:
    from derivations.layers.reshape import Flatten

    direct = Linear(name="fc", units=10).forward(Shape.image(4, 3, 3))
    flat = Flatten(name="f").forward(Shape.image(4, 3, 3)).out_shape
    after = Linear(name="fc", units=10).forward(flat)
    assert direct.count(Count.WEIGHTS) == after.count(Count.WEIGHTS) == 36 * 10
    assert direct.count(Count.MACS) == after.count(Count.MACS) == 36 * 10
