"""The spec's question union, built from :data:`derivations.questions.QUESTION_KINDS`.

Each question kind is its own spec model (and derivation) in :mod:`derivations.questions`;
this module only gathers them into the discriminated union a part's ``ask:`` is read with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from derivations.questions import QUESTION_KINDS, Context, QuestionKind

if TYPE_CHECKING:
    AnyQuestion = QuestionKind
else:
    AnyQuestion = Annotated[Union[tuple(QUESTION_KINDS.values())], Field(discriminator="kind")]

__all__ = ["AnyQuestion", "Context"]
