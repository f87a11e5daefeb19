"""Repeated blocks in an imported network, written with the spec's ``blocks:`` and ``repeat:``.

The layers of one child of a container (``layer1.0``, ``encoder.layers.3``: a module path
with a number in it) are a group; consecutive groups of one container whose layers are the
same up to that path (``layer1.0.conv1`` and ``layer1.1.conv1``) are a run. A run of two or
more becomes one block definition, named after the children's class (``BasicBlock``), and a
use ``{kind: block, block: BasicBlock, repeat: n}``; :mod:`answerkey.blocks` expands it back,
naming the layers ``<use>.<i>.<layer>`` with i from 1. Where PyTorch's children are numbered
from 0 the use says so in a comment (``layer1.1`` is PyTorch's ``layer1.0``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SELF = "<self>"


@dataclass
class _Group:
    parent: str
    index: int
    layers: list[dict[str, Any]]

    @property
    def prefix(self) -> str:
        return f"{self.parent}.{self.index}" if self.parent else str(self.index)


def _place(name: str) -> tuple[str, int] | None:
    """(container, child number) of a layer named by its module path, or None."""
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part.isdigit():
            return ".".join(parts[:i]), int(part)
    return None


def _relative(layer: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The layer with its names (and its branches' layers' names) relative to ``prefix``."""
    out = dict(layer)
    name = str(out.get("name", ""))
    if name == prefix:
        out["name"] = SELF
    elif name.startswith(prefix + "."):
        out["name"] = name[len(prefix) + 1 :]
    else:
        out["name"] = "*" + name  # not under the prefix: kept apart, so never equal
    if "branches" in out:
        out["branches"] = [
            {**b, "layers": [_relative(x, prefix) for x in b["layers"]]} for b in out["branches"]
        ]
    return out


def _key(layers: list[dict[str, Any]]) -> str:
    return json.dumps(layers, sort_keys=True)


def _groups(layers: list[dict[str, Any]]) -> list[_Group | dict[str, Any]]:
    out: list[_Group | dict[str, Any]] = []
    for layer in layers:
        place = _place(str(layer.get("name", "")))
        last = out[-1] if out else None
        if place is None:
            out.append(layer)
        elif isinstance(last, _Group) and (last.parent, last.index) == place:
            last.layers.append(layer)
        else:
            out.append(_Group(place[0], place[1], [layer]))
    return out


def _block_layers(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A group's layers as a block defines them: names relative to the child, the child's
    own layer named by what it is (``add``, ``cat`` or ``layer``)."""
    out = []
    for layer in layers:
        if layer["name"] == SELF:
            join = layer.get("join")
            layer = {**layer, "name": {"add": "add", "concat": "cat"}.get(str(join), "layer")}
        out.append(layer)
    return out


def with_repeats(
    layers: list[dict[str, Any]], class_of: Any
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """``layers`` with each run of identical children replaced by a block use, and the
    blocks it defines (by name: ``{layers: [...]}``). ``class_of(path)`` is the class name of
    the module at ``path`` (None if there is none)."""
    items = _groups(layers)
    taken = {(g.parent, g.index) for g in items if isinstance(g, _Group)}
    blocks: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}  # a block's layers (as a key) -> its name
    out: list[dict[str, Any]] = []
    uses: set[str] = set()
    i = 0
    while i < len(items):
        item = items[i]
        if not isinstance(item, _Group):
            out.append(item)
            i += 1
            continue
        shape = _key([_relative(x, item.prefix) for x in item.layers])
        j = i + 1
        while j < len(items):
            nxt = items[j]
            if not isinstance(nxt, _Group) or nxt.parent != item.parent:
                break
            if nxt.index != item.index + (j - i):
                break
            if _key([_relative(x, nxt.prefix) for x in nxt.layers]) != shape:
                break
            j += 1
        count = j - i
        if count < 2:
            out.extend(item.layers)
            i += 1
            continue
        if shape not in names:
            base = str(class_of(item.prefix) or f"{item.parent or 'model'}-block")
            name, n = base, 1
            while name in blocks:
                n += 1
                name = f"{base}-{n}"
            names[shape] = name
            own = [_relative(x, item.prefix) for x in item.layers]
            blocks[name] = {"layers": _block_layers(own)}
        first, last = item.index, item.index + count - 1
        outside = [k for k in range(1, count + 1) if k < first or k > last]
        clash = any((item.parent, k) in taken for k in outside)
        clash = clash or item.parent in uses
        use_name = item.parent if item.parent and not clash else f"{item.prefix}-{last}"
        uses.add(use_name)
        use: dict[str, Any] = {"name": use_name, "kind": "block", "block": names[shape]}
        use["repeat"] = count
        if use_name == item.parent and first != 1:
            use["_comment"] = (
                f"{use_name}.1 to {use_name}.{count} are PyTorch's "
                f"{item.parent}.{first} to {item.parent}.{last}"
            )
        out.append(use)
        i = j
    return out, blocks
