"""Drawn values: the ``variables`` and ``constraints`` of a randomized spec.

A variable is drawn from a list (``choice``), an integer range with a step (``range``,
``step``), or computed from others (``expr``). Anywhere in the spec, ``"${name}"`` as a whole
value is replaced by the number, and ``${name}`` inside text by its digits. Constraints are
checked on the concrete spec that results; a draw that breaks one is drawn again.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from answerkey.errors import SpecError
from answerkey.expr import ExprError, evaluate, names_in, parse
from answerkey.yamlpos import Loc, Located, dotted
from derivations.fields import Integer, Positive, Strict, Text, fail

__all__ = ["DrawError", "RandomSection", "draw", "evaluate", "names_in", "substitute"]

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
WHOLE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class VariableSpec(Strict):
    """Exactly one of ``choice``, ``range`` (with ``step``) or ``expr``."""

    choice: list[Integer] | None = Field(default=None, min_length=1, max_length=10_000)
    range: list[Integer] | None = Field(default=None, min_length=2, max_length=2)
    step: Positive = 1
    expr: Text | None = None

    @model_validator(mode="after")
    def _one_source(self) -> VariableSpec:
        given = [k for k in ("choice", "range", "expr") if getattr(self, k) is not None]
        if len(given) != 1:
            raise fail("give exactly one of choice, range or expr")
        if self.range is not None and self.range[0] > self.range[1]:
            raise fail(f"range [{self.range[0]}, {self.range[1]}] is empty")
        if self.expr is not None:
            vetted(self.expr)
        return self

    def options(self) -> Sequence[int] | None:
        """The values to draw from: the list, or the range as a ``range`` (never listed)."""
        if self.choice is not None:
            return self.choice
        if self.range is not None:
            return range(self.range[0], self.range[1] + 1, self.step)
        return None


ConstraintKind = Literal[
    "distinct", "exact_strides", "min_size", "params_between", "ops_between", "check"
]


class ConstraintSpec(Strict):
    """``distinct`` (variables), ``exact_strides`` (networks; default all), ``min_size``
    (size), ``params_between``/``ops_between`` (network, min, max), ``check`` (expr)."""

    kind: ConstraintKind
    variables: list[Text] | None = None
    networks: list[Text] | None = None
    network: Text | None = None
    size: Positive | None = None
    min: Integer | None = None
    max: Integer | None = None
    expr: Text | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> ConstraintSpec:
        needs = {
            "distinct": ["variables"],
            "min_size": ["size"],
            "check": ["expr"],
            "params_between": ["network"],
            "ops_between": ["network"],
        }
        for name in needs.get(self.kind, []):
            if getattr(self, name) is None:
                raise fail(f"a {self.kind} constraint needs '{name}'")
        if self.expr is not None:
            vetted(self.expr)
        return self

    def describe(self) -> str:
        if self.kind == "distinct":
            return f"distinct({', '.join(self.variables or [])})"
        if self.kind == "check":
            return f"check({self.expr})"
        if self.kind in ("params_between", "ops_between"):
            return f"{self.kind}({self.network}: {self.min}..{self.max})"
        if self.kind == "min_size":
            return f"min_size({self.size})"
        return f"exact_strides({', '.join(self.networks or ['all networks'])})"


class RandomSection(Strict):
    variables: dict[str, VariableSpec] = Field(default_factory=dict)
    constraints: list[ConstraintSpec] = Field(default_factory=list)


def vetted(text: str) -> str:
    """``text`` if it is an allowed expression (:mod:`answerkey.expr`), else a validation
    error with the reason."""
    try:
        parse(text)
    except ExprError as err:
        raise fail(str(err)) from None
    return text


class DrawError(ValueError):
    """A variable that cannot be drawn: ``name`` says which (for the error's location)."""

    def __init__(self, name: str | None, message: str) -> None:
        self.name = name
        super().__init__(message)


def draw(variables: Mapping[str, VariableSpec], rng: random.Random) -> dict[str, int]:
    """One draw of every variable: listed ones first, then expressions in dependency order.

    A ``range`` is sampled without being listed (``rng.choice`` on a ``range`` object indexes
    it), so a range of 10⁹ values costs what a range of 10 does. Raises :class:`DrawError`."""
    values: dict[str, int] = {}
    for name, var in variables.items():
        options = var.options()
        if options is not None:
            values[name] = rng.choice(options)
    pending = {n: v.expr for n, v in variables.items() if v.expr is not None}
    while pending:
        ready = [n for n, e in pending.items() if names_in(e) <= set(values)]
        if not ready:
            raise DrawError(
                min(pending),
                f"variables {sorted(pending)} depend on each other or on unknown names",
            )
        for name in ready:
            try:
                value = evaluate(pending.pop(name), values)
            except ExprError as err:
                raise DrawError(name, str(err)) from None
            values[name] = int(value)
    return values


def substitute(located: Located, values: Mapping[str, int]) -> Any:
    """The spec's data with ``${name}`` replaced; unknown names are a :class:`SpecError`."""

    def walk(node: Any, loc: Loc) -> Any:
        if isinstance(node, dict):
            return {
                k: (v if k in ("variables", "constraints") and not loc else walk(v, (*loc, k)))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(v, (*loc, i)) for i, v in enumerate(node)]
        if isinstance(node, str) and "${" in node:
            for name in PLACEHOLDER.findall(node):
                if name not in values:
                    known = ", ".join(values) or "none"
                    raise SpecError(
                        located.where(loc),
                        dotted(loc),
                        f"unknown variable '{name}' (defined: {known})",
                    )
            whole = WHOLE.match(node)
            if whole:
                return values[whole.group(1)]
            return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), node)
        return node

    return walk(located.data, ())
