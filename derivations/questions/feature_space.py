"""``feature_space``: the number of input values, and why each is a feature."""

from __future__ import annotations

from typing import Literal

import sympy as sp

from derivations.answers import Answer, Step
from derivations.formula import Formula, product
from derivations.layers import dims_text
from derivations.questions.base import Context, QuestionKind, question_kind


@question_kind
class FeatureSpace(QuestionKind):
    """The size of the feature space: the number of input values, and why."""

    kind: Literal["feature_space"] = "feature_space"

    def derive(self, ctx: Context) -> Answer:
        shape = ctx.get(self.network).network.input
        if shape.is_image:
            h, w, c = sp.symbols("H W C", positive=True, integer=True)
            values = dict(zip((h, w, c), shape.hwc(), strict=True))
            formula = Formula.of(sp.Symbol("d"), product([h, w, c]), values)
            why = (
                f"Every one of the {dims_text(shape)} input values (height × width × channels) "
                "is one feature, so a sample is a point in a space of that many dimensions."
            )
        else:
            n = sp.Symbol("N_in", positive=True, integer=True)
            formula = Formula.of(sp.Symbol("d"), n, {n: shape.dims[0]})
            why = (
                f"The feature space is the input layer: each of its {shape.dims[0]} nodes "
                f"carries one feature, so a sample is a vector of {shape.dims[0]} numbers. "
                "Hidden and output layers are computed from it and add no features."
            )
        return Answer("feature_space", formula.value, "features", why, (Step("", formula),))
