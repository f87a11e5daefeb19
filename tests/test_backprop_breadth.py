"""More symbolic backprop, each verified element-wise by SymPy and by ``torch.autograd``:
softmax with cross-entropy (δ = ŷ − y derived), the loss gradients, a convolution's
gradients in index notation, batch normalisation's forward equations; and no double
superscript anywhere in the printer's output (the whole class, compiled by TeX)."""

from __future__ import annotations

import itertools
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sympy as sp

from answerkey.latex import has_double_script, tex
from answerkey.spec_network import NetworkSpec
from derivations.backprop import Gradient, Softmax, softmax_cross_entropy
from derivations.conventions import Conventions
from derivations.losses import LOSSES, check
from derivations.network import analyze
from derivations.questions.base import Context
from derivations.questions.batchnorm_forward import BatchnormForward
from derivations.questions.conv_backprop import ConvBackprop
from derivations.symbols import Entry, Labelled

# -- one superscript per base ----------------------------------------------------------------

BASES: list[Any] = [
    sp.MatrixSymbol("a^{(1)}", 3, 1),
    sp.MatrixSymbol("W^{(2)}", 3, 3),
    sp.MatrixSymbol("W_{new}^{(2)}", 3, 3),
    sp.MatrixSymbol("x_tilde", 3, 1),
    Gradient(sp.MatrixSymbol("W^{(1)}", 3, 3)),
    Softmax(sp.MatrixSymbol("z^{(2)}", 3, 1)),
]
SCALARS: list[Any] = [Entry("w", (1, 2), 1), Entry("delta", (1,), 2), Labelled("r", "c1", 0)]


def _raised(e: Any) -> list[Any]:
    square = e.shape[0] == e.shape[1]
    out = [sp.Transpose(e), sp.Adjoint(e), sp.HadamardPower(e, 2)]
    return out + ([sp.Inverse(e), sp.MatPow(e, 2)] if square else [])


def every_raised_expression() -> list[Any]:
    once = [r for b in BASES for r in _raised(b)]
    twice = [r2 for r in once for r2 in _raised(r)]
    scalars = [f(s) for s in SCALARS for f in (lambda t: t**2, lambda t: (t**2) ** 3, sp.exp)]
    return (
        once
        + twice
        + scalars
        + [sp.Pow(sp.Pow(s, 2, evaluate=False), 3, evaluate=False) for s in SCALARS]
    )


def test_no_base_carries_two_superscripts() -> None:
    for expr in every_raised_expression():
        assert not has_double_script(tex(expr)), (expr, tex(expr))
    assert has_double_script("a^{(1)}^{2}") and not has_double_script(r"\left(a^{(1)}\right)^{2}")


@pytest.mark.usefixtures("tex_available")
def test_every_raised_expression_compiles(tmp_path: Path) -> None:
    body = "\n".join(f"\\[ {tex(e)} \\]" for e in every_raised_expression())
    doc = (
        "\\documentclass{article}\\usepackage{amsmath,amssymb,siunitx}\\begin{document}\n"
        f"{body}\n\\end{{document}}\n"
    )
    (tmp_path / "t.tex").write_text(doc, encoding="utf-8")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "t.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]


# -- losses and softmax with cross-entropy ----------------------------------------------------


@pytest.mark.parametrize(("name", "n"), list(itertools.product(sorted(LOSSES), [1, 2, 4])))
def test_loss_gradients_equal_sympy_differentiation(name: str, n: int) -> None:
    assert check(LOSSES[name], n, seed=n)


def _explicit_ce(m: int) -> tuple[Any, ...]:
    z = sp.Matrix(m, 1, lambda i, _: sp.Symbol(f"z{i}", real=True))
    y = sp.Matrix(m, 1, lambda i, _: sp.Symbol(f"y{i}", real=True))
    e = z.applyfunc(sp.exp)
    a = e / sum(e)
    loss = -sum(y[i] * sp.log(a[i]) for i in range(m))
    return z, y, a, loss


