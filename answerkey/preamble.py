"""The LaTeX packages of every document answerkey writes, in one place.

Each fragment declares what it needs (the table fragment ``booktabs``, each figure type its
own in :data:`answerkey.figures.FIGURES`); a preamble is the union of its document's base
packages and the packages of the fragments it uses, in first-use order. The key and question
sheet, the Beamer deck, and the snippets' ``preamble.tex`` are all made by :func:`union`.
"""

from __future__ import annotations

from collections.abc import Iterable

from answerkey.figures import figure_kind
from derivations.answers import Answer

FONTS = (
    r"\usepackage[T1]{fontenc}",
    r"\usepackage[utf8]{inputenc}",
    r"\usepackage{lmodern}",
)
"""Text encoding and fonts: pdfLaTeX reading UTF-8 and setting Latin text (see latex.escape)."""

PAGE = (r"\usepackage[margin=2.3cm]{geometry}",)
"""The exam documents' page."""

MATH = (
    r"\usepackage{amsmath,amssymb}",
    r"\usepackage{siunitx}",
    r"\sisetup{group-separator={,}, group-minimum-digits=4}",
)
"""What printer output needs: aligned displays, \\mathbb, and \\num for grouped numbers."""

TABLE = (r"\usepackage{booktabs}",)
"""The tabular fragment's rules."""

FIT = (r"\usepackage{adjustbox}",)
"""The slides' wrapper that scales a table or a figure to the frame."""


def answer_packages(answer: Answer) -> tuple[str, ...]:
    """The packages the fragments of one answer need (its table, its figure)."""
    needs: tuple[str, ...] = TABLE if answer.table is not None else ()
    if answer.figure is not None:
        needs += figure_kind(answer.figure).packages
    return needs


def union(*groups: Iterable[str]) -> list[str]:
    """The lines of ``groups``, each once, in first-use order."""
    out: list[str] = []
    for group in groups:
        out.extend(line for line in group if line not in out)
    return out
