"""Where a spec error is: pydantic's error locations turned into one located :class:`SpecError`.

Pydantic reports a field path with union tags and validator names in it; the user wrote
``problems[0].networks.net.layers[3].stride``. These functions translate one into the other
and find the line and column in :class:`~answerkey.yamlpos.Located`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from answerkey.errors import SpecError
from answerkey.yamlpos import Loc, Located, dotted


def clean(data: Any, loc: Loc) -> Loc:
    """The loc as the user wrote the field path: union tags, validator names and the index
    of a value the spec gave unlisted (``ask: {...}`` for ``ask: [{...}]``) dropped."""
    shown: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (part.startswith("function-") or "[" in part):
            continue
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        elif (isinstance(data, dict) and data.get("kind") == part) or (
            isinstance(part, int) and not isinstance(data, list)
        ):
            continue
        else:
            data = None
        shown.append(part)
    return tuple(shown)


def from_validation(
    located: Located, err: ValidationError, translate: Callable[[Loc], Loc] | None = None
) -> SpecError:
    """The first error pydantic found, as one line: ``file:line:col field: message``.
    ``translate`` maps a path of the validated data to where it is written (a layer that a
    block use expanded into is written in the block)."""
    first = err.errors(include_url=False)[0]
    loc: Loc = tuple(first["loc"])
    if translate is not None:
        loc = translate(loc)
    ctx = first.get("ctx") or {}
    kind, msg = first["type"], first["msg"]
    at_key = False
    if kind == "unknown_field":
        loc, at_key = (*loc, ctx["field"]), True
    elif kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        near = difflib.get_close_matches(str(ctx.get("tag")), tags, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        msg = f"unknown kind {ctx.get('tag')!r}{hint} (known: {', '.join(tags)})"
        loc = (*loc, "kind")
    elif kind == "union_tag_not_found":
        msg = f"missing field 'kind' (one of: {ctx.get('discriminator', 'kind')})"
    elif kind == "missing":
        msg = f"missing required field {loc[-1]!r}"
    elif kind == "literal_error":
        msg = f"expected {ctx.get('expected')}, got {first.get('input')!r}"
    elif kind.endswith("_type") or kind.endswith("_parsing"):
        msg = f"{msg.lower()}, got {first.get('input')!r}"[:300]
    elif kind == "too_short":
        msg = f"expected at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    elif kind == "too_long":
        msg = f"expected at most {ctx.get('max_length')} item(s), got {ctx.get('actual_length')}"
    shown = clean(located.data, loc)
    return SpecError(located.where(shown, at_key=at_key), dotted(shown) or None, msg)
