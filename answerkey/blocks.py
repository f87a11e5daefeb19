"""Reusable blocks: a list of layers defined once in a network's ``blocks:``, with parameters,
and used as ``{kind: block, block: <name>, with: {...}, repeat: n}``.

Expanding a use is a macro on the spec's own mappings: each parameter named in a value of the
block's layers (a size expression such as ``4*width`` or ``stride``) is replaced by the value
the use gives (a number, or an expression of the network's symbols), and the layers are named
``<use>.<i>.<layer>`` (``<use>.<layer>`` for a single repetition). Both the spec's validation
and the PyTorch referee read the expanded mappings, so a block is checked layer by layer like
any other; :func:`expanded_spec` also says where each expanded layer is written, so that an
error in it points at the block's line. The block and its uses are checked as written by
:mod:`answerkey.block_checks` (each failure a located :class:`BlockError`).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from answerkey.block_checks import BlockError, Origin, arguments, definition, use_target
from derivations.expressions import ExpressionError, parse_size

__all__ = ["BlockError", "Origin", "expand", "expanded_network", "expanded_spec", "original"]

UNTOUCHED = {"name", "kind", "function", "activation", "join", "mode", "rounding", "block"}
"""Fields whose text is never a size: a parameter is not looked for in them."""
MAX_LAYERS = 20_000
"""The most layers one network's block uses may expand into (nested repeats multiply)."""

Item = tuple[Any, Origin, dict[Origin, Origin]]
"""An expanded layer, where it is written (:data:`Origin`), and where each layer inside it
(in a branch of a parallel block) is written: paths relative to the layer."""


def _replace(text: str, values: Mapping[str, Any]) -> Any:
    """``text`` with each parameter name replaced by its value (parenthesised), as an int
    when no symbol is left, else as expression text."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
        parse_size(text)
    except (SyntaxError, ExpressionError):
        return text
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if not names & set(values):
        return text

    class Put(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            if node.id in values:
                return ast.parse(f"({values[node.id]})", mode="eval").body
            return node

    new = ast.unparse(Put().visit(tree))
    try:
        expr = parse_size(new)
    except ExpressionError as err:
        raise BlockError(str(err)) from None
    if expr.free_symbols:
        return new
    if not expr.is_Integer:
        raise BlockError(f"{text!r} is {expr} with {dict(values)}, not a whole number")
    return int(expr)


def _substitute(
    value: Any, values: Mapping[str, Any], key: str | None = None, path: Origin = ()
) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, values, k, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, values, key, (*path, i)) for i, v in enumerate(value)]
    if isinstance(value, str) and key not in UNTOUCHED:
        try:
            return _replace(value, values)
        except BlockError as err:
            err.path = path
            raise
    return value


def _renamed(layer: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The layer (and its branches and their layers) with names under ``prefix``."""
    out = dict(layer)
    if "name" in out:
        out["name"] = f"{prefix}.{out['name']}"
    if out.get("kind") == "parallel":
        out["branches"] = [
            {
                **b,
                "name": f"{prefix}.{b.get('name')}",
                "layers": [_renamed(x, prefix) for x in b.get("layers") or []],
            }
            for b in out.get("branches") or []
        ]
    return out


