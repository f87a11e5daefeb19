"""The docs follow the registries: the layer and question tables of docs/spec.md are what
the kinds' classes say, and docs/extending.md names the module each kind lives in."""

from __future__ import annotations

from pathlib import Path

from answerkey.docgen import SPEC_DOC, generated, layer_table, question_table
from derivations.layers import LAYER_KINDS
from derivations.questions import QUESTION_KINDS

ROOT = Path(__file__).resolve().parent.parent


def test_spec_doc_tables_are_current() -> None:
    text = SPEC_DOC.read_text(encoding="utf-8")
    assert generated(text) == text, "docs/spec.md is stale: run python -m answerkey.docgen"


def test_every_kind_has_a_row() -> None:
    layers, questions = layer_table(), question_table()
    assert all(f"| `{name}` |" in layers for name in LAYER_KINDS)
    assert all(f"| `{name}` |" in questions for name in QUESTION_KINDS)


def test_a_stale_table_is_caught() -> None:
    text = SPEC_DOC.read_text(encoding="utf-8")
    stale = text.replace(f"| `{next(iter(LAYER_KINDS))}` |", "| `conv9d` |", 1)
    assert generated(stale) != stale


def test_extending_guide_names_the_modules() -> None:
    guide = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    for path in ("derivations/layers/", "derivations/questions/", "python -m answerkey.docgen"):
        assert path in guide
    modules = {c.__module__ for c in (*LAYER_KINDS.values(), *QUESTION_KINDS.values())}
    for module in modules:
        assert module.replace(".", "/") + ".py" in guide, module
