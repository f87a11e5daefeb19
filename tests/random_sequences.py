"""Seeded random sequence networks, written as the YAML mapping a user would write.

``random_sequence_network(seed)`` has the contract of ``test_referee.random_network``: a valid
raw network mapping, drawn from one seed, that the referee must agree with. It mixes every
sequence kind: token inputs with an embedding or ``[T, d]`` inputs; per-position linear layers;
RNN, LSTM and GRU (stacked, bidirectional, with a projection, returning the sequence or the
last state, with ``reset_after``); self- and cross-attention (separate kdim/vdim and source
length); pre- and post-norm transformer encoder layers; parallel blocks joined by
concatenation along the features or by addition; activations and a closing flatten and
linear layer; each layer's ``bias`` on, off or left to the convention.
"""

from __future__ import annotations

import random
from typing import Any


def _bias(rng: random.Random, layer: dict[str, Any]) -> dict[str, Any]:
    if rng.random() < 0.4:
        layer["bias"] = rng.random() < 0.5
    return layer


def _recurrent(rng: random.Random, name: str, last: bool) -> dict[str, Any]:
    kind = rng.choice(["rnn", "lstm", "gru"])
    h = rng.randint(2, 12)
    layer: dict[str, Any] = {"name": name, "kind": kind, "hidden_size": h}
    if rng.random() < 0.4:
        layer["num_layers"] = rng.randint(2, 3)
    if rng.random() < 0.4:
        layer["bidirectional"] = True
    if kind == "lstm" and h > 2 and rng.random() < 0.4:
        layer["proj_size"] = rng.randint(1, h - 1)
    if kind == "gru" and rng.random() < 0.3:
        layer["reset_after"] = False
    if kind == "rnn" and rng.random() < 0.3:
        layer["nonlinearity"] = "relu"
    if last and rng.random() < 0.5:
        layer["return_sequences"] = False
    return _bias(rng, layer)


def _heads(rng: random.Random, d: int) -> int:
    return rng.choice([h for h in (1, 2, 3, 4, 8) if d % h == 0])


def _attention(rng: random.Random, name: str, d: int) -> dict[str, Any]:
    layer: dict[str, Any] = {"name": name, "kind": "attention", "heads": _heads(rng, d)}
    if rng.random() < 0.3:
        layer["kdim"] = rng.randint(1, 12)
    if rng.random() < 0.3:
        layer["vdim"] = rng.randint(1, 12)
    if rng.random() < 0.3:
        layer["source_length"] = rng.randint(1, 9)
    return _bias(rng, layer)


def _encoder(rng: random.Random, name: str, d: int) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "name": name,
        "kind": "transformer_encoder_layer",
        "heads": _heads(rng, d),
        "feedforward": rng.randint(2, 24),
    }
    if rng.random() < 0.5:
        layer["norm"] = "pre"
    if rng.random() < 0.3:
        layer["feedforward_activation"] = "gelu"
    return _bias(rng, layer)


def _linear(rng: random.Random, name: str) -> dict[str, Any]:
    return _bias(rng, {"name": name, "kind": "linear", "units": rng.randint(1, 16)})


def _parallel(rng: random.Random, name: str, d: int) -> tuple[dict[str, Any], int]:
    """Two or three branches of per-position layers; ``add`` needs equal widths."""
    join = rng.choice(["concat", "add"])
    width = rng.randint(2, 8) * 2
    branches, total = [], 0
    for b in range(rng.randint(2, 3)):
        if join == "add" or rng.random() < 0.5:
            layer = {"name": f"{name}.{b}", "kind": "linear", "units": width}
            out = width
        else:
            layer = _attention(rng, f"{name}.{b}", d)
            out = d
        if join == "concat" and layer["kind"] == "linear":
            layer["units"] = out = rng.randint(1, 8)
        branches.append({"name": f"{name}.branch{b}", "layers": [_bias(rng, layer)]})
        total += out
    block = {"kind": "parallel", "name": name, "join": join, "branches": branches}
    return block, (width if join == "add" else total)


def random_sequence_network(seed: int) -> dict[str, Any]:
    """A random but valid sequence network mapping (see the module docstring)."""
    rng = random.Random(seed)
    t = rng.randint(1, 9)
    layers: list[dict[str, Any]] = []
    if rng.random() < 0.3:
        d = rng.randint(2, 12)
        raw: dict[str, Any] = {"input": [t], "layers": layers}
        layers.append(
            {"name": "embed", "kind": "embedding", "vocabulary": rng.randint(2, 50), "dim": d}
        )
    else:
        d = rng.randint(1, 12)
        raw = {"input": {"sequence": [t, d]}, "layers": layers}
    sequence = True
    for i in range(rng.randint(1, 5)):
        choice = rng.random()
        if choice < 0.3:
            layer = _recurrent(rng, f"rec{i}", last=i >= 2)
            if layer.get("return_sequences") is False:
                sequence = False
            width = (2 if layer.get("bidirectional") else 1) * layer.get(
                "proj_size", layer["hidden_size"]
            )
        elif choice < 0.5:
            layer, width = _attention(rng, f"att{i}", d), d
        elif choice < 0.65:
            layer, width = _encoder(rng, f"enc{i}", d), d
        elif choice < 0.85:
            layer = _linear(rng, f"lin{i}")
            width = layer["units"]
        elif choice < 0.95:
            layer, width = _parallel(rng, f"par{i}", d)
        else:
            layer, width = {"name": f"act{i}", "kind": "activation", "function": "relu"}, d
        layers.append(layer)
        d = width
        if not sequence:
            break
    if rng.random() < 0.5:
        if sequence and rng.random() < 0.5:
            layers.append({"name": "flat", "kind": "flatten"})
        layers.append(_linear(rng, "head"))
    return raw
