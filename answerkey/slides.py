"""A Beamer deck of the worked key: one frame (or more) per part, the question first, then the
working revealed one item at a time (``\\pause``). Items are the same formulas, tables and
diagrams the key and the snippets use.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from answerkey.compile import INSTALL_HINT, compile_pdf, have_tex
from answerkey.derive import Key, KeyedPart, derive
from answerkey.errors import ToolMissing
from answerkey.latex import escape
from answerkey.load import load_spec
from answerkey.render import answer_view, environment, step_view

FRAME_WEIGHT = 7  # lines per frame: a formula weighs its lines, a table or a diagram 5
QUESTION_CHARS = 180  # a question costs one line of the first frame per this many characters
FIT = (
    r"\begin{{adjustbox}}{{max width=\linewidth, max height=0.62\textheight, center}}{}"
    r"\end{{adjustbox}}"
)


@dataclass(frozen=True)
class Item:
    tex: str
    weight: int


@dataclass(frozen=True)
class Frame:
    title: str
    question: str | None
    items: tuple[str, ...]


def _display(lines: list[str]) -> str:
    if len(lines) == 1:
        return f"\\[ {lines[0]} \\]"
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


def _items(part: KeyedPart) -> Iterator[Item]:
    env = environment()
    for answer in part.answers:
        view = answer_view(answer)
        if answer.table is not None:
            body = env.get_template("fragments/tabular.tex.j2").render(answer=view).strip()
            yield Item(FIT.format(body), 5)
        if answer.figure:
            body = env.get_template(f"fragments/{answer.figure}.tex.j2").render(answer=view)
            yield Item(FIT.format(body.strip()), 5)
        for step in answer.steps:
            sv = step_view(step)
            label = rf"\textbf{{{sv['label']}.}} " if sv["label"] else ""
            lines = sv["lines"]
            yield Item(f"{{\\small {label}}}\n{{\\small {_display(lines)}}}", len(lines) + 1)
        if view["result"]:
            unit = f" {view['unit']}" if view["unit"] else ""
            yield Item(rf"\textbf{{Answer:}} ${view['result']}${unit}.", 1)
        if answer.explanation:
            yield Item(rf"{{\footnotesize\textit{{Why:}} {view['explanation']}}}", 1)


def _frames(part: KeyedPart, title: str) -> Iterator[Frame]:
    chunk: list[str] = []
    first = True
    weight = -(-len(part.spec.text) // QUESTION_CHARS)
    for item in _items(part):
        if chunk and weight + item.weight > FRAME_WEIGHT:
            yield Frame(
                title if first else f"{title} (cont.)",
                escape(part.spec.text) if first else None,
                tuple(chunk),
            )
            chunk, weight, first = [], 0, False
        chunk.append(item.tex)
        weight += item.weight
    if chunk or first:
        yield Frame(
            title if first else f"{title} (cont.)",
            escape(part.spec.text) if first else None,
            tuple(chunk),
        )
    for sub in part.subparts:
        yield from _frames(sub, f"{sub.label} {title.split(' ', 1)[-1]}")


def frames(key: Key) -> list[Frame]:
    out: list[Frame] = []
    for problem in key.problems:
        name = escape(problem.loaded.spec.title)
        for part in problem.parts:
            out.extend(_frames(part, f"{part.label} {name}"))
    return out


def render_slides(key: Key) -> str:
    spec = key.loaded.spec
    conventions = key.problems[0].loaded.conventions.describe() if key.problems else []
    return (
        environment()
        .get_template("slides.tex.j2")
        .render(
            title=escape(spec.title),
            course=escape(spec.course or ""),
            date=escape(spec.date or ""),
            conventions=[escape(c) for c in conventions],
            frames=frames(key),
        )
    )


def write_slides(spec: Path, outdir: Path | None = None, pdf: bool = True) -> list[Path]:
    """Write ``slides.tex`` (and ``slides.pdf``) into ``build/<spec>/``, beside the key."""
    text = render_slides(derive(load_spec(spec)))
    target = outdir or Path("build") / spec.stem
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".slides-", dir=target) as tmp:
        work = Path(tmp) / "out"
        work.mkdir()
        (work / "slides.tex").write_text(text, encoding="utf-8")
        names = ["slides.tex"]
        if pdf:
            if not have_tex():
                raise ToolMissing(INSTALL_HINT)
            compile_pdf(work / "slides.tex")
            names.append("slides.pdf")
        written = []
        for name in names:
            dest = target / name
            (work / name).replace(dest)
            written.append(dest)
    return written
