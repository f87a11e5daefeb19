"""Question kinds: one class each, in the modules of this package (``counts``, ``ops``,
``shapes``, ``padding``, ``compare``, ``describe``, ``feature_space``, ``perceptron``,
``dense_network``, ...), filed in :data:`QUESTION_KINDS` by ``@question_kind`` as they load.

A lookup of a kind by name loads its module, and iterating :data:`QUESTION_KINDS` loads every
module in sorted order (:mod:`derivations.registry`), so adding a kind is adding its class to
a module: nothing else names it. See ``docs/extending.md``.
"""

from __future__ import annotations

from derivations.questions.base import QUESTION_KINDS, Context, QuestionKind, question_kind

__all__ = ["QUESTION_KINDS", "Context", "QuestionKind", "question_kind"]
