"""The key's LaTeX made fit for MathJax (Moodle's and Canvas's filters, the feedback pages).

The key is typeset with siunitx and a few text-mode helpers that MathJax does not know;
``\\num{1234567}`` becomes ``1{,}234{,}567`` and ``\\ensuremath{x}`` becomes ``x``. Nothing else
is changed, so the formula a student sees online is the one in the printed key.
"""

from __future__ import annotations

import html
import re

_NUM = re.compile(r"\\num\{(-?\d+)(\.\d+)?\}")
_ENSURE = re.compile(r"\\ensuremath\{(\\[A-Za-z]+)\}")


def _group(match: re.Match[str]) -> str:
    return f"{int(match.group(1)):,}".replace(",", "{,}") + (match.group(2) or "")


def mathjax(tex: str) -> str:
    """``tex`` with the printer's siunitx numbers and ``\\ensuremath`` spelled for MathJax."""
    return _ENSURE.sub(r"\1", _NUM.sub(_group, tex))


_PLAIN = re.compile(r"[^\\{}$%&#_^~\x00-\x1f\x7f-\x9f]+")
_MATH_CHAR = {
    "\\": r"\backslash ",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "^": r"\hat{}",
    "~": r"\sim ",
}


def text(value: str) -> str:
    """``value`` as literal text inside MathJax math: plain runs in ``\\text{}``, and each
    character MathJax could read as markup (``\\``, ``$``, braces, ...) as a math symbol
    outside it, so no label can reach MathJax as a command (``\\href{javascript:...}``)."""
    out: list[str] = []
    end = 0
    for run in _PLAIN.finditer(value):
        out.extend(_one(c) for c in value[end : run.start()])
        out.append(rf"\text{{{run.group(0)}}}")
        end = run.end()
    out.extend(_one(c) for c in value[end:])
    return "".join(out)


def _one(char: str) -> str:
    return _MATH_CHAR.get(char) or rf"\text{{U+{ord(char):04X}}}"


def inline(tex: str) -> str:
    """HTML for inline math: ``\\( … \\)`` with the TeX escaped for HTML."""
    return rf"\({html.escape(mathjax(tex), quote=False)}\)" if tex else ""
