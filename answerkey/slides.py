"""A Beamer deck of the worked key: a frame with each problem's statement, figures and notes,
then one frame (or more) per part, the question first and the working revealed one item at
a time (``\\pause``). Items are the same formulas, tables and diagrams the key uses.

Frames are filled by measuring, not by a line budget. A first TeX run (:func:`measure`, in
the deck's own class, theme and fonts) reports the room a titled frame leaves and the height
of every question and item; :func:`pack` then fills each frame with as many items as fit, in
order, and continues on a "(cont.)" frame. The deck is typeset, and any frame TeX still
reports too high (an overfull ``\\vbox`` at its ``\\end{frame}``, found through the
``% answerkey: frame N`` marker before it; a title that wraps, say) is split in two and the
deck typeset again, until every frame fits; a single item taller than a frame is scaled to
fit it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from answerkey.build import default_outdir
from answerkey.compile import compile_all
from answerkey.derive import Key, KeyedPart, KeyedProblem, derive
from answerkey.errors import UsageError
from answerkey.latex import Tex, escape
from answerkey.load import load_spec
from answerkey.outputs import OutputFolder
from answerkey.preamble import FIT, FONTS, LAYOUT, MATH, TRAILER_ID, answer_packages, union
from answerkey.render import answer_view, environment, step_view, with_characters
from answerkey.sheet import figure_views
from answerkey.texlog import part_at, read_log
from answerkey.tools import require_tex
from derivations.answers import roman

FIT_BOX = (
    r"\begin{{adjustbox}}{{max width=\linewidth, max totalheight=0.66\textheight,"
    r" margin=0pt 3pt, center}}{}"
    r"\end{{adjustbox}}"
)
SHRINK = (
    r"\begin{{adjustbox}}{{max width=\linewidth, max totalheight=0.74\textheight, center}}"
    r"\begin{{minipage}}{{\linewidth}}{}\end{{minipage}}\end{{adjustbox}}"
)
GUESS_ITEMS = 4
"""Items per frame where nothing was measured (``--no-pdf``: the source only)."""
GAP = 3.0
"""Points allowed between two stacked items beyond their heights (interline glue)."""
_HEIGHT = re.compile(r"^answerkey-height (\d+) (q|\d+) ([0-9.]+)pt$", re.MULTILINE)
MAX_ROUNDS = 6
"""Typesettings at most: each splits every frame still too high in two."""
THEME = re.compile(r"^[A-Za-z]{1,40}$")


@dataclass(frozen=True)
class Frame:
    """One frame: its title, the question shown first (or None), and the items revealed in
    turn; ``shrink`` scales its one item to the frame (an item taller than a frame)."""

    title: Tex
    question: Tex | None
    items: tuple[Tex, ...]
    shrink: bool = False


def _fit(body: str) -> Tex:
    return Tex(FIT_BOX.format(body.strip()))


def _step(step: object) -> Tex:
    sv = step_view(step)  # type: ignore[arg-type]
    label = rf"\textbf{{{sv['label']}.}} " if sv["label"] else ""
    if len(sv["lines"]) > 1:
        rows = " \\\\\n".join(sv["lines"])
        return Tex(f"{{\\small {label}\n\\begin{{align*}}\n{rows}\n\\end{{align*}}}}")
    return Tex(f"{{\\small {label}\\akchain{{{sv['chain']}}}{{{sv['rows']}}}}}")


def _items(part: KeyedPart) -> Iterator[Tex]:
    env = environment()
    if part.spec.note:
        yield Tex(rf"{{\footnotesize\textit{{Interpretation:}} {escape(part.spec.note)}}}")
    for answer in part.answers:
        view = answer_view(answer)
        if answer.table is not None:
            yield _fit(env.get_template("fragments/tabular.tex.j2").render(answer=view))
        if answer.figure is not None:
            template = env.get_template(f"fragments/{answer.figure.name}.tex.j2")
            yield _fit(template.render(answer=view))
        for step in answer.steps:
            yield _step(step)
        if view["result"]:
            unit = f" {view['unit']}" if view["unit"] else ""
            yield Tex(rf"\textbf{{Answer:}} ${view['result']}${unit}.")
        if view["prose"]:
            yield Tex(rf"{{\small {view['prose']}}}")
        if answer.explanation:
            yield Tex(rf"{{\footnotesize\textit{{Why:}} {view['explanation']}}}")


def _problem_frame(problem: KeyedProblem) -> Frame:
    """The problem's statement, its figures and its note (the key's interpretation)."""
    spec = problem.loaded.spec
    env = environment()
    items: list[Tex] = []
    for figure in figure_views(spec.figures, problem.loaded):
        layout = figure["key_layout"] or figure["layout"]  # the deck is the worked key
        body = env.get_template(f"fragments/{figure['fragment']}.tex.j2").render(
            answer={"layout": layout}
        )
        caption = rf"\\{{\footnotesize {figure['caption']}}}" if figure["caption"] else ""
        items.append(Tex(_fit(body) + caption))
    if spec.note:
        items.append(Tex(rf"{{\footnotesize\textit{{Interpretation:}} {escape(spec.note)}}}"))
    title = Tex(f"{problem.number}. {escape(spec.title)}")
    return Frame(title, escape(spec.text) if spec.text else None, tuple(items))


def _part_frames(part: KeyedPart, name: Tex) -> Iterator[Frame]:
    """The part's frame with all its items (:func:`pack` spreads them over frames), then its
    subparts' frames. A subpart's title numbers it as the key does: 4(b)ii."""
    title = Tex(f"{escape(display_label(part.label))} {name}")
    yield Frame(title, escape(part.spec.text), tuple(_items(part)))
    for sub in part.subparts:
        yield from _part_frames(sub, name)


def display_label(label: str) -> str:
    """A part label as the key prints it: a subpart's number in lower-case Roman numerals
    (``4(b).2`` → ``4(b)ii``), as the exam class numbers subparts."""
    head, dot, number = label.rpartition(".")
    if not dot or not number.isdigit() or int(number) < 1:
        return label
    return head + roman(int(number))


def frames(key: Key) -> list[Frame]:
    """The deck before fitting: per problem, its statement frame, then a frame per part."""
    out: list[Frame] = []
    for problem in key.problems:
        out.append(_problem_frame(problem))
        name = escape(problem.loaded.spec.title)
        for part in problem.parts:
            out.extend(_part_frames(part, name))
    return out


@dataclass(frozen=True)
class Measures:
    """What :func:`measure` read: the room (pt) a titled frame leaves for its body, and per
    frame of the deck the height (pt, height plus depth) of its question and of each item."""

    room: float
    questions: dict[int, float]
    items: dict[int, list[float]]


def measure(key: Key, deck: list[Frame], theme: str | None, folder: Path) -> Measures | None:
    """Typeset the measuring document of ``deck`` in ``folder`` and read its log; None if the
    log holds no measures (then the deck is fitted by splitting alone)."""
    tex = folder / "measure.tex"
    tex.write_text(render_slides(key, deck, theme, measure=True), encoding="utf-8")
    compile_all([tex], reads_aux=False)
    log = tex.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    over = [e.points for e in read_log(log) if e.kind == "overfull" and e.points is not None]
    text_height = re.search(r"^answerkey-textheight ([0-9.]+)pt$", log, re.MULTILINE)
    if not over or text_height is None:
        return None
    questions: dict[int, float] = {}
    items: dict[int, list[float]] = {}
    for frame, which, height in _HEIGHT.findall(log):
        if which == "q":
            questions[int(frame)] = float(height)
        else:
            items.setdefault(int(frame), []).append(float(height))
    return Measures(float(text_height.group(1)) - over[0], questions, items)


def pack(deck: list[Frame], measures: Measures) -> list[Frame]:
    """``deck`` with each frame's items laid on as few frames as fit in order: a frame takes
    items while their heights (plus :data:`GAP` each) fit the room; the rest continue on a
    "(cont.)" frame. An item taller than a whole frame gets a frame of its own, scaled."""
    out: list[Frame] = []
    for i, frame in enumerate(deck):
        heights = measures.items.get(i, [])
        if len(heights) != len(frame.items):  # not measured: leave it to the splitting
            out.append(frame)
            continue
        used = measures.questions.get(i, 0.0) + (GAP if frame.question else 0.0)
        run: list[Tex] = []
        current = frame
        for item, height in zip(frame.items, heights, strict=True):
            if run and used + height + GAP > measures.room:
                out.append(replace(current, items=tuple(run)))
                current = Frame(_cont(frame.title), None, ())
                run, used = [], 0.0
            run.append(item)
            used += height + GAP
        out.append(replace(current, items=tuple(run)))
    return out


def guess(deck: list[Frame]) -> list[Frame]:
    """``deck`` in runs of :data:`GUESS_ITEMS` items per frame, where no TeX run measures."""
    out: list[Frame] = []
    for frame in deck:
        runs = [frame.items[i : i + GUESS_ITEMS] for i in range(0, len(frame.items), GUESS_ITEMS)]
        out.append(replace(frame, items=runs[0] if runs else ()))
        out.extend(Frame(_cont(frame.title), None, run) for run in runs[1:])
    return out


def _cont(title: Tex) -> Tex:
    return Tex(title if title.endswith("(cont.)") else f"{title} (cont.)")


def split(deck: list[Frame], too_high: set[int]) -> list[Frame]:
    """``deck`` with each frame of ``too_high`` (indices) in two halves, the second titled
    "(cont.)"; a frame of one item is scaled to fit instead."""
    out: list[Frame] = []
    for i, frame in enumerate(deck):
        if i not in too_high:
            out.append(frame)
        elif len(frame.items) + (frame.question is not None) <= 1 or not frame.items:
            out.append(replace(frame, shrink=True))
        else:
            asked = frame.question is not None
            half = (len(frame.items) + asked) // 2 - asked  # the question counts as an item
            out.append(replace(frame, items=frame.items[:half]))
            out.append(Frame(_cont(frame.title), None, frame.items[half:]))
    return out


def _shrunk(frame: Frame) -> Frame:
    """A frame TeX found too high with one thing on it, that thing scaled to fit: its item,
    or (a frame with no item) its question, a part's text too long for one frame."""
    if frame.items:
        return replace(frame, items=(Tex(SHRINK.format(frame.items[0])),))
    if frame.question is not None:
        return replace(frame, question=Tex(SHRINK.format(rf"\small\textit{{{frame.question}}}")))
    return frame


