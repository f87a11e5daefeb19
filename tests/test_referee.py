"""PyTorch as an independent referee: models built from the spec's own fields.

Every spec in ``specs/`` and 300 seeded random architectures (convolutions with stride,
padding, dilation and groups, pooling, dense layers, inception-style branches joined by
concatenation or addition), written as YAML mappings, must agree with PyTorch on every row
under both bias conventions; so must 1,000 networks mixing every kind and 300 on sequence
inputs, from the shared generator ``random_networks.py``. And the referee must be able to say
no: a rule broken on purpose makes ``answerkey check`` exit 5.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from answerkey.cli import main
from answerkey.load import load_spec
from answerkey.spec_network import NetworkSpec
from derivations.conventions import Conventions
from derivations.formula import Formula
from derivations.layers import LAYER_KINDS, Count, LayerKind, LayerResult
from derivations.layers import window as W
from derivations.layers.conv import Conv2d
from derivations.network import analyze
from derivations.shapes import ShapeError

pytestmark = pytest.mark.usefixtures("torch_available")

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
HOMEWORK3 = ROOT / "specs" / "homework3.yaml"


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_every_spec_agrees_with_pytorch(spec: Path) -> None:
    from answerkey.referee import check_spec

    rows = check_spec(load_spec(spec))
    assert rows, "nothing compared"
    bad = [r for r in rows if not r.ok]
    assert not bad, bad


def test_homework3_rows() -> None:
    from answerkey.referee import check_spec

    rows = check_spec(load_spec(HOMEWORK3))
    assert len(rows) == 3 + 1 + 8 + 8 + 5  # dense, perceptron, CNN, modules


def test_symbolic_spec_is_checked_at_drawn_values() -> None:
    """general-formulas has no number in its sizes: the referee draws several and compares."""
    from answerkey.referee import SAMPLES, check_spec

    rows = check_spec(load_spec(ROOT / "specs" / "general-formulas.yaml"))
    drawn = {r.network for r in rows}
    assert len(drawn) == 2 * SAMPLES  # two networks, SAMPLES draws each
    assert all("=" in name for name in drawn)
    assert all(r.ok for r in rows)


def _check(spec: Path) -> Any:
    return CliRunner().invoke(main, ["check", str(spec)])


def test_check_passes_on_homework3() -> None:
    result = _check(HOMEWORK3)
    assert result.exit_code == 0, result.output
    assert "all 25 rows agree with PyTorch" in result.output


SAME = """\
title: Same padding
problems:
  - id: p
    title: P
    networks:
      net:
        input: [16, 16, 3]
        layers:
          - {name: c3, kind: conv2d, filters: 8, kernel: 3, padding: same}
          - {name: c5, kind: conv2d, filters: 4, kernel: 5, padding: same}
    parts:
      - {id: a, text: "Shapes?", ask: output_shapes}
"""


def test_same_padding_off_by_one_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "same.yaml"
    spec.write_text(SAME, encoding="utf-8")
    assert _check(spec).exit_code == 0
    real = W.same_padding
    monkeypatch.setattr(W, "same_padding", lambda k, d: real(k, d) + 1)
    result = _check(spec)
    assert result.exit_code == 5, result.output
    assert "(8, 18, 18)" in result.output and "DIFFERS: torch Measured(shape=(8, 16, 16)" in (
        result.output
    )


def _doubled(result: LayerResult) -> LayerResult:
    f = result.counts[Count.WEIGHTS]
    counts = {**result.counts, Count.WEIGHTS: Formula(f.lhs, 2 * f.rhs, f.values)}
    return LayerResult(
        result.layer, result.in_shape, result.out_shape, result.sizes, counts, result.kernel
    )


def test_doubled_weight_count_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = Conv2d.forward
    monkeypatch.setattr(Conv2d, "forward", lambda self, shape: _doubled(real(self, shape)))
    result = _check(HOMEWORK3)
    assert result.exit_code == 5, result.output


def test_doubled_printed_parameters_are_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The convention's sum (what the key prints as "parameters") is compared too."""
    real = Conventions.params_of
    monkeypatch.setattr(Conventions, "params_of", lambda self, r: 2 * real(self, r))
    result = _check(HOMEWORK3)
    assert result.exit_code == 5, result.output


