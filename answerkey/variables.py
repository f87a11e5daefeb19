"""Drawn values: the ``variables`` and ``constraints`` of a randomized spec.

A variable is drawn from a list (``choice``), an integer range with a step (``range``,
``step``), or computed from others (``expr``). Anywhere in the spec, ``"${name}"`` as a whole
value is replaced by the number, and ``${name}`` inside text by its digits. Constraints are
checked on the concrete spec that results; a draw that breaks one is drawn again.
"""

from __future__ import annotations

import ast
import operator
import random
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from answerkey.errors import SpecError
from answerkey.yamlpos import Loc, Located, dotted
from derivations.fields import Positive, Strict, Text, fail

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
WHOLE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class VariableSpec(Strict):
    """Exactly one of ``choice``, ``range`` (with ``step``) or ``expr``."""

    choice: list[int] | None = Field(default=None, min_length=1)
    range: list[int] | None = Field(default=None, min_length=2, max_length=2)
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
            parse(self.expr)
        return self

    def options(self) -> list[int] | None:
        if self.choice is not None:
            return list(self.choice)
        if self.range is not None:
            return list(range(self.range[0], self.range[1] + 1, self.step))
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
    min: int | None = None
    max: int | None = None
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
            parse(self.expr)
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


# -- a small safe arithmetic language: ints, names, + - * // % **, comparisons, and/or/not --

_BIN: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMP: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


def parse(text: str) -> ast.Expression:
    """Parse and vet an expression; raise a validation error naming what is not allowed."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise fail(f"cannot read the expression {text!r}") from None
    allowed = (
        ast.Expression,
        ast.BinOp,
        ast.UnaryOp,
        ast.USub,
        ast.Compare,
        ast.BoolOp,
        ast.And,
        ast.Or,
        ast.Not,
        ast.Name,
        ast.Load,
        ast.Constant,
        *_BIN,
        *_CMP,
    )
    for node in ast.walk(tree):
        if not isinstance(node, allowed) or (
            isinstance(node, ast.Constant) and type(node.value) is not int
        ):
            raise fail(
                f"{text!r}: only integers, names, + - * // % **, comparisons, "
                "and, or, not are allowed"
            )
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Pow)
            and not (isinstance(node.right, ast.Constant) and node.right.value in range(9))
        ):
            raise fail(f"{text!r}: powers must have a small constant exponent")
    return tree


def names_in(text: str) -> set[str]:
    return {n.id for n in ast.walk(parse(text)) if isinstance(n, ast.Name)}


def evaluate(text: str, values: Mapping[str, int]) -> Any:
    """The value of a vetted expression given the variables' values."""

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return values[node.id]
        if isinstance(node, ast.UnaryOp):
            return (not ev(node.operand)) if isinstance(node.op, ast.Not) else -ev(node.operand)
        if isinstance(node, ast.BinOp):
            return _BIN[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.BoolOp):
            results = [ev(v) for v in node.values]
            return all(results) if isinstance(node.op, ast.And) else any(results)
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = ev(right_node)
                if not _CMP[type(op)](left, right):
                    return False
                left = right
            return True
        raise ValueError(f"unsupported expression node {type(node).__name__}")

    return ev(parse(text))


def draw(variables: Mapping[str, VariableSpec], rng: random.Random) -> dict[str, int]:
    """One draw of every variable: listed ones first, then expressions in dependency order."""
    values: dict[str, int] = {}
    for name, var in variables.items():
        options = var.options()
        if options is not None:
            values[name] = rng.choice(options)
    pending = {n: v.expr for n, v in variables.items() if v.expr is not None}
    while pending:
        ready = [n for n, e in pending.items() if names_in(e) <= set(values)]
        if not ready:
            raise ValueError(
                f"variables {sorted(pending)} depend on each other or on unknown names"
            )
        for name in ready:
            values[name] = int(evaluate(pending.pop(name), values))
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
