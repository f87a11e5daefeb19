"""A Beamer deck of the worked key: one frame (or more) per part, the question first, then the
working revealed one item at a time (``\\pause``). Items are the same formulas, tables and
diagrams the key and the snippets use.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from answerkey.build import default_outdir
from answerkey.compile import compile_all
from answerkey.derive import Key, KeyedPart, derive
from answerkey.latex import Tex, escape
from answerkey.load import load_spec
from answerkey.outputs import OutputFolder
from answerkey.preamble import FIT as FIT_PACKAGES
from answerkey.preamble import FONTS, MATH, answer_packages, union
from answerkey.render import answer_view, environment, step_view
from answerkey.tools import require_tex

FRAME_WEIGHT = 7  # lines per frame: a formula weighs its lines, a table or a diagram 5
QUESTION_CHARS = 180  # a question costs one line of the first frame per this many characters
FIT = (
    r"\begin{{adjustbox}}{{max width=\linewidth, max height=0.62\textheight, center}}{}"
    r"\end{{adjustbox}}"
)


@dataclass(frozen=True)
class Item:
    tex: Tex
    weight: int


@dataclass(frozen=True)
class Frame:
    title: Tex
    question: Tex | None
    items: tuple[Tex, ...]


def _display(lines: list[Tex]) -> str:
    if len(lines) == 1:
        return f"\\[ {lines[0]} \\]"
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


def _fit(body: str) -> Tex:
    return Tex(FIT.format(body.strip()))


def _items(part: KeyedPart) -> Iterator[Item]:
    env = environment()
    for answer in part.answers:
        view = answer_view(answer)
        if answer.table is not None:
            yield Item(_fit(env.get_template("fragments/tabular.tex.j2").render(answer=view)), 5)
        if answer.figure is not None:
            template = env.get_template(f"fragments/{answer.figure.name}.tex.j2")
            yield Item(_fit(template.render(answer=view)), 5)
        for step in answer.steps:
            sv = step_view(step)
            label = rf"\textbf{{{sv['label']}.}} " if sv["label"] else ""
            lines = sv["lines"]
            body = f"{{\\small {label}}}\n{{\\small {_display(lines)}}}"
            yield Item(Tex(body), len(lines) + 1)
        if view["result"]:
            unit = f" {view['unit']}" if view["unit"] else ""
            yield Item(Tex(rf"\textbf{{Answer:}} ${view['result']}${unit}."), 1)
        if view["prose"]:
            yield Item(Tex(rf"{{\small {view['prose']}}}"), 2)
        if answer.explanation:
            yield Item(Tex(rf"{{\footnotesize\textit{{Why:}} {view['explanation']}}}"), 1)


def _frames(part: KeyedPart, name: Tex) -> Iterator[Frame]:
    title = Tex(f"{escape(part.label)} {name}")
    question = escape(part.spec.text)
    chunk: list[Tex] = []
    first = True
    weight = -(-len(part.spec.text) // QUESTION_CHARS)
    for item in _items(part):
        if chunk and weight + item.weight > FRAME_WEIGHT:
            yield Frame(
                title if first else Tex(f"{title} (cont.)"),
                question if first else None,
                tuple(chunk),
            )
            chunk, weight, first = [], 0, False
        chunk.append(item.tex)
        weight += item.weight
    if chunk or first:
        yield Frame(
            title if first else Tex(f"{title} (cont.)"),
            question if first else None,
            tuple(chunk),
        )
    for sub in part.subparts:
        yield from _frames(sub, name)


def frames(key: Key) -> list[Frame]:
    out: list[Frame] = []
    for problem in key.problems:
        name = escape(problem.loaded.spec.title)
        for part in problem.parts:
            out.extend(_frames(part, name))
    return out


def render_slides(key: Key) -> str:
    spec = key.loaded.spec
    conventions = key.loaded.conventions.describe()
    return (
        environment()
        .get_template("slides.tex.j2")
        .render(
            title=escape(spec.title),
            course=escape(spec.course or ""),
            date=escape(spec.date or ""),
            conventions=[escape(c) for c in conventions],
            frames=frames(key),
            preamble=union(
                FONTS,
                MATH,
                FIT_PACKAGES,
                *(answer_packages(a) for part in key.parts() for a in part.answers),
            ),
        )
    )


def write_slides(
    spec: Path, outdir: Path | None = None, pdf: bool = True, force: bool = False
) -> list[Path]:
    """Write ``slides.tex`` (and ``slides.pdf``) into ``build/<spec>/``, beside the key; with
    ``pdf=False`` an earlier ``slides.pdf`` there is removed, so no stale deck stays."""
    loaded = load_spec(spec)
    if pdf:
        require_tex()
    text = render_slides(derive(loaded))
    names = ["slides.tex", "slides.pdf"] if pdf else ["slides.tex"]
    with OutputFolder(outdir or default_outdir(spec), "slides", force, [spec]) as out:
        (out.stage / "slides.tex").write_text(text, encoding="utf-8")
        if pdf:
            compile_all([out.stage / "slides.tex"])  # in a worker: a signal stops it whole
        return out.commit(names)
