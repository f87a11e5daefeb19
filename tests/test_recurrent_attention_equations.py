"""``recurrent_equations`` and ``attention_equations`` against PyTorch: the printed cell
equations evaluated with a real cell's weights give its next state; the parameter counts
derived from the equations equal the modules' own (both bias conventions); attention's
weights and MACs are the layer kind's, and its equations give nn.MultiheadAttention's
output."""

from __future__ import annotations

from typing import Any

import pytest
import sympy as sp

from answerkey.spec_network import NetworkSpec
from derivations.conventions import Conventions
from derivations.network import analyze
from derivations.questions.attention_equations import AttentionEquations
from derivations.questions.base import Context
from derivations.questions.recurrent_equations import RecurrentEquations


def _ctx(inp: Any, layers: list[dict[str, Any]], **conventions: Any) -> Context:
    net = NetworkSpec.model_validate({"input": inp, "layers": layers}).to_model("n", ())
    return Context({"n": analyze(net, Conventions(**conventions))})


def _explicit(t: Any) -> sp.ImmutableMatrix:
    rows = t.detach().double().reshape(t.shape[0], -1).tolist()
    return sp.ImmutableMatrix([[sp.Float(v, 30) for v in r] for r in rows])


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize(("kind", "gates"), [("lstm", 4), ("gru", 3), ("rnn", 1)])
def test_cell_equations_give_the_cells_next_state(kind: str, gates: int) -> None:
    import torch

    torch.manual_seed(gates)
    d, h = 3, 2
    answer = RecurrentEquations(layer="r").derive(
        _ctx({"sequence": [5, d]}, [{"name": "r", "kind": kind, "hidden_size": h}], bias=True)
    )
    cell = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell, "rnn": torch.nn.RNNCell}[kind](d, h)
    cell = cell.double()
    x, h0 = torch.randn(1, d, dtype=torch.float64), torch.randn(1, h, dtype=torch.float64)
    c0 = torch.randn(1, h, dtype=torch.float64)
    names = {4: "ifgo", 3: "rzn", 1: "h"}[gates]
    values: dict[Any, Any] = {
        sp.MatrixSymbol("x_{t}", d, 1): _explicit(x.T),
        sp.MatrixSymbol("h_{t-1}", h, 1): _explicit(h0.T),
        sp.MatrixSymbol("c_{t-1}", h, 1): _explicit(c0.T),
    }
    for k, n in enumerate(names):  # PyTorch stacks the gates' rows in this order
        rows = slice(k * h, (k + 1) * h)
        values[sp.MatrixSymbol(f"W_{{i{n}}}", h, d)] = _explicit(cell.weight_ih[rows])
        values[sp.MatrixSymbol(f"W_{{h{n}}}", h, h)] = _explicit(cell.weight_hh[rows])
        values[sp.MatrixSymbol(f"b_{{i{n}}}", h, 1)] = _explicit(cell.bias_ih[rows, None])
        values[sp.MatrixSymbol(f"b_{{h{n}}}", h, 1)] = _explicit(cell.bias_hh[rows, None])
    for step in answer.steps:
        if step.formula.identity:
            got = sp.ImmutableMatrix(step.formula.rhs.xreplace(values).doit().as_explicit())
            values[step.formula.lhs] = got.applyfunc(lambda v: sp.Float(sp.N(v, 30), 30))
    out = cell(x, (h0, c0))[0] if kind == "lstm" else cell(x, h0)
    ours = values[sp.MatrixSymbol("h_{t}", h, 1)]
    assert all(abs(float(a) - b) < 1e-12 for a, b in zip(ours, out[0].tolist(), strict=True))