def render_slides(
    key: Key, deck: list[Frame] | None = None, theme: str | None = None, measure: bool = False
) -> str:
    """The deck's LaTeX: ``deck`` (the unfitted :func:`frames` by default) in ``theme``;
    with ``measure``, the measuring document of :func:`measure` instead of the frames."""
    spec = key.loaded.spec
    conventions = key.loaded.conventions.describe()
    figures = any(p.loaded.spec.figures for p in key.problems)
    shown = [_shrunk(f) if f.shrink else f for f in (deck if deck is not None else frames(key))]
    deck_tex = (
        environment()
        .get_template("slides.tex.j2")
        .render(
            title=escape(spec.title),
            course=escape(spec.course or ""),
            date=escape(spec.date or ""),
            conventions=[escape(c) for c in conventions],
            note=escape(spec.note) if spec.note else None,
            frames=shown,
            measure=measure,
            theme=Tex(theme) if theme else None,
            preamble=union(
                FONTS,
                MATH,
                FIT,
                LAYOUT,
                *(answer_packages(a) for part in key.parts() for a in part.answers),
                *(((Tex(r"\usepackage{tikz}"), Tex(r"\usetikzlibrary{arrows.meta}")),) * figures),
                (TRAILER_ID,),
            ),
        )
    )
    return with_characters(deck_tex, "pdflatex")


