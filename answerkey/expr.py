"""A small safe arithmetic language for drawn variables and ``check`` constraints.

Integers, names, ``+ - * // % **``, comparisons, ``and``/``or``/``not``: parsed with Python's
own parser into an AST, then vetted and evaluated here (never ``eval``). Every bound is
checked before any work is done, so that no expression can use much time or memory:

- the text is at most :data:`MAX_CHARS` characters, the tree at most :data:`MAX_NODES` nodes
  and :data:`MAX_DEPTH` levels deep (Python's parser and our evaluator both recurse);
- a power's exponent is a constant from 0 to 8, and a power whose result would have more
  than :data:`MAX_BITS` bits is refused before it is computed (``((9**8)**8)**8 ...``);
- every intermediate value stays within ±:data:`~derivations.fields.MAX_NUMBER`;
- division or modulo by zero is an error, not a crash.

Errors are :class:`ExprError` (a ``ValueError``) with a message for the spec's author.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from derivations.fields import MAX_NUMBER

MAX_CHARS = 500
MAX_NODES = 200
MAX_DEPTH = 24
MAX_BITS = 64


class ExprError(ValueError):
    """An expression that is not allowed, or that cannot be evaluated."""


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
_ALLOWED = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.USub,
    ast.UAdd,
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
ALLOWED_TEXT = "only integers, names, + - * // % **, comparisons, and, or, not are allowed"


def _depth(node: ast.AST) -> int:
    """Levels of ``node`` (iterative: a deep tree must not overflow the stack here)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(item))
    return deepest


@cache
def parse(text: str) -> ast.Expression:
    """Parse and vet ``text``; raise :class:`ExprError` naming what is not allowed."""
    if len(text) > MAX_CHARS:
        raise ExprError(f"the expression has {len(text)} characters; at most {MAX_CHARS}")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ExprError(f"cannot read the expression {text!r}") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES or _depth(tree) > MAX_DEPTH:
        raise ExprError(
            f"the expression is too large (at most {MAX_NODES} terms, {MAX_DEPTH} levels deep)"
        )
    for node in nodes:
        if not isinstance(node, _ALLOWED) or (
            isinstance(node, ast.Constant) and type(node.value) is not int
        ):
            raise ExprError(f"{text!r}: {ALLOWED_TEXT}")
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, int) and abs(value) > MAX_NUMBER:
            raise ExprError(f"{text!r}: a number beyond ±{MAX_NUMBER:.0e}")
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Pow)
            and not (isinstance(node.right, ast.Constant) and node.right.value in range(9))
        ):
            raise ExprError(f"{text!r}: powers must have a constant exponent from 0 to 8")
    return tree


def names_in(text: str) -> set[str]:
    """The variable names ``text`` uses."""
    return {n.id for n in ast.walk(parse(text)) if isinstance(n, ast.Name)}


def _checked(value: Any) -> Any:
    if not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise ExprError(f"a value beyond ±{MAX_NUMBER:.0e} ({len(str(abs(value)))} digits)")
    return value


def _binary(op: ast.operator, left: Any, right: Any) -> Any:
    if isinstance(op, (ast.FloorDiv, ast.Mod)) and right == 0:
        raise ExprError("division by zero" if isinstance(op, ast.FloorDiv) else "modulo by zero")
    if isinstance(op, ast.Pow) and abs(left) > 1 and int(abs(left)).bit_length() * right > MAX_BITS:
        raise ExprError(f"{left} ** {right} is beyond ±{MAX_NUMBER:.0e}")
    return _checked(_BIN[type(op)](left, right))


def evaluate(text: str, values: Mapping[str, int]) -> Any:
    """The value of a vetted expression given the variables' values; raises
    :class:`ExprError` for an unknown name, a division by zero or a value out of bounds."""

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise ExprError(f"unknown name {node.id!r}")
            return values[node.id]
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return not ev(node.operand)
            return -ev(node.operand) if isinstance(node.op, ast.USub) else ev(node.operand)
        if isinstance(node, ast.BinOp):
            return _binary(node.op, ev(node.left), ev(node.right))
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
        raise ExprError(f"unsupported expression node {type(node).__name__}")

    return ev(parse(text))