@pytest.mark.usefixtures("torch_available")
def test_projected_lstm_equations_give_the_modules_next_state() -> None:
    """With ``proj_size`` p the printed cell reads h_{t-1} of p through h × p matrices and
    projects its hidden state by W_hr (p × h): one step of nn.LSTM(proj_size=p)."""
    import torch

    torch.manual_seed(4)
    d, h, p = 3, 4, 2
    layer = {"name": "r", "kind": "lstm", "hidden_size": h, "proj_size": p}
    answer = RecurrentEquations(layer="r").derive(_ctx({"sequence": [5, d]}, [layer], bias=True))
    lstm = torch.nn.LSTM(d, h, proj_size=p, batch_first=True).double()
    x = torch.randn(1, 1, d, dtype=torch.float64)
    h0, c0 = torch.randn(1, 1, p, dtype=torch.float64), torch.randn(1, 1, h, dtype=torch.float64)
    values: dict[Any, Any] = {
        sp.MatrixSymbol("x_{t}", d, 1): _explicit(x[0].T),
        sp.MatrixSymbol("h_{t-1}", p, 1): _explicit(h0[0].T),
        sp.MatrixSymbol("c_{t-1}", h, 1): _explicit(c0[0].T),
        sp.MatrixSymbol("W_{hr}", p, h): _explicit(lstm.weight_hr_l0),
    }
    for k, n in enumerate("ifgo"):
        rows = slice(k * h, (k + 1) * h)
        values[sp.MatrixSymbol(f"W_{{i{n}}}", h, d)] = _explicit(lstm.weight_ih_l0[rows])
        values[sp.MatrixSymbol(f"W_{{h{n}}}", h, p)] = _explicit(lstm.weight_hh_l0[rows])
        values[sp.MatrixSymbol(f"b_{{i{n}}}", h, 1)] = _explicit(lstm.bias_ih_l0[rows, None])
        values[sp.MatrixSymbol(f"b_{{h{n}}}", h, 1)] = _explicit(lstm.bias_hh_l0[rows, None])
    for step in answer.steps:
        if step.formula.identity:
            got = sp.ImmutableMatrix(step.formula.rhs.xreplace(values).doit().as_explicit())
            values[step.formula.lhs] = got.applyfunc(lambda v: sp.Float(sp.N(v, 30), 30))
    out = lstm(x, (h0, c0))[0][0, 0].tolist()
    ours = values[sp.MatrixSymbol("h_{t}", p, 1)]
    assert len(out) == p and all(abs(float(a) - b) < 1e-12 for a, b in zip(ours, out, strict=True))
    weights = sum(q.numel() for n, q in lstm.named_parameters() if "weight" in n)
    assert {s.label: s.formula.value for s in answer.steps}["Weights"] == weights


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_counts_derived_from_the_equations_are_the_modules(kind: str) -> None:
    import torch

    d, h = 12, 7
    module = getattr(torch.nn, kind.upper())(d, h)
    answer = RecurrentEquations(layer="r").derive(
        _ctx({"sequence": [4, d]}, [{"name": "r", "kind": kind, "hidden_size": h}], bias=True)
    )
    steps = {s.label: s.formula.value for s in answer.steps if not s.formula.identity}
    weights = sum(p.numel() for n, p in module.named_parameters() if "weight" in n)
    biases = sum(p.numel() for n, p in module.named_parameters() if "bias" in n)
    assert steps["Weights"] == weights and steps["Biases (PyTorch)"] == biases
    assert steps["Biases (Keras)"] == (biases if kind == "gru" else biases // 2)
    assert answer.value == weights + biases


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("lstm", {"num_layers": 2}),
        ("gru", {"num_layers": 3, "bidirectional": True}),
        ("rnn", {"bidirectional": True}),
        ("lstm", {"num_layers": 3, "bidirectional": True, "proj_size": 16}),
    ],
)
def test_stacked_counts_derive_every_layer(kind: str, options: dict[str, Any]) -> None:
    """Each layer's weights are derived from its own input (the sequence's d for layer 1,
    the layer below's output above it) and the totals are the module's, layer by layer."""
    import torch

    d, h = 32, 64
    layer = {"name": "enc", "kind": kind, "hidden_size": h, **options}
    answer = RecurrentEquations(layer="enc").derive(_ctx({"sequence": [20, d]}, [layer], bias=True))
    module = getattr(torch.nn, kind.upper())(d, h, batch_first=True, **options)
    params = dict(module.named_parameters())
    steps = {s.label: s.formula.value for s in answer.steps if not s.formula.identity}
    weights = sum(p.numel() for n, p in params.items() if "weight" in n)
    biases = sum(p.numel() for n, p in params.items() if "bias" in n)
    assert steps["Weights"] == weights and steps["Biases (PyTorch)"] == biases
    assert answer.value == weights + biases
    levels = int(options.get("num_layers", 1))
    first = sum(p.numel() for n, p in params.items() if "weight" in n and "_l0" in n)
    upper = sum(p.numel() for n, p in params.items() if "weight" in n and "_l1" in n)
    dirs = 2 if options.get("bidirectional") else 1
    (one,) = [v for k, v in steps.items() if k.startswith("Weights, layer 1")]
    assert one == first // dirs
    if levels > 1:
        (two,) = [v for k, v in steps.items() if "layer 2" in k or "layers 2" in k]
        assert two == upper // dirs
        assert f": {upper // dirs:,} weights" in answer.explanation
    assert f"{int(answer.value):,} parameters in all" in answer.explanation


