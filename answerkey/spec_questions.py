"""The spec's question union, built from :data:`derivations.questions.QUESTION_KINDS`.

Each question kind is its own spec model (and derivation) in :mod:`derivations.questions`;
this module only gives the field type a part's ``ask:`` is read with (validated by the kind
each mapping names, :func:`derivations.registry.any_kind`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from derivations.questions import QUESTION_KINDS, Context, QuestionKind
from derivations.registry import any_kind

if TYPE_CHECKING:
    AnyQuestion = QuestionKind
else:
    AnyQuestion = any_kind(QUESTION_KINDS)  # only the kinds a spec asks are built

__all__ = ["AnyQuestion", "Context"]
