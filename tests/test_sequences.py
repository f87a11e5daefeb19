"""Sequence kinds, exactly: the per-position linear layer, embeddings, RNN/LSTM/GRU, multi-head
attention and the transformer encoder layer.

Counts are held three ways: against the parameter shapes PyTorch documents (summed here by a
loop over layers and directions, not by the kinds' formulas), against the counts Keras's
model summary prints (its one recurrent bias vector, GRU ``reset_after``), and against
``torch.nn`` modules built from the spec's own fields (the referee). The referee's MACs come
from ``FlopCounterMode`` on the ``meta`` device with autograd on; the last tests show why (on
the CPU it misses the LSTM's oneDNN kernel and the attention fast paths) and check the method
against an independent count of the matrix products PyTorch runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sympy as sp
from click.testing import CliRunner

from answerkey.cli import main
from answerkey.load import load_spec
from answerkey.spec_network import NetworkSpec
from derivations.conventions import Conventions
from derivations.formula import size_symbol
from derivations.layers import LAYER_KINDS, Count
from derivations.network import Analysis, analyze
from derivations.shapes import Shape

ROOT = Path(__file__).resolve().parent.parent
ZOO = ROOT / "specs" / "zoo" / "transformer-encoder.yaml"
GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def _analyse(raw: dict[str, Any], **conventions: Any) -> Analysis:
    return analyze(NetworkSpec.model_validate(raw).to_model("n", ()), Conventions(**conventions))


def _seq(t: int | str, d: int | str, *layers: dict[str, Any]) -> dict[str, Any]:
    return {"input": {"sequence": [t, d]}, "layers": list(layers)}


def test_linear_applies_at_every_position() -> None:
    """No flattening: T × d_in → T × d_out, W = d_in·d_out, MAC = T·d_in·d_out."""
    ((_, r),) = _analyse(_seq(10, 16, {"name": "p", "kind": "linear", "units": 32})).layers()
    assert r.out_shape == Shape.sequence(10, 32)
    assert (r.count(Count.WEIGHTS), r.count(Count.BIASES), r.count(Count.MACS)) == (
        16 * 32,
        32,
        10 * 16 * 32,
    )
    t = size_symbol("T")
    ((_, sym),) = _analyse(_seq("T", 16, {"name": "p", "kind": "linear", "units": 32})).layers()
    assert sym.count(Count.MACS) == 512 * t and sym.count(Count.WEIGHTS) == 512


def test_embedding_is_a_table_without_macs() -> None:
    raw = {
        "input": [50],
        "layers": [{"name": "e", "kind": "embedding", "vocabulary": 20000, "dim": 128}],
    }
    ((_, r),) = _analyse(raw).layers()
    assert r.out_shape == Shape.sequence(50, 128)
    assert r.count(Count.WEIGHTS) == 20000 * 128
    assert Count.BIASES not in r.counts and r.count(Count.MACS) == 0


def _documented(kind: str, d: int, h: int, layers: int, dirs: int, proj: int) -> tuple[int, int]:
    """Weights and biases from the parameter shapes of the PyTorch docs ("Variables"): per
    layer k and direction, weight_ih_lk (G·h × d_k), weight_hh_lk (G·h × r), weight_hr_lk
    (p × h) with a projection, bias_ih_lk and bias_hh_lk (G·h each); d_k = d for the first
    layer, D·r after it; r = p or h."""
    g, r = GATES[kind], (proj or h)
    weights = biases = 0
    for k in range(layers):
        d_k = d if k == 0 else dirs * r
        for _ in range(dirs):
            weights += g * h * d_k + g * h * r + (proj * h if proj else 0)
            biases += 2 * g * h
    return weights, biases


CASES = [  # kind, d, h, layers, bidirectional, proj_size
    ("rnn", 8, 16, 1, False, 0),
    ("rnn", 8, 16, 3, True, 0),
    ("gru", 12, 7, 2, False, 0),
    ("gru", 12, 7, 2, True, 0),
    ("lstm", 8, 16, 1, False, 0),
    ("lstm", 8, 16, 2, True, 0),
    ("lstm", 8, 16, 3, True, 6),
    ("lstm", 5, 9, 1, False, 4),
]


@pytest.mark.parametrize(("kind", "d", "h", "layers", "bidir", "proj"), CASES)
def test_recurrent_counts_follow_the_documented_shapes(
    kind: str, d: int, h: int, layers: int, bidir: bool, proj: int
) -> None:
    layer: dict[str, Any] = {"name": "r", "kind": kind, "hidden_size": h, "num_layers": layers}
    layer["bidirectional"] = bidir
    if proj:
        layer["proj_size"] = proj
    ((_, r),) = _analyse(_seq(11, d, layer), bias=True).layers()
    weights, biases = _documented(kind, d, h, layers, 2 if bidir else 1, proj)
    assert r.count(Count.WEIGHTS) == weights
    assert r.count(Count.BIASES) + r.count(Count.RECURRENT_BIASES) == biases
    assert r.count(Count.MACS) == 11 * weights  # every weight once per position
    assert r.out_shape == Shape.sequence(11, (2 if bidir else 1) * (proj or h))


def test_recurrent_formulas_stay_symbolic() -> None:
    h, d, t = size_symbol("h"), size_symbol("d"), size_symbol("T")
    raw = _seq("T", "d", {"name": "l", "kind": "lstm", "hidden_size": "h"})
    ((_, r),) = _analyse(raw).layers()
    assert sp.expand(r.count(Count.WEIGHTS) - 4 * h * (d + h)) == 0
    assert sp.expand(r.count(Count.MACS) - 4 * t * h * (d + h)) == 0
    assert r.count(Count.BIASES) == r.count(Count.RECURRENT_BIASES) == 4 * h


@pytest.mark.parametrize(
    ("layer", "published"),
    [  # Keras model.summary() of each layer on 32 input features: 64 units
        ({"kind": "lstm"}, 24_832),  # 4 · (64 · (32 + 64) + 64)
        ({"kind": "rnn"}, 6_208),  # SimpleRNN: 64 · (32 + 64) + 64
        ({"kind": "gru"}, 18_816),  # reset_after=True: 3 · (64 · (32 + 64) + 2 · 64)
        ({"kind": "gru", "reset_after": False}, 18_624),  # 3 · (64 · (32 + 64) + 64)
    ],
)
def test_keras_convention_gives_keras_summary_counts(layer: dict[str, Any], published: int) -> None:
    raw = _seq(20, 32, {"name": "r", "hidden_size": 64, **layer})
    ((_, keras),) = (a := _analyse(raw, bias=True, recurrent_bias="keras")).layers()
    assert a.params(keras) == published
    ((_, torch_way),) = (b := _analyse(raw, bias=True, recurrent_bias="pytorch")).layers()
    g = GATES[layer["kind"]]
    assert b.params(torch_way) == g * 64 * (32 + 64) + 2 * g * 64  # PyTorch: b_ih and b_hh


def test_attention_counts() -> None:
    """Self-attention: W = 4E², b = 4E, MAC = 4·T·E² + 2·T²·E; the heads change neither."""
    for heads in (1, 2, 8):
        ((_, r),) = _analyse(
            _seq(5, 16, {"name": "a", "kind": "attention", "heads": heads})
        ).layers()
        assert r.count(Count.WEIGHTS) == 4 * 16 * 16 and r.count(Count.BIASES) == 64
        assert r.count(Count.MACS) == 4 * 5 * 16 * 16 + 2 * 5 * 5 * 16
    cross = {"name": "c", "kind": "attention", "heads": 2, "kdim": 3, "vdim": 5, "source_length": 7}
    ((_, c),) = _analyse(_seq(5, 8, cross)).layers()
    assert c.count(Count.WEIGHTS) == 8 * 8 + 8 * 3 + 8 * 5 + 8 * 8
    assert c.count(Count.MACS) == 5 * 64 + 7 * 3 * 8 + 7 * 5 * 8 + 2 * 5 * 7 * 8 + 5 * 64
    assert c.out_shape == Shape.sequence(5, 8)


def test_transformer_block_is_the_sum_of_its_parts() -> None:
    """The block's general formulas (in E, F, T, h) equal the sum of its parts, each counted
    by its own kind: attention, two per-position linear layers, two layer norms."""
    layer = {"name": "enc", "kind": "transformer_encoder_layer", "heads": 4, "feedforward": 48}
    ((_, r),) = _analyse(_seq(9, 16, layer)).layers()
    parts = r.layer.parts(r.in_shape)
    assert set(parts) == {"attn", "LN1", "FF1", "FF2", "LN2"}

    def summed(*counts: Count) -> sp.Expr:
        return sum(p[c].value for p in parts.values() for c in counts if c in p)

    assert r.count(Count.WEIGHTS) == summed(Count.WEIGHTS, Count.SCALES)  # γ of each norm
    assert r.count(Count.BIASES) == summed(Count.BIASES, Count.SHIFTS)  # β of each norm
    for count in (Count.MACS, Count.BIAS_OPS, Count.NORM_OPS):
        assert r.count(count) == summed(count)
    assert r.count(Count.WEIGHTS) == 4 * 16 * 16 + 2 * 16 * 48 + 2 * 16
    assert r.count(Count.ACTIVATION_OPS) == 9 * 48  # the feed-forward activation
    assert r.count(Count.JOIN_OPS) == 2 * 9 * 16  # two residual sums


def test_element_wise_conventions_count_inside_sequence_kinds() -> None:
    """bias_ops, norm_ops, activation_ops and join_ops reach the parts of a transformer layer
    and the bias additions of attention and a per-position linear layer."""
    layers = (
        {"name": "p", "kind": "linear", "units": 8},
        {"name": "a", "kind": "attention", "heads": 2},
        {"name": "t", "kind": "transformer_encoder_layer", "heads": 2, "feedforward": 12},
    )
    flags = {"bias_ops": True, "norm_ops": True, "activation_ops": True, "join_ops": True}
    plain = _analyse(_seq(5, 4, *layers), bias=True)
    counted = _analyse(_seq(5, 4, *layers), bias=True, **flags)
    extra = [counted.ops(r) - plain.ops(r) for _, r in counted.layers()]
    t, e, f = 5, 8, 12
    assert extra == [t * 8, 4 * t * e, (4 * t * e + t * f + t * e) + 4 * t * e + t * f + 2 * t * e]


def test_conventions_box_states_the_recurrent_bias_convention() -> None:
    out = CliRunner().invoke(main, ["derive", str(ROOT / "specs" / "sequences.yaml")])
    assert out.exit_code == 0, out.output
    problems = json.loads(out.output)["problems"]
    assert any("b_ih and b_hh, as PyTorch" in line for line in problems[0]["conventions"])
    assert any("as Keras keeps it" in line for line in problems[1]["conventions"])
    hw3 = CliRunner().invoke(main, ["derive", str(ROOT / "specs" / "homework3.yaml")])
    assert "Recurrent" not in hw3.output  # stated only where a recurrent layer is


# -- the referee ---------------------------------------------------------------------------

REFEREE_CASES = [
    _seq(
        6,
        8,
        {"name": "p", "kind": "linear", "units": 5},
        {"name": "q", "kind": "linear", "units": "same"},
    ),
    {
        "input": [7],
        "layers": [
            {"name": "e", "kind": "embedding", "vocabulary": 30, "dim": 6},
            {"name": "g", "kind": "gru", "hidden_size": 4, "reset_after": False},
        ],
    },
    _seq(
        5,
        8,
        {
            "name": "l",
            "kind": "lstm",
            "hidden_size": 16,
            "num_layers": 2,
            "bidirectional": True,
            "proj_size": 6,
        },
        {"name": "g", "kind": "gru", "hidden_size": 7, "return_sequences": False},
        {"name": "fc", "kind": "linear", "units": 3},
    ),
    _seq(
        4,
        6,
        {
            "name": "r",
            "kind": "rnn",
            "hidden_size": 5,
            "nonlinearity": "relu",
            "num_layers": 3,
            "bidirectional": True,
            "bias": False,
        },
        {"kind": "flatten"},
    ),
    _seq(
        5,
        8,
        {"name": "a", "kind": "attention", "heads": 2, "kdim": 3, "vdim": 5, "source_length": 7},
        {"name": "b", "kind": "attention", "heads": 4, "bias": False},
        {"name": "c", "kind": "attention", "heads": 1, "source_length": 3},
    ),
    _seq(
        5,
        8,
        {
            "name": "t",
            "kind": "transformer_encoder_layer",
            "heads": 2,
            "feedforward": 32,
            "norm": "pre",
            "feedforward_activation": "gelu",
        },
        {
            "name": "u",
            "kind": "transformer_encoder_layer",
            "heads": 4,
            "feedforward": 8,
            "bias": False,
        },
    ),
]


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize("raw", REFEREE_CASES, ids=range(len(REFEREE_CASES)))
def test_sequence_networks_agree_with_pytorch(raw: dict[str, Any]) -> None:
    from answerkey.referee import RawConventions, check_network

    for bias in (False, True):
        for recurrent in ("pytorch", "keras"):
            analysis = _analyse(raw, bias=bias, recurrent_bias=recurrent)
            rows = check_network(
                analysis, raw, bias, conventions=RawConventions(bias, recurrent_bias=recurrent)
            )
            assert rows and all(r.ok for r in rows), rows


@pytest.mark.usefixtures("torch_available")
def test_referee_tells_the_two_recurrent_conventions_apart() -> None:
    from answerkey.referee import RawConventions, check_network

    raw = _seq(5, 8, {"name": "l", "kind": "lstm", "hidden_size": 4})
    keras = _analyse(raw, bias=True, recurrent_bias="keras")
    (row,) = check_network(keras, raw, True, conventions=RawConventions(True))
    assert not row.ok and row.ours is not None and row.torch is not None
    assert row.torch.counts[-1] - row.ours.counts[-1] == 16  # b_hh: 4 gates × 4


@pytest.mark.usefixtures("torch_available")
def test_a_wrong_attention_rule_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counting the scores once instead of twice (QKᵀ and the weighted sum) must differ."""
    from answerkey.referee import check_network
    from derivations.layers import attention

    raw = _seq(5, 8, {"name": "a", "kind": "attention", "heads": 2})
    real = attention.mac_terms

    def one_product(sizes: Any) -> list[tuple[str, sp.Expr]]:
        return [(n, t / 2 if "scores" in n else t) for n, t in real(sizes)]

    monkeypatch.setattr(attention, "mac_terms", one_product)
    (row,) = check_network(_analyse(raw), raw, False)
    assert not row.ok


