"""Every formula, worked step chain, table and diagram of a key as a standalone snippet.

Each snippet is a ``.tex`` body that can be ``\\input`` into any article or Beamer document
(with ``preamble.tex``), and the same body compiled, cropped, into ``.pdf``, ``.svg`` and
``.png``. All snippets of a spec are typeset in one TeX run (``standalone`` with
``multi=snippet``: one cropped page each), then split and converted with poppler.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import jinja2

from answerkey import characters
from answerkey.batch import split_pages
from answerkey.build import default_outdir
from answerkey.compile import compile_all
from answerkey.derive import Key, KeyedPart, derive
from answerkey.errors import AnswerkeyError, UsageError
from answerkey.figures import figure_kind
from answerkey.latex import Tex
from answerkey.load import load_spec
from answerkey.outputs import OutputFolder
from answerkey.preamble import FONTS, LAYOUT, MATH, TABLE, union
from answerkey.render import answer_view, environment, step_view
from answerkey.tools import require_poppler, require_tex
from derivations.answers import Step

FORMATS = ("tex", "pdf", "svg", "png")


@dataclass(frozen=True)
class Snippet:
    """One item: ``name`` is its file stem (``p3-a-conv-2-weights``), ``body`` its LaTeX."""

    name: str
    kind: str  # formula | working | table | graph
    title: str
    body: str
    packages: tuple[Tex, ...] = ()  # what its body needs beyond fonts and math

    @property
    def file(self) -> Tex:
        """The name as ``\\input`` reads it: a slug (a-z, 0-9, -), nothing to escape."""
        if not re.fullmatch(r"[a-z0-9-]+", self.name):
            raise ValueError(f"not a snippet file name: {self.name!r}")
        return Tex(self.name)


def slug(text: str) -> str:
    """A file-name-safe form of a label: ``3×3 conv`` → ``3x3-conv``."""
    text = text.replace("×", "x").lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:40].strip("-") or "item"


def _name(step: Step, fallback: str) -> str:
    """``conv-2-output``, ``h-1-params``: the step's label and what its left side is."""
    role = step.role or ""
    label = step.label or fallback
    if role:  # "H-1 weights" with role params is h-1-params
        label = re.sub(r"\s+(weights|biases|buffers|scales|shifts|running \w+)$", "", label)
    return slug(f"{label} {role}" if role and label != "Total" else label)


MATH_KINDS = ("formula", "working")
"""Snippets whose ``.tex`` is display math without delimiters: write ``\\[ \\input{name}
\\]`` (or ``$\\displaystyle \\input{name}$``). Tables and graphs are text-mode bodies:
``\\input{name}`` where they go."""


def _math(lines: list[str]) -> str:
    """A formula: its one line, or its lines as an ``aligned`` block (math, no delimiters)."""
    if len(lines) == 1:
        return lines[0]
    joined = " \\\\[4pt]\n".join(lines)
    return f"\\begin{{aligned}}\n{joined}\n\\end{{aligned}}"


def _working(rows: list[tuple[str, str]]) -> str:
    """An answer's working: each step's label, then its chain (a long sum's lines under it),
    aligned on the chains (math, no delimiters)."""
    lines = []
    for label, line in rows:
        text = re.sub(r"(?<!\\)&", "", line)  # the chain's own alignment, not an escaped \&
        lines.append(rf"&\text{{{label}}}\quad && {text}" if label else rf"& && {text}")
    joined = " \\\\[2pt]\n".join(lines)
    return f"\\begin{{alignedat}}{{2}}\n{joined}\n\\end{{alignedat}}"


def _part_snippets(part: KeyedPart, stem: str, title: str) -> Iterator[Snippet]:
    env = environment()
    for answer in part.answers:
        view = answer_view(answer)
        chains: list[tuple[str, str]] = []
        for step in answer.steps:
            sv = step_view(step)
            lines = sv["lines"]
            label = step.label or answer.kind.replace("_", " ")
            yield Snippet(
                f"{stem}-{_name(step, label)}", "formula", f"{title}: {label}", _math(lines)
            )
            chains += [(sv["label"] if i == 0 else "", line) for i, line in enumerate(lines)]
        if len(answer.steps) > 1:
            name = f"{stem}-{slug(answer.kind)}-working"
            yield Snippet(name, "working", f"{title}: working", _working(chains))
        if answer.table is not None:
            body = env.get_template("fragments/tabular.tex.j2").render(answer=view)
            yield Snippet(f"{stem}-table", "table", f"{title}: table", body.strip(), TABLE)
        if answer.figure is not None:
            name = answer.figure.name
            body = env.get_template(f"fragments/{name}.tex.j2").render(answer=view)
            packages = figure_kind(answer.figure).packages
            yield Snippet(f"{stem}-{name}", "graph", f"{title}: {name}", body.strip(), packages)
    for sub in part.subparts:
        yield from _part_snippets(sub, f"{stem}{slug(sub.spec.id)}", sub.label)


