"""Homework 4: every headline answer against arithmetic done here, the numeric pass against
PyTorch, and a key that typesets without one overfull box.

The expected numbers are written as the products an instructor would multiply out, not copied
from the tool's output.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from answerkey.derive import Key, derive
from answerkey.load import load_spec
from answerkey.render import render

SPEC = Path(__file__).resolve().parent.parent / "specs" / "homework4.yaml"


@pytest.fixture(scope="module")
def key() -> Key:
    return derive(load_spec(SPEC))


def answers(key: Key) -> dict[str, list[object]]:
    return {part.label: list(part.answers) for part in key.parts()}


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("1(a)", 2 * (3 * 3 * 64 * 64) + 2 * (64 + 64)),  # two convs, two batch norms (γ, β)
        ("1(b)", 32 * 56 * 56),  # values per channel of bn1's statistics
        ("1(c)", 1 + 2 + 2),  # two 3 × 3 convolutions; the shortcut sees 1
        ("1(d)", 2 * 32 * 6 * (56 * 56 * 64) * 4),  # input + 5 outputs, fp32, ×2 for training
        ("1(e)", 2 * 2 * (56 * 56 * 64 * 3 * 3 * 64)),  # 2 FLOPs per MAC, two convolutions
        ("2(a)", 7),
        ("2(b)", 7),
        ("3(a)", 4 * 128 * (300 + 128) + 2 * 4 * 128),  # PyTorch: b_ih and b_hh
        ("3(b)", 4 * (4 * 128 * (300 + 128) + 2 * 4 * 128) * 4),  # Adam: ×4 copies, fp32
        ("5(a)", 4 * 512 * 512 + 4 * 512),
    ],
)
def test_headline_values(key: Key, label: str, expected: int) -> None:
    assert answers(key)[label][0].value == expected  # type: ignore[attr-defined]


def test_the_comparison_and_the_written_answer(key: Key) -> None:
    compare = answers(key)["2(c)"][0]
    assert compare.table.rows[0][1] == 3 * (3 * 3 * 64 * 64)  # type: ignore[attr-defined]
    assert compare.table.rows[1][1] == 7 * 7 * 64 * 64  # type: ignore[attr-defined]
    rendered = render(key)
    assert r"$y = \max(0, F(x) + x)$" in rendered.key
    assert r"\item[\mbox{[3]}] The shortcut carries the gradient back unchanged" in rendered.key
    assert r"y = \max(0" not in rendered.questions


@pytest.mark.usefixtures("torch_available", "float64")
def test_the_numeric_pass_agrees_with_autograd(key: Key) -> None:
    import torch

    x, y = torch.tensor([0.5, -0.2]), torch.tensor([1.0])
    hidden, out = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    with torch.no_grad():
        hidden.weight.copy_(torch.tensor([[0.1, 0.4], [-0.3, 0.2]]))
        hidden.bias.copy_(torch.tensor([0.1, -0.1]))
        out.weight.copy_(torch.tensor([[0.6, -0.5]]))
        out.bias.copy_(torch.tensor([0.2]))
    loss = torch.nn.functional.binary_cross_entropy(torch.sigmoid(out(torch.sigmoid(hidden(x)))), y)
    loss.backward()
    torch.optim.SGD([*hidden.parameters(), *out.parameters()], lr=0.5).step()
    also = {a.name: float(a.value) for a in answers(key)["4(a)"][0].also}  # type: ignore[attr-defined]
    assert abs(also["loss"] - loss.item()) < 1e-12
    for (name, i, j), want in {
        ("W1", 1, 2): hidden.weight[0, 1],
        ("W1", 2, 1): hidden.weight[1, 0],
        ("W2", 1, 2): out.weight[0, 1],
    }.items():
        assert abs(also[f"{name}_{i}{j}"] - want.item()) < 1e-12
    assert abs(also["b1_2"] - hidden.bias[1].item()) < 1e-12
    assert abs(also["b2_1"] - out.bias[0].item()) < 1e-12


@pytest.mark.usefixtures("tex_available")
def test_the_key_typesets_without_overfull_boxes(key: Key, tmp_path: Path) -> None:
    rendered = render(key)
    for name, source in (("key", rendered.key), ("questions", rendered.questions)):
        (tmp_path / f"{name}.tex").write_text(source, encoding="utf-8")
        for _ in range(2):
            subprocess.run(
                [
                    "pdflatex",
                    "-interaction=nonstopmode",
                    "-halt-on-error",
                    "-no-shell-escape",
                    f"{name}.tex",
                ],
                cwd=tmp_path,
                capture_output=True,
                timeout=300,
                check=True,
            )
        log = (tmp_path / f"{name}.log").read_text(encoding="latin-1")
        assert "Overfull" not in log, [line for line in log.splitlines() if "Overfull" in line]
        pages = subprocess.run(
            ["pdftotext", f"{name}.pdf", "-"], cwd=tmp_path, capture_output=True, text=True
        ).stdout.split("\f")
        for number, page in enumerate(pages, 1):  # a problem's statement never ends a page
            lines = [line.strip() for line in page.splitlines() if line.strip()]
            starts = [i for i, line in enumerate(lines) if re.match(r"\d+\. [A-Z]", line)]
            assert all(any(ln.startswith("(a)") for ln in lines[i:]) for i in starts), (
                name,
                number,
            )
