"""Backprop formulas, verified two ways: SymPy's element-wise differentiation of the explicit
small-matrix expression, and PyTorch autograd on random float64 inputs.

Each derived Jacobian (``derivations.backprop``) is a matrix expression in a, z, W, x̃, ...;
substituting explicit matrices and evaluating must give exactly what differentiating the
explicit expression entry by entry gives (sympy's ``_check_derivative_with_explicit_matrix``
idea), and what autograd gives to 1e-10.
"""

from __future__ import annotations

import itertools
import random

import pytest
import sympy as sp

from derivations import backprop
from derivations.activations import ACTIVATIONS as TABLE
from derivations.conventions import Conventions
from derivations.layers.dense import Linear
from derivations.network import Network, analyze
from derivations.questions import dense_network, perceptron
from derivations.shapes import Shape

ACTIVATIONS = list(TABLE)  # every activation of the table, checked two ways
SIZES = [(1, 1), (3, 2), (2, 4), (4, 3)]


def explicit(n: int, m: int, activation: str) -> dict[str, sp.Matrix]:
    """x, W, b as matrices of symbols, and z, a as explicit expressions in them."""
    x = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"x{i}", real=True))
    W = sp.Matrix(m, n, lambda i, j: sp.Symbol(f"w{i}{j}", real=True))
    b = sp.Matrix(m, 1, lambda i, _: sp.Symbol(f"b{i}", real=True))
    z = W * x + b
    a = explicit_activation(z, activation)
    xt = x.col_join(sp.Matrix([[1]]))
    Wt = W.row_join(b)
    return {"x": x, "W": W, "b": b, "z": z, "a": a, "xt": xt, "Wt": Wt}


def explicit_activation(z: sp.Matrix, activation: str) -> sp.Matrix:
    if activation == "softmax":
        e = z.applyfunc(sp.exp)
        return e / sum(e)
    return z.applyfunc(TABLE[activation].function)


def vec(M: sp.Matrix) -> list[sp.Expr]:
    """Column-stacked entries, the order vec() uses."""
    return [M[i, j] for j in range(M.cols) for i in range(M.rows)]


def point(syms: set[sp.Symbol], seed: int) -> dict[sp.Symbol, sp.Float]:
    rng = random.Random(seed)
    # values away from 0 keep ReLU's kink out of reach
    return {
        s: sp.Float(rng.choice([-1, 1]) * rng.uniform(0.2, 1.5), 30) for s in sorted(syms, key=str)
    }


def substitute(
    expr: sp.Basic,
    p: backprop.Perceptron,
    e: dict[str, sp.Matrix],
    extra: dict[sp.MatrixSymbol, sp.Matrix] | None = None,
) -> sp.Matrix:
    mapping = {
        p.x: e["x"],
        p.W: e["W"],
        p.b: e["b"],
        p.z: e["z"],
        p.a: e["a"],
        p.xt: e["xt"],
        p.Wt: e["Wt"],
        **(extra or {}),
    }
    return sp.Matrix(sp.sympify(expr).xreplace(mapping).doit())


def close(A: sp.Matrix, B: sp.Matrix, at: dict[sp.Symbol, sp.Float], tol: float = 1e-12) -> bool:
    diff = (A - B).xreplace(at).evalf(30)
    return A.shape == B.shape and all(abs(v) < tol for v in diff)


def steps(answer: object) -> dict[str, sp.Basic]:
    return {s.label: s.formula.rhs for s in answer.steps}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("activation", "size"), list(itertools.product(ACTIVATIONS, SIZES)))
def test_jacobians_equal_elementwise_differentiation(
    activation: str, size: tuple[int, int]
) -> None:
    n, m = size
    p = backprop.Perceptron(n, m, activation)
    e = explicit(n, m, activation)
    got = steps(perceptron.perceptron_backprop(p))
    at = point(e["a"].free_symbols, seed=n * 10 + m)
    # Cookbook-style checks: each Jacobian against entry-wise differentiation
    zs = sp.Matrix(m, 1, lambda i, _: sp.Symbol(f"z{i}", real=True))
    a_of_z = explicit_activation(zs, activation)
    local = sp.Matrix(sp.sympify(got["Activation"]).xreplace({p.a: a_of_z, p.z: zs}).doit())
    assert close(local, a_of_z.jacobian(zs), point(set(zs), seed=m))
    assert close(substitute(got["With respect to the inputs"], p, e), e["a"].jacobian(e["x"]), at)
    assert close(substitute(got["With respect to the biases"], p, e), e["a"].jacobian(e["b"]), at)
    wrt = sp.Matrix(vec(e["Wt"]))
    assert close(
        substitute(got["With respect to weights and biases"], p, e), e["a"].jacobian(wrt), at
    )
    # shapes stated in the key match the explicit Jacobians
    shapes = {s.label: s.shape for s in perceptron.perceptron_backprop(p).steps}
    assert shapes["With respect to the inputs"] == (m, n)
    assert shapes["With respect to weights and biases"] == (m, m * (n + 1))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_denominator_layout_is_the_transpose(activation: str) -> None:
    n, m = 3, 2
    p = backprop.Perceptron(n, m, activation)
    e = explicit(n, m, activation)
    got = steps(perceptron.perceptron_backprop(p, "denominator"))
    at = point(e["a"].free_symbols, seed=11)
    wrt = sp.Matrix(vec(e["Wt"]))
    assert close(substitute(got["With respect to the inputs"], p, e), e["a"].jacobian(e["x"]).T, at)
    assert close(
        substitute(got["With respect to weights and biases"], p, e), e["a"].jacobian(wrt).T, at
    )
    shapes = {s.label: s.shape for s in perceptron.perceptron_backprop(p, "denominator").steps}
    assert shapes["With respect to the inputs"] == (n, m)


