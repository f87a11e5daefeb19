"""The checks of reusable blocks as written: a block's definition (``params`` and ``layers``)
and a use's fields (``block``, ``with``, ``repeat``, ``name``), each failure a
:class:`BlockError` located at the field (paths from the network's mapping).
"""

from __future__ import annotations

import difflib
import keyword
from collections.abc import Mapping
from typing import Any

from derivations.expressions import ExpressionError, parse_size

Origin = tuple[str | int, ...]
"""A path inside a network's mapping: ``("layers", i)``, ``("blocks", name, "layers", j)``."""

USE_FIELDS = ("name", "kind", "block", "with", "repeat")
"""The fields of ``{kind: block, ...}``."""
BLOCK_FIELDS = ("params", "layers")
"""The fields of a block's definition."""
MAX_REPEAT = 1000
"""The largest ``repeat`` of one use."""


class BlockError(ValueError):
    """A block or a use of one that cannot be expanded; ``path`` is from the network's mapping
    (from the spec's root once :func:`answerkey.blocks.expanded_spec` has placed it);
    ``at_key`` points at the field's name rather than its value (an unknown field)."""

    def __init__(self, message: str, path: Origin = (), at_key: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.at_key = at_key


def check_fields(mapping: Mapping[Any, Any], known: tuple[str, ...], at: Origin) -> None:
    """Every key of ``mapping`` is one of ``known`` (else the nearest is suggested)."""
    for key in mapping:
        if key not in known:
            near = difflib.get_close_matches(str(key), known, n=1)
            hint = (
                f"; did you mean {near[0]!r}?" if near else f"; known fields: {', '.join(known)}"
            )
            raise BlockError(f"unknown field {key!r}{hint}", (*at, key), at_key=True)


def _size(value: Any) -> str | None:
    """Why ``value`` cannot stand for a size (None if it can): a whole number from 0 (a
    padding may be 0) or a size expression (:func:`derivations.expressions.parse_size`)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return f"must be a whole number or a size expression, got {value!r}"
    if isinstance(value, int):
        return None if value >= 0 else f"must not be negative, got {value}"
    try:
        parse_size(value)
    except ExpressionError as err:
        return f"is not a size expression: {err}"
    return None


def definition(name: str, block: Any) -> tuple[dict[str, Any], list[Any]]:
    """The parameters (name → default or None) and layers of block ``name``, checked: a
    mapping of ``params`` (names that are identifiers; defaults sizes or null) and a
    non-empty list of ``layers``."""
    at: Origin = ("blocks", name)
    if not isinstance(block, dict):
        raise BlockError(f"block {name!r} must be a mapping of params and layers", at)
    check_fields(block, BLOCK_FIELDS, at)
    params = block.get("params") or {}
    if not isinstance(params, dict):
        raise BlockError(
            "expected a mapping of parameter names to defaults (null: each use gives it)",
            (*at, "params"),
        )
    for key, default in params.items():
        if not isinstance(key, str) or not key.isidentifier() or keyword.iskeyword(key):
            raise BlockError(
                f"a parameter's name must be a name such as 'width', got {key!r}",
                (*at, "params", key),
                at_key=True,
            )
        why = None if default is None else _size(default)
        if why:
            raise BlockError(f"the default of {key!r} {why}", (*at, "params", key))
    layers = block.get("layers")
    if not isinstance(layers, list) or not layers:
        where = (*at, "layers") if "layers" in block else at
        raise BlockError(f"block {name!r} needs a non-empty list of layers", where)
    return params, layers


def use_target(use: Mapping[str, Any], blocks: Mapping[str, Any], at: Origin) -> str:
    """The name of the block that ``use`` (written at ``at``) uses, its fields checked."""
    check_fields(use, USE_FIELDS, at)
    known = ", ".join(map(str, blocks)) or "none"
    if "block" not in use:
        raise BlockError(f"missing field 'block': the block to use (defined: {known})", at)
    name = use["block"]
    if not isinstance(name, str) or name not in blocks:
        raise BlockError(
            f"no block named {name!r} in this network (defined: {known})", (*at, "block")
        )
    repeat = use.get("repeat", 1)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
        raise BlockError(
            f"repeat must be a whole number from 1 to {MAX_REPEAT}, got {repeat!r}",
            (*at, "repeat"),
        )
    return name


def arguments(
    use: Mapping[str, Any], params: Mapping[str, Any], name: str, at: Origin
) -> dict[str, Any]:
    """The value of each of block ``name``'s parameters for ``use``: given in ``with`` or
    the default."""
    given = use.get("with") or {}
    if not isinstance(given, dict):
        raise BlockError("expected a mapping of parameter values", (*at, "with"))
    unknown = [k for k in given if k not in params]
    if unknown:
        known = ", ".join(params) or "none"
        raise BlockError(
            f"block {name!r} has no parameter {unknown[0]!r} (it has: {known})", (*at, "with")
        )
    values = {k: v for k, v in params.items() if v is not None}
    values.update(given)
    missing = [k for k in params if k not in values]
    if missing:
        raise BlockError(f"block {name!r} needs a value for {missing[0]!r}", (*at, "with"))
    for k in given:
        why = _size(given[k])
        if why:
            raise BlockError(f"parameter {k!r} {why}", (*at, "with", k))
    return values
