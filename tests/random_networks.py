"""Random networks mixing every layer kind, written as the YAML mappings a user would write.

The generator is one place that every family extends: each kind's ``sample(rng, shape)``
classmethod (:meth:`derivations.layers.LayerKind.sample`) offers a random layer of its kind
for the shape reaching it, or None. This module draws an input of a random form, then layers
from every kind that offers one, and blocks around them (concatenations, residual additions
with identity shortcuts, squeeze-and-excitation multiplications), keeping only what the
derivations accept. A kind added to the registry with a ``sample`` joins the mix untouched.
"""

from __future__ import annotations

import random
from typing import Any

from answerkey.spec_network import NetworkSpec
from derivations.conventions import Conventions
from derivations.layers import LAYER_KINDS
from derivations.network import Analysis, analyze
from derivations.shapes import DerivationError, Shape


def fits(raw: dict[str, Any], conventions: Conventions | None = None) -> Analysis | None:
    """The analysis of ``raw`` (a network mapping), or None if the derivations refuse it."""
    try:
        net = NetworkSpec.model_validate(raw).to_model("probe", ())
        return analyze(net, conventions or Conventions())
    except (DerivationError, ValueError):
        return None


FORMS = ("vector", "sequence", "map1", "map2", "map3")


def random_input(rng: random.Random, form: str | None = None) -> Any:
    """An input of a random form (or of ``form``): vector, sequence, or a 1-, 2- or 3-D map."""
    form = form or rng.choices(FORMS, [1, 1, 2, 5, 2])[0]
    c = rng.choice([1, 2, 3, 4, 6, 8])
    if form == "vector":
        return [rng.randint(2, 40)]
    if form == "sequence":
        return {"sequence": [rng.randint(2, 12), rng.randint(2, 16)]}
    if form == "map1":
        return {"map": [rng.randint(8, 40), c]}
    if form == "map2":
        return [rng.randint(8, 28), rng.randint(8, 28), c]
    return [rng.randint(4, 9), rng.randint(6, 12), rng.randint(6, 12), c]


def random_layer(rng: random.Random, shape: Shape) -> dict[str, Any] | None:
    """A layer of a random kind among those that offer one for ``shape``; kinds with
    filters (convolutions) are drawn three times as often."""
    offers, weights = [], []
    for name in sorted(LAYER_KINDS):
        layer = LAYER_KINDS[name].sample(rng, shape)
        if layer is not None:
            offers.append(layer)
            weights.append(3 if "filters" in LAYER_KINDS[name].model_fields else 1)
    return rng.choices(offers, weights)[0] if offers else None


def _keeping(rng: random.Random, shape: Shape, channels: int | None) -> list[dict[str, Any]]:
    """A short branch that keeps the spatial size: an odd-kernel ``same`` convolution (to
    ``channels`` filters, if given), a normalisation, an activation, dropout."""
    layers: list[dict[str, Any]] = []
    if shape.is_map and shape.spatial_rank in (1, 2, 3) and rng.random() < 0.8:
        k = rng.choice([1, 3])
        conv = {
            "kind": f"conv{shape.spatial_rank}d",
            "kernel": k,
            "padding": "same" if rng.random() < 0.5 else k // 2,
            "filters": channels or rng.randint(1, 6),
        }
        if rng.random() < 0.5:
            conv["bias"] = rng.random() < 0.5
        layers.append(conv)
        if rng.random() < 0.5:
            layers.append({"kind": f"batchnorm{shape.spatial_rank}d"})
    if rng.random() < 0.5:
        layers.append({"kind": "activation", "function": rng.choice(["relu", "tanh"])})
    if rng.random() < 0.2:
        layers.append({"kind": "dropout", "p": 0.1})
    return layers


