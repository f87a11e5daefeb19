"""Any Unicode text: the characters a document uses, mapped for the engine that sets it.

Text from a spec reaches the ``.tex`` as UTF-8 (:func:`answerkey.latex.escape` escapes only
what LaTeX would read as markup). This module writes, for the characters a document actually
uses, what each engine needs to print them:

- **pdfLaTeX** (T1 fonts) sets Latin-1 and most of Latin Extended-A itself (inputenc); every
  other character gets a ``\\newunicodechar`` mapping generated here: Greek and mathematical
  operators as math (PyLaTeX's neighbour pylatexenc holds the table), sub- and superscripts
  from their Unicode decomposition, accented letters as accent commands, ligatures and
  compatibility forms as the letters they stand for, and a few letters T1 lacks built from
  what it has. ``\\akchar`` defines a mapping only where inputenc has none.
- **LuaLaTeX and XeLaTeX** (fontspec, Latin Modern OpenType) set every character the font
  has; the same mappings serve the rest, and CJK ideographs and emoji are set in a fallback
  font found on the machine (fontconfig).

A character nothing can set is an error before TeX runs, naming the spec field it is in
(:func:`check_spec`), never a code point printed with exit 0.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from functools import cache
from typing import Any, Literal

from pylatexenc.latexencode import UnicodeToLatexEncoder

from answerkey.errors import SpecError
from answerkey.latex import ACCENTS, Tex, escape

Engine = Literal["pdflatex", "lualatex", "xelatex", "portable"]
"""``portable``: a source that compiles under any of the three (the Overleaf zip): it may use
only what pdfLaTeX can set."""
ENGINES: tuple[Engine, ...] = ("pdflatex", "lualatex", "xelatex")

HOUSE = {
    "Ħ": r"\mbox{\ooalign{H\cr\hidewidth\rule[1.15ex]{.72em}{.06ex}\hidewidth\cr}}",
    "ħ": r"\mbox{\ooalign{h\cr\kern-.05em\rule[1.3ex]{.38em}{.06ex}\hidewidth\cr}}",
    "Ŧ": r"\mbox{\ooalign{T\cr\hidewidth\rule[.75ex]{.42em}{.06ex}\hidewidth\cr}}",
    "ŧ": r"\mbox{\ooalign{t\cr\kern-.03em\rule[.75ex]{.3em}{.06ex}\hidewidth\cr}}",
    "ſ": r"{\fontencoding{TS1}\selectfont s}",  # Latin Modern's TS1 has the long s there
    "ĸ": r"{\footnotesize K}",  # kra: a small capital K (sans fonts have no small caps)
    "ŀ": r"l\textperiodcentered{}",
    "Ŀ": r"L\textperiodcentered{}",
    "⁄": r"\textfractionsolidus{}",
    "ϒ": r"\ensuremath{\Upsilon}",
}
"""Letters pdfLaTeX's T1 fonts lack (or that pylatexenc maps to a look-alike), built from
what the fonts have (``\\ooalign`` in a box: it changes \\lineskiplimit for its group);
checked by compiling every mapping (tests/test_characters.py)."""

REJECT = (
    r"\mathscr", r"\texthvlig", r"\textnrleg", r"\textschwa", r"\acute", r"\arrowwave",
    r"\dblarrowupdown", r"\DownArrowUpArrow", r"\rightangle", r"\surfintegral",
    r"\volintegral", r"\clwintegral", r"\homothetic", r"\lazysinv", r"\approxnotequal",
    r"\tildetrpl", r"\allequal", r"\estimates", r"\starequal", r"\notlessgreater",
    r"\notgreaterless", r"\truestate", r"\forcesextra", r"\VDash", r"\original",
    r"\image", r"\hermitconjmatrix", r"\verymuchless", r"\verymuchgreater",
    r"\precedesnotsimilar", r"\udots", r"\textfrac", r"\nument", r"\quarternote",
    r"\eighthnote", r"\flat", r"\natural", r"\sharp",
)  # fmt: skip
"""Macros of pylatexenc's table that no package of these documents defines (mathrsfs,
tipa, wasysym, MnSymbol, ...): a character mapped to one is not mapped here. Found by
compiling every mapping (tests/test_characters.py), which keeps this list honest."""

_ACCENTS = {**ACCENTS, "\u0303": "~"}
"""Combining marks as text accent commands (the escape's table, and the text tilde)."""

_SCRIPT = {"<sub>": r"\textsubscript", "<super>": r"\textsuperscript"}

FALLBACK_SCRIPTS = {"cjk": "CJK ideographs, kana and hangul", "emoji": "emoji and symbols"}
INSTALL = {"cjk": "fonts-wqy-microhei", "emoji": "fonts-symbola"}
"""The Debian package that brings a fallback font of each kind."""
PREFERRED = {
    "cjk": ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Droid Sans Fallback"),
    "emoji": ("Symbola", "Noto Emoji", "Noto Color Emoji"),
}
"""Fallback fonts known to set their scripts under LuaTeX and XeTeX, in order of choice; any
other installed font that has the character comes after them (by name)."""


@cache
def _encoder() -> UnicodeToLatexEncoder:
    logging.getLogger("pylatexenc.latexencode").setLevel(logging.ERROR)  # its misses are ours
    return UnicodeToLatexEncoder(
        non_ascii_only=True, replacement_latex_protection="braces-all", unknown_char_policy="keep"
    )


@cache
def text_macro(char: str) -> str | None:
    """What pdfLaTeX sets for ``char`` in text (and in ``\\text{}``), or None if nothing.

    In order: the house table; a sub- or superscript from its decomposition; pylatexenc's
    table (without its ``\\textfrac``, which no loaded package defines); a letter with
    combining accents as accent commands; a compatibility form (``ǅ``, ``ﬁ``, ``ŀ``) as
    what it stands for."""
    if char in HOUSE:
        return HOUSE[char]
    tag, _, codes = unicodedata.decomposition(char).partition(" ")
    if tag in _SCRIPT and codes and " " not in codes:
        inner = chr(int(codes, 16))
        inner_tex = str(escape(inner)) if inner.isascii() else text_macro(inner)
        if inner_tex is not None and any(m in inner_tex for m in REJECT):
            return None
        return None if inner_tex is None else f"{_SCRIPT[tag]}{{{inner_tex}}}"
    mapped = str(_encoder().unicode_to_latex(char))
    lowercase_bb = r"\mathbb{" in mapped and any(c.islower() for c in mapped.split("mathbb")[1])
    rejected = lowercase_bb or any(m in mapped for m in REJECT)
    if mapped != char and mapped.isascii() and not rejected:
        return mapped
    return _decomposed(char)


def _decomposed(char: str) -> str | None:
    nfd = unicodedata.normalize("NFD", char)
    if nfd != char and all(m in _ACCENTS for m in nfd[1:]):
        base = nfd[0] if nfd[0].isascii() else text_macro(nfd[0])
        if base is None or nfd[0] in HOUSE or "ensuremath" in base:
            return None  # text accents go on text letters, not on pieces or math
        for mark in nfd[1:]:
            base = rf"\{_ACCENTS[mark]}{{{base}}}"
        return base
    nfkd = unicodedata.normalize("NFC", unicodedata.normalize("NFKD", char))
    if nfkd != char:
        parts = [str(escape(c)) if c.isascii() else text_macro(c) for c in nfkd]
        return None if None in parts else "".join(p for p in parts if p)
    return None


def fallback_kind(char: str) -> str | None:
    """``cjk`` or ``emoji`` for a character only a fallback font sets, else None."""
    code = ord(char)
    name = unicodedata.name(char, "")
    if any(w in name for w in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC")):
        return "cjk"
    if 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or code in (0xFE0F, 0x200D):
        return "emoji"
    return None


@cache
def fallback_font(kind: str, char: str) -> str | None:
    """The family name of an installed font (fontconfig) that has ``char``, for a fallback
    of ``kind``; None when there is none (or no fontconfig)."""
    if shutil.which("fc-list") is None:
        return None
    query = f":charset={ord(char):x}"
    if kind == "cjk":
        query += ":lang=zh"
    proc = subprocess.run(
        ["fc-list", query, "family"], capture_output=True, text=True, check=False, timeout=30
    )
    families = sorted({line.split(",")[0].strip() for line in proc.stdout.splitlines() if line})
    known = [f for f in PREFERRED.get(kind, ()) if f in families]
    chosen = known or sorted(families)
    return chosen[0] if chosen else None


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def problem(char: str, engine: Engine) -> str | None:
    """Why ``char`` cannot be typeset under ``engine`` (None if it can). Control characters
    are shown as their code point by design (:func:`answerkey.latex.escape`)."""
    if char.isascii() or _is_control(char) or unicodedata.category(char) == "Mn":
        return None
    if unicodedata.category(char) in ("Co", "Cn", "Cs"):
        return "it is a private-use or unassigned code point, which no font sets"
    kind = fallback_kind(char)
    if kind is None:
        if engine in ("lualatex", "xelatex") or text_macro(char) is not None:
            return None
        return "pdfLaTeX's fonts have no such letter; build with --engine lualatex"
    if engine not in ("lualatex", "xelatex"):
        return (
            f"{FALLBACK_SCRIPTS[kind]} need --engine lualatex or xelatex and a font with "
            f"them (apt-get install {INSTALL[kind]})"
        )
    if fallback_font(kind, char) is None:
        return f"no installed font has it (apt-get install {INSTALL[kind]})"
    return None


def _strings(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*loc, key), str(key)
            yield from _strings(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*loc, i))


def check_spec(located: Any, engine: Engine) -> None:
    """Raise a located :class:`SpecError` at the first spec field holding a character that
    ``engine`` cannot typeset (``located`` is the spec's :class:`~answerkey.yamlpos.Located`)."""
    for loc, text in _strings(located.data, ()):
        for char in dict.fromkeys(text):
            why = problem(char, engine)
            if why:
                where = located.where(loc)
                field = _dotted(loc)
                shown = f"U+{ord(char):04X} {unicodedata.name(char, '')}".strip()
                raise SpecError(where, field or None, f"cannot typeset {char!r} ({shown}): {why}")


def _dotted(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


AKCHAR = {
    "pdflatex": r"\newcommand\akchar[2]{\ifcsname u8:\detokenize{#1}\endcsname"
    r"\else\newunicodechar{#1}{#2}\fi}",
    "unicode": r"\newcommand\akchar[2]{\begingroup\normalfont\iffontchar\font`#1 "
    r"\endgroup\else\endgroup\newunicodechar{#1}{#2}\fi}",
}
"""``\\akchar{c}{tex}``: map ``c`` only where the engine has nothing for it (inputenc's own
definition under pdfLaTeX; a glyph of the main font under LuaLaTeX and XeLaTeX)."""


def preamble(text: str, engine: Engine) -> list[Tex]:
    """The lines that map every non-ASCII character of ``text`` (a rendered document) that
    needs mapping under ``engine``; empty when there is none. Characters nothing can set
    were refused by :func:`check_spec` before rendering and are left out here."""
    chars = sorted({c for c in text if not c.isascii() and not _is_control(c)})
    lines: list[Tex] = []
    fonts: dict[str, str] = {}
    for char in chars:
        kind = fallback_kind(char)
        if kind is not None and engine in ("lualatex", "xelatex"):
            family = fallback_font(kind, char)
            if family is None:
                continue
            command = f"\\ak{kind}font"
            if kind not in fonts:
                fonts[kind] = family
                lines.append(Tex(rf"\newfontfamily{command}{{{family}}}"))
            lines.append(Tex(rf"\newunicodechar{{{char}}}{{{{{command}\char{ord(char)}}}}}"))
            continue
        macro = text_macro(char)
        if macro is not None:
            lines.append(Tex(rf"\akchar{{{char}}}{{{macro}}}"))
    if not lines:
        return []
    head = [Tex(r"\usepackage{newunicodechar}")]
    head.append(Tex(AKCHAR["unicode" if engine in ("lualatex", "xelatex") else "pdflatex"]))
    return head + lines
