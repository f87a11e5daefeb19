"""What every question kind is: a spec model that derives its own answer, and the registry.

A question kind is one class in one module of this package. It is the spec schema of its
``ask:`` mapping (a pydantic model: fields, defaults, validation) and its derivation
(:meth:`QuestionKind.derive`, which returns an :class:`~derivations.answers.Answer` carrying
its presentation hints). ``@question_kind`` files it in :data:`QUESTION_KINDS` under its
``kind`` literal. The helpers below are shared by the kinds that pick layers by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import sympy as sp

from derivations.answers import Answer
from derivations.fields import Strict, Text
from derivations.formula import Formula, total
from derivations.layers import LayerResult
from derivations.network import Analysis, Row
from derivations.registry import Registry
from derivations.shapes import ShapeError
from derivations.symbols import labelled_terms


@dataclass(frozen=True)
class Context:
    """The analysed networks of one problem, by name; the first is the default."""

    analyses: Mapping[str, Analysis]

    def get(self, name: str | None, field: str = "network") -> Analysis:
        """The network called ``name`` (the first one for None); ShapeError naming ``field``
        if the problem has none of that name."""
        if name is None:
            if not self.analyses:
                raise ShapeError(field, "this problem has no network to ask about")
            return next(iter(self.analyses.values()))
        if name not in self.analyses:
            known = ", ".join(self.analyses) or "none"
            raise ShapeError(field, f"no network named {name!r} in this problem (known: {known})")
        return self.analyses[name]


class QuestionKind(Strict):
    """Fields every question has (``network``: which of the problem's networks, default the
    first). Subclasses declare ``kind: Literal["<name>"] = "<name>"`` and their own fields,
    and implement :meth:`derive`; the class docstring's first line is its entry in the docs."""

    network: Text | None = None

    def derive(self, ctx: Context) -> Answer:  # pragma: no cover - abstract
        raise NotImplementedError


QUESTION_KINDS: Registry[QuestionKind] = Registry("derivations.questions", "question")
"""Every question kind, by the name a spec uses for it (filled by the modules as they load;
a lookup loads the module of the kind it names, see :mod:`derivations.registry`)."""

Q = TypeVar("Q", bound=QuestionKind)


def question_kind(cls: type[Q]) -> type[Q]:
    """Class decorator: file ``cls`` in :data:`QUESTION_KINDS` under its ``kind`` literal."""
    QUESTION_KINDS.file(cls)
    return cls


def layer_row(analysis: Analysis, name: str) -> Row:
    """The row of the layer called ``name``; ShapeError naming the known layers if none."""
    try:
        row = analysis.find(name)
    except KeyError:
        names = ", ".join(r.label for r in analysis.rows)
        raise ShapeError("layer", f"no layer named {name!r} (the network has: {names})") from None
    if not isinstance(row.result, LayerResult):
        raise ShapeError("layer", f"{name!r} is a parallel block, not a layer")
    return row


def layer_result(analysis: Analysis, name: str) -> tuple[Row, LayerResult]:
    """The row of the layer called ``name`` and its result (errors as :func:`layer_row`)."""
    row = layer_row(analysis, name)
    assert isinstance(row.result, LayerResult)  # layer_row refuses a parallel block
    return row, row.result


def selected(analysis: Analysis, names: Sequence[str] | None) -> list[tuple[Row, LayerResult]]:
    """The listed layers (all layers for None), with their results."""
    if names is None:
        return analysis.layers()
    return [
        (r, r.result)
        for r in (layer_row(analysis, n) for n in names)
        if isinstance(r.result, LayerResult)
    ]


def sum_formula(lhs: str, labels: Sequence[str], values: Sequence[sp.Expr]) -> Formula:
    """``lhs = lhs_{a} + lhs_{b} + …`` with each term's value (terms told apart by position,
    not by their labels)."""
    symbols = labelled_terms(lhs, list(labels))
    return Formula.of(sp.Symbol(lhs), total(symbols), dict(zip(symbols, values, strict=True)))
