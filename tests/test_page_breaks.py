"""Where pages break: a problem's statement is never the last thing on a page, cut off from
its first part. A first problem's written answer grows a sentence at a time, so that the second
problem's statement reaches the foot of the page at some length (it was cut off at 29 sentences
before the template kept it with its first part); every length is typeset and read back."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from answerkey.compile import compile_pdf
from answerkey.derive import derive
from answerkey.load import load_spec
from answerkey.render import render

SENTENCE = "The shortcut passes the gradient on unchanged, so it does not shrink layer by layer. "


def _spec(sentences: int) -> str:
    return f"""\
title: Pages
problems:
  - id: one
    title: One
    text: A first problem.
    parts:
      - {{id: a, points: 1, text: Discuss., answer: "{SENTENCE * sentences}"}}
  - id: two
    title: Two
    text: Answer in a few sentences.
    parts:
      - {{id: a, points: 1, text: Why?, answer: Because.}}
"""


def _cut_off(pdf: Path) -> list[int]:
    """Pages on which a problem's statement ("2. Answer …") has no part after it."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    bad = []
    for number, page in enumerate(text.split("\f"), 1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        starts = [i for i, line in enumerate(lines) if re.match(r"\d+\. [A-Z]", line)]
        if not all(any(line.startswith("(a)") for line in lines[i:]) for i in starts):
            bad.append(number)
    return bad


@pytest.mark.usefixtures("tex_available")
def test_a_problem_statement_stays_with_its_first_part(tmp_path: Path) -> None:
    for sentences in range(22, 34):
        path = tmp_path / f"s{sentences}.yaml"
        path.write_text(_spec(sentences), encoding="utf-8")
        rendered = render(derive(load_spec(path)))
        for name, source in (("key", rendered.key), ("questions", rendered.questions)):
            tex = tmp_path / f"{name}{sentences}" / f"{name}.tex"
            tex.parent.mkdir()
            tex.write_text(source, encoding="utf-8")
            pdf = compile_pdf(tex, reads_aux=False)
            assert not _cut_off(pdf), (name, sentences, _cut_off(pdf))
