"""Question kinds: one class each, in the modules of this package (``counts``, ``ops``,
``shapes``, ``padding``, ``compare``, ``describe``, ``feature_space``, ``perceptron``,
``dense_network``), filed in :data:`QUESTION_KINDS` by ``@question_kind`` as they load.

Every module is imported here in sorted order, so adding a kind is adding its class to a
module: nothing else names it. See ``docs/extending.md``.
"""

from __future__ import annotations

import importlib
import pkgutil

from derivations.questions.base import QUESTION_KINDS, Context, QuestionKind, question_kind

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["QUESTION_KINDS", "Context", "QuestionKind", "question_kind"]
