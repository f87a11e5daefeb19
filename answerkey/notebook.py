"""The answers of a spec as objects for Jupyter: ``_repr_latex_`` shows formula and working.

    >>> from answerkey.notebook import answers
    >>> key = answers("specs/homework3.yaml")
    >>> key["1(e)"]            # in a notebook: the working, typeset by MathJax
    >>> key["1(e)"].value      # 993750

MathJax knows no ``siunitx``, so numbers are grouped with ``{,}`` here instead of ``\\num``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import sympy as sp

from answerkey.derive import derive
from answerkey.load import load_spec
from answerkey.mathjax import text
from answerkey.render import step_view
from derivations.answers import Answer
from derivations.shapes import Shape

_NUM = re.compile(r"\\num\{(-?\d+)\}")
_ENSURE = re.compile(r"\\ensuremath\{(\\[a-zA-Z]+)\}")


def mathjax(tex: str) -> str:
    """Our LaTeX with ``\\num{1234567}`` written ``1{,}234{,}567`` (MathJax has no siunitx)."""
    tex = _ENSURE.sub(r"$\1$", tex)  # inside \text{}, MathJax reads $...$ but not \ensuremath
    return _NUM.sub(lambda m: f"{int(m.group(1)):,}".replace(",", "{,}"), tex)


@dataclass(frozen=True)
class PartAnswer:
    """One part's answers; shows its working when it is the last value of a notebook cell."""

    label: str
    question: str
    answers: tuple[Answer, ...]

    @property
    def value(self) -> sp.Expr | Shape | None:
        """The headline value of the part's first answer."""
        return self.answers[0].value if self.answers else None

    def _repr_latex_(self) -> str:
        rows = []
        for answer in self.answers:
            for step in answer.steps:
                lines = step_view(step)["lines"]
                label = text(f"{step.label}:") if step.label else ""
                for i, line in enumerate(lines):
                    tex = mathjax(line if "&" in line else line.replace(" = ", " &= ", 1))
                    rows.append((rf"{label}\quad " if i == 0 and label else "") + tex)
        if not rows:
            return rf"${text(self.label)}\text{{: no formula}}$"
        body = r" \\ ".join(rows)
        return f"$$\\begin{{aligned}} {body} \\end{{aligned}}$$"

    def __repr__(self) -> str:
        return f"PartAnswer({self.label!r}, value={self.value!s})"


class Answers(Mapping[str, PartAnswer]):
    """Every part of a spec by label (``"1(b)"``, ``"4(b).3"``), in document order."""

    def __init__(self, parts: list[PartAnswer]) -> None:
        self._parts = {p.label: p for p in parts}

    def __getitem__(self, label: str) -> PartAnswer:
        return self._parts[label]

    def __iter__(self) -> Iterator[str]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)


def answers(spec: str | Path) -> Answers:
    """Load, validate and derive ``spec``; the parts as notebook-friendly objects."""
    key = derive(load_spec(Path(spec)))
    return Answers([PartAnswer(p.label, p.spec.text, p.answers) for p in key.parts()])
