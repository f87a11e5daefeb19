"""The question kinds of receptive fields, memory, FLOP tables, backprop, batch norm, recurrent
and attention equations in variants: sizes drawn per seed, each answer recomputed here from
the drawn numbers (not from the tool's output) and different across seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from answerkey.derive import derive
from answerkey.load import load_spec

SPEC = """\
title: Variants of every question kind
conventions: {bias: false, ops: mac, norm: pytorch, recurrent_bias: pytorch}
variables:
  k: {choice: [3, 5, 7]}
  c: {choice: [8, 16, 32]}
  b: {choice: [4, 8, 16]}
  h: {choice: [32, 64, 128]}
  d: {choice: [50, 100, 300]}
  e: {choice: [64, 128, 256]}
  heads: {choice: [2, 4, 8]}
  u: {range: [2, 5]}
problems:
  - id: cnn
    title: CNN
    networks:
      net:
        input: {map: [16, 16, 3], batch: "${b}"}
        layers:
          - {name: conv1, kind: conv2d, filters: "${c}", kernel: "${k}"}
          - {name: bn1, kind: batchnorm2d, activation: relu}
          - {name: conv2, kind: conv2d, filters: "${c}", kernel: 3}
    parts:
      - {id: a, text: Field., ask: receptive_field}
      - {id: b, text: Memory., ask: {kind: activation_memory, dtype: fp16}}
      - {id: c, text: Parameters., ask: {kind: param_memory, optimizer: adam}}
      - {id: d, text: FLOPs., ask: flops_table}
      - {id: e, text: Gradients., ask: {kind: conv_backprop, layer: conv1}}
      - {id: f, text: Batch norm., ask: {kind: batchnorm_forward, layer: bn1}}
  - id: seq
    title: Sequences
    networks:
      lstm:
        input: {sequence: [10, "${d}"]}
        layers: [{name: enc, kind: lstm, hidden_size: "${h}", bias: true}]
      mha:
        input: {sequence: [20, "${e}"]}
        layers: [{name: att, kind: attention, heads: "${heads}", bias: true}]
    parts:
      - {id: a, text: LSTM., ask: {kind: recurrent_equations, network: lstm, layer: enc}}
      - {id: b, text: Attention., ask: {kind: attention_equations, network: mha, layer: att}}
  - id: dense
    title: Dense
    networks:
      mlp:
        input: [4]
        layers:
          - {name: h1, kind: linear, units: "${u}", activation: tanh, bias: true}
          - {name: out, kind: linear, units: 3, activation: softmax, bias: true}
    parts:
      - {id: a, text: Backprop., ask: {kind: network_backprop, loss: cross_entropy}}
"""


def _expected(v: dict[str, int]) -> dict[str, int]:
    k, c, b, h, d, e = (v[n] for n in "kcbhde")
    o1 = 16 - k + 1  # no padding, stride 1
    o2 = o1 - 3 + 1
    weights = k * k * 3 * c + 2 * c + 3 * 3 * c * c
    values = 16 * 16 * 3 + 2 * o1 * o1 * c + o2 * o2 * c  # input, conv1, bn1, conv2
    macs = o1 * o1 * c * k * k * 3 + o2 * o2 * c * 3 * 3 * c
    return {
        "cnn(a)": 1 + (k - 1) + 2,
        "cnn(b)": b * values * 2,
        "cnn(c)": 4 * weights * 4,
        "cnn(d)": 2 * macs,
        "cnn(f)": b * o1 * o1,
        "seq(a)": 4 * h * (d + h) + 2 * 4 * h,
        "seq(b)": 4 * e * e + 4 * e,
    }


def _drawn(data: Any) -> dict[str, int]:
    """The variant's numbers, read back from the substituted spec."""
    cnn, seq, dense = (p["networks"] for p in data["problems"])
    conv1 = cnn["net"]["layers"][0]
    return {
        "k": int(conv1["kernel"]),
        "c": int(conv1["filters"]),
        "b": int(cnn["net"]["input"]["batch"]),
        "d": int(seq["lstm"]["input"]["sequence"][1]),
        "h": int(seq["lstm"]["layers"][0]["hidden_size"]),
        "e": int(seq["mha"]["input"]["sequence"][1]),
        "u": int(dense["mlp"]["layers"][0]["units"]),
    }


def test_each_kind_follows_the_drawn_sizes(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text(SPEC, encoding="utf-8")
    seen: dict[str, set[object]] = {}
    for seed in range(5):
        spec = load_spec(path, seed=seed)
        key = derive(spec)
        drawn = _drawn(spec.data)
        got = {
            f"{problem.loaded.spec.id}({part.spec.id})": part.answers[0]
            for problem in key.problems
            for part in problem.parts
        }
        for label, value in _expected(drawn).items():
            assert got[label].value == value, (seed, label, drawn)
            seen.setdefault(label, set()).add(value)
        conv = got["cnn(e)"]
        out = 16 - drawn["k"] + 1
        shapes = [step.shape for step in conv.steps]
        assert shapes == [
            (drawn["c"], out, out),
            (drawn["c"], 3, drawn["k"], drawn["k"]),
            (3, 16, 16),
        ]
        backprop = {step.shape for step in got["dense(a)"].steps}
        assert {(3, drawn["u"]), (drawn["u"], 4), (drawn["u"], 1)} <= backprop
    assert all(len(values) > 1 for values in seen.values()), seen