def test_softmax_activation_jacobian() -> None:
    p = backprop.Perceptron(3, 3, "softmax")
    zs = sp.Matrix(3, 1, sp.symbols("z0:3", real=True))
    a = zs.applyfunc(sp.exp) / sum(zs.applyfunc(sp.exp))
    ours = backprop.local_jacobian("softmax", p.z, p.a)
    got = sp.Matrix(ours.xreplace({p.a: a, p.z: zs}).doit())
    at = point(set(zs), 3)
    assert close(got, a.jacobian(zs), at)


def test_a_wrong_rule_is_caught() -> None:
    """The check must be able to fail: drop the activation factor and it does."""
    p = backprop.Perceptron(3, 2, "tanh")
    e = explicit(3, 2, "tanh")
    at = point(e["a"].free_symbols, 1)
    assert not close(substitute(p.W, p, e), e["a"].jacobian(e["x"]), at)


torch_only = pytest.mark.usefixtures("torch_available")


def _torch_setup(n: int, m: int, seed: int) -> tuple[object, ...]:
    import torch

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, dtype=torch.float64, generator=g)
    W = torch.randn(m, n, dtype=torch.float64, generator=g)
    b = torch.randn(m, 1, dtype=torch.float64, generator=g)
    y = torch.rand(m, 1, dtype=torch.float64, generator=g)
    return x, W, b, y


def _torch_f(activation: str):  # type: ignore[no-untyped-def]
    import torch

    return {
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "relu6": lambda t: torch.clamp(t, 0, 6),
        "identity": lambda t: t,
        "softmax": lambda t: torch.softmax(t, dim=0),
    }[activation]


def _numeric(expr: sp.Basic, values: dict[sp.MatrixSymbol, object]) -> object:
    import torch

    mapping = {k: sp.Matrix(v.tolist()) for k, v in values.items()}  # type: ignore[attr-defined]
    out = sp.Matrix(sp.sympify(expr).xreplace(mapping).doit()).evalf(30)
    return torch.tensor([[float(v) for v in row] for row in out.tolist()], dtype=torch.float64)


@torch_only
@pytest.mark.parametrize(("activation", "size"), list(itertools.product(ACTIVATIONS, SIZES)))
def test_jacobians_equal_autograd(activation: str, size: tuple[int, int]) -> None:
    import torch
    from torch.autograd.functional import jacobian

    n, m = size
    x, W, b, _ = _torch_setup(n, m, seed=n + 7 * m)
    f = _torch_f(activation)
    z = W @ x + b
    a = f(z)
    p = backprop.Perceptron(n, m, activation)
    got = steps(perceptron.perceptron_backprop(p))
    xt = torch.cat([x, torch.ones(1, 1, dtype=torch.float64)])
    Wt = torch.cat([W, b], dim=1)
    values = {p.x: x, p.W: W, p.b: b, p.z: z, p.a: a, p.xt: xt, p.Wt: Wt}
    j_x = jacobian(lambda xx: f(W @ xx + b), x).reshape(m, n)
    j_b = jacobian(lambda bb: f(W @ x + bb), b).reshape(m, m)
    j_wt = jacobian(lambda ww: f(ww @ xt), Wt).reshape(m, m, n + 1)
    j_vec = j_wt.permute(0, 2, 1).reshape(m, (n + 1) * m)  # vec stacks columns
    assert torch.allclose(_numeric(got["With respect to the inputs"], values), j_x, atol=1e-10)
    assert torch.allclose(_numeric(got["With respect to the biases"], values), j_b, atol=1e-10)
    assert torch.allclose(
        _numeric(got["With respect to weights and biases"], values), j_vec, atol=1e-10
    )


