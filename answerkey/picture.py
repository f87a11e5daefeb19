"""``answerkey draw``: one network of a spec as a layer-stack figure in a PDF, SVG or PNG file.

The figure is :func:`answerkey.stack.layer_stack`'s layout in the ``layer-stack`` TikZ
fragment, set alone on a cropped page (``standalone``) and compiled as every answerkey
document is (:mod:`answerkey.compile`); poppler's ``pdftocairo`` makes the SVG and PNG. The
output file is written last, by a rename, and an existing file is replaced only with
``force``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

from answerkey.compile import compile_pdf
from answerkey.errors import AnswerkeyError, OutputError, UsageError
from answerkey.figures import TIKZ
from answerkey.latex import Tex
from answerkey.load import load_spec
from answerkey.preamble import FONTS, MATH, union
from answerkey.render import environment
from answerkey.spec import LoadedSpec
from answerkey.stack import Style, layer_stack
from answerkey.tools import require_poppler, require_tex
from derivations.network import Analysis

FORMATS = ("pdf", "svg", "png")
PNG_DPI = 150


def find_network(loaded: LoadedSpec, name: str | None) -> Analysis:
    """The analysed network called ``name`` in any problem (the only one when ``name`` is
    None); :class:`UsageError` naming the networks there are otherwise."""
    found = {n: a for p in loaded.problems for n, a in p.context.analyses.items()}
    if name is None and len(found) == 1:
        return next(iter(found.values()))
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise UsageError(f"no network named {name!r} in {loaded.name} (networks: {known})")
    return found[name]


def figure_document(analysis: Analysis, answers: bool, style: Style) -> str:
    """A standalone LaTeX document holding only the figure."""
    packages = union(FONTS, MATH, TIKZ)
    body = (
        environment()
        .get_template("fragments/layer-stack.tex.j2")
        .render(answer=SimpleNamespace(layout=layer_stack(analysis, answers, style)))
    )
    return (
        "\\documentclass[border=8pt]{standalone}\n"
        + "\n".join(packages)
        + "\n\\pdftrailerid{}\n\\begin{document}\n"
        + body
        + "\\end{document}\n"
    )


def _run(*args: str) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AnswerkeyError(f"{args[0]} failed: {proc.stderr.strip()[:300]}")


def draw_network(
    spec: Path,
    network: str | None,
    output: Path,
    answers: bool = False,
    style: Style = "flat",
    force: bool = False,
    dpi: int = PNG_DPI,
) -> Path:
    """Write ``output`` (``.pdf``, ``.svg`` or ``.png``, by its suffix): the layer stack of
    ``network`` in ``spec``. Raises :class:`UsageError` (unknown suffix or network),
    :class:`OutputError` (``output`` exists and not ``force``), SpecError, CompileError."""
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UsageError(f"{output}: the output must end in .pdf, .svg or .png")
    if output.exists() and not force:
        raise OutputError(f"{output} exists: pass --force to replace it")
    if output.is_dir():
        raise OutputError(f"{output} is a folder")
    analysis = find_network(load_spec(spec), network)
    require_tex()
    if fmt != "pdf":
        require_poppler()
    with tempfile.TemporaryDirectory(prefix="answerkey-draw-") as work:
        tex = Path(work) / "figure.tex"
        tex.write_text(figure_document(analysis, answers, style), encoding="utf-8")
        pdf = compile_pdf(tex, reads_aux=False)
        made = pdf
        if fmt == "svg":
            made = Path(work) / "figure.svg"
            _run("pdftocairo", "-svg", str(pdf), str(made))
        elif fmt == "png":
            _run(
                "pdftocairo",
                "-png",
                "-singlefile",
                "-r",
                str(dpi),
                str(pdf),
                str(made.with_suffix("")),
            )
            made = made.with_suffix(".png")
        staged = output.with_name(f".{output.name}.part")
        try:
            shutil.copyfile(made, staged)
            os.replace(staged, output)
        except OSError as err:
            staged.unlink(missing_ok=True)
            raise OutputError(f"{output}: {err.strerror}") from None
    return output


__all__ = ["FORMATS", "Tex", "draw_network", "figure_document", "find_network"]
