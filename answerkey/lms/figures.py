"""The key's diagrams as PNG files for online questions (pdftoppm from one TeX run).

Every diagram of every variant is one cropped page of a single ``standalone`` document, made
with the snippets' own fragments and preamble, so a bank of 20 variants costs one LaTeX run.
Every diagram is part of an answer (it shows sizes the student is asked for), so each goes
with its part's worked solution, never with the question text.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from answerkey.compile import compile_pdf
from answerkey.derive import Key
from answerkey.errors import ToolMissing
from answerkey.lms.content import Figure
from answerkey.snippets import Snippet, collect, document, preamble
from answerkey.tools import POPPLER_HINT

DPI = 110


def key_figures(keys: dict[str, Key]) -> dict[str, dict[str, list[Figure]]]:
    """Per variant, per part label: its figures as PNG."""
    chosen: list[tuple[str, str, bool, Snippet]] = []
    for variant, key in keys.items():
        for s in collect(key):
            if s.kind == "graph":
                label = s.title.split(":")[0]
                in_text = False  # a diagram shows answers: worked solution only
                chosen.append((variant, label, in_text, replace(s, name=f"{variant}-{s.name}")))
    out: dict[str, dict[str, list[Figure]]] = {v: {} for v in keys}
    if not chosen:
        return out
    if shutil.which("pdftoppm") is None:
        raise ToolMissing(POPPLER_HINT)
    snippets = [c[3] for c in chosen]
    with tempfile.TemporaryDirectory(prefix="answerkey-figures-") as tmp:
        work = Path(tmp)
        (work / "preamble.tex").write_text(preamble(snippets), encoding="utf-8")
        for s in snippets:
            (work / f"{s.name}.tex").write_text(s.body + "\n", encoding="utf-8")
        doc = document(snippets)
        (work / "figures.tex").write_text(doc, encoding="utf-8")
        pdf = compile_pdf(work / "figures.tex")
        for page, (variant, label, in_text, s) in enumerate(chosen, 1):
            stem = work / s.name
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    str(DPI),
                    "-singlefile",
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    str(pdf),
                    str(stem),
                ],
                check=True,
                capture_output=True,
            )
            png = stem.with_suffix(".png").read_bytes()
            out[variant].setdefault(label, []).append(Figure(f"{s.name}.png", png, in_text))
    return out