def random_block(rng: random.Random, shape: Shape, index: int) -> dict[str, Any]:
    """A parallel block: concatenation, residual addition (an identity shortcut or a
    projection), or a squeeze-and-excitation gate (multiplication)."""
    c = int(shape.channels)
    joins = ["concat", "add"] + (["multiply"] if shape.is_map else [])
    join = rng.choice(joins)
    branches: list[dict[str, Any]] = []
    if join == "multiply":
        rank = shape.spatial_rank
        squeeze = max(1, c // 2)
        gate = [
            {"kind": f"adaptiveavgpool{rank}d", "output": 1},
            {"kind": f"conv{rank}d", "filters": squeeze, "kernel": 1},
            {"kind": "activation", "function": "relu"},
            {"kind": f"conv{rank}d", "filters": c, "kernel": 1},
            {"kind": "activation", "function": "sigmoid"},
        ]
        branches = [{"name": "x", "layers": []}, {"name": "se", "layers": gate}]
    elif join == "add":
        branches = [{"name": "main", "layers": _keeping(rng, shape, c)}]
        shortcut = [] if rng.random() < 0.6 else _keeping(rng, shape, c)
        branches.append({"name": "shortcut", "layers": shortcut})
    else:
        for b in range(rng.randint(2, 3)):
            branches.append({"name": f"b{b}", "layers": _keeping(rng, shape, None)})
    for b in branches:
        b["name"] = f"{b['name']}{index}"
    return {"kind": "parallel", "name": f"block{index}", "join": join, "branches": branches}


def random_network(seed: int, max_layers: int = 7, form: str | None = None) -> dict[str, Any]:
    """A random network mapping that the derivations accept: layers are drawn (a few tries
    each) until ``max_layers`` or until none fits; ``form`` fixes the input's form (one of
    :data:`FORMS`)."""
    rng = random.Random(seed)
    raw: dict[str, Any] = {"input": random_input(rng, form), "layers": []}
    analysis = fits({**raw, "layers": [{"kind": "dropout"}]})
    assert analysis is not None
    shape = analysis.network.input
    for i in range(rng.randint(1, max_layers)):
        for _ in range(6):
            if rng.random() < 0.3:
                layer: dict[str, Any] | None = random_block(rng, shape, i)
            else:
                layer = random_layer(rng, shape)
            if layer is None:
                continue
            layer.setdefault("name", f"L{i}")
            trial = {**raw, "layers": [*raw["layers"], layer]}
            got = fits(trial)
            if got is None or not got.output.numel.is_Integer:
                continue
            # maps stay maps for a while: a layer that changes the form is kept one time in four
            same_form = (got.output.form, len(got.output.dims)) == (shape.form, len(shape.dims))
            if same_form or rng.random() < 0.25:
                raw, shape = trial, got.output
                break
    if not raw["layers"]:
        raw["layers"].append({"name": "L0", "kind": "dropout"})
    return raw


def random_conventions(rng: random.Random) -> dict[str, Any]:
    """Raw conventions a spec might state (rounding and normalisation counts vary)."""
    out: dict[str, Any] = {}
    if rng.random() < 0.3:
        out["rounding"] = "ceil"
    if rng.random() < 0.3:
        out["norm"] = "keras"
    if rng.random() < 0.3:
        out["recurrent_bias"] = "keras"
    return out


def check_seeds(
    seeds: list[int], form: str | None = None
) -> tuple[int, list[str], dict[str, int]]:
    """Check each seed's network (its input of ``form``, if given) against PyTorch under both
    bias conventions (and the seed's rounding, normalisation and recurrent-bias conventions):
    rows compared, failures, and how often each kind and join appeared. Runs in a worker
    process."""
    from collections import Counter

    from answerkey.referee import RawConventions, check_network

    checked, bad, seen = 0, [], Counter[str]()
    for seed in seeds:
        raw = random_network(seed, form=form) if form else random_network(seed)
        stated = random_conventions(random.Random(seed))
        for node in _flat(raw["layers"]):
            seen[node["kind"] if node["kind"] != "parallel" else f"join:{node['join']}"] += 1
        net = NetworkSpec.model_validate(raw).to_model(f"random-{seed}", ())
        for bias in (False, True):
            seen[f"bias:{bias}"] += 1
            conventions = Conventions(bias=bias).override(**stated)
            referee = RawConventions(
                bias, conventions.rounding, conventions.norm, conventions.recurrent_bias
            )
            rows = check_network(analyze(net, conventions), raw, bias, conventions=referee)
            checked += len(rows)
            bad += [f"seed {seed}: {r} in {raw}" for r in rows if not r.ok][:1]
    return checked, bad, dict(seen)


def _flat(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for node in layers:
        out.append(node)
        if node["kind"] == "parallel":
            for branch in node["branches"]:
                out += _flat(branch["layers"])
    return out
