"""PyTorch as the referee: shapes on ``meta``, ``numel()``, FlopCounterMode MACs.

Homework 3 and 300 seeded random architectures (convolutions with stride, padding, dilation
and groups, pooling, dense layers, inception-style branches joined by concatenation or
addition) must agree with PyTorch on every row, with and without biases.
"""

from __future__ import annotations

import random

import pytest
import sympy as sp

from answerkey.spec import LoadedSpec
from derivations import layers as L
from derivations.conventions import Conventions
from derivations.network import Branch, Network, Node, Parallel, analyze
from derivations.shapes import Shape, ShapeError

pytestmark = pytest.mark.usefixtures("torch_available")

I = sp.Integer  # noqa: E741 - short constructor for readable layer lists


def test_homework3_agrees_with_pytorch(hw3: LoadedSpec) -> None:
    from answerkey.torch_check import check_spec

    rows = check_spec(hw3)
    assert len(rows) == 3 + 1 + 8 + 8 + 5  # dense, perceptron, CNN, modules
    bad = [r for r in rows if not r.ok]
    assert not bad, bad


def test_a_wrong_number_is_caught() -> None:
    """The referee must be able to say no: an off-by-one convolution is flagged."""
    from answerkey.torch_check import Measured, measure_network, ours

    net = Network(
        "n",
        Shape.image(3, 9, 9),
        (L.Conv2d(name="c", filters=I(4), kernel=(I(3), I(3)), stride=(I(2), I(2))),),
    )
    mine = ours(analyze(net, Conventions()))["c"]
    theirs = measure_network(net)["c"]
    assert mine == theirs
    assert mine is not None
    assert Measured((4, 5, 4), mine.weights, mine.biases, mine.macs) != theirs


def _conv(rng: random.Random, c_in: int, name: str, keep_size: bool = False) -> L.Conv2d:
    k = rng.choice([1, 3, 5]) if keep_size else rng.choice([1, 2, 3, 4, 5, 7])
    d = 1 if keep_size and k > 1 and rng.random() < 0.7 else rng.choice([1, 1, 2])
    s = 1 if keep_size else rng.choice([1, 1, 2, 3])
    p = d * (k - 1) // 2 if keep_size else rng.choice([0, 0, 1, 2, 3])
    divisors = [g for g in (1, 2, 4) if c_in % g == 0]
    g = rng.choice(divisors)
    filters = g * rng.randint(1, 6)
    return L.Conv2d(
        name=name,
        filters=I(filters),
        kernel=(I(k), I(k)),
        stride=(I(s), I(s)),
        padding=(I(p), I(p)),
        dilation=(I(d), I(d)),
        groups=g,
        bias=rng.random() < 0.5,
    )


def random_network(seed: int) -> Network:
    """A random but valid network: layers are drawn until one would not fit."""
    rng = random.Random(seed)
    start = Shape.image(rng.choice([1, 3, 4, 8]), rng.randint(12, 40), rng.randint(12, 40))
    shape = start
    nodes: list[Node] = []
    for i in range(rng.randint(1, 6)):
        choice = rng.random()
        c_in = int(shape.channels)
        if choice < 0.45:
            node: Node = _conv(rng, c_in, f"conv{i}")
        elif choice < 0.65:
            k = rng.choice([2, 3])
            cls = L.MaxPool2d if rng.random() < 0.5 else L.AvgPool2d
            node = cls(
                name=f"pool{i}",
                kernel=(I(k), I(k)),
                stride=(I(rng.choice([1, 2])),) * 2,
                padding=(I(rng.choice([0, k // 2])),) * 2,
            )
        else:
            join = rng.choice(["concat", "add"])
            width = rng.randint(2, 4)
            branches = []
            out = I(rng.randint(1, 6) * 4)
            for b in range(width):
                layers = []
                depth = c_in
                for j in range(rng.randint(1, 2)):
                    conv = _conv(rng, depth, f"b{i}.{b}.{j}", keep_size=True)
                    if join == "add" and j == 0:
                        conv = L.Conv2d(
                            name=conv.name,
                            filters=out,
                            kernel=conv.kernel,
                            padding=conv.padding,
                            dilation=conv.dilation,
                            bias=conv.bias,
                        )
                    layers.append(conv)
                    depth = int(conv.filters)
                    if join == "add":
                        break
                branches.append(Branch(f"branch{i}.{b}", tuple(layers)))
            node = Parallel(f"block{i}", tuple(branches), join)
        try:
            shape = analyze(Network("probe", start, (*nodes, node)), Conventions()).output
        except ShapeError:
            break
        nodes.append(node)
    if rng.random() < 0.6:
        nodes.append(L.Linear(name="fc", units=I(rng.randint(1, 20)), bias=rng.random() < 0.5))
    return Network(f"random-{seed}", start, tuple(nodes))


@pytest.mark.parametrize("block", range(6))
def test_random_architectures_agree_with_pytorch(block: int) -> None:
    from answerkey.torch_check import compare

    layers_checked = 0
    for seed in range(block * 50, block * 50 + 50):
        net = random_network(seed)
        for bias in (False, True):
            rows = compare(analyze(net, Conventions(bias=bias)))
            bad = [r for r in rows if not r.ok]
            assert not bad, (seed, bad)
            layers_checked += len(rows)
    assert layers_checked >= 100
