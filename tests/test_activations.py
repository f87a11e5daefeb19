"""The activation table: each entry's derivative is its function's, its PyTorch module
computes its function, and its name prints as the table says."""

from __future__ import annotations

import pytest
import sympy as sp

from answerkey.latex import tex
from derivations.activations import ACTIVATIONS, T
from derivations.backprop import apply

POINTS = (-1.7, -0.3, 0.4, 2.2)  # away from ReLU's kink at 0


@pytest.mark.parametrize("name", [n for n, a in ACTIVATIONS.items() if a.elementwise])
def test_derivative_is_the_functions(name: str) -> None:
    act = ACTIVATIONS[name]
    assert act.derivative is not None
    exact = sp.diff(act.function(T), T)
    for x in POINTS:
        assert abs(float(exact.subs(T, x)) - float(act.derivative(x))) < 1e-12, x


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_pytorch_module_computes_the_function(name: str) -> None:
    import torch

    act = ACTIVATIONS[name]
    x = torch.tensor([POINTS], dtype=torch.float64)
    got = act.torch(torch.nn)(x)[0].tolist()
    if act.elementwise:
        want = [float(act.function(v)) for v in POINTS]
    else:  # softmax over the feature axis
        exps = [sp.exp(v) for v in POINTS]
        want = [float(e / sum(exps)) for e in exps]
    assert got == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if n != "identity"])
def test_printed_name(name: str) -> None:
    z = sp.MatrixSymbol("z", 2, 1)
    assert tex(apply(name, z)) == rf"{ACTIVATIONS[name].latex}\left(\mathbf{{z}}\right)"
