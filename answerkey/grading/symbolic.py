"""Formulas in students' answers: read safely, and compared with the key's by SymPy.

A symbolic answer (``floor((h - 1)/2) + 1``, or a size ``k × (floor((h-1)/2)+1) × ...``) is
parsed without ``eval`` of arbitrary text: only the key's own symbol names, a few functions,
digits and arithmetic reach SymPy's parser. Two formulas are equal when they agree for every
positive-integer value of their symbols (the spec's sizes): :func:`equivalent` refuses fast
on sample points, then needs a proof from SymPy, if necessary one residue class at a time
for formulas with a floor or ceiling.
"""

from __future__ import annotations

import itertools
import math
import re
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import sympy as sp
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication,
    parse_expr,
    standard_transformations,
)

from answerkey.grading.values import clean

SYMBOLIC_SECONDS = 2.0
"""The time SymPy gets to prove two expressions equal (one answer)."""

FUNCTIONS = {
    "floor": sp.floor,
    "ceiling": sp.ceiling,
    "ceil": sp.ceiling,
    "sqrt": sp.sqrt,
    "Max": sp.Max,
    "Min": sp.Min,
    "max": sp.Max,
    "min": sp.Min,
}
_SAFE = re.compile(r"^[A-Za-z0-9_+\-*/^()., {}]*$")


def parse_symbolic(text: str, symbols: Mapping[str, sp.Symbol]) -> sp.Expr | None:
    """A student's formula in the key's symbols (``H_in``, ``K``, ...), or None.

    Only the key's symbol names and :data:`FUNCTIONS` may appear as names; the text is
    checked character by character before SymPy's parser sees it, so no Python runs.
    """
    text = clean(text)
    if not text or len(text) > 300 or not _SAFE.match(text) or "__" in text:
        return None
    if re.search(r"\.[A-Za-z_]", text):
        return None
    known = {**FUNCTIONS, **dict(symbols)}
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_{}]*", text))
    if not names <= set(known):
        return None
    glob = {
        "__builtins__": {},
        "Integer": sp.Integer,
        "Float": sp.Float,
        "Rational": sp.Rational,
        "Symbol": sp.Symbol,
    }
    try:
        expr = parse_expr(
            text,
            local_dict=dict(known),
            global_dict=glob,
            transformations=(*standard_transformations, convert_xor, implicit_multiplication),
        )
    except Exception:
        return None
    return expr if isinstance(expr, sp.Expr) else None


class SymbolicTimeout(Exception):
    """SymPy did not settle an equivalence within :data:`SYMBOLIC_SECONDS`."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`SymbolicTimeout` after ``seconds`` (main thread only; elsewhere no limit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise SymbolicTimeout

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


MAX_CASES = 64
"""At most this many residue classes are tried when proving a formula with floors."""


def _periods(expr: sp.Expr) -> dict[sp.Symbol, int] | None:
    """For each symbol inside a floor or ceiling, the period with which the fractional parts
    repeat: an argument ``P(x)/d`` (``P`` with integer coefficients) depends on ``x`` only
    through ``x mod d``. None when an argument is not of that form (``floor(h/k)``)."""
    out: dict[sp.Symbol, int] = {}
    for f in expr.atoms(sp.floor, sp.ceiling):
        num, den = sp.fraction(sp.together(f.args[0]))
        syms = sorted(num.free_symbols, key=str)
        if not den.is_Integer or not syms:
            return None
        try:
            if sp.Poly(num, *syms).domain != sp.ZZ:
                return None
        except sp.PolynomialError:
            return None
        for x in syms:
            out[x] = math.lcm(out.get(x, 1), int(den))
    return out


def _by_residues(diff: sp.Expr) -> bool:
    """Prove ``diff == 0`` for all positive integers case by case: with ``x = d·q + r``
    (``q ≥ 0`` an integer, ``r = 1 … d``) SymPy takes the integer ``q`` out of each floor."""
    periods = _periods(diff)
    if not periods:
        return False
    syms = sorted(periods, key=str)
    if math.prod(periods[x] for x in syms) > MAX_CASES:
        return False
    q = {x: sp.Symbol(f"{x}_q", integer=True, nonnegative=True) for x in syms}
    for residues in itertools.product(*(range(1, periods[x] + 1) for x in syms)):
        case = {x: periods[x] * q[x] + r for x, r in zip(syms, residues, strict=True)}
        if sp.simplify(diff.xreplace(case)) != 0:
            return False
    return True


def equivalent(given: sp.Expr, expected: sp.Expr, seconds: float = SYMBOLIC_SECONDS) -> bool:
    """Whether two expressions agree for every positive integer value of their symbols.

    First both are evaluated at a few positive-integer points (fast refusal); then SymPy
    must prove ``given − expected = 0`` within ``seconds``: directly, or for a formula with
    floors or ceilings one residue class at a time (``ceiling(h/2)`` is
    ``floor((h - 1)/2) + 1``). A timeout counts as not proven.
    """
    syms = sorted(given.free_symbols | expected.free_symbols, key=str)
    for k in range(5):
        point = {s: sp.Integer(7 + 13 * k + 3 * i) for i, s in enumerate(syms)}
        if sp.simplify(given.xreplace(point) - expected.xreplace(point)) != 0:
            return False
    try:
        with time_limit(seconds):
            diff = sp.simplify(given - expected)
            return diff == 0 or _by_residues(diff)
    except SymbolicTimeout:
        return False


def parse_symbolic_shape(text: str, symbols: Mapping[str, sp.Symbol]) -> tuple[sp.Expr, ...] | None:
    """A size in formulas, H × W × C: the parts split at ``×``, a spaced ``x`` or a comma
    outside parentheses (``[a, b, c]`` works too); None if any part
    cannot be read."""
    text = clean(text)
    if text[:1] + text[-1:] == "[]":
        text = text[1:-1]
    parts, depth, start = [], 0, 0
    for m in re.finditer(r"[()]|×|\s+x\s+|,", text):
        tok = m.group()
        depth += {"(": 1, ")": -1}.get(tok, 0)
        if tok not in "()" and depth == 0:
            parts.append(text[start : m.start()])
            start = m.end()
    parts.append(text[start:])
    dims = [parse_symbolic(p, symbols) for p in parts]
    if any(d is None for d in dims):
        return None
    return tuple(d for d in dims if d is not None)
