"""Students' answers as values: counts, shapes, reals and text.

A student writes ``453,750``, ``128 × 128 × 64``, ``41,472x1`` or ``2.69``; these functions
turn such text into the value it means, or ``None`` when it cannot be read. Formulas
(``floor((H - 5)/2) + 1``) are read by :mod:`answerkey.grading.symbolic`.
"""

from __future__ import annotations

import re
from fractions import Fraction

_INT = re.compile(r"^[+-]?(\d{1,3}(?:[,\u202f\u2009 _']\d{3})+|\d+)$")
_TIMES = re.compile(r"\s*[x×*·]\s*", re.IGNORECASE)


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
