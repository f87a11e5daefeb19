"""Many documents of one template typeset in one TeX run, then split into one PDF each.

Loading the preamble (siunitx, TikZ, the exam class) is most of a short document's pass, so
the variants' keys (and sheets) are typeset many to a document: the shared preamble once,
then each document's body after a ``\\clearpage`` with the page and question counters reset and
its own headers set, exactly as its standalone ``.tex`` would start. A ``\\write`` records the
page on which each body starts; pypdf then splits the PDF into one file per document (byte-
reproducible: no ``/ID``, no dates) and the combined PDF is the runs' pages in order.

A TeX error names the document it came from and quotes the line of that document's own
``.tex`` (``v007/key.tex: Undefined control sequence``).
"""

from __future__ import annotations

import bisect
import math
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from answerkey.compile import Locate, compile_pdf, install_signal_handlers

BEGIN, END = "\\begin{document}\n", "\\end{document}\n"
PER_DOCUMENT = ("\\firstpageheader", "\\runningheader", "\\firstpagefooter", "\\runningfooter")
"""Preamble lines that differ between documents (the variant's name): set again per body."""


@dataclass(frozen=True)
class Doc:
    """One document of a batch: its standalone ``.tex`` (already written) and its PDF."""

    name: str  # how errors name it, e.g. "v007/key.tex"
    tex: Path
    text: str

    @property
    def pdf(self) -> Path:
        return self.tex.with_suffix(".pdf")


@dataclass(frozen=True)
class _Parts:
    shared: str  # the preamble every document of the batch has
    own: list[tuple[int, str]]  # (line number, text) of this document's header lines
    body: list[str]  # the lines between \begin{document} and \end{document}
    body_line: int  # the line number of the body's first line


def _parts(text: str) -> _Parts:
    head, rest = text.split(BEGIN, 1)
    body = rest.rsplit(END, 1)[0]
    shared, own = [], []
    for n, line in enumerate(head.splitlines(keepends=True), 1):
        if line.startswith(PER_DOCUMENT):
            own.append((n, line))
        else:
            shared.append(line)
    return _Parts("".join(shared), own, body.splitlines(keepends=True), head.count("\n") + 2)


def combine(docs: Sequence[Doc]) -> tuple[str, Locate]:
    """The combined source of ``docs`` (which share their preamble) and a map from its lines
    to (document name, its .tex, line there)."""
    parts = [_parts(d.text) for d in docs]
    out = [parts[0].shared, BEGIN, "\\newwrite\\answerkeypages\n"]
    out.append("\\immediate\\openout\\answerkeypages=\\jobname.pages\n")
    segments: list[tuple[int, Doc, int]] = []  # (first combined line, doc, its source line)
    line = sum(s.count("\n") for s in out) + 1
    preamble_lines = line
    for doc, p in zip(docs, parts, strict=True):
        setup = [
            "\\clearpage\\setcounter{page}{1}\\setcounter{question}{0}%\n",
            "\\immediate\\write\\answerkeypages{\\the\\ReadonlyShipoutCounter}%\n",
        ]
        out += setup
        line += len(setup)
        for n, text in p.own:
            segments.append((line, doc, n))
            out.append(text)
            line += 1
        segments.append((line, doc, p.body_line))
        out += p.body
        line += len(p.body)
    out += ["\\immediate\\closeout\\answerkeypages\n", END]

    starts = [s[0] for s in segments]

    def locate(n: int) -> tuple[str, Path, int]:
        i = bisect.bisect_right(starts, n) - 1
        if n < preamble_lines or i < 0:  # the shared preamble: the same lines in every doc
            return docs[0].name, docs[0].tex, n
        start, doc, source = segments[i]
        return doc.name, doc.tex, source + n - start

    return "".join(out), locate


