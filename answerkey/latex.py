"""The house notation: one SymPy printer subclass, and escaping for text from a spec.

Trusted LaTeX has a type: PyLaTeX's ``NoEscape`` (here :data:`Tex`). The printer's output is
``Tex``; every other string goes through :func:`escape` (PyLaTeX's ``escape_latex`` plus the
Unicode math the derivations write in prose, ×, −, ⌊, ...), which returns ``Tex``. The
templates take nothing else, so text can reach a document only escaped.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any, ClassVar

import sympy as sp
from pylatex.utils import NoEscape, escape_latex
from sympy.printing.latex import LatexPrinter

from derivations.activations import Positive, by_function
from derivations.answers import Step
from derivations.backprop import HadamardDivide
from derivations.formula import Formula
from derivations.shapes import Shape

Tex = NoEscape
"""Trusted LaTeX: printer output, or text that :func:`escape` has made safe. Templates accept
nothing else (:func:`answerkey.render.environment` refuses a plain ``str``)."""

_INSTEAD = {
    "-": "-",  # PyLaTeX writes {-} against -- ligatures; names such as H-1 stay as written
    "^": r"\textasciicircum{}",  # the character, where PyLaTeX's \^{} is an accent
    "<": r"\textless{}",  # T1 has the glyphs, but these read the same in any encoding
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "\n": " ",  # a line break in a spec's text is a space (never \newline, never \par)
}
"""Where the key's escaping differs from PyLaTeX's ``escape_latex``, which does the rest:
``\\ { } $ & # % _ ~ [ ]`` and the no-break space."""

_SPECIAL = {
    **_INSTEAD,
    "×": r"\ensuremath{\times}",
    "·": r"\ensuremath{\cdot}",
    "−": r"\ensuremath{-}",
    "⌊": r"\ensuremath{\lfloor}",
    "⌋": r"\ensuremath{\rfloor}",
    "→": r"\ensuremath{\to}",
    "ℝ": r"\ensuremath{\mathbb{R}}",
    "⊙": r"\ensuremath{\odot}",
    "≤": r"\ensuremath{\le}",
    "≥": r"\ensuremath{\ge}",
    "≈": r"\ensuremath{\approx}",
    "⊗": r"\ensuremath{\otimes}",
    "ᵀ": r"\ensuremath{^{\top}}",
    "α": r"\ensuremath{\alpha}",
    "β": r"\ensuremath{\beta}",
    "γ": r"\ensuremath{\gamma}",
    "δ": r"\ensuremath{\delta}",
    "ε": r"\ensuremath{\varepsilon}",
    "λ": r"\ensuremath{\lambda}",
    "μ": r"\ensuremath{\mu}",
    "∂": r"\ensuremath{\partial}",
    "½": r"\ensuremath{\tfrac{1}{2}}",
    "‖": r"\ensuremath{\|}",
    "′": r"\ensuremath{'}",
    "σ": r"\ensuremath{\sigma}",
    "…": r"\ldots{}",
    "“": "``",
    "”": "''",
    "‘": "`",
    "`": r"\textasciigrave{}",  # never a ligature (?` and !` would print ¿ and ¡)
    "’": "'",
    "–": "--",
    "—": "---",
}
ACCENTS = {
    "\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0304": "=", "\u0306": "u",
    "\u0307": ".", "\u0308": '"', "\u030a": "r", "\u030b": "H", "\u030c": "v",
    "\u0323": "d", "\u0327": "c", "\u0328": "k", "\u0331": "b",
}  # fmt: skip
"""Combining marks as LaTeX's text accent commands (\\'{e}, \\v{c}, \\k{a}, ...); a
combining tilde is the math tilde of the derivations' x̃ and W̃."""

_TOKEN = re.compile(
    "(?P<tilde>.)\u0303"
    "|(?P<accented>.)(?P<accent>[" + "".join(ACCENTS) + "])"
    "|(?P<ligature>-(?=-)|,(?=,)|'(?='))"  # --, ,, and '' stay two characters, not a ligature
    "|(?P<tie> (?=[=≈≤≥] ))"  # no line starts with a relation sign
    r"|(?P<times>(?<=\d) × (?=\d))"  # 128 × 128 × 512 breaks after a ×, never before
    "|(?P<special>" + "|".join(re.escape(k) for k in _SPECIAL) + ")|(?P<char>.)",
    re.S,
)
_LONG_WORD = re.compile(r"\S{30,}")
BREAK_EVERY = 12