@pytest.mark.parametrize("m", [2, 3, 5])
def test_softmax_cross_entropy_delta_elementwise(m: int) -> None:
    Z, A = sp.MatrixSymbol("z", m, 1), sp.MatrixSymbol("yhat", m, 1)
    D, Y = sp.MatrixSymbol("delta", m, 1), sp.MatrixSymbol("y", m, 1)
    steps = softmax_cross_entropy(Z, A, D, Y)
    z, y, a, loss = _explicit_ce(m)
    rng = random.Random(m)
    ys = [rng.random() for _ in range(m)]
    at = {z[i]: sp.Rational(rng.randint(-9, 9), 7) for i in range(m)}
    at.update({y[i]: sp.Rational(ys[i] / sum(ys)).limit_denominator(10**6) for i in range(m)})
    at[y[m - 1]] = 1 - sum(at[y[i]] for i in range(m - 1))  # a distribution: 1ᵀy = 1
    truth = sp.Matrix([sp.diff(loss, z[i]) for i in range(m)]).xreplace(at)
    for step in steps[3:]:  # the chain rule, multiplied out, and ŷ − y
        got = sp.Matrix(step.formula.rhs.xreplace({A: a, Y: y, Z: z}).doit()).xreplace(at)
        assert all(abs(sp.N(g - t, 30)) < 1e-25 for g, t in zip(got, truth, strict=True))


@pytest.mark.usefixtures("torch_available")
def test_softmax_cross_entropy_delta_against_autograd() -> None:
    import torch

    torch.manual_seed(0)
    z = torch.randn(5, dtype=torch.float64, requires_grad=True)
    y = torch.softmax(torch.randn(5, dtype=torch.float64), 0)
    torch.nn.functional.cross_entropy(z.unsqueeze(0), y.unsqueeze(0)).backward()
    assert torch.allclose(z.grad, torch.softmax(z.detach(), 0) - y, atol=1e-14)


# -- a convolution's gradients ----------------------------------------------------------------


def _context(layers: list[dict[str, Any]], inp: Any) -> Context:
    net = NetworkSpec.model_validate({"input": inp, "layers": layers}).to_model("n", ())
    return Context({"n": analyze(net, Conventions(bias=True))})


