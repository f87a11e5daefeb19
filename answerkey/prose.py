"""Instructor-written answers: text with inline math in ``$...$``, in a safe subset of LaTeX.

The text outside ``$`` is escaped like every other string of a spec (``\\$`` writes a dollar
sign). Each math span is read token by token and rebuilt from an allow-list, never passed on
as written: letters, digits, the operators ``+ - * / = < > ( ) [ ] | , . : ; ' ! ?``,
superscripts and subscripts (one of each per base), braces (balanced, at most 20 deep), the
commands of :data:`COMMANDS` (Greek letters, relations, operators, accents and fonts with
their arguments), and ``\\left``/``\\right`` pairs around the delimiters of
:data:`DELIMITERS`. Anything else — another command, ``%``, ``#``, ``&``, ``~``, ``\\\\``, a
character outside ASCII but the few of :data:`UNICODE` — is a located error that names it, so
that no answer can run TeX code or break the build.
"""

from __future__ import annotations

import re

from answerkey.latex import Tex, escape, has_double_script
from derivations.fields import fail


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GREEK = _words(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu "
    "xi pi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
    "Phi Psi Omega"
)
SYMBOLS = _words(
    "times cdot div pm mp le leq ge geq ne neq approx sim equiv propto in notin subset "
    "subseteq cup cap to rightarrow leftarrow Rightarrow iff mapsto infty partial nabla odot "
    "otimes oplus circ top dagger prime ldots cdots vdots dots quad qquad sum prod int log ln "
    "exp max min arg sin cos tanh sinh cosh det lfloor rfloor lceil rceil langle rangle mid "
    "forall exists emptyset"
)
ONE_ARGUMENT = _words("mathbf mathrm mathit mathcal mathbb boldsymbol hat tilde bar vec dot sqrt")
COMMANDS: dict[str, int] = {
    **{name: 0 for name in (*GREEK, *SYMBOLS)},
    **{name: 1 for name in ONE_ARGUMENT},
    "frac": 2,
    "tfrac": 2,
    "dfrac": 2,
    "binom": 2,
    "operatorname": 1,
}
"""Allowed commands and how many brace arguments each takes."""
DELIMITERS = {"(", ")", "[", "]", "|", ".", r"\{", r"\}", r"\|", r"\langle", r"\rangle",
              r"\lfloor", r"\rfloor", r"\lceil", r"\rceil"}  # fmt: skip
UNICODE = {"×": r"\times", "·": r"\cdot", "−": "-", "≤": r"\le", "≥": r"\ge", "≈": r"\approx",
           "≠": r"\ne", "→": r"\to", "∈": r"\in", "∂": r"\partial", "∇": r"\nabla",
           "⊙": r"\odot", "∑": r"\sum", "α": r"\alpha", "β": r"\beta", "η": r"\eta",
           "λ": r"\lambda", "σ": r"\sigma", "θ": r"\theta", "δ": r"\delta", "μ": r"\mu",
           "ε": r"\epsilon", "ŷ": r"\hat{y}", "ᵀ": r"^{\top}"}  # fmt: skip
PLAIN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-*/=<>()[]|,.:;'!? ")
ESCAPED = {r"\{", r"\}", r"\,", r"\;", r"\!", r"\|", r"\ ", r"\%", r"\_", r"\#", r"\&"}
MAX_MATH = 1000
MAX_DEPTH = 20
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|.", re.S)
_PARAGRAPHS = re.compile(r"\n[ \t]*\n\s*")

Span = tuple[str, str]
"""``("text", ...)`` or ``("math", ...)``."""


def split(text: str) -> tuple[Span, ...]:
    """``text`` as text and math spans (``$...$``; ``\\$`` is a dollar sign in the text).
    Each math span is checked and stored rebuilt (:func:`rebuild`); ValueError (as a
    validation error) for an odd number of ``$`` or a math span outside the subset."""
    spans: list[Span] = []
    buffer: list[str] = []
    i, math_open, start, count = 0, False, 0, 0
    while i < len(text):
        c = text[i]
        if c == "\\" and text[i + 1 : i + 2] == "$" and not math_open:
            buffer.append("$")
            i += 2
            continue
        if c == "$":
            if math_open:
                count += 1
                spans.append(("math", rebuild(text[start:i], count)))
            elif buffer:
                spans.append(("text", "".join(buffer)))
                buffer = []
            math_open, start = not math_open, i + 1
        elif not math_open:
            buffer.append(c)
        i += 1
    if math_open:
        raise fail("a '$' opens math that no '$' closes (write \\$ for a dollar sign)")
    if buffer:
        spans.append(("text", "".join(buffer)))
    return tuple(spans)