def escape(text: str) -> Tex:
    """Text from a spec or a derivation, made safe to typeset literally: PyLaTeX's
    ``escape_latex`` for LaTeX's special characters (with the differences in ``_INSTEAD``),
    and the project's table for the Unicode math of the derivations' prose.

    Every LaTeX special character becomes a command, so ``\\input{...}`` or ``\\write18``
    print as text and never run; TeX's ligatures of text (``--``, ``,,``, ``''``, a backtick)
    are broken, so what was typed prints; a line never starts with ``=`` or with the ``×`` of
    ``128 × 128``; any other printable character stays itself (NFC), for the document's
    character mappings (:mod:`answerkey.characters`); a control character (C0, DEL, C1) is
    shown as its code point, ``⟨U+0001⟩``; words of 30+ characters get break points so that
    they cannot overflow the line. One pass over the text, with no marker characters of its
    own, so every input character comes out as itself.
    """
    if isinstance(text, NoEscape):
        raise TypeError(f"escaping LaTeX twice: {text[:60]!r}")
    text = unicodedata.normalize("NFC", text)
    out, end = [], 0
    for word in _LONG_WORD.finditer(text):
        out.append(_escape_run(text[end : word.start()]))
        out.append(r"\allowbreak{}".join(_escape_run(c) for c in _chunks(word.group(0))))
        end = word.end()
    out.append(_escape_run(text[end:]))
    return Tex("".join(out))


def _chunks(word: str) -> list[str]:
    """``word`` in pieces of :data:`BREAK_EVERY` characters, never cutting a combining mark
    from its letter."""
    pieces, start = [], 0
    while start < len(word):
        stop = min(start + BREAK_EVERY, len(word))
        while stop < len(word) and unicodedata.combining(word[stop]):
            stop += 1
        pieces.append(word[start:stop])
        start = stop
    return pieces


def _escape_run(text: str) -> str:
    return _TOKEN.sub(_token, text)


def _token(match: re.Match[str]) -> str:
    if match["tilde"] is not None:
        return rf"\ensuremath{{\tilde{{{_escape_run(match['tilde'])}}}}}"
    if match["accented"] is not None:
        return rf"\{ACCENTS[match['accent']]}{{{_escape_run(match['accented'])}}}"
    if match["ligature"] is not None:
        return match["ligature"] + "{}"
    if match["tie"] is not None:
        return "~"
    if match["times"] is not None:
        return r"~\ensuremath{\times} "
    if match["special"] is not None:
        return _SPECIAL[match["special"]]
    char = match["char"]
    escaped = escape_latex(char)
    return escaped if escaped != char else _typesettable(char)


def _typesettable(char: str) -> str:
    """A printable character as itself (UTF-8): the document maps what its engine needs
    (:mod:`answerkey.characters`), and refuses, before TeX runs, what nothing can set. A
    control character (C0, DEL, C1), which has no glyph, is shown as its code point."""
    code = ord(char)
    if char in "\n\t" or unicodedata.category(char) != "Cc":
        return char
    return rf"\ensuremath{{\langle}}U+{code:04X}\ensuremath{{\rangle}}"


_SAFE_SYMBOL = re.compile(r"^[A-Za-z]+[0-9]*(?:_[A-Za-z0-9]+)?$")
"""Symbol names SymPy's printer typesets safely (size symbols are validated to this form)."""
_LABELLED = re.compile(r"^[A-Za-z]+_\{.*\}$", re.S)
"""``C_{branch name}``: a sum term labelled by a name, the label printed as escaped text."""
_MATRIX_NAME = re.compile(
    r"^(?P<core>[A-Za-z]+)(?P<tilde>_tilde)?(?:_\{(?P<label>.*?)\})?(?P<sup>\^\{\(\d+\)\})?$", re.S
)


class KeyPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the key's conventions: products in written order, ``\\cdot``
    between numbers, upright multi-letter subscripts (``C_{\\mathrm{in}}``); with
    ``decimals`` set, floating-point numbers rounded to that many decimals.

    No base ever carries two superscripts: each rule that raises something (transpose, power,
    inverse, adjoint) goes through :meth:`_raise`, which merges ``\\top`` into a matrix name's
    own superscript and parenthesises any other base whose printed form already ends in one."""

    _default_settings: ClassVar[dict[str, Any]] = {
        **LatexPrinter._default_settings,
        "decimals": None,
    }

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        base = {"order": "none", "mul_symbol": "dot", "long_frac_ratio": 3}
        super().__init__({**base, **(settings or {})})

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        name = expr.name
        if not (_SAFE_SYMBOL.match(name) or _LABELLED.match(name)):
            return rf"\text{{{escape(name)}}}"  # printed as what it is, never run
        if "_" in name and "{" not in name:
            head, sub = name.split("_", 1)
            sub_tex = rf"\mathrm{{{sub}}}" if len(sub) > 1 else sub
            return f"{self._print(sp.Symbol(head))}_{{{sub_tex}}}"
        if "_{" in name and name.endswith("}"):  # a sum term labelled by a layer name
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
            num = (
                self._print(sp.Mul(*nums, evaluate=False))
                if len(nums) > 1
                else (self._print(nums[0]) if nums else "1")
            )
            den = (
                self._print(sp.Mul(*[d.base for d in dens], evaluate=False))
                if len(dens) > 1
                else self._print(dens[0].base)
            )
            return rf"\frac{{{num}}}{{{den}}}"
        return str(super()._print_Mul(expr))

    def _print_Integer(self, expr: sp.Integer) -> str:
        return number(int(expr))

    def _print_Float(self, expr: sp.Float) -> str:
        places = self._settings["decimals"]
        if places is None:
            return str(super()._print_Float(expr))
        text = fixed(expr, places)
        return rf"\num{{{text}}}" if abs(expr) >= 10000 else text

    def _print_Entry(self, expr: Any) -> str:
        """One scalar of a numeric network: ``w^{(1)}_{12}``, ``\\delta^{(2)}_{1}``,
        ``\\hat{y}_{1}`` (see :class:`derivations.symbols.Entry`)."""
        core = {"delta": r"\delta", "yhat": r"\hat{y}", "eta": r"\eta"}.get(expr.head, expr.head)
        sup = f"^{{({expr.layer})}}" if expr.layer is not None else ""
        sep = "," if any(i >= 10 for i in expr.indices) else ""
        sub = f"_{{{sep.join(str(i) for i in expr.indices)}}}" if expr.indices else ""
        return f"{core}{sup}{sub}"

    # -- superscripts: one per base ------------------------------------------------------

    def _raise(self, base: Any, sup: str) -> str:
        """``base^{sup}``, the base parenthesised when its printed form already ends in a
        superscript (``a^{(1)}`` squared is ``(a^{(1)})^2``, never ``a^{(1)}^2``)."""
        text = self._print(base)
        if _ends_raised(text) or self._needs_parens(base):
            text = rf"\left({text}\right)"
        return f"{text}^{{{sup}}}"

    def _needs_parens(self, base: Any) -> bool:
        return isinstance(
            base, (sp.MatAdd, sp.MatMul, sp.HadamardProduct, sp.KroneckerProduct, sp.Add, sp.Mul)
        )

    def _print_Inverse(self, expr: Any) -> str:
        return self._raise(expr.arg, "-1")

    def _print_Adjoint(self, expr: Any) -> str:
        return self._raise(expr.arg, r"\dagger")

    def _print_MatPow(self, expr: Any) -> str:
        return self._raise(expr.base, self._print(expr.exp))

    def _print_Pow(self, expr: sp.Pow) -> str:
        text = str(super()._print_Pow(expr))
        if text.count("^") > 1 and has_double_script(text):  # a base raised twice
            return self._raise(expr.base, self._print(expr.exp))
        return text

    # -- matrix calculus notation: bold vectors, tilde for the bias-folded forms, ⊙, ᵀ -----

    def _print_MatrixSymbol(
        self, expr: sp.MatrixSymbol, style: str = "plain", transposed: bool = False
    ) -> str:
        """The derivations' matrix names (``W``, ``x_tilde``, ``delta^{(2)}``, ``W_{label}``)
        in the house notation; a label is escaped text, and any other name (a layer's name
        used as a symbol, ``linear-3`` or ``out``) is printed as text, so a name can never run
        as TeX nor read as a product or difference of letters."""
        parts = _MATRIX_NAME.match(str(expr.name))
        if parts is None:
            return rf"\text{{{escape(str(expr.name))}}}" + ("^{\\top}" if transposed else "")
        name, tilde = parts["core"], parts["tilde"] is not None
        sup = parts["sup"] or ""
        if transposed:  # one superscript: a^{(1)\top}, not a^{(1)}^{\top} (a TeX error)
            sup = f"{sup[:-1]}\\top}}" if sup else "^{\\top}"
        sub = rf"_{{\text{{{escape(parts['label'])}}}}}" if parts["label"] is not None else ""
        if name == "delta":
            core = r"\boldsymbol{\delta}"
        elif name == "yhat":
            core = r"\hat{\mathbf{y}}"
        elif len(name) > 1:
            core = rf"\text{{{escape(name)}}}"
        elif expr.shape[1] == 1 and name.islower():
            core = rf"\mathbf{{{name}}}"
        else:
            core = name
        if tilde:
            core = rf"\tilde{{{core}}}"
        return f"{core}{sub}{sup}"

    def _print_ElementwiseApplyFunction(self, expr: Any) -> str:
        body = expr.function.expr
        arg = self._print(expr.expr)
        if isinstance(body, Positive):  # amssymb's blackboard bold has no digits
            return rf"\mathbf{{1}}\left[{arg} > 0\right]"
        known = by_function(expr.function)
        if known is not None:
            return rf"{known.latex}\left({arg}\right)"
        return rf"\operatorname{{{body.func}}}\left({arg}\right)"

    def _print_WrittenMax(self, expr: Any) -> str:
        return rf"\max\left({', '.join(self._print(a) for a in expr.args)}\right)"

    def _print_Softmax(self, expr: Any) -> str:
        return rf"\operatorname{{softmax}}\left({self._print(expr.arg)}\right)"

    def _print_Positive(self, expr: Any) -> str:
        return rf"\mathbf{{1}}\left[{self._print(expr.args[0])} > 0\right]"

    def _print_Gradient(self, expr: Any) -> str:
        return rf"\frac{{\partial {expr.loss}}}{{\partial {self._print(expr.of)}}}"

    def _print_Partial(self, expr: Any) -> str:
        num, den = self._print(expr.args[0]), self._print(expr.args[1])
        return rf"\frac{{\partial {num}}}{{\partial {den}}}"

    def _print_Vec(self, expr: Any) -> str:
        return rf"\operatorname{{vec}}\left({self._print(expr.args[0])}\right)"

    def _print_DiagMatrix(self, expr: Any) -> str:
        return rf"\operatorname{{diag}}\left({self._print(expr.args[0])}\right)"

    def _factor(self, expr: Any) -> str:
        """A factor of a matrix product, in parentheses when it is a sum or a product of
        another kind. (SymPy's own precedence test negates matrix expressions, which sends
        them through its assumption system: slow, and never needed here.)"""
        text = self._print(expr)
        if isinstance(expr, (sp.MatAdd, sp.KroneckerProduct, sp.HadamardProduct, HadamardDivide)):
            return rf"\left({text}\right)"
        return str(text)

    def _print_MatMul(self, expr: Any) -> str:
        args = list(expr.args)
        sign = ""
        if args and args[0] == -1:
            sign, args = "-", args[1:]
        return sign + " ".join(self._factor(a) for a in args)

    def _print_HadamardProduct(self, expr: Any) -> str:
        return r" \odot ".join(self._factor(a) for a in expr.args)

    def _print_HadamardDivide(self, expr: Any) -> str:
        num, den = expr.args
        return rf"{self._factor(num)} \oslash {self._factor(den)}"

    def _print_HadamardPower(self, expr: Any) -> str:
        return r" \odot ".join([self._factor(expr.base)] * int(expr.exp))

    def _print_OneMatrix(self, expr: Any) -> str:
        return "1" if expr.shape == (1, 1) else r"\mathbf{1}"

    def _print_Identity(self, expr: Any) -> str:
        if expr.shape == (1, 1):  # a 1 × 1 identity is the number 1
            return "1"
        return rf"I_{{{self._print(expr.shape[0])}}}"

    def _print_Transpose(self, expr: Any) -> str:
        if isinstance(expr.arg, sp.MatrixSymbol):
            return self._print_MatrixSymbol(expr.arg, transposed=True)
        return self._raise(expr.arg, r"\top")

    def _print_MatAdd(self, expr: Any) -> str:
        terms = [self._print(a) for a in expr.args]
        terms.sort(key=lambda t: t.startswith("-"))
        out = terms[0]
        for t in terms[1:]:
            out += f" - {t[1:].strip()}" if t.startswith("-") else f" + {t}"
        return out

    def _head(self, head: str) -> str:
        return rf"\mathrm{{{head}}}" if len(head) > 1 else head


def _skip_group(text: str, i: int) -> int:
    """The index after the brace group that opens at ``i``."""
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return j + 1
    return len(text)


def _skip_argument(text: str, i: int) -> int:
    """The index after the script argument that starts at ``i`` (a group, a command, a
    character)."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "{":
        return _skip_group(text, i)
    if i < len(text) and text[i] == "\\":
        j = i + 1
        while j < len(text) and text[j].isalpha():
            j += 1
        return max(j, i + 2)
    return i + 1


def _atoms(text: str) -> list[tuple[str, set[str]]]:
    """The top-level atoms of ``text`` (a character, a command or a brace group) with the
    script marks attached to each; a repeated mark is recorded as ``"^^"`` or ``"__"``."""
    atoms: list[tuple[str, set[str]]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "^_" and atoms:
            marks = atoms[-1][1]
            marks.add(c * 2 if c in marks else c)
            i = _skip_argument(text, i + 1)
        elif c == " ":
            i += 1
        else:
            j = _skip_argument(text, i)
            atoms.append((text[i:j], set()))
            i = j
    return atoms


def has_double_script(text: str) -> bool:
    """Whether some atom of ``text``, at any depth, carries two superscripts or two
    subscripts (TeX's ``Double superscript`` error)."""
    for atom, marks in _atoms(text):
        if "^^" in marks or "__" in marks:
            return True
        if atom.startswith("{") and has_double_script(atom[1:-1]):
            return True
    return False


def _ends_raised(text: str) -> bool:
    """Whether the last atom of ``text`` already carries a superscript (``a^{(1)}``,
    ``w^{(1)}_{12}``)."""
    atoms = _atoms(text)
    return bool(atoms) and "^" in atoms[-1][1]


def fixed(value: sp.Float, places: int) -> str:
    """``value`` rounded half away from zero to ``places`` decimals, trailing zeros dropped
    (``0.5``, ``0.7311``, ``-1.25``); a value that rounds to zero is ``0``."""
    exact = Decimal(str(value.evalf(40)))
    text = str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@cache
def _printer(decimals: int | None, numeric: bool) -> KeyPrinter:
    settings: dict[str, Any] = {"decimals": decimals}
    if not numeric:
        settings["mul_symbol"] = None
    return KeyPrinter(settings)


_PRINTER = _printer(None, False)
_NUMERIC = _printer(None, True)


@cache
def tex(expr: Any, decimals: int | None = None) -> Tex:
    """A SymPy expression in the house notation (numbers grouped with ``\\num``, floats to
    ``decimals`` places if given); cached, since the key, the question sheet and the JSON
    print the same expressions."""
    expr = sp.sympify(expr)
    if expr.is_Integer:
        return number(int(expr))
    return Tex(_printer(decimals, False).doprint(expr))


def number(value: int) -> Tex:
    """An integer grouped by thousands from four digits on (siunitx: ``3,456``)."""
    return Tex(rf"\num{{{value}}}" if abs(value) >= 1000 else str(value))


def substitution(formula: Formula) -> Tex:
    """The formula with its values in place, ``\\cdot`` between factors."""
    return _numeric_tex(formula.substituted, formula.decimals)


@cache
def _numeric_tex(expr: Any, decimals: int | None = None) -> Tex:
    return Tex(_printer(decimals, True).doprint(expr))


def chain(formula: Formula) -> Tex:
    """``lhs = rhs = substituted = value``, skipping repeats."""
    return Tex(" = ".join(chain_parts(formula)))


def chain_parts(formula: Formula) -> list[Tex]:
    """The sides of :func:`chain`: lhs, rhs, substitution (if any), value (if new)."""
    places = formula.decimals
    parts = [tex(formula.lhs, places), tex(formula.rhs, places)]  # each general formula once
    sub = substitution(formula) if formula.values else None
    if sub and sub not in parts:
        parts.append(sub)
    if not formula.is_identity:
        value = tex(formula.value, places)
        if value not in parts:
            parts.append(value)
    return parts


@cache
def step_tex(step: Step) -> Tex:
    """A line of working; a matrix line also states its size (``\\in \\mathbb{R}^{m×n}``)."""
    f = step.formula
    size = r" \times ".join(str(d) for d in step.shape) if step.shape else None
    if f.lhs == f.rhs and size:
        return Tex(rf"{tex(f.lhs)} \in \mathbb{{R}}^{{{size}}}")
    text = chain(f)
    return Tex(rf"{text} \qquad \left[{size}\right]") if size else text


def shape_tex(shape: Shape) -> Tex:
    """``128 \\times 128 \\times 64`` (H × W × C) or ``41472`` for a vector."""
    return Tex(r" \times ".join(tex(d) for d in shape.hwc()))