def test_two_layer_lstm_prose_derives_layer_2_from_the_hidden_size() -> None:
    layer = {"name": "enc", "kind": "lstm", "hidden_size": 64, "num_layers": 2}
    answer = RecurrentEquations(layer="enc").derive(
        _ctx({"sequence": [20, 32]}, [layer], bias=True)
    )
    why = answer.explanation
    assert "layer 1 has 24,576 weights" in why
    assert "Layer 2 reads the 64 features of the layer below instead of the input's 32" in why
    assert "64 × 64: 32,768 weights." in why and "57,344 weights over 2 layers" in why
    assert "such cells" not in why and answer.value == 58_368 == 24_576 + 512 + 33_280


@pytest.mark.usefixtures("torch_available")
def test_attention_equations_give_multihead_attention() -> None:
    import torch

    torch.manual_seed(0)
    t, e, heads = 4, 6, 2
    layers = [{"name": "mha", "kind": "attention", "heads": heads}]
    answer = AttentionEquations(layer="mha").derive(_ctx({"sequence": [t, e]}, layers, bias=True))
    mha = torch.nn.MultiheadAttention(e, heads, batch_first=True).double()
    x = torch.randn(1, t, e, dtype=torch.float64)
    want = mha(x, x, x, need_weights=False)[0][0]
    assert answer.value == sum(p.numel() for p in mha.parameters())
    # the printed equations, evaluated head by head with the module's own matrices
    rhs = {st.label.split(":")[0].split(",")[0]: st.formula.rhs for st in answer.steps}
    wq, wk, wv = mha.in_proj_weight.chunk(3)
    bq, bk, bv = mha.in_proj_bias.chunk(3)
    vals: dict[Any, Any] = {sp.MatrixSymbol("X", t, e): _explicit(x[0])}
    for name, w, b in (
        ("Q", wq, bq),
        ("K", wk, bk),
        ("V", wv, bv),
        ("O", mha.out_proj.weight, mha.out_proj.bias),
    ):
        vals[sp.MatrixSymbol(f"W_{{{name}}}", e, e)] = _explicit(w.T)
        vals[sp.MatrixSymbol(f"b_{{{name}}}", e, 1)] = _explicit(b[:, None])

    def ev(expr: Any) -> sp.Matrix:
        return sp.Matrix(expr.xreplace(vals).doit().as_explicit())

    Q, K, V = ev(rhs["Queries"]), ev(rhs["Keys"]), ev(rhs["Values"])
    dh = e // heads
    d_h = sp.Symbol("d_h", positive=True, integer=True)
    heads_out = []
    for i in range(heads):
        cols = slice(i * dh, (i + 1) * dh)
        for name, full in (("Q", Q), ("K", K), ("V", V)):
            vals[sp.MatrixSymbol(f"{name}_{{i}}", t, dh)] = sp.ImmutableMatrix(full[:, cols])
        vals[d_h] = dh
        scores = ev(rhs[f"Head i of {heads}"])
        A = sp.Matrix(
            t, t, lambda r, c, s=scores: sp.exp(s[r, c]) / sum(sp.exp(v) for v in s.row(r))
        )
        vals[sp.MatrixSymbol("A_{i}", t, t)] = sp.ImmutableMatrix(A)
        heads_out.append(ev(rhs["Head i"]))
    vals[sp.MatrixSymbol("H", t, e)] = sp.ImmutableMatrix(sp.Matrix.hstack(*heads_out))
    Y = ev(rhs["Output (H"])
    assert all(abs(float(a) - b) < 1e-10 for a, b in zip(Y, want.reshape(-1).tolist(), strict=True))
    labels = [s.label for s in answer.steps]
    assert labels[:3] == ["Queries", "Keys", "Values"] and labels[-3].startswith("Weights")