def rebuild(source: str, number: int = 1) -> str:
    """The math span ``source`` (without its ``$``), checked against the allow-list and
    written again token by token; ValueError naming the first token outside it."""
    where = f"in math span {number} (${source[:40]}{'…' if len(source) > 40 else ''}$)"
    if len(source) > MAX_MATH:
        raise fail(f"{where}: at most {MAX_MATH} characters of math per span")
    expanded = "".join(UNICODE.get(c, c) for c in source)
    tokens = _TOKEN.findall(expanded)
    out: list[str] = []
    groups: list[tuple[int, int]] = []  # per open brace: \left count inside, arguments after
    lefts, need = 0, 0  # \left not yet closed here; brace arguments the next tokens must be
    expect_delimiter = False
    for tok in tokens:
        if tok.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            continue
        if need and tok != "{":
            raise fail(f"{where}: a command's argument must be in braces, not {tok!r}")
        if expect_delimiter:
            if tok not in DELIMITERS:
                raise fail(f"{where}: \\left and \\right need a delimiter, not {tok!r}")
            expect_delimiter = False
        elif tok in (r"\left", r"\right"):
            lefts += 1 if tok == r"\left" else -1
            if lefts < 0:
                raise fail(f"{where}: a \\right without its \\left")
            expect_delimiter = True
        elif tok == "{":
            groups.append((lefts, max(need - 1, 0)))
            lefts, need = 0, 0
            if len(groups) > MAX_DEPTH:
                raise fail(f"{where}: braces nest deeper than {MAX_DEPTH}")
        elif tok == "}":
            if not groups or lefts != 0:
                raise fail(f"{where}: unbalanced braces or \\left … \\right")
            lefts, need = groups.pop()
        elif tok.startswith("\\") and tok not in ESCAPED and tok not in DELIMITERS:
            if tok[1:] not in COMMANDS:
                raise fail(f"{where}: {tok!r} is not in the allowed subset of math (see docs)")
            need = COMMANDS[tok[1:]]
        elif not (tok in ("^", "_") or tok in ESCAPED or tok in DELIMITERS or tok in PLAIN):
            raise fail(f"{where}: {tok!r} is not allowed in math (%, #, &, ~, \\\\ and most "
                       "non-ASCII characters are refused)")  # fmt: skip
        out.append(tok)
    if groups or lefts or expect_delimiter:
        raise fail(f"{where}: unbalanced braces or \\left … \\right")
    if need:
        raise fail(f"{where}: a command is missing its argument in braces")
    rebuilt = _join(out).strip()
    if re.search(r"(^|[{^_])\s*[\^_]|[\^_]\s*($|})", rebuilt):
        raise fail(f"{where}: a superscript or subscript without a base or an argument")
    if has_double_script(rebuilt):
        raise fail(f"{where}: a double superscript or subscript (write {{a^{{2}}}}^{{3}})")
    return rebuilt


def _join(tokens: list[str]) -> str:
    """Tokens as LaTeX: a space after a command that a letter follows (``\\cdot x``)."""
    out = ""
    for tok in tokens:
        if out and re.search(r"\\[A-Za-z]+$", out) and tok[:1].isalpha():
            out += " "
        out += tok
    return out


def to_tex(spans: tuple[Span, ...]) -> Tex:
    """The spans as LaTeX: text escaped (a blank line starts a paragraph), each math span
    rebuilt again from the allow-list and put in ``$...$``."""
    parts: list[str] = []
    for kind, body in spans:
        if kind == "math":
            parts.append(f"${rebuild(body)}$")
        else:
            parts.append(r"\par ".join(escape(p) for p in _PARAGRAPHS.split(body)))
    return Tex("".join(parts))


def source(spans: tuple[Span, ...]) -> str:
    """The spans written back as an answer text (math between ``$``, dollars as ``\\$``)."""
    return "".join(
        f"${body}$" if kind == "math" else body.replace("$", r"\$") for kind, body in spans
    )