def _evaluate(
    identity: sp.Expr, arrays: dict[str, Any], sizes: dict[str, int], at: dict[str, int]
) -> float:
    """An index identity at one entry, its tensors read from ``arrays`` (a read outside a
    tensor, or at a fractional position, is 0: the zero padding and the transposed
    convolution's skipped terms)."""
    values = {s: sizes[s.name] for s in identity.free_symbols if s.name in sizes}
    values.update({s: at[s.name] for s in identity.free_symbols if s.name in at})
    expr = identity.xreplace(values).doit()

    def read(e: sp.Indexed) -> sp.Expr:
        array = arrays[str(e.base)]
        idx = [sp.nsimplify(i) for i in e.indices]
        if not all(i.is_integer for i in idx):
            return sp.Integer(0)
        pos = tuple(int(i) for i in idx)
        if any(p < 0 or p >= n for p, n in zip(pos, array.shape, strict=True)):
            return sp.Integer(0)
        return sp.Float(float(array[pos]), 30)

    return float(expr.replace(lambda e: isinstance(e, sp.Indexed), read))


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize(("stride", "dilation", "groups", "padding"), [(2, 1, 1, 1), (1, 2, 2, 2)])
def test_conv_gradients_in_index_notation_against_autograd(
    stride: int, dilation: int, groups: int, padding: int
) -> None:
    import torch

    torch.manual_seed(stride + dilation)
    c_in, c_out, k, h = 2, 4, 3, 6
    layer = {"name": "c", "kind": "conv2d", "filters": c_out, "kernel": k, "stride": stride,
             "dilation": dilation, "groups": groups, "padding": padding}  # fmt: skip
    answer = ConvBackprop(layer="c").derive(_context([layer], [h, h, c_in]))
    steps = {s.label.split(":")[0]: s for s in answer.steps}
    x = torch.randn(1, c_in, h, h, dtype=torch.float64, requires_grad=True)
    conv = torch.nn.Conv2d(c_in, c_out, k, stride, padding, dilation, groups).double()
    out = conv(x)
    r = torch.randn_like(out)
    (out * r).sum().backward()
    xp = torch.nn.functional.pad(x.detach(), (padding,) * 4)[0].numpy()
    arrays = {
        "X": xp,
        "delta": r[0].numpy(),
        "W": conv.weight.detach().numpy(),
        "b": conv.bias.detach().numpy(),
    }
    ho = out.shape[-1]
    sizes = {"C_in": c_in, "C_out": c_out, "G": groups, "K_h": k, "K_w": k}
    sizes.update({"H_out": ho, "W_out": ho, "S": stride, "D": dilation})
    per = c_in // groups
    dW = steps["Gradient of the weights"].formula.rhs
    for o, c, u, v in itertools.product(range(c_out), range(per), range(k), range(k)):
        at = {"o": o, "c": c, "u": u, "v": v, "g": o // (c_out // groups)}
        assert abs(_evaluate(dW, arrays, sizes, at) - conv.weight.grad[o, c, u, v].item()) < 1e-9
    db = steps["Gradient of the biases"].formula.rhs
    for o in range(c_out):
        assert abs(_evaluate(db, arrays, sizes, {"o": o}) - conv.bias.grad[o].item()) < 1e-9
    assert steps["Gradient of the weights"].shape == tuple(conv.weight.shape)
    assert steps["Gradient of the input"].shape == tuple(x.shape[1:])
    forward = next(v for k, v in steps.items() if k.startswith("Forward"))
    assert forward.shape == tuple(out.shape[1:])
    if groups == 1:  # ∂L/∂X: o runs over every filter
        dX = steps["Gradient of the input"].formula.rhs
        for c, p, q in itertools.product(range(c_in), range(h), range(h)):
            at = {"c": c, "p": p + padding, "q": q + padding}
            assert abs(_evaluate(dX, arrays, sizes, at) - x.grad[0, c, p, q].item()) < 1e-9


def test_conv_weight_gradient_equals_sympy_differentiation() -> None:
    """A 1-channel 4 × 4 input, one 2 × 2 kernel, stride 2: L = Σ r ⊙ Y, differentiated by
    SymPy entry by entry, equals the printed correlation of X with δ = r."""
    X = sp.Matrix(4, 4, lambda i, j: sp.Symbol(f"x{i}{j}"))
    W = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"w{i}{j}"))
    R = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"r{i}{j}"))
    Y = sp.Matrix(
        2,
        2,
        lambda i, j: sum(W[u, v] * X[2 * i + u, 2 * j + v] for u in range(2) for v in range(2)),
    )
    L = sum(R[i, j] * Y[i, j] for i in range(2) for j in range(2))
    layer = {"name": "c", "kind": "conv2d", "filters": 1, "kernel": 2, "stride": 2}
    answer = ConvBackprop(layer="c").derive(_context([layer], [4, 4, 1]))
    dW = next(s for s in answer.steps if s.label.startswith("Gradient of the weights")).formula.rhs
    sizes = {"H_out": 2, "W_out": 2, "S": 2, "D": 1}
    for u, v in itertools.product(range(2), range(2)):
        values = {s: sizes[s.name] for s in dW.free_symbols if s.name in sizes}
        values.update(
            {
                s: {"o": 0, "c": 0, "u": u, "v": v}[s.name]
                for s in dW.free_symbols
                if s.name in "ocuv"
            }
        )
        got = dW.xreplace(values).doit()
        got = got.replace(
            lambda e: isinstance(e, sp.Indexed),
            lambda e: (X if str(e.base) == "X" else R)[tuple(int(i) for i in e.indices[1:])],
        )
        assert sp.expand(got - sp.diff(L, W[u, v])) == 0


# -- batch normalisation ----------------------------------------------------------------------


