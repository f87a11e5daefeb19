"""The house notation: one SymPy printer subclass, and escaping for text from a spec.

Printer output is trusted LaTeX; every other string goes through :func:`escape`, which maps
LaTeX's special characters and the Unicode math the derivations write in prose (×, −, ⌊, ...)
to commands that pdfLaTeX understands.
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter

from derivations.formula import Formula
from derivations.shapes import Shape

_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "×": r"\ensuremath{\times}", "·": r"\ensuremath{\cdot}", "−": r"\ensuremath{-}",
    "⌊": r"\ensuremath{\lfloor}", "⌋": r"\ensuremath{\rfloor}", "→": r"\ensuremath{\to}",
    "ℝ": r"\ensuremath{\mathbb{R}}", "⊙": r"\ensuremath{\odot}", "≤": r"\ensuremath{\le}",
    "≥": r"\ensuremath{\ge}", "≈": r"\ensuremath{\approx}", "⊗": r"\ensuremath{\otimes}",
    "ᵀ": r"\ensuremath{^{\top}}", "δ": r"\ensuremath{\delta}", "∂": r"\ensuremath{\partial}",
    "\u00a0": "~",
}
_SPECIAL_RE = re.compile("|".join(re.escape(k) for k in _SPECIAL))
_LONG_WORD = re.compile(r"\S{30,}")


def escape(text: str) -> str:
    """Text from a spec or a derivation, made safe to typeset literally.

    Every LaTeX special character becomes a command, so ``\\input{...}`` or ``\\write18``
    print as text and never run; words of 30+ characters get break points so that they cannot
    overflow the line.
    """
    text = _LONG_WORD.sub(lambda m: "\u200b".join(m.group(0)[i:i + 12]
                                                  for i in range(0, len(m.group(0)), 12)), text)
    out = _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group(0)], text)
    return out.replace("\u200b", r"\allowbreak{}")


class KeyPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the key's conventions: products in written order, ``\\cdot``
    between numbers, upright multi-letter subscripts (``C_{\\mathrm{in}}``)."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        base = {"order": "none", "mul_symbol": "dot", "long_frac_ratio": 3}
        super().__init__({**base, **(settings or {})})

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        name = expr.name
        if "_" in name and "{" not in name:
            head, sub = name.split("_", 1)
            sub_tex = rf"\mathrm{{{sub}}}" if len(sub) > 1 else sub
            return f"{self._print(sp.Symbol(head))}_{{{sub_tex}}}"
        if name.startswith(("N_{", "C_{", "OPS_{")) and name.endswith("}"):
            head, sub = name[:-1].split("_{", 1)
            return rf"{self._head(head)}_{{\text{{{escape(sub)}}}}}"
        if len(name) > 1 and name.isalpha() and name.isupper():
            return rf"\mathrm{{{name}}}"
        return str(super()._print_Symbol(expr, style))

    def _print_Mul(self, expr: sp.Mul) -> str:
        """Keep written order, but print ``a · b⁻¹`` as a fraction."""
        dens = [a for a in expr.args if isinstance(a, sp.Pow) and a.exp == -1]
        if dens and expr.args[0] != -1:
            nums = [a for a in expr.args if a not in dens]
            num = self._print(sp.Mul(*nums, evaluate=False)) if len(nums) > 1 else (
                self._print(nums[0]) if nums else "1")
            den = self._print(sp.Mul(*[d.base for d in dens], evaluate=False)) if len(
                dens) > 1 else self._print(dens[0].base)
            return rf"\frac{{{num}}}{{{den}}}"
        return str(super()._print_Mul(expr))

    def _print_Integer(self, expr: sp.Integer) -> str:
        return number(int(expr))

    def _head(self, head: str) -> str:
        return rf"\mathrm{{{head}}}" if len(head) > 1 else head


_PRINTER = KeyPrinter({"mul_symbol": None})
_NUMERIC = KeyPrinter()


def tex(expr: Any) -> str:
    """A SymPy expression in the house notation (numbers grouped with ``\\num``)."""
    expr = sp.sympify(expr)
    if expr.is_Integer:
        return number(int(expr))
    return str(_PRINTER.doprint(expr))


def number(value: int) -> str:
    """An integer grouped by thousands (siunitx)."""
    return rf"\num{{{value}}}" if abs(value) >= 10000 else str(value)


def substitution(formula: Formula) -> str:
    """The formula with its values in place, ``\\cdot`` between factors."""
    return str(_NUMERIC.doprint(formula.substituted))


def chain(formula: Formula) -> str:
    """``lhs = rhs = substituted = value``, skipping repeats."""
    parts = [tex(formula.lhs), str(_PRINTER.doprint(formula.rhs))]
    sub = substitution(formula) if formula.values else None
    value = tex(formula.value)
    if sub and sub not in parts:
        parts.append(sub)
    if value not in parts:
        parts.append(value)
    return " = ".join(parts)


def shape_tex(shape: Shape) -> str:
    """``128 \\times 128 \\times 64`` (H × W × C) or ``41472`` for a vector."""
    return r" \times ".join(tex(d) for d in shape.hwc())


def value_tex(value: Any) -> str:
    if isinstance(value, Shape):
        return shape_tex(value)
    if value is None:
        return ""
    return tex(value)
