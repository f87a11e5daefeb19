"""The layer and question tables of ``docs/spec.md``, written from the registries.

Each row comes from a kind's class: its fields (and their defaults), its docstring, and (for
a layer) its docs ``example``. ``python -m answerkey.docgen`` rewrites the tables in place;
a test fails when the file differs from what the registries give, so the docs cannot go
stale when a kind is added or changed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from derivations.layers import LAYER_KINDS, LayerKind
from derivations.questions import QUESTION_KINDS, QuestionKind

SPEC_DOC = Path(__file__).resolve().parent.parent / "docs" / "spec.md"
START = "<!-- generated from the {name} registry: python -m answerkey.docgen -->"
END = "<!-- end of generated {name} table -->"
_SHARED = {"kind", "name", "activation", "network"}


def _cell(text: str) -> str:
    """A docstring as one Markdown table cell (reST ````code```` as Markdown ```code```)."""
    return " ".join(text.split()).replace("``", "`").replace("|", "\\|")


def _value(value: Any) -> str:
    if isinstance(value, tuple | list):
        items = list(value)
        if len(set(map(str, items))) == 1:
            return _value(items[0])
        return f"[{', '.join(map(str, items))}]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fields(cls: type[BaseModel]) -> str:
    shown = []
    for name, info in cls.model_fields.items():
        if name in _SHARED:
            continue
        if info.is_required():
            shown.append(f"`{name}`")
        elif info.default is None or info.default_factory is not None:
            shown.append(f"`{name}` (optional)")
        else:
            shown.append(f"`{name}` ({_value(info.default)})")
    return ", ".join(shown) or "—"


def _flow(example: Mapping[str, Any]) -> str:
    return "`{" + ", ".join(f"{k}: {_value(v)}" for k, v in example.items()) + "}`"


def _table(head: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = list(head)
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def layer_table() -> str:
    """Every layer kind: its fields with defaults, what it is, a spec line."""
    kinds: list[tuple[str, type[LayerKind]]] = list(LAYER_KINDS.items())
    return _table(
        ("kind", "fields (default)", "what it is", "example"),
        (
            (f"`{name}`", _fields(cls), _cell(cls.__doc__ or ""), _flow(cls.example))
            for name, cls in kinds
        ),
    )


def question_table() -> str:
    """Every question kind: its fields with defaults, and what its answer gives."""
    kinds: list[tuple[str, type[QuestionKind]]] = list(QUESTION_KINDS.items())
    return _table(
        ("kind", "fields (default)", "answer"),
        ((f"`{name}`", _fields(cls), _cell(cls.__doc__ or "")) for name, cls in kinds),
    )


def figure_table() -> str:
    """The fields of a sheet figure (``figures:`` of a problem or part), from their
    descriptions in :class:`answerkey.spec_sheet.FigureSpec`."""
    from answerkey.spec_sheet import FigureSpec

    rows = []
    for name, info in FigureSpec.model_fields.items():
        default = "required" if info.is_required() else f"`{_value(info.default)}`"
        if info.default is None and not info.is_required():
            default = "none"
        rows.append((f"`{name}`", default, _cell(info.description or "")))
    return _table(("field", "default", "meaning"), rows)


def _replace(text: str, name: str, table: str) -> str:
    start, end = START.format(name=name), END.format(name=name)
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"docs/spec.md has no {name} table markers")
    return pattern.sub(lambda _: f"{start}\n{table}\n{end}", text)


def generated(text: str) -> str:
    """``text`` (docs/spec.md) with its layer and question tables written from the registries."""
    text = _replace(_replace(text, "layer", layer_table()), "question", question_table())
    return _replace(text, "figure", figure_table())


def main(argv: list[str]) -> int:
    """Rewrite docs/spec.md's tables; with ``--check``, exit 1 if they are stale."""
    text = SPEC_DOC.read_text(encoding="utf-8")
    new = generated(text)
    if "--check" in argv:
        return 0 if new == text else 1
    SPEC_DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
