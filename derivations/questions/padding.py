"""``same_padding``: the padding that keeps a windowed layer's height and width (stride 1).

With stride 1 the output size is H + 2P − D(K − 1); it equals H when P = D(K − 1)/2
(:func:`derivations.layers.window.same_padding_formula`, solved by SymPy).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from derivations.answers import Answer, Step
from derivations.fields import Text
from derivations.formula import is_concrete
from derivations.layers import Windowed
from derivations.layers.window import same_padding_formula
from derivations.questions.base import Context, QuestionKind, layer_result, question_kind
from derivations.shapes import ShapeError, Unsupported


@question_kind
class SamePadding(QuestionKind):
    """The padding that keeps each listed layer's size (stride 1), for any windowed layer."""

    kind: Literal["same_padding"] = "same_padding"
    layers: list[Text] = Field(min_length=1)

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        steps = []
        for name in self.layers:
            _, result = layer_result(analysis, name)
            layer = result.layer
            if not isinstance(layer, Windowed):
                raise ShapeError("layers", f"{name!r} is not a convolution or pooling layer")
            k, s, d = layer.kernel_size[0], layer.stride_size[0], layer.dilation_size[0]
            if s != 1:
                raise Unsupported(
                    "layers", f"{name!r} has stride {s}: only stride 1 keeps the size"
                )
            formula = same_padding_formula(k, d)
            if is_concrete(formula.value) and not formula.value.is_integer:
                raise ShapeError(
                    "layers",
                    f"{name!r}: an even kernel ({k}) cannot keep the size with symmetric padding",
                )
            steps.append(Step(name, formula, role="padding"))
        why = (
            "With stride 1 the output size is 𝐻 + 2𝑃 − 𝐷(𝐾 − 1); it equals 𝐻 when "
            "2𝑃 = 𝐷(𝐾 − 1), i.e. 𝑃 = 𝐷(𝐾 − 1)/2: one ring of zeros for a 3 × 3 kernel, two for "
            "a 5 × 5."
        )
        value = steps[0].formula.value if len(steps) == 1 else None
        return Answer("same_padding", value, "padding", why, tuple(steps), step_columns=True)