# -- how MACs are measured where FlopCounterMode does not see them --------------------------


@pytest.mark.usefixtures("torch_available")
def test_flopcounter_is_blind_to_cpu_kernels_the_referee_avoids() -> None:
    """On the CPU, FlopCounterMode counts nothing for the LSTM (aten.mkldnn_rnn_layer) and
    for attention's fast paths (eval mode without autograd: _native_multi_head_attention,
    _transformer_encoder_layer_fwd). The referee runs on ``meta`` with autograd on, where
    the same modules decompose into the matrix products it counts, and refuses a row if one
    of those kernels runs all the same."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from answerkey.referee import _measure

    def flops(module: Any, x: Any, *more: Any) -> int:
        counter = FlopCounterMode(display=False)
        with counter:
            module(x, *more)
        return int(counter.get_total_flops())

    x = torch.randn(1, 5, 8)
    assert flops(torch.nn.LSTM(8, 16, batch_first=True), x) == 0
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True).eval()
    layer = torch.nn.TransformerEncoderLayer(8, 2, 32, batch_first=True).eval()
    with torch.no_grad():
        assert flops(mha, x, x, x) == 0
        assert flops(layer, x) == 0
        with pytest.raises(RuntimeError, match="_transformer_encoder_layer_fwd"):
            _measure(layer, x, True, False)
    meta = torch.nn.LSTM(8, 16, batch_first=True, device="meta")
    assert flops(meta, torch.empty(1, 5, 8, device="meta")) == 2 * 5 * 4 * 16 * (8 + 16)
    assert flops(mha, x, x, x) == 2 * (4 * 5 * 8 * 8 + 2 * 5 * 5 * 8)  # eval, autograd on


def _matmul_macs(module: Any, x: Any) -> int:
    """MACs from the shapes of every matrix product PyTorch runs (mm, addmm, bmm, baddbmm),
    recorded under a TorchDispatchMode: an independent count of what FlopCounterMode sums."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Products(TorchDispatchMode):
        macs = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            name = func.__name__.split(".")[0]
            if name in ("mm", "addmm", "bmm", "baddbmm"):
                a, b = (args[0], args[1]) if name in ("mm", "bmm") else (args[1], args[2])
                batch = a.shape[0] if a.dim() == 3 else 1
                Products.macs += batch * a.shape[-2] * a.shape[-1] * b.shape[-1]
            return func(*args, **(kwargs or {}))

    with Products():
        module(x)
    return Products.macs


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize("raw", REFEREE_CASES[1:], ids=range(1, len(REFEREE_CASES)))
def test_counted_matrix_products_equal_the_referee_and_the_key(raw: dict[str, Any]) -> None:
    import torch

    from answerkey.referee import TorchShape

    analysis = _analyse(raw)
    form = "sequence" if isinstance(raw["input"], dict) else "vector"
    x = torch.empty(
        (1, *(raw["input"]["sequence"] if form == "sequence" else raw["input"])), device="meta"
    )
    for layer, (_, result) in zip(raw["layers"], analysis.layers(), strict=True):
        kind = LAYER_KINDS[layer["kind"]]
        module = kind.torch_module(layer, TorchShape(x.shape[1:], form), torch.nn)
        assert _matmul_macs(module, x) == result.count(Count.MACS), layer
        x = module(x)
        form = kind.torch_form(layer, form, x.dim() - 1)


