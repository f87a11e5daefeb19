"""The key's LaTeX made fit for MathJax (Moodle's and Canvas's filters, the feedback pages).

The key is typeset with siunitx and a few text-mode helpers that MathJax does not know;
``\\num{1234567}`` becomes ``1{,}234{,}567`` and ``\\ensuremath{x}`` becomes ``x``. Nothing else
is changed, so the formula a student sees online is the one in the printed key.
"""

from __future__ import annotations

import html
import re

_NUM = re.compile(r"\\num\{(-?\d+)\}")
_ENSURE = re.compile(r"\\ensuremath\{(\\[A-Za-z]+)\}")


def _group(match: re.Match[str]) -> str:
    return f"{int(match.group(1)):,}".replace(",", "{,}")


def mathjax(tex: str) -> str:
    """``tex`` with the printer's siunitx numbers and ``\\ensuremath`` spelled for MathJax."""
    return _ENSURE.sub(r"\1", _NUM.sub(_group, tex))


def inline(tex: str) -> str:
    """HTML for inline math: ``\\( … \\)`` with the TeX escaped for HTML."""
    return rf"\({html.escape(mathjax(tex), quote=False)}\)" if tex else ""
