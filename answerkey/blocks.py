"""Reusable blocks: a list of layers defined once in a network's ``blocks:``, with parameters,
and used as ``{kind: block, block: <name>, with: {...}, repeat: n}``.

Expanding a use is a macro on the spec's own mappings: each parameter named in a value of the
block's layers (a size expression such as ``4*width`` or ``stride``) is replaced by the value
the use gives (a number, or an expression of the network's symbols), and the layers are named
``<use>.<i>.<layer>`` (``<use>.<layer>`` for a single repetition). Both the spec's validation
and the PyTorch referee read the expanded mappings, so a block is checked layer by layer like
any other.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from derivations.expressions import ExpressionError, parse_size

UNTOUCHED = {"name", "kind", "function", "activation", "join", "mode", "rounding", "block"}
"""Fields whose text is never a size: a parameter is not looked for in them."""
MAX_DEPTH = 8
"""How deep blocks may use blocks (a block using itself is refused long before)."""


Origin = tuple[str | int, ...]
"""Where an expanded layer is written, relative to its network: ``("layers", i)`` or, for a
layer of a block, ``("blocks", name, "layers", j)``."""


class BlockError(ValueError):
    """A block use that cannot be expanded; ``path`` is relative to the use's mapping."""

    def __init__(self, message: str, path: Origin = (), in_block: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.in_block = in_block  # path is from the network (a field of a block's layer)


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


def _arguments(use: Mapping[str, Any], block: Mapping[str, Any], name: str) -> dict[str, Any]:
    given = use.get("with") or {}
    if not isinstance(given, dict):
        raise BlockError("expected a mapping of parameter values", ("with",))
    params = block.get("params") or {}
    unknown = sorted(set(given) - set(params))
    if unknown:
        known = ", ".join(params) or "none"
        raise BlockError(
            f"block {name!r} has no parameter {unknown[0]!r} (it has: {known})", ("with",)
        )
    values = {k: v for k, v in params.items() if v is not None}
    values.update(given)
    missing = [k for k in params if k not in values]
    if missing:
        raise BlockError(f"block {name!r} needs a value for {missing[0]!r}", ("with",))
    for k, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int | str):
            raise BlockError(f"parameter {k!r} must be a size, got {v!r}", ("with", k))
    return values


def expand(
    layers: list[Any], blocks: Mapping[str, Any], depth: int = 0
) -> list[tuple[Any, Origin]]:
    """The layers with every block use replaced by its layers, each with where it is written
    (:data:`Origin`). Parallel blocks are expanded inside their branches too."""
    if depth > MAX_DEPTH:
        raise BlockError(f"blocks use blocks more than {MAX_DEPTH} deep (a block uses itself?)")
    out: list[tuple[Any, Origin]] = []
    for index, layer in enumerate(layers):
        here: Origin = ("layers", index)
        if not isinstance(layer, dict):
            out.append((layer, here))
            continue
        if layer.get("kind") == "parallel":
            branches = []
            for b in layer.get("branches") or []:
                if isinstance(b, dict) and isinstance(b.get("layers"), list):
                    inner = [x for x, _ in expand(b["layers"], blocks, depth)]
                    b = {**b, "layers": inner}
                branches.append(b)
            out.append(({**layer, "branches": branches}, here))
            continue
        if layer.get("kind") != "block":
            out.append((layer, here))
            continue
        try:
            out += _use(layer, blocks, depth)
        except BlockError as err:
            if not err.in_block:
                err.path = (*here, *err.path)
            raise
    return out


def _use(use: dict[str, Any], blocks: Mapping[str, Any], depth: int) -> list[tuple[Any, Origin]]:
    name = use.get("block")
    if not isinstance(name, str) or name not in blocks:
        known = ", ".join(blocks) or "none"
        raise BlockError(f"no block named {name!r} in this network (defined: {known})", ("block",))
    block = blocks[name]
    if not isinstance(block, dict):
        raise BlockError(f"block {name!r} is not a mapping of params and layers", ("block",))
    repeat = use.get("repeat", 1)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= 1000:
        raise BlockError(
            f"repeat must be a whole number from 1 to 1000, got {repeat!r}", ("repeat",)
        )
    values = _arguments(use, block, name)
    label = str(use.get("name") or name)
    out: list[tuple[Any, Origin]] = []
    for i in range(1, repeat + 1):
        prefix = label if repeat == 1 else f"{label}.{i}"
        try:
            body = [
                _substitute(x, values, path=("blocks", name, "layers", j))
                for j, x in enumerate(block.get("layers") or [])
            ]
        except BlockError as err:
            err.message += f" (in {prefix})"
            err.in_block = True
            raise
        for layer, origin in expand(body, blocks, depth + 1):
            renamed = _renamed(layer, prefix) if isinstance(layer, dict) else layer
            out.append((renamed, ("blocks", name, *origin)))
    return out


def expanded_network(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A raw network mapping with its block uses expanded (and no ``blocks`` left)."""
    blocks = raw.get("blocks") or {}
    layers = [x for x, _ in expand(list(raw.get("layers") or []), blocks)]
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
            uses = isinstance(net, dict) and (
                "blocks" in net or any(_is_use(x) for x in net.get("layers") or [])
            )
            if not uses or not isinstance(net.get("layers"), list):
                new_networks[name] = net
                continue
            blocks = net.get("blocks") or {}
            if not isinstance(blocks, dict):
                raise BlockError("expected a mapping of block names to blocks", (*root, "blocks"))
            try:
                pairs = expand(net["layers"], blocks)
            except BlockError as err:
                err.path = (*root, *err.path)
                raise
            for k, (_, where) in enumerate(pairs):
                origin[(*root, "layers", k)] = (*root, *where)
            new_networks[name] = {k: v for k, v in net.items() if k != "blocks"} | {
                "layers": [x for x, _ in pairs]
            }
        problems.append({**problem, "networks": new_networks})
    return {**data, "problems": problems}, origin


def _is_use(layer: Any) -> bool:
    return isinstance(layer, dict) and layer.get("kind") == "block"


def original(path: tuple[str | int, ...], origin: Mapping[Origin, Origin]) -> tuple[str | int, ...]:
    """``path`` in the expanded data as a path in the spec as written: its longest prefix
    that is an expanded layer, replaced by where that layer is written."""
    for n in range(len(path), 0, -1):
        if path[:n] in origin:
            return (*origin[path[:n]], *path[n:])
    return path
