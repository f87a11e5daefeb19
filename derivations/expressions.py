"""Size expressions: ``2*c_in``, ``d_model/heads``, ``(h - 1)//2 + 1``, read safely.

A size field may hold an arithmetic expression of integers and size symbols. It is parsed with
:mod:`ast` and only integers, names, ``+ - * / //`` and small constant powers are accepted (no
calls, attributes, subscripts or other names of Python or SymPy: nothing is evaluated but the
arithmetic itself), then built as a SymPy expression in positive integer symbols. ``/`` is exact
division (the result must be a whole number where it is concrete); ``//`` is the floor.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from functools import cache

import sympy as sp

MAX_TEXT = 200
"""Characters in one size expression."""


class ExpressionError(ValueError):
    """Text that is not an allowed size expression (the message says why)."""


def _symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, positive=True, integer=True)


def _build(node: ast.AST, text: str) -> sp.Expr:
    if isinstance(node, ast.Expression):
        return _build(node.body, text)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sp.Integer(node.value)
    if isinstance(node, ast.Name):
        return _symbol(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _build(node.operand, text)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left, right = _build(node.left, text), _build(node.right, text)
        op = node.op
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div | ast.FloorDiv):
            if right == 0:
                raise ExpressionError(f"{text!r} divides by zero")
            return left / right if isinstance(op, ast.Div) else sp.floor(left / right)
        if isinstance(op, ast.Pow):
            if not (right.is_Integer and 0 <= int(right) <= 8):
                raise ExpressionError(f"{text!r}: a power needs a constant exponent 0 to 8")
            return left**right
    raise ExpressionError(
        f"{text!r}: a size expression has only integers, names and + - * / // ** ( )"
    )


@cache
def parse_size(text: str) -> sp.Expr:
    """The SymPy expression of ``text`` (names become positive integer symbols); raise
    :class:`ExpressionError` for anything else. Whether it is a positive integer is the
    caller's question (:func:`size_problem`)."""
    if len(text) > MAX_TEXT:
        raise ExpressionError(f"a size expression has at most {MAX_TEXT} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ExpressionError(f"cannot read {text!r} as a size expression") from None
    return _build(tree, text)


def names(text: str) -> set[str]:
    """The symbol names in ``text`` (an allowed expression)."""
    return {str(s) for s in parse_size(text).free_symbols}


def size_problem(value: sp.Expr, minimum: int = 1) -> str | None:
    """Why ``value`` cannot be a size (a whole number ≥ ``minimum`` where it is concrete),
    or None. A symbolic value is checked only where SymPy can tell (``n/2`` may be whole)."""
    if value.free_symbols:
        if value.is_integer is False or (value.is_nonnegative is False and minimum >= 0):
            return f"{value} is not a whole number of at least {minimum} for any sizes"
        return None
    if not value.is_Integer:
        return f"it is {value}, not a whole number"
    if int(value) < minimum:
        return f"it is {value}, less than {minimum}"
    return None


def substitute(text: str, values: Mapping[str, sp.Expr]) -> sp.Expr:
    """``text``'s expression with the named symbols replaced (a block's parameters)."""
    expr = parse_size(text)
    return expr.xreplace({_symbol(k): sp.sympify(v) for k, v in values.items()})