class _Expander:
    """Expands one network's block uses, counting the layers made (:data:`MAX_LAYERS`)."""

    def __init__(self, blocks: Mapping[str, Any]) -> None:
        self.blocks = blocks
        self.made = 0

    def expand(
        self, layers: list[Any], base: Origin, stack: tuple[str, ...], within: str = ""
    ) -> list[Item]:
        """``layers`` (written at ``base``, a list) with each use replaced by its layers;
        ``stack`` holds the blocks being expanded (a block may not use itself), ``within``
        the name of the use they are in (for messages)."""
        out: list[Item] = []
        uses: set[str] = set()
        for index, layer in enumerate(layers):
            here: Origin = (*base, index)
            if isinstance(layer, dict) and layer.get("kind") == "parallel":
                out.append(self._parallel(layer, here, stack, within))
            elif isinstance(layer, dict) and layer.get("kind") == "block":
                label = str(layer.get("name") or layer.get("block"))
                if label in uses:
                    raise BlockError(
                        f"a second block use named {label!r} here: its layers would have the "
                        "first's names; give each use its own name",
                        (*here, "name" if "name" in layer else "block"),
                    )
                uses.add(label)
                out += self._use(layer, here, stack, within)
            else:
                out.append((layer, here, {}))
            self.made += 1
            if self.made > MAX_LAYERS:
                raise BlockError(f"the block uses make more than {MAX_LAYERS:,} layers", here)
        return out

    def _parallel(
        self, layer: dict[str, Any], here: Origin, stack: tuple[str, ...], within: str
    ) -> Item:
        branches, inner = [], {}
        for b, branch in enumerate(layer.get("branches") or []):
            if isinstance(branch, dict) and isinstance(branch.get("layers"), list):
                at = (*here, "branches", b, "layers")
                items = self.expand(branch["layers"], at, stack, within)
                branch = {**branch, "layers": [x for x, _, _ in items]}
                for m, (_, where, sub) in enumerate(items):
                    key: Origin = ("branches", b, "layers", m)
                    inner[key] = where
                    inner.update({(*key, *rel): w for rel, w in sub.items()})
            branches.append(branch)
        return {**layer, "branches": branches}, here, inner

    def _use(
        self, use: dict[str, Any], here: Origin, stack: tuple[str, ...], within: str
    ) -> list[Item]:
        name = use_target(use, self.blocks, here)
        if name in stack:
            loop = " → ".join((*stack, name))
            raise BlockError(f"block {name!r} uses itself ({loop})", (*here, "block"))
        params, layers = definition(name, self.blocks[name])
        values = arguments(use, params, name, here)
        label = str(use.get("name") or name)
        repeat = use.get("repeat", 1)
        out: list[Item] = []
        for i in range(1, repeat + 1):
            prefix = label if repeat == 1 else f"{label}.{i}"
            body = []
            for j, layer in enumerate(layers):
                try:
                    body.append(_substitute(layer, values, path=("blocks", name, "layers", j)))
                except BlockError as err:
                    err.message += f" (in {within}{prefix})"
                    raise
            at: Origin = ("blocks", name, "layers")
            for layer, where, sub in self.expand(body, at, (*stack, name), f"{within}{prefix}."):
                renamed = _renamed(layer, prefix) if isinstance(layer, dict) else layer
                out.append((renamed, where, sub))
        return out


def expand(layers: list[Any], blocks: Mapping[str, Any]) -> list[Item]:
    """A network's ``layers`` with every block use replaced by its layers, each with where it
    is written (:data:`Item`). Uses inside branches and inside blocks are expanded too.
    Raises :class:`BlockError` (path from the network's mapping)."""
    return _Expander(blocks).expand(layers, ("layers",), ())


def _has_use(layers: Any) -> bool:
    if not isinstance(layers, list):
        return False
    for layer in layers:
        if not isinstance(layer, dict):
            continue
        if layer.get("kind") == "block":
            return True
        for branch in layer.get("branches") or []:
            if isinstance(branch, dict) and _has_use(branch.get("layers")):
                return True
    return False


def expanded_network(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A raw network mapping with its block uses expanded (and no ``blocks`` left)."""
    blocks = raw.get("blocks") or {}
    layers = [x for x, _, _ in expand(list(raw.get("layers") or []), blocks)]
    return {k: v for k, v in raw.items() if k != "blocks"} | {"layers": layers}


def expanded_spec(data: Any) -> tuple[Any, dict[Origin, Origin]]:
    """The spec's data with every network's block uses expanded, and where each expanded
    layer is written: a map from its path in the expanded data to its path in ``data``.
    Raises :class:`BlockError` with ``path`` from the spec's root."""
    if not isinstance(data, dict) or not isinstance(data.get("problems"), list):
        return data, {}
    origin: dict[Origin, Origin] = {}
    problems = []
    for i, problem in enumerate(data["problems"]):
        networks = problem.get("networks") if isinstance(problem, dict) else None
        if not isinstance(networks, dict):
            problems.append(problem)
            continue
        new_networks = {}
        for name, net in networks.items():
            root: Origin = ("problems", i, "networks", name)
            uses = isinstance(net, dict) and ("blocks" in net or _has_use(net.get("layers")))
            if not uses or not isinstance(net.get("layers"), list):
                new_networks[name] = net
                continue
            blocks = net.get("blocks") or {}
            try:
                if not isinstance(blocks, dict):
                    raise BlockError("expected a mapping of block names to blocks", ("blocks",))
                items = expand(net["layers"], blocks)
            except BlockError as err:
                err.path = (*root, *err.path)
                raise
            for k, (_, where, sub) in enumerate(items):
                origin[(*root, "layers", k)] = (*root, *where)
                origin.update({(*root, "layers", k, *rel): (*root, *w) for rel, w in sub.items()})
            new_networks[name] = {k: v for k, v in net.items() if k != "blocks"} | {
                "layers": [x for x, _, _ in items]
            }
        problems.append({**problem, "networks": new_networks})
    return {**data, "problems": problems}, origin


def original(path: tuple[str | int, ...], origin: Mapping[Origin, Origin]) -> tuple[str | int, ...]:
    """``path`` in the expanded data as a path in the spec as written: its longest prefix
    that is an expanded layer, replaced by where that layer is written."""
    for n in range(len(path), 0, -1):
        if path[:n] in origin:
            return (*origin[path[:n]], *path[n:])
    return path