@torch_only
@pytest.mark.parametrize(("activation", "size"), list(itertools.product(ACTIVATIONS, SIZES)))
def test_gradients_equal_autograd_of_a_loss(activation: str, size: tuple[int, int]) -> None:
    """MSE for every activation; cross-entropy for softmax, where δ = a − y."""
    import torch

    n, m = size
    x, W, b, y = _torch_setup(n, m, seed=3 * n + m)
    if activation == "softmax":
        y = torch.zeros(m, 1, dtype=torch.float64)
        y[m // 2] = 1.0
    x, W, b = (t.clone().requires_grad_(True) for t in (x, W, b))
    f = _torch_f(activation)
    a = f(W @ x + b)
    loss = -(y * torch.log(a)).sum() if activation == "softmax" else 0.5 * ((a - y) ** 2).sum()
    loss.backward()
    p = backprop.Perceptron(n, m, activation)
    answer = perceptron.perceptron_backprop(p)
    got = steps(answer)
    z, a_val = (W @ x + b).detach(), a.detach()
    xt = torch.cat([x.detach(), torch.ones(1, 1, dtype=torch.float64)])
    values = {p.x: x.detach(), p.W: W.detach(), p.b: b.detach(), p.z: z, p.a: a_val, p.xt: xt}
    y_sym = sp.MatrixSymbol("y", m, 1)
    if activation == "softmax":
        delta = _numeric(answer.steps[-1].formula.rhs, {**values, y_sym: y})
    else:
        g = _numeric(answer.steps[-1].formula.rhs, {**values, y_sym: y})
        delta = _numeric(got["Error at z, given g = ∂L/∂a"], {**values, p.g: g})
    values[p.delta] = delta
    assert torch.allclose(_numeric(got["Gradient for the weights"], values), W.grad, atol=1e-10)
    assert torch.allclose(_numeric(got["Gradient for the biases"], values), b.grad, atol=1e-10)
    assert torch.allclose(_numeric(got["Gradient for the inputs"], values), x.grad, atol=1e-10)


@torch_only
@pytest.mark.parametrize("bias", [False, True])
def test_three_layer_recursion_equals_autograd(bias: bool) -> None:
    import torch

    sizes = [4, 3, 5, 2]
    acts = ["tanh", "sigmoid", "tanh"]
    net = Network(
        "net",
        Shape.vector(sp.Integer(sizes[0])),
        tuple(
            Linear(name=f"L{i + 1}", units=sizes[i + 1], activation=acts[i], bias=bias)
            for i in range(3)
        ),
    )
    answer = dense_network.network_backprop(analyze(net, Conventions()))
    g = torch.Generator().manual_seed(5)
    x = torch.randn(sizes[0], 1, dtype=torch.float64, generator=g)
    Ws = [
        torch.randn(sizes[i + 1], sizes[i], dtype=torch.float64, generator=g).requires_grad_()
        for i in range(3)
    ]
    bs = [
        torch.randn(sizes[i + 1], 1, dtype=torch.float64, generator=g).requires_grad_()
        for i in range(3)
    ]
    y = torch.rand(sizes[-1], 1, dtype=torch.float64, generator=g)
    acts_t = [_torch_f(a) for a in acts]
    zs, as_ = [], [x]
    for i in range(3):
        z = Ws[i] @ as_[-1] + (bs[i] if bias else 0)
        zs.append(z)
        as_.append(acts_t[i](z))
    loss = 0.5 * ((as_[-1] - y) ** 2).sum()
    loss.backward()
    values: dict[sp.MatrixSymbol, object] = {}
    for i in range(3):
        values[sp.MatrixSymbol(f"W^{{({i + 1})}}", sizes[i + 1], sizes[i])] = Ws[i].detach()
        values[sp.MatrixSymbol(f"z^{{({i + 1})}}", sizes[i + 1], 1)] = zs[i].detach()
        values[sp.MatrixSymbol(f"a^{{({i + 1})}}", sizes[i + 1], 1)] = as_[i + 1].detach()
    values[sp.MatrixSymbol("a^{(0)}", sizes[0], 1)] = x
    values[sp.MatrixSymbol("g^{(3)}", sizes[3], 1)] = (as_[-1] - y).detach()
    checked = 0
    for step in answer.steps:  # output layer first, so each δ is known before it is used
        value = _numeric(step.formula.rhs, values)
        lhs = step.formula.lhs
        if isinstance(lhs, sp.MatrixSymbol):
            values[lhs] = value
            continue
        layer = int(str(lhs.args[1].name).split("(")[1].rstrip(")}"))
        expected = (Ws if "W" in str(lhs.args[1].name) else bs)[layer - 1].grad
        assert torch.allclose(value, expected, atol=1e-10), step.label
        checked += 1
    assert checked == (6 if bias else 3)