def too_high(tex: Path) -> set[int]:
    """The indices of the frames TeX reported too high in ``tex``'s last run."""
    log = tex.with_suffix(".log")
    if not log.exists():
        return set()
    source = tex.read_text(encoding="utf-8").splitlines()
    found = set()
    for entry in read_log(log.read_text(encoding="utf-8", errors="replace")):
        if entry.kind == "overfull" and entry.line is not None and (entry.points or 0) > 1:
            marker = part_at(source, entry.line) or ""
            if marker.startswith("frame "):
                found.add(int(marker.removeprefix("frame ")))
    return found


def check_theme(theme: str | None) -> None:
    """Raise :class:`UsageError` unless ``theme`` is a Beamer theme TeX can find."""
    if theme is None:
        return
    known = THEME.match(theme) and (
        shutil.which("kpsewhich") is None
        or subprocess.run(
            ["kpsewhich", f"beamertheme{theme}.sty"], capture_output=True, check=False
        ).returncode
        == 0
    )
    if not known:
        raise UsageError(f"no Beamer theme named {theme!r} (try Madrid, Boadilla, metropolis)")


def write_slides(
    spec: Path,
    outdir: Path | None = None,
    pdf: bool = True,
    force: bool = False,
    theme: str | None = None,
) -> list[Path]:
    """Write ``slides.tex`` (and ``slides.pdf``) into ``build/<spec>/``, beside the key,
    every frame fitted by measuring (see the module docstring); with ``pdf=False`` the
    unfitted deck's source only, and an earlier ``slides.pdf`` there is removed."""
    check_theme(theme)
    loaded = load_spec(spec)
    if pdf:
        require_tex()
    key = derive(loaded)
    deck = frames(key)
    names = ["slides.tex", "slides.pdf"] if pdf else ["slides.tex"]
    with OutputFolder(outdir or default_outdir(spec), "slides", force, [spec]) as out:
        tex = out.stage / "slides.tex"
        measures = measure(key, deck, theme, out.stage) if pdf else None
        deck = pack(deck, measures) if measures is not None else guess(deck)
        tex.write_text(render_slides(key, deck, theme), encoding="utf-8")
        for _ in range(MAX_ROUNDS if pdf else 0):  # each in a worker: a signal stops it whole
            compile_all([tex], reads_aux=False)
            high = too_high(tex)
            if not high:
                break
            deck = split(deck, high)
            tex.write_text(render_slides(key, deck, theme), encoding="utf-8")
        if pdf:  # again until the .aux settles: the footline's frame total is read from it
            compile_all([tex])
        return out.commit(names)