def test_nothing_compared_is_an_error(tmp_path: Path) -> None:
    spec = tmp_path / "empty.yaml"
    spec.write_text(
        "title: T\nproblems:\n  - {id: p, title: P, parts: [{id: a, text: Say hello.}]}\n",
        encoding="utf-8",
    )
    result = _check(spec)
    assert result.exit_code == 5
    assert "nothing compared" in result.output


# -- random architectures, written as the YAML a user would write ---------------------------


def _conv(rng: random.Random, c_in: int, name: str, keep_size: bool = False) -> dict[str, Any]:
    k = rng.choice([1, 3, 5]) if keep_size else rng.choice([1, 2, 3, 4, 5, 7])
    d = 1 if keep_size and k > 1 and rng.random() < 0.7 else rng.choice([1, 1, 2])
    layer: dict[str, Any] = {"name": name, "kind": "conv2d", "kernel": k}
    if keep_size:
        layer["padding"] = "same" if rng.random() < 0.5 else d * (k - 1) // 2
    else:
        layer["stride"] = rng.choice([1, 1, 2, 3])
        layer["padding"] = rng.choice([0, 0, 1, 2, 3])
    if d != 1 or rng.random() < 0.3:
        layer["dilation"] = d
    if keep_size and k % 2 == 0:
        layer["padding"] = 0
    g = rng.choice([g for g in (1, 2, 4) if c_in % g == 0])
    if g != 1:
        layer["groups"] = g
    layer["filters"] = g * rng.randint(1, 6)
    if rng.random() < 0.5:
        layer["bias"] = rng.random() < 0.5
    return layer


def _fits(raw: dict[str, Any]) -> Any:
    try:
        net = NetworkSpec.model_validate(raw).to_model("probe", ())
        return analyze(net, Conventions())
    except ShapeError:
        return None


