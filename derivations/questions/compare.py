"""``compare``: two networks' parameters and operations side by side, the ratios, and why.

The "why" is written from the networks' structure (:mod:`derivations.questions._structure`):
where one network reduces depth with 1×1 layers before larger windows, the key says so.
"""

from __future__ import annotations

from typing import Literal

import sympy as sp
from pydantic import Field

from derivations.answers import Also, Answer, Table
from derivations.fields import Text
from derivations.formula import is_concrete
from derivations.network import Analysis
from derivations.questions._structure import and_list, reductions, sentence
from derivations.questions.base import Context, QuestionKind, question_kind
from derivations.questions.counts import total_params_sum
from derivations.questions.ops import total_ops
from derivations.shapes import ShapeError


def _ratio(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """a / b: an exact fraction for numbers, a simplified expression for formulas."""
    if is_concrete(a, b):
        return sp.Rational(int(a), int(b))
    return sp.simplify(a / b)


def _reduction_reason(first: Analysis, second: Analysis) -> str:
    for analysis in (first, second):
        found = reductions(analysis)
        if found is None:
            continue
        text = (
            f"In {analysis.network.name} the 1×1 reductions first shrink the depth the "
            f"{and_list(found.kernels)} filters see, whose cost grows with kernel height × "
            "width × input depth"
        )
        if found.projections == 1:
            text += (
                "; the pooling branch's 1×1 projection sets its depth instead of passing the "
                "full input depth through"
            )
        elif found.projections > 1:
            text += (
                "; the pooling branches' 1×1 projections set their depth instead of passing "
                "the full input depth through"
            )
        return text + ". Cheap 1×1 layers buy a large cut in the expensive ones."
    return ""


@question_kind
class Compare(QuestionKind):
    """Parameters and operations of two networks side by side, the ratio and why."""

    kind: Literal["compare"] = "compare"
    networks: list[Text] = Field(min_length=2, max_length=2)

    def derive(self, ctx: Context) -> Answer:
        first = ctx.get(self.networks[0], "networks")
        second = ctx.get(self.networks[1], "networks")
        p1, p2 = total_params_sum(first), total_params_sum(second)
        o1, o2 = total_ops(first), total_ops(second)
        a, b = first.network.name, second.network.name
        for what, value in (("parameters", p2.value), ("operations", o2.value)):
            if value == 0:
                raise ShapeError("networks", f"{b} has no {what}: first / second is undefined")
        ratio_p, ratio_o = _ratio(p1.value, p2.value), _ratio(o1.value, o2.value)
        table = Table(
            ("", "Parameters", "Operations"),
            (
                (a, p1.value, o1.value),
                (b, p2.value, o2.value),
                ("ratio (first / second)", ratio_p, ratio_o),
            ),
        )
        why = sentence(
            f"{a} has {sp.Float(ratio_p, 3)} times the parameters and {sp.Float(ratio_o, 3)} "
            f"times the operations of {b}. "
        )
        why += _reduction_reason(first, second)
        return Answer(
            "compare",
            ratio_p,
            "ratio",
            why,
            (),
            table,
            headline=False,
            also=(Also("ratio_ops", ratio_o),),
        )
