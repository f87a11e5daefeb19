"""An imported network written as a readable spec: one line per layer, blocks indented.

Every value is a number, a boolean or a name; names are quoted by YAML's own rules
(``yaml.safe_dump``), so a module path cannot break the file.
"""

from __future__ import annotations

from typing import Any

import yaml

ORDER = ("name", "kind")


def _flow(value: Any) -> str:
    """``value`` on one line: a flow mapping (name and kind first), or a quoted scalar."""
    if isinstance(value, dict):
        value = {k: value[k] for k in (*ORDER, *sorted(value)) if k in value}
    text = yaml.safe_dump([value], default_flow_style=True, width=10_000, sort_keys=False)
    return str(text).strip()[1:-1]


def _layers(layers: list[dict[str, Any]], indent: str) -> list[str]:
    lines = []
    for layer in layers:
        if "_comment" in layer:
            lines.append(f"{indent}# {layer['_comment']}")
            layer = {k: v for k, v in layer.items() if k != "_comment"}
        if layer.get("kind") != "parallel":
            lines.append(f"{indent}- {_flow(layer)}")
            continue
        lines.append(f"{indent}- name: {_flow(layer['name'])}")
        lines.append(f"{indent}  kind: parallel")
        lines.append(f"{indent}  join: {layer['join']}")
        lines.append(f"{indent}  branches:")
        for branch in layer["branches"]:
            lines.append(f"{indent}    - name: {_flow(branch['name'])}")
            lines.append(f"{indent}      layers:")
            lines.extend(_layers(branch["layers"], indent + "        "))
    return lines


SEQUENCE_KINDS = {
    "linear", "attention", "rnn", "lstm", "gru", "transformer_encoder_layer", "layernorm",
    "dropout", "activation", "flatten", "reshape",
}  # fmt: skip
"""Kinds that read a two-axis input as a T × d sequence; any other first layer (``conv1d``,
a 1-D pool or norm) reads it as PyTorch's C × L map."""


def _first_kind(layers: list[dict[str, Any]]) -> str:
    first = layers[0] if layers else {}
    if first.get("kind") == "parallel":
        return _first_kind(first["branches"][0]["layers"])
    return str(first.get("kind", ""))


def input_field(shape: tuple[int, ...], layers: list[dict[str, Any]] | None = None) -> str:
    """PyTorch's C×H×W (or N, T×d, C×L, C×D×H×W) without the batch, as the spec's input
    (channels last): two axes are a sequence unless the first layer takes a 1-D map."""
    dims = [int(d) for d in shape]
    if len(dims) == 1:
        return _flow(dims)
    if len(dims) == 2 and _first_kind(layers or []) in SEQUENCE_KINDS:
        return _flow({"sequence": dims})
    if len(dims) == 2:
        return _flow({"map": [dims[1], dims[0]]})
    return _flow([*dims[1:], dims[0]])


def _blocks(blocks: dict[str, dict[str, Any]], indent: str) -> list[str]:
    """The network's ``blocks:`` (each a list of layers, no parameters)."""
    if not blocks:
        return []
    lines = [f"{indent}blocks:"]
    for name, block in blocks.items():
        lines.append(f"{indent}  {_flow(name)}:")
        lines.append(f"{indent}    layers:")
        lines.extend(_layers(block["layers"], indent + "      "))
    return lines


def spec_text(
    layers: list[dict[str, Any]],
    input_shape: tuple[int, ...],
    title: str,
    source: str,
    blocks: dict[str, dict[str, Any]] | None = None,
) -> str:
    """A whole spec: one problem holding the network ``model`` (its repeated ``blocks``
    defined first) and a part asking its total parameters, ready for ``answerkey check``
    and for the instructor's own parts."""
    head = [
        f"# Imported from {source} by answerkey import; input (PyTorch order, no batch):",
        f"# {' x '.join(str(d) for d in input_shape)}. Edit the text and the parts freely.",
        f"title: {_flow(title)}",
        "conventions: {bias: true}  # every bias PyTorch keeps is counted",
        "problems:",
        "  - id: model",
        f"    title: {_flow(title)}",
        "    points: 10",
        "    text: >-",
        f"      The network {_flow(title)} as imported from its PyTorch code.",
        "    networks:",
        "      model:",
        f"        input: {input_field(input_shape, layers)}",
    ]
    tail = [
        "    parts:",
        "      - id: a",
        "        points: 10",
        "        text: How many parameters does the network have?",
        "        ask: total_params",
    ]
    body = [*_blocks(blocks or {}, "        "), "        layers:", *_layers(layers, "          ")]
    return "\n".join([*head, *body, *tail]) + "\n"
