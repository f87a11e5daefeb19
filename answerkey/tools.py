"""The external programs answerkey runs, checked before any work so that a missing one is
exit code 4 with the command that installs it, on every command, and nothing is written."""

from __future__ import annotations

import shutil

from answerkey.compile import ENGINE_HINT, INSTALL_HINT, TEX, have_tex
from answerkey.errors import ToolMissing

POPPLER_HINT = (
    "poppler-utils is not installed (pdftocairo makes the SVG and PNG snippets): "
    "apt-get install -y poppler-utils, brew install poppler, or conda install poppler"
)


def require_tex(engine: str = TEX) -> None:
    """Raise :class:`ToolMissing` unless TeX (``engine``: pdflatex, lualatex, xelatex) can be
    run."""
    if not have_tex(engine):
        raise ToolMissing(ENGINE_HINT.get(engine, INSTALL_HINT))


def require_poppler() -> None:
    """Raise :class:`ToolMissing` unless poppler's ``pdftocairo`` is on the PATH."""
    if shutil.which("pdftocairo") is None:
        raise ToolMissing(POPPLER_HINT)
