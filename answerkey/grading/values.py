"""Students' answers as values: counts, shapes, reals and symbolic expressions.

A student writes ``453,750``, ``128 × 128 × 64``, ``41,472x1`` or ``floor((H - 5)/2) + 1``;
these functions turn such text into the value it means, or ``None`` when it cannot be read.
Symbolic answers are parsed without ``eval`` of arbitrary text: only the key's own symbol
names, a few functions, digits and arithmetic are allowed through to SymPy's parser.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from fractions import Fraction

import sympy as sp
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication,
    parse_expr,
    standard_transformations,
)

_INT = re.compile(r"^[+-]?(\d{1,3}(?:[,\u202f\u2009 _']\d{3})+|\d+)$")
_TIMES = re.compile(r"\s*[x×*·]\s*", re.IGNORECASE)
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


def clean(text: object) -> str:
    """The answer as one trimmed line (None and NaN-like blanks become '')."""
    if text is None:
        return ""
    return " ".join(str(text).split())


def parse_int(text: str) -> int | None:
    """``453,750`` / ``453 750`` / ``453750`` → 453750; anything else → None."""
    text = clean(text)
    if not _INT.match(text):
        return None
    return int(re.sub(r"[,\u202f\u2009 _']", "", text))


def parse_real(text: str) -> Fraction | None:
    """An integer, a decimal (``2.69``), or a fraction (``352/131``) → exact Fraction."""
    text = clean(text).replace(",", "")
    try:
        if "/" in text:
            num, den = text.split("/", 1)
            return Fraction(Fraction(num.strip()), Fraction(den.strip()))
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def parse_shape(text: str) -> tuple[int, ...] | None:
    """``128 × 128 × 64``, ``128x128x64``, ``[128, 128, 64]``, ``41,472×1`` → a tuple (H, W, C
    order as written); a single count ``41472`` → ``(41472,)``."""
    text = clean(text).strip("[]() ")
    if not text:
        return None
    if _TIMES.search(text):
        parts = _TIMES.split(text)
    elif re.search(r",\s", text) or (text.count(",") >= 1 and parse_int(text) is None):
        parts = [p for p in re.split(r"\s*,\s*", text)]
    else:
        parts = [text]
    dims = [parse_int(p) for p in parts]
    if not dims or any(d is None for d in dims):
        return None
    return tuple(d for d in dims if d is not None)


def same_shape(given: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    """Equal shapes, where a vector N may be written N × 1."""
    if len(expected) == 1 and len(given) == 2 and given[1] == 1:
        given = given[:1]
    return given == expected


def text_key(text: str) -> str:
    """Text answers compared loosely: case, spaces and the usual blanks for 'none'."""
    t = clean(text).lower().replace("×", "x").replace(" ", "")
    return "-" if t in {"", "—", "–", "-", "na", "n/a", "none"} else t


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


def equivalent(given: sp.Expr, expected: sp.Expr, seconds: float = SYMBOLIC_SECONDS) -> bool:
    """Whether two expressions agree for every positive integer value of their symbols.

    First both are evaluated at a few positive-integer points (fast refusal); then SymPy
    must prove ``given − expected = 0`` within ``seconds``. A timeout counts as not proven.
    """
    syms = sorted(given.free_symbols | expected.free_symbols, key=str)
    for k in range(5):
        point = {s: sp.Integer(7 + 13 * k + 3 * i) for i, s in enumerate(syms)}
        if sp.simplify(given.xreplace(point) - expected.xreplace(point)) != 0:
            return False
    try:
        with time_limit(seconds):
            return bool(sp.simplify(given - expected) == 0)
    except SymbolicTimeout:
        return False
