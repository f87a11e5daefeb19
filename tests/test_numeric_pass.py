"""``numeric_pass`` against ``torch.autograd`` in float64: every node value of the forward
pass, the loss, every gradient and the weights after one SGD step, as printed (to the stated
decimals) and at full precision.

PyTorch builds the same network from the test's own numbers (``nn.Linear`` with its weight
and bias set, ``torch.optim.SGD`` for the step), independently of the derivation.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import sympy as sp

from answerkey.latex import fixed
from answerkey.spec_network import NetworkSpec
from derivations.conventions import Conventions
from derivations.network import analyze
from derivations.questions.base import Context
from derivations.questions.numeric_pass import NumericPass
from derivations.shapes import DerivationError

MAZUR = {
    "input": [0.05, 0.10],
    "target": [0.01, 0.99],
    "loss": "half_sse",
    "learning_rate": 0.5,
    "weights": {
        "h": {"W": [[0.15, 0.20], [0.25, 0.30]], "b": [0.35, 0.35]},
        "o": {"W": [[0.40, 0.45], [0.50, 0.55]], "b": [0.60, 0.60]},
    },
}


def derive(sizes: list[int], acts: list[str], ask: dict[str, Any], bias: bool = True) -> Any:
    names = {2: ["o"], 3: ["h", "o"], 4: ["h", "g", "o"]}[len(sizes)]
    layers = [
        {"name": n, "kind": "linear", "units": u, "activation": a}
        for n, u, a in zip(names, sizes[1:], acts, strict=True)
    ]
    net = NetworkSpec.model_validate({"input": [sizes[0]], "layers": layers}).to_model("n", ())
    ctx = Context({"n": analyze(net, Conventions(bias=bias))})
    return NumericPass.model_validate({"kind": "numeric_pass", **ask}).derive(ctx), names


def test_the_classic_worked_example() -> None:
    """Mazur's step-by-step example (2-2-2 sigmoid, half squared error, η = 0.5): L =
    0.298371109, w5 → 0.35891648, w1 → 0.149780716."""
    got, _ = derive([2, 2, 2], ["sigmoid", "sigmoid"], MAZUR)
    also = {a.name: a.value for a in got.also}
    assert abs(float(also["loss"]) - 0.298371109) < 1e-9
    assert abs(float(also["W2_11"]) - 0.35891648) < 1e-8
    assert abs(float(also["W1_11"]) - 0.149780716) < 1e-9


def _torch_run(sizes: list[int], acts: list[str], ask: dict[str, Any], names: list[str]) -> Any:
    import torch

    fns = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
    x = torch.tensor([float(v) for v in ask["input"]])
    y = torch.tensor([float(v) for v in ask["target"]])
    linears = []
    for n, m, name in zip(sizes[:-1], sizes[1:], names, strict=True):
        lin = torch.nn.Linear(n, m)
        with torch.no_grad():
            lin.weight.copy_(
                torch.tensor([[float(v) for v in r] for r in ask["weights"][name]["W"]])
            )
            lin.bias.copy_(torch.tensor([float(v) for v in ask["weights"][name]["b"]]))
        linears.append(lin)
    seen: dict[str, Any] = {}
    a = x
    for i, (lin, act) in enumerate(zip(linears, acts, strict=True), 1):
        z = lin(a)
        z.retain_grad()
        seen[f"z{i}"] = z
        a = torch.softmax(z, 0) if act == "softmax" else fns.get(act, lambda t: t)(z)
        a.retain_grad()
        seen[f"a{i}"] = a
    loss = {
        "mse": lambda: torch.nn.functional.mse_loss(a, y),
        "half_sse": lambda: 0.5 * ((a - y) ** 2).sum(),
        "bce": lambda: torch.nn.functional.binary_cross_entropy(a, y),
        "cross_entropy": lambda: torch.nn.functional.cross_entropy(
            seen[f"z{len(linears)}"].unsqueeze(0), y.unsqueeze(0)
        ),
    }[ask["loss"]]()
    params = [p for lin in linears for p in lin.parameters()]
    opt = torch.optim.SGD(params, lr=float(ask["learning_rate"]))
    loss.backward()
    grads = [(lin.weight.grad.clone(), lin.bias.grad.clone()) for lin in linears]
    opt.step()
    return seen, loss, grads, linears


def _close(ours: sp.Basic, theirs: Any, places: int) -> None:
    import torch

    t = theirs.detach().reshape(-1) if isinstance(theirs, torch.Tensor) else torch.tensor([theirs])
    values = list(sp.Matrix(ours)) if isinstance(ours, sp.MatrixBase) else [ours]
    assert len(values) == len(t)
    for v, w in zip(values, t.tolist(), strict=True):
        assert abs(float(v) - w) < 1e-12, (v, w)
        printed = float(fixed(sp.Float(v), places))
        assert abs(printed - w) <= 0.5 * 10**-places + 1e-12, (printed, w)


CASES = [
    ([2, 2, 2], ["sigmoid", "sigmoid"], "half_sse"),
    ([3, 4, 2], ["tanh", "identity"], "mse"),
    ([2, 3, 1], ["relu", "sigmoid"], "bce"),
    ([4, 3, 3], ["sigmoid", "softmax"], "cross_entropy"),
    ([2, 3, 3, 2], ["tanh", "relu", "identity"], "mse"),
    ([3, 2], ["softmax"], "cross_entropy"),
]


@pytest.mark.usefixtures("torch_available", "float64")
@pytest.mark.parametrize(("sizes", "acts", "loss"), CASES)
def test_every_value_agrees_with_autograd(sizes: list[int], acts: list[str], loss: str) -> None:
    rng = random.Random(sum(sizes) + len(loss))

    def num() -> float:
        return round(rng.uniform(-1, 1), 2)

    target = [round(rng.uniform(0.05, 0.95), 2) for _ in range(sizes[-1])]
    if loss == "cross_entropy":
        target = [0.0] * sizes[-1]
        target[rng.randrange(sizes[-1])] = 1.0
    names = {2: ["o"], 3: ["h", "o"], 4: ["h", "g", "o"]}[len(sizes)]
    ask = {
        "input": [num() for _ in range(sizes[0])],
        "target": target,
        "loss": loss,
        "learning_rate": 0.1,
        "decimals": 5,
        "weights": {
            name: {
                "W": [[num() for _ in range(n)] for _ in range(m)],
                "b": [num() for _ in range(m)],
            }
            for name, n, m in zip(names, sizes[:-1], sizes[1:], strict=True)
        },
    }
    layers = [
        {"name": n, "kind": "linear", "units": u, "activation": a}
        for n, u, a in zip(names, sizes[1:], acts, strict=True)
    ]
    net = NetworkSpec.model_validate({"input": [sizes[0]], "layers": layers}).to_model("n", ())
    got = NumericPass.model_validate({"kind": "numeric_pass", **ask}).derive(
        Context({"n": analyze(net, Conventions(bias=True))})
    )
    seen, loss_t, grads, linears = _torch_run(sizes, acts, ask, names)
    by = {}
    for s in got.steps:
        by.setdefault(s.label, []).append(s.formula.value)
    L = len(names)
    for i in range(1, L + 1):
        _close(by[f"Forward, layer {i} ({names[i - 1]})"][0], seen[f"z{i}"], 5)
        if acts[i - 1] != "identity":
            _close(by[f"Activation, layer {i}"][0], seen[f"a{i}"], 5)
        _close(by[f"Weight gradient, layer {i}"][0], grads[i - 1][0], 5)
        _close(by[f"Bias gradient, layer {i}"][0], grads[i - 1][1], 5)
        (new_w,) = by[f"SGD step, weights of layer {i}"]
        (new_b,) = by[f"SGD step, biases of layer {i}"]
        _close(new_w, linears[i - 1].weight, 5)
        _close(new_b, linears[i - 1].bias, 5)
        if i == L:
            (delta,) = next(v for k, v in by.items() if k.startswith("Output error"))
        else:
            (delta,) = by[f"Error, layer {i}"]
        _close(delta, seen[f"z{i}"].grad, 5)
    (loss_value,) = next(v for k, v in by.items() if k.startswith("Loss ("))
    _close(loss_value, loss_t.item(), 5)


def test_bad_weights_are_located_errors() -> None:
    bad = {**MAZUR, "weights": {**MAZUR["weights"], "h": {"W": [[0.1, 0.2]], "b": [0.1, 0.2]}}}
    with pytest.raises(DerivationError, match="needs W of 2 × 2") as err:
        derive([2, 2, 2], ["sigmoid", "sigmoid"], bad)
    assert err.value.field == "weights.h.W"
    with pytest.raises(DerivationError, match="binary cross-entropy needs a sigmoid output"):
        derive([2, 2, 2], ["sigmoid", "tanh"], {**MAZUR, "loss": "bce"})
    no_bias = {**MAZUR, "weights": {k: {"W": v["W"]} for k, v in MAZUR["weights"].items()}}
    assert derive([2, 2, 2], ["sigmoid", "sigmoid"], no_bias, bias=False)[0].steps
    with pytest.raises(DerivationError, match="has biases under the conventions; give its b"):
        derive([2, 2, 2], ["sigmoid", "sigmoid"], no_bias)


def test_numbers_are_read_exactly_and_strings_work_for_variants() -> None:
    ask = {**MAZUR, "input": ["0.05", "0.1"], "learning_rate": "0.5"}
    got, _ = derive([2, 2, 2], ["sigmoid", "sigmoid"], ask)
    x = dict(got.steps[0].formula.values)[sp.MatrixSymbol("x", 2, 1)]
    assert str(x[0]).rstrip("0") == "0.05"  # no binary rounding (0.05000000000000000277...)
    with pytest.raises(ValueError, match="decimal number"):
        NumericPass.model_validate({**MAZUR, "kind": "numeric_pass", "learning_rate": "1e-3"})


def test_drawn_numbers_work_in_variants(tmp_path: Any) -> None:
    """A variant writes a drawn digit into a number's text ("0.${w}"): read exactly."""
    from answerkey.derive import derive as derive_key
    from answerkey.load import load_spec

    spec = """\
title: Variants
variables:
  w: {range: [1, 9]}
problems:
  - id: p
    title: P
    networks:
      net:
        input: [2]
        layers: [{name: o, kind: linear, units: 1, activation: sigmoid, bias: true}]
    parts:
      - id: a
        text: One step.
        ask:
          kind: numeric_pass
          input: ["0.${w}", "-0.5"]
          target: [1]
          loss: bce
          learning_rate: 0.1
          weights: {o: {W: [["0.${w}", "0.2"]], b: ["-0.${w}"]}}
"""
    path = tmp_path / "v.yaml"
    path.write_text(spec, encoding="utf-8")
    seen = set()
    for seed in range(6):
        answer = derive_key(load_spec(path, seed=seed)).problems[0].parts[0].answers[0]
        x = dict(answer.steps[0].formula.values)[sp.MatrixSymbol("x", 2, 1)]
        w = str(x[0]).rstrip("0")
        assert w in {f"0.{d}" for d in range(1, 10)}
        seen.add(w)
    assert len(seen) > 1
