"""Instructor-written answers: the safe math subset, the key, the JSON, and the warning for a
part with neither ``ask`` nor ``answer``."""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path

import pytest
from pydantic_core import PydanticCustomError

from answerkey.derive import derive
from answerkey.errors import SpecError, SpecWarning
from answerkey.jsonout import dumps
from answerkey.load import load_spec
from answerkey.prose import rebuild, source, split, to_tex
from answerkey.render import render

SPEC = """\
title: Written
problems:
  - id: p
    title: P
    parts:
      - id: a
        points: 3
        text: Discuss.
        answer: "Both see $r = 5$ positions; $2 \\\\cdot 9 < 25$. It costs \\\\$0."
        rubric:
          - {points: 2, text: Same receptive field}
          - {points: 1, text: Fewer weights}
      - id: b
        text: Only a note.
        note: Kept in the key.
"""


@pytest.mark.parametrize(
    ("math", "tex"),
    [
        (r"3 \times 3", r"3 \times 3"),
        (r"\frac{\partial L}{\partial W}", r"\frac{\partial L}{\partial W}"),
        (r"\mathbb{R}^{m\times n}", r"\mathbb{R}^{m\times n}"),
        ("σ(z)ᵀ ≤ 1", r"\sigma(z)^{\top} \le 1"),
        (r"\left( a \right\}", r"\left( a \right\}"),
        (r"\alpha x", r"\alpha x"),
    ],
)
def test_allowed_math_is_rebuilt(math: str, tex: str) -> None:
    assert rebuild(math) == tex


@pytest.mark.parametrize(
    ("math", "reason"),
    [
        (r"\input{/etc/passwd}", "not in the allowed subset"),
        (r"\def\x{1}", "not in the allowed subset"),
        (r"\write18{rm -rf}", "not in the allowed subset"),
        (r"\catcode`\^=11", "not in the allowed subset"),
        ("a % comment", "not allowed"),
        ("a & b", "not allowed"),
        ("a \\\\ b", "not in the allowed subset"),
        ("a ~ b", "not allowed"),
        ("{{{", "unbalanced"),
        ("a}", "unbalanced"),
        (r"\left( a", "unbalanced"),
        (r"\right)", "without its"),
        (r"\frac a b", "must be in braces"),
        (r"\frac{a}", "missing its argument"),
        ("a^2^3", "double superscript"),
        ("x_", "without a base or an argument"),
        ("✓", "not allowed"),
        ("{" * 21 + "}" * 21, "deeper than"),
        ("x" * 1001, "at most 1000"),
    ],
)
def test_anything_else_is_refused(math: str, reason: str) -> None:
    with pytest.raises(PydanticCustomError, match=reason):
        rebuild(math)


def test_text_is_escaped_and_dollars_kept() -> None:
    spans = split(r"Cost \$5 for $x_1$ and {\bf this}.")
    assert [k for k, _ in spans] == ["text", "math", "text"]
    tex = to_tex(spans)
    assert r"\$5" in tex and "$x_1$" in tex and r"\textbackslash{}bf" in tex
    assert source(spans) == r"Cost \$5 for $x_1$ and {\bf this}."
    with pytest.raises(PydanticCustomError, match="no '\\$' closes"):
        split("an odd $ sign")


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_spec(path)
    return loaded, caught


def test_answer_and_rubric_reach_key_and_json_and_the_note_stays(tmp_path: Path) -> None:
    loaded, caught = _load(tmp_path, SPEC)
    (warning,) = [w for w in caught if issubclass(w.category, SpecWarning)]
    assert str(warning.message).startswith(f"{tmp_path / 'w.yaml'}:13:9 problems[0].parts[1]:")
    assert "neither ask nor answer" in str(warning.message)
    key = derive(loaded)  # type: ignore[arg-type]
    rendered = render(key)
    assert r"Both see $r = 5$ positions; $2 \cdot 9 < 25$. It costs \$0." in rendered.key
    assert r"\item[\mbox{[2]}] Same receptive field" in rendered.key
    assert "Kept in the key." in rendered.key
    assert "Both see" not in rendered.questions and "Kept in the key" not in rendered.questions
    assert rendered.questions.count(r"\makeemptybox") == 2  # the note-only part has a box
    data = json.loads(dumps(key))
    (answer,) = data["problems"][0]["parts"][0]["answers"]
    assert answer["text"] == r"Both see $r = 5$ positions; $2 \cdot 9 < 25$. It costs \$0."


def test_unsafe_math_is_a_located_error(tmp_path: Path) -> None:
    bad = SPEC.replace(r"$r = 5$", r"$\\input{x}$")
    with pytest.raises(SpecError) as err:
        _load(tmp_path, bad)
    assert "w.yaml:9:17" in str(err.value) and "problems[0].parts[0].answer" in str(err.value)
    assert "'\\\\input' is not in the allowed subset" in str(err.value)


@pytest.mark.usefixtures("tex_available")
def test_written_answers_compile(tmp_path: Path) -> None:
    from answerkey.build import build

    (tmp_path / "w.yaml").write_text(SPEC, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecWarning)
        out = build(tmp_path / "w.yaml", tmp_path / "out")
    assert "key.pdf" in out.files
    text = subprocess.run(
        ["pdftotext", str(out.directory / "key.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "Both see r = 5 positions" in text and "Kept in the key." in text