@pytest.mark.usefixtures("torch_available")
def test_batchnorm_forward_against_pytorch() -> None:
    import torch

    torch.manual_seed(1)
    b, c, h = 3, 2, 2
    layers = [{"name": "bn", "kind": "batchnorm2d"}]
    answer = BatchnormForward(layer="bn").derive(_context(layers, {"map": [h, h, c], "batch": b}))
    assert answer.value == b * h * h
    steps = {s.label: s.formula.rhs for s in answer.steps}
    bn = torch.nn.BatchNorm2d(c).double()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.5, -0.5]))
        bn.bias.copy_(torch.tensor([0.25, 2.0]))
    x = torch.randn(b, c, h, h, dtype=torch.float64)
    y = bn(x)
    mean = x.mean(dim=(0, 2, 3))
    var = x.var(dim=(0, 2, 3), unbiased=False)
    arrays = {"x": x.numpy(), "gamma": bn.weight.detach().numpy(), "beta": bn.bias.detach().numpy()}
    sizes = {"B": b, "H": h, "W": h, "m": b * h * h}
    for ch in range(c):
        at = {"c": ch}
        assert abs(_evaluate(steps["Batch mean"], arrays, sizes, at) - mean[ch].item()) < 1e-12
        arrays["mu"] = mean.numpy()
        assert (
            abs(_evaluate(steps["Batch variance (biased)"], arrays, sizes, at) - var[ch].item())
            < 1e-12
        )
    arrays["sigma"] = var.sqrt().numpy()
    xhat = sp.Symbol("epsilon", positive=True)
    for n, ch, i, j in itertools.product(range(b), range(c), range(h), range(h)):
        at = {"n": n, "c": ch, "h": i, "w": j}
        normed = steps["Normalised"].xreplace({xhat: sp.Float(bn.eps)})
        arrays["xhat"] = (
            (x - mean[None, :, None, None]) / (var[None, :, None, None] + bn.eps).sqrt()
        ).numpy()
        assert abs(_evaluate(normed, arrays, sizes, at) - arrays["xhat"][n, ch, i, j]) < 1e-12
        assert (
            abs(_evaluate(steps["Scaled and shifted"], arrays, sizes, at) - y[n, ch, i, j].item())
            < 1e-12
        )
    # the running estimates after one training step, momentum 0.1
    alpha = sp.Symbol("alpha", positive=True)
    arrays.update({"muhat": torch.zeros(c).numpy(), "sigmahat": torch.ones(c).numpy()})
    for ch in range(c):
        rm = steps["Running mean (for inference)"].xreplace({alpha: sp.Float(0.1)})
        rv = steps["Running variance (unbiased)"].xreplace({alpha: sp.Float(0.1)})
        assert abs(_evaluate(rm, arrays, sizes, {"c": ch}) - bn.running_mean[ch].item()) < 1e-12
        assert abs(_evaluate(rv, arrays, sizes, {"c": ch}) - bn.running_var[ch].item()) < 1e-12


# -- network_backprop builds ------------------------------------------------------------------


def _backprop_spec() -> str:
    acts = ["tanh", "sigmoid", "relu", "identity", "softmax"]
    problems = []
    for depth in (1, 2, 3):
        for k, out in enumerate(acts):
            hidden = [acts[(k + j) % 4] for j in range(depth - 1)]
            layers = [
                f"{{name: L{j + 1}, kind: linear, units: {3 + j}, activation: {a}, bias: true}}"
                for j, a in enumerate(hidden)
            ]
            layers.append(f"{{name: out, kind: linear, units: 2, activation: {out}}}")
            loss = {"softmax": "cross_entropy", "sigmoid": "bce", "identity": "mse"}.get(
                out, "none"
            )
            problems.append(
                f"  - id: p{depth}{k}\n    title: {depth} layers, {out}\n"
                f"    networks: {{n: {{input: [4], layers: [{', '.join(layers)}]}}}}\n"
                f"    parts:\n      - {{id: a, text: Backprop., ask: network_backprop}}\n"
                "      - {id: b, text: With the loss., "
                f"ask: {{kind: network_backprop, loss: {loss}}}}}\n"
            )
    return "title: Backprop\nproblems:\n" + "".join(problems)


@pytest.mark.usefixtures("tex_available")
def test_network_backprop_builds_for_one_two_and_three_layers(tmp_path: Path) -> None:
    from answerkey.build import build

    (tmp_path / "b.yaml").write_text(_backprop_spec(), encoding="utf-8")
    out = build(tmp_path / "b.yaml", tmp_path / "out")
    assert "key.pdf" in out.files
    text = subprocess.run(
        ["pdftotext", str(out.directory / "key.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert text.count("As 1") == 3  # δ = ŷ − y derived once per softmax network
    source = (out.directory / "key.tex").read_text(encoding="utf-8")
    assert not has_double_script(source.replace("\\\\", " "))
