"""The LaTeX packages of every document answerkey writes, in one place.

Each fragment declares what it needs (the table fragment ``booktabs``, each figure type its
own in :data:`answerkey.figures.FIGURES`); a preamble is the union of its document's base
packages and the packages of the fragments it uses, in first-use order. The key and question
sheet, the Beamer deck, and the snippets' ``preamble.tex`` are all made by :func:`union`.
"""

from __future__ import annotations

from collections.abc import Iterable

from answerkey.figures import figure_kind
from answerkey.latex import Tex
from derivations.answers import Answer

FONTS = (
    Tex(r"\usepackage[T1]{fontenc}"),
    Tex(r"\usepackage[utf8]{inputenc}"),
    Tex(r"\usepackage{lmodern}"),
)
"""Text encoding and fonts: pdfLaTeX reading UTF-8 and setting Latin text (see latex.escape
and answerkey.characters for every other character)."""

UNICODE_FONTS = (Tex(r"\usepackage{fontspec}"),)
"""LuaLaTeX and XeLaTeX read UTF-8 natively; fontspec sets Latin Modern (OpenType)."""

TRAILER_ID = Tex(
    r"\ifdefined\pdftrailerid\pdftrailerid{}"
    r"\else\ifdefined\pdfvariable\pdfvariable trailerid{[<00> <00>]}\fi\fi"
)
"""No PDF /ID drawn from the file's path and time, so that two builds give the same bytes:
``\\pdftrailerid`` under pdfTeX, ``\\pdfvariable trailerid`` under LuaTeX (XeTeX's
driver takes SOURCE_DATE_EPOCH)."""

LOST_CHARS = Tex(r"\tracinglostchars=3")
"""A character the font lacks is an error, never silently dropped."""


def fonts(engine: str) -> tuple[Tex, ...]:
    """The font lines of a document set by ``engine`` (``portable``: any of them)."""
    if engine == "portable":
        return PORTABLE_FONTS
    return FONTS if engine == "pdflatex" else UNICODE_FONTS

PAGE = (
    Tex(r"\usepackage[margin=2.3cm]{geometry}"),
    Tex(r"\usepackage{graphicx}"),
    Tex(
        r"\newcommand\akhead[2]{\sbox0{#2}\ifdim\wd0>#1\textwidth"
        r"\resizebox{#1\textwidth}{!}{\usebox0}\else\usebox0\fi}"
    ),
)
"""The exam documents' page; ``\\akhead{share}{text}``: a header's part shrunk to its share
of the line when longer (a long title and course no longer print over each other)."""

TEXT = (Tex(r"\usepackage{amsmath,amssymb}"),)
"""What escaped text needs: the symbols latex.escape writes (\\mathbb, \\tfrac). The question
sheet, which prints no answer, needs no more than FONTS, PAGE and TEXT."""

NUMBERS = (
    Tex(r"\usepackage{siunitx}"),
    Tex(r"\sisetup{group-separator={,}, group-minimum-digits=4}"),
)
"""``\\num`` for grouped numbers (latex.number writes it for 10,000 and more)."""

MATH = (*TEXT, *NUMBERS)
"""What printer output needs: aligned displays, \\mathbb, and \\num for grouped numbers."""

GRADE_TABLE = (Tex(r"\usepackage{array}"),)
"""The grade table's ruled cells are drawn as with the exam class's own \\gradetable in a
preamble that loads array (siunitx does): two pixels wider than without it."""

TABLE = (Tex(r"\usepackage{booktabs}"),)
"""The tabular fragment's rules."""

FIT = (Tex(r"\usepackage{adjustbox}"),)
"""The slides' wrapper that scales a table or a figure to the frame."""

FIT_BOX = (
    Tex(r"\usepackage{graphicx}"),
    Tex(r"\newsavebox\akbox"),
    Tex(
        r"\newcommand\akfit[1]{\sbox\akbox{#1}\ifdim\wd\akbox>\linewidth"
        r"\resizebox{\linewidth}{!}{\usebox\akbox}\else\usebox\akbox\fi}"
    ),
)
"""``\\akfit{...}``: what is wider than the line (a table, a figure) shrunk to the line's
width, measured in TeX; anything narrower is left alone."""

CENTER = (
    Tex(r"\newenvironment{akcenter}{\par\nobreak\smallskip\centering}{\par\smallskip}"),
)
"""``akcenter``: a centred table or figure that a page never ends just before (so a
"Solution." title, a label or a question stays with it)."""

CHAINS = (
    Tex(
        r"\newcommand\akchain[2]{\sbox\akbox{$\displaystyle #1$}\ifdim\wd\akbox>\linewidth"
        r"\[\akfit{$\displaystyle\begin{aligned}#2\end{aligned}$}\]\else\[\usebox\akbox\]\fi}"
    ),
    Tex(
        r"\newcommand\akrows[2]{\sbox\akbox{$\displaystyle\begin{alignedat}{3}#1\end{alignedat}$}"
        r"\ifdim\wd\akbox>\linewidth"
        r"\[\akfit{$\displaystyle\begin{alignedat}{3}#2\end{alignedat}$}\]"
        r"\else\[\usebox\akbox\]\fi}"
    ),
)
"""``\\akchain{one line}{rows}`` sets a chain of working on one line when it fits the line,
and otherwise as rows broken before its relation signs; ``\\akrows{rows}{split rows}`` does
the same for a block of labelled rows. Decided by measuring in TeX, not by counting
characters; what is still too wide is shrunk (``\\akfit``)."""

LAYOUT = (*FIT_BOX, *CENTER, *CHAINS)
"""The layout macros of the key, the slides and the snippets."""

SHEET = (Tex(r"\csname @beginparpenalty\endcsname=10000"), *CENTER)
"""The question sheet's: a question and its answer space on the same page (no page break
where a list of parts begins, nor in a question's text, nor before its space: TeX's page
builder moves them together)."""

BLANK_TABLE = (Tex(r"\usepackage{tabularx}"),)
"""An empty table to fill in spans the line, its blank columns sharing the width."""


def answer_packages(answer: Answer) -> tuple[Tex, ...]:
    """The packages the fragments of one answer need (its table, its figure)."""
    needs: tuple[Tex, ...] = TABLE if answer.table is not None else ()
    if answer.figure is not None:
        needs += figure_kind(answer.figure).packages
    return needs


def union(*groups: Iterable[Tex]) -> list[Tex]:
    """The lines of ``groups``, each once, in first-use order."""
    out: list[Tex] = []
    for group in groups:
        out.extend(line for line in group if line not in out)
    return out


PORTABLE_FONTS = (
    Tex(r"\usepackage{iftex}"),
    Tex(r"\ifPDFTeX"),
    *FONTS,
    Tex(r"\else"),
    *UNICODE_FONTS,
    Tex(r"\fi"),
)
"""Fonts for a source that compiles under pdfLaTeX and under LuaLaTeX or XeLaTeX alike (the
Overleaf zip): T1 and inputenc under pdfTeX, fontspec otherwise."""