def split(pdf: Path, docs: Sequence[Doc]) -> None:
    """Write each document's pages of the combined ``pdf`` to its own PDF."""
    from pypdf import PdfReader, PdfWriter

    starts = [int(x) for x in pdf.with_suffix(".pages").read_text().split()]
    reader = PdfReader(pdf)
    ends = [*starts[1:], len(reader.pages)]
    for doc, start, end in zip(docs, starts, ends, strict=True):
        writer = PdfWriter()
        for page in reader.pages[start:end]:
            writer.add_page(page)
        with doc.pdf.open("wb") as out:
            writer.write(out)


def split_pages(pdf: Path, outs: Sequence[Path]) -> list[Path]:
    """Page *i* of ``pdf`` as its own PDF ``outs[i]`` (the snippets: one cropped page each)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(pdf)
    if len(reader.pages) != len(outs):
        raise ValueError(f"{pdf.name} has {len(reader.pages)} pages, not {len(outs)}")
    for page, target in zip(reader.pages, outs, strict=True):
        writer = PdfWriter()
        writer.add_page(page)
        with target.open("wb") as out:
            writer.write(out)
    return list(outs)


def concatenate(pdfs: Sequence[Path], target: Path) -> None:
    """The pages of ``pdfs``, in order, as one PDF (no ``/ID``: the same bytes every time)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for pdf in pdfs:
        for page in PdfReader(pdf).pages:
            writer.add_page(page)
    with target.open("wb") as out:
        writer.write(out)


def batch_size(count: int, jobs: int) -> int:
    """Documents per TeX run: enough runs to keep every core busy while later documents are
    still being derived, few enough that the preamble is paid rarely."""
    return max(1, min(50, math.ceil(count / (2 * jobs))))


@dataclass
class Batcher:
    """Collects documents of each kind as they are written, and typesets each full batch in
    the background (``jobs`` TeX runs at a time), splitting it when done. ``finish`` waits,
    and returns each kind's combined PDFs in document order."""

    work: Path
    size: int
    jobs: int | None = None
    advance: Callable[[int], None] = lambda n: None
    _pending: dict[str, list[Doc]] = field(default_factory=dict)
    _runs: dict[str, list[tuple[Path, Future[None]]]] = field(default_factory=dict)
    _pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Batcher:
        install_signal_handlers()
        self._pool = ThreadPoolExecutor(max(1, self.jobs or os.cpu_count() or 1))
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._pool is not None
        self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, kind: str, doc: Doc) -> None:
        pending = self._pending.setdefault(kind, [])
        if pending and _parts(pending[0].text).shared != _parts(doc.text).shared:
            self._submit(kind)  # another preamble: another run
        self._pending.setdefault(kind, []).append(doc)
        if len(self._pending[kind]) >= self.size:
            self._submit(kind)

    def _submit(self, kind: str) -> None:
        docs = self._pending.pop(kind, [])
        if not docs:
            return
        runs = self._runs.setdefault(kind, [])
        tex = self.work / f"{kind}-{len(runs) + 1:03d}.tex"
        source, locate = combine(docs)
        tex.write_text(source, encoding="utf-8")
        assert self._pool is not None
        runs.append((tex.with_suffix(".pdf"), self._pool.submit(self._run, tex, docs, locate)))

    def _run(self, tex: Path, docs: list[Doc], locate: Locate) -> None:
        pdf = compile_pdf(tex, reads_aux=False, locate=locate)
        split(pdf, docs)
        self.advance(len(docs))

    def finish(self) -> dict[str, list[Path]]:
        for kind in list(self._pending):
            self._submit(kind)
        for runs in self._runs.values():
            for _, future in runs:
                future.result()
        return {kind: [pdf for pdf, _ in runs] for kind, runs in self._runs.items()}


def progress(total: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A rich progress bar on a terminal; silent otherwise (logs and CI stay clean)."""
    if not sys.stderr.isatty():
        return (lambda n: None), (lambda: None)
    from rich.progress import Progress

    bar = Progress(transient=True)
    task = bar.add_task("typesetting variants", total=total)
    bar.start()
    return (lambda n: bar.advance(task, n)), bar.stop