# -- the zoo -------------------------------------------------------------------------------


@pytest.mark.usefixtures("torch_available")
def test_zoo_transformer_encoder_equals_pytorch() -> None:
    """specs/zoo/transformer-encoder.yaml against nn.TransformerEncoder(6 layers, d = 512,
    8 heads, feed-forward 2048) built here: every parameter, and FlopCounterMode's MACs over
    a sequence of 128 positions (meta device)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from answerkey.referee import check_spec

    loaded = load_spec(ZOO)
    analysis = loaded.problems[0].context.get(None)
    layer = torch.nn.TransformerEncoderLayer(512, 8, 2048, batch_first=True, device="meta")
    model = torch.nn.TransformerEncoder(layer, 6, enable_nested_tensor=False)
    params = sum(p.numel() for p in model.parameters())
    assert params == 18_914_304
    assert sum(analysis.params(r) for _, r in analysis.layers()) == params
    counter = FlopCounterMode(display=False)
    with counter:
        model(torch.empty(1, 128, 512, device="meta"))
    macs = counter.get_total_flops() // 2
    assert macs == 2_516_582_400
    assert sum(analysis.ops(r) for _, r in analysis.layers()) == macs
    assert all(r.ok for r in check_spec(loaded))


@pytest.mark.usefixtures("tex_available")
def test_zoo_transformer_encoder_shape_table_renders(tmp_path: Path) -> None:
    import subprocess

    out = CliRunner().invoke(main, ["build", str(ZOO), "-o", str(tmp_path)])
    assert out.exit_code == 0, out.output
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "key.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "128 × 512" in text and "18,914,304" in text and "2,516,582,400" in text