def collect(key: Key) -> list[Snippet]:
    """All snippets of a key, named by problem and part; names made unique with -2, -3, ..."""
    out: list[Snippet] = []
    seen: dict[str, int] = {}
    for problem in key.problems:
        for part in problem.parts:
            stem = f"p{problem.number}-{slug(part.spec.id)}"
            for s in _part_snippets(part, stem, part.label):
                count = seen.get(s.name, 0) + 1
                seen[s.name] = count
                name = s.name if count == 1 else f"{s.name}-{count}"
                out.append(Snippet(name, s.kind, s.title, s.body, s.packages))
    return out


def preamble(snippets: Sequence[Snippet]) -> str:
    """``preamble.tex``: math, the layout macros, the packages the snippets declare
    (first-use order), and the mappings of the characters they use."""
    chars = characters.preamble("".join(s.body for s in snippets), "pdflatex")
    lines = union(MATH, LAYOUT, *(s.packages for s in snippets), chars)
    return (
        "% Packages for the answerkey snippets: \\input{preamble} after \\documentclass.\n"
        + "\n".join(lines)
        + "\n"
    )


def document(snippets: Sequence[Snippet]) -> str:
    """Every snippet in one ``standalone`` document (``multi=snippet``: a cropped page each),
    reading ``preamble.tex`` beside it."""
    return environment().get_template("snippets.tex.j2").render(snippets=snippets, fonts=FONTS)


def _poppler(*args: str) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AnswerkeyError(f"{args[0]} failed: {proc.stderr.strip()[:300]}")


def _convert(pdf: Path, stem: Path, formats: set[str], dpi: int, transparent: bool) -> None:
    """One snippet's own (one-page) PDF as SVG and PNG."""
    if "svg" in formats:
        _poppler("pdftocairo", "-svg", str(pdf), f"{stem}.svg")
    if "png" in formats:
        extra = ["-transp"] if transparent else []
        _poppler("pdftocairo", "-png", "-singlefile", "-r", str(dpi), *extra, str(pdf), str(stem))


def _index(snippets: Sequence[Snippet], formats: Sequence[str], title: str) -> str:
    env = jinja2.Environment(
        loader=environment().loader, autoescape=True, undefined=jinja2.StrictUndefined
    )
    return env.get_template("snippets-index.html.j2").render(
        snippets=snippets, formats=formats, title=title
    )


@dataclass(frozen=True)
class SnippetResult:
    directory: Path
    snippets: tuple[Snippet, ...]


def write_snippets(
    spec: Path,
    outdir: Path | None = None,
    formats: Sequence[str] = FORMATS,
    dpi: int = 300,
    transparent: bool = False,
    force: bool = False,
) -> SnippetResult:
    """Write ``build/<spec>/snippets/``: each snippet in ``formats``, ``preamble.tex``, and
    ``index.html`` (when PNGs are made). Built in a staging folder, moved into place."""
    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        raise UsageError(f"unknown format(s) {sorted(unknown)}; choose from {', '.join(FORMATS)}")
    loaded = load_spec(spec)
    wanted = set(formats) - {"tex"}
    if wanted:
        require_tex()
    if wanted & {"svg", "png"}:
        require_poppler()
    snippets = collect(derive(loaded))
    target = outdir or default_outdir(spec) / "snippets"
    names = ["preamble.tex"]
    with OutputFolder(target, "snippets", force, [spec]) as out:
        work = out.stage
        (work / "preamble.tex").write_text(preamble(snippets), encoding="utf-8")
        for s in snippets:
            (work / f"{s.name}.tex").write_text(s.body + "\n", encoding="utf-8")
        if wanted:
            doc = document(snippets)
            (work / "all-snippets.tex").write_text(doc, encoding="utf-8")
            pdfs = split_pages(
                compile_all([work / "all-snippets.tex"], reads_aux=False)[0],
                [work / f"{s.name}.pdf" for s in snippets],
            )
            with ThreadPoolExecutor() as pool:
                list(
                    pool.map(
                        lambda p: _convert(p, p.with_suffix(""), wanted, dpi, transparent), pdfs
                    )
                )
        for ext in sorted(set(formats)):
            names += [f"{s.name}.{ext}" for s in snippets]
        if "png" in wanted:
            (work / "index.html").write_text(
                _index(snippets, formats, loaded.spec.title), encoding="utf-8"
            )
            names.append("index.html")
        out.commit(names)
    return SnippetResult(out.target, tuple(snippets))