def random_network(seed: int) -> dict[str, Any]:
    """A random but valid network mapping: layers are drawn until one would not fit."""
    rng = random.Random(seed)
    c = rng.choice([1, 3, 4, 8])
    raw: dict[str, Any] = {"input": [rng.randint(12, 40), rng.randint(12, 40), c], "layers": []}
    for i in range(rng.randint(1, 6)):
        choice = rng.random()
        if choice < 0.45:
            layer = _conv(rng, c, f"conv{i}")
        elif choice < 0.65:
            k = rng.choice([2, 3])
            layer = {
                "name": f"pool{i}",
                "kind": rng.choice(["maxpool2d", "avgpool2d"]),
                "kernel": k,
            }
            if rng.random() < 0.7:
                layer["stride"] = rng.choice([1, 2])
            pad = rng.choice([0, k // 2, "same" if k % 2 else 0])
            if pad:
                layer["padding"] = pad
        else:
            join = rng.choice(["concat", "add"])
            out = rng.randint(1, 6) * 4
            branches = []
            for b in range(rng.randint(2, 4)):
                layers, depth = [], c
                for j in range(1 if join == "add" else rng.randint(1, 2)):
                    conv = _conv(rng, depth, f"b{i}.{b}.{j}", keep_size=True)
                    if join == "add":
                        conv.update(filters=out, groups=1)
                    layers.append(conv)
                    depth = conv["filters"]
                branches.append({"name": f"branch{i}.{b}", "layers": layers})
            layer = {"kind": "parallel", "name": f"block{i}", "join": join, "branches": branches}
        trial = {**raw, "layers": [*raw["layers"], layer]}
        analysis = _fits(trial)
        if analysis is None:
            break
        raw = trial
        c = int(analysis.output.channels)
    if rng.random() < 0.6:
        fc: dict[str, Any] = {"name": "fc", "kind": "linear", "units": rng.randint(1, 20)}
        if rng.random() < 0.5:
            fc["bias"] = rng.random() < 0.5
        raw["layers"].append(fc)
    if not raw["layers"]:
        raw["layers"].append({"kind": "flatten"})
    return raw


@pytest.mark.parametrize("block", range(6))
def test_random_architectures_agree_with_pytorch(block: int) -> None:
    from answerkey.referee import check_network

    layers_checked = 0
    for seed in range(block * 50, block * 50 + 50):
        raw = random_network(seed)
        net = NetworkSpec.model_validate(raw).to_model(f"random-{seed}", ())
        for bias in (False, True):
            rows = check_network(analyze(net, Conventions(bias=bias)), raw, bias)
            bad = [r for r in rows if not r.ok]
            assert not bad, (seed, raw, bad)
            layers_checked += len(rows)
    assert layers_checked >= 100


MIXED = 1000
"""Random networks mixing every kind (tests/random_networks.py), checked in two processes."""


def test_mixed_random_networks_agree_with_pytorch() -> None:
    """1,000 networks drawn from every kind's ``sample`` (vectors, sequences, 1-, 2- and 3-D
    maps; convolutions plain and transposed, pools, adaptive and global pooling, upsampling,
    normalisation, reshape, dropout; concatenations, residual additions with identity
    shortcuts, squeeze-and-excitation gates), each under both bias conventions and a drawn
    rounding and normalisation convention, agree with PyTorch on every row."""
    import multiprocessing
    from collections import Counter
    from concurrent.futures import ProcessPoolExecutor

    from random_networks import check_seeds

    chunks = [list(range(i, min(i + 50, MIXED))) for i in range(0, MIXED, 50)]
    checked, bad, seen = 0, [], Counter[str]()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        for rows, failures, kinds in pool.map(check_seeds, chunks):
            checked += rows
            bad += failures
            seen.update(kinds)
    assert not bad, bad[:3]
    assert checked >= 10 * MIXED
    offered = {
        k for k, c in LAYER_KINDS.items() if c.sample.__func__ is not LayerKind.sample.__func__
    }
    assert {k for k in offered if seen[k] < 3} == set(), seen
    assert min(seen["join:concat"], seen["join:add"], seen["join:multiply"]) >= 50, seen
    assert seen["bias:True"] == seen["bias:False"] == MIXED


SEQUENCES = 300
"""Random networks on sequence inputs (tests/random_networks.py), checked in two processes."""


def test_random_sequence_networks_agree_with_pytorch() -> None:
    """300 networks on a [T, d] input drawn from the shared generator (every kind that offers
    a layer for what reaches it: per-position linear layers, RNN, LSTM and GRU, self- and
    cross-attention, transformer encoder layers, layer norms, branches, and what follows a
    recurrent layer's last state), each under both bias conventions and a drawn
    recurrent-bias (PyTorch's or Keras's), rounding and normalisation convention."""
    import multiprocessing
    from collections import Counter
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    from random_networks import check_seeds

    seeds = range(10_000, 10_000 + SEQUENCES)
    chunks = [list(seeds[i : i + 50]) for i in range(0, SEQUENCES, 50)]
    checked, bad, seen = 0, [], Counter[str]()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        for rows, failures, kinds in pool.map(partial(check_seeds, form="sequence"), chunks):
            checked += rows
            bad += failures
            seen.update(kinds)
    assert not bad, bad[:3]
    assert checked >= 4 * SEQUENCES
    for kind in ("linear", "rnn", "lstm", "gru", "attention", "transformer_encoder_layer"):
        assert seen[kind] >= 20, seen


def test_bias_conventions_give_different_counted_parameters() -> None:
    """The two bias conventions compare different numbers (the referee reads the raw
    convention itself), so the loop above checks two things, not one twice."""
    from answerkey.referee import check_network

    raw = {"input": [4], "layers": [{"name": "fc", "kind": "linear", "units": 3}]}
    net = NetworkSpec.model_validate(raw).to_model("n", ())
    without = check_network(analyze(net, Conventions(bias=False)), raw, False)[0]
    with_b = check_network(analyze(net, Conventions(bias=True)), raw, True)[0]
    assert without.ok and with_b.ok
    assert without.ours is not None and with_b.ours is not None
    assert (without.ours.counts[-1], with_b.ours.counts[-1]) == (12, 15)
    mismatched = check_network(analyze(net, Conventions(bias=True)), raw, False)[0]
    assert not mismatched.ok
