"""Formulas that remember how they were derived.

An answer key shows three things for every number: the general formula, the formula with the
spec's numbers put in, and the result. A :class:`Formula` holds exactly that as SymPy objects:
``rhs`` is built unevaluated so that it keeps the reading order an instructor writes it in, and
``values`` maps each symbol of ``rhs`` to the number (or symbol) it stands for in this question.
The result is never typed in: :attr:`Formula.value` evaluates the substitution.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sympy as sp

from derivations.expressions import parse_size

Size = sp.Expr
"""A size: a SymPy integer, or an expression in positive integer symbols."""


def size_symbol(name: str) -> sp.Symbol:
    """The symbol every size named ``name`` in a spec stands for (positive integer)."""
    return sp.Symbol(name, positive=True, integer=True)


def as_size(value: int | str | sp.Expr) -> sp.Expr:
    """A spec value (int, symbol name or size expression such as ``2*c_in``) as a SymPy
    size; the spec's field types have vetted it (:mod:`derivations.expressions`)."""
    if isinstance(value, sp.Expr):
        return value
    if isinstance(value, int):
        return sp.Integer(value)
    if value.isidentifier():
        return size_symbol(value)
    return parse_size(value)


def is_concrete(*values: sp.Expr) -> bool:
    """Whether every value is a plain number (no free symbols)."""
    return all(not sp.sympify(v).free_symbols for v in values)


def product(factors: Iterable[sp.Expr]) -> sp.Expr:
    """``f1 · f2 · …`` kept in the given order (one factor stays itself)."""
    items = list(factors)
    if not items:
        return sp.Integer(1)
    if len(items) == 1:
        return items[0]
    return sp.Mul(*items, evaluate=False)


def total(terms: Iterable[sp.Expr]) -> sp.Expr:
    """``t1 + t2 + …`` kept in the given order."""
    items = list(terms)
    if not items:
        return sp.Integer(0)
    if len(items) == 1:
        return items[0]
    return sp.Add(*items, evaluate=False)


@dataclass(frozen=True)
class Formula:
    """``lhs = rhs``, with the substitution that answers one question.

    ``values`` pairs each free symbol of ``rhs`` with what it is in this question; an empty
    mapping means ``rhs`` already is the substituted form (a sum of earlier results, say).
    ``decimals``: how many decimals its floating-point numbers are printed with (a numeric
    forward pass); the value itself is kept at full precision.
    """

    lhs: sp.Expr
    rhs: sp.Expr
    values: tuple[tuple[sp.Symbol, sp.Expr], ...] = field(default=())
    decimals: int | None = None
    identity: bool = False
    """An identity written in index notation (a sum over indices): its right side is the
    answer, never evaluated (:attr:`is_identity`)."""

    @classmethod
    def of(
        cls,
        lhs: sp.Expr,
        rhs: sp.Expr,
        values: Mapping[sp.Symbol, sp.Expr],
        decimals: int | None = None,
    ) -> Formula:
        """Build a formula; ``values`` keeps only the symbols ``rhs`` really uses."""
        used = rhs.free_symbols
        pairs = tuple((s, sp.sympify(v)) for s, v in values.items() if s in used)
        return cls(lhs, rhs, pairs, decimals)

    @property
    def mapping(self) -> dict[sp.Symbol, sp.Expr]:
        return dict(self.values)

    @property
    def substituted(self) -> sp.Expr:
        """``rhs`` with the values put in, unevaluated (for printing the working)."""
        return unevaluated_replace(self.rhs, self.mapping)

    @property
    def is_identity(self) -> bool:
        """A matrix identity (∂a/∂x = D W): its right side is the answer, with no number to
        evaluate and print after it. A matrix formula with values (explicit matrices put in
        for its symbols, as in a numeric forward pass) is not one: it has a value."""
        if self.identity:
            return True
        if self.values:
            return False
        return isinstance(self.rhs, (sp.MatrixExpr, sp.MatrixBase)) or not isinstance(
            self.rhs, sp.Expr
        )

    @cached_property
    def value(self) -> sp.Expr:
        """The result: the substitution, evaluated and simplified (computed once)."""
        if self.is_identity:
            return self.rhs
        result = self.rhs.xreplace(self.mapping).doit()
        if isinstance(result, sp.MatrixExpr) and not result.free_symbols:
            return sp.ImmutableMatrix(result.as_explicit())  # numbers in every entry
        return sp.nsimplify(sp.simplify(result)) if result.free_symbols else result


class WrittenMax(sp.Function):
    """max(a, b, …) with its arguments in the order written (SymPy's ``Max`` sorts them, so a
    substitution would no longer line up with the formula); :meth:`doit` is ``Max``."""

    @classmethod
    def eval(cls, *args: sp.Expr) -> None:
        return None

    def doit(self, **hints: object) -> sp.Expr:
        return sp.Max(*(a.doit(**hints) if hasattr(a, "doit") else a for a in self.args))

    def _sympystr(self, printer: Any) -> str:
        """SymPy's text reads back as ``Max`` (answers.json, the invariants)."""
        return f"Max({', '.join(printer._print(a) for a in self.args)})"


def unevaluated_replace(expr: sp.Basic, mapping: Mapping[sp.Basic, sp.Basic]) -> sp.Basic:
    """``expr.xreplace(mapping)`` with every rebuilt node left unevaluated (``2 · 3`` stays a
    product), as under ``sp.evaluate(False)`` but without that context manager, which clears
    SymPy's whole cache on entry and on exit."""
    if expr in mapping:
        return mapping[expr]
    if not expr.args:
        return expr
    args = [unevaluated_replace(a, mapping) for a in expr.args]
    if all(new is old for new, old in zip(args, expr.args, strict=True)):
        return expr
    if isinstance(expr, sp.Mul) and len(args) == 2 and args[0] == -1 and args[1].is_Number:
        return -args[1]  # −x with x = 0.3 reads −0.3, not (−1)·0.3
    if isinstance(expr, (sp.Add, sp.Mul, sp.Pow, sp.Function)):
        return expr.func(*args, evaluate=False)
    with sp.evaluate(False):  # other node kinds take no evaluate argument
        return expr.func(*args)


def int_value(expr: sp.Expr) -> int | None:
    """The Python int of a concrete integer expression, else None."""
    expr = sp.sympify(expr)
    if expr.free_symbols or not expr.is_Integer:
        return None
    return int(expr)
