"""The one way answerkey runs TeX: latexmk, locked down, reproducible, with short errors.

- ``-no-shell-escape`` and ``openin_any=p``/``openout_any=p`` (paranoid: no reading or writing
  outside the working directory, no dot files), ``-halt-on-error``, ``-norc`` (no user or
  directory latexmkrc), and a timeout;
- ``SOURCE_DATE_EPOCH`` and ``FORCE_SOURCE_DATE=1`` (with ``\\pdftrailerid{}`` in the
  preamble), so the same ``.tex`` gives the same PDF bytes;
- on failure, the first TeX error and the line of the generated ``.tex`` it names.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from answerkey.errors import CompileError, ToolMissing

TIMEOUT = 180  # seconds for one document; a key compiles in a few
EPOCH = "1700000000"  # a fixed date for every PDF, so builds are byte-identical
INSTALL_HINT = (
    "latexmk is not installed. On Debian or Ubuntu: apt-get install -y --no-install-recommends "
    "latexmk texlive-latex-recommended texlive-latex-extra texlive-pictures texlive-science "
    "lmodern (or run: bash tasks.sh setup)"
)


def tex_env() -> dict[str, str]:
    """The environment latexmk runs in: locked-down file access, a fixed date."""
    env = dict(os.environ)
    env.update(
        {
            "openin_any": "p",
            "openout_any": "p",
            "shell_escape": "f",
            "SOURCE_DATE_EPOCH": env.get("SOURCE_DATE_EPOCH", EPOCH),
            "FORCE_SOURCE_DATE": "1",
            "TZ": "UTC",
            "LC_ALL": "C",
        }
    )
    return env


def latexmk_command(tex: Path) -> list[str]:
    return [
        "latexmk",
        "-pdf",
        "-norc",
        "-no-shell-escape",
        "-halt-on-error",
        "-interaction=nonstopmode",
        "-file-line-error",
        "-quiet",
        tex.name,
    ]


def have_latexmk() -> bool:
    return shutil.which("latexmk") is not None


_ERROR = re.compile(r"^(?:\./)?([^:\n]+\.tex):(\d+): (.+)$", re.M)


def first_error(log: str, tex: Path) -> str:
    """The first ``file:line: error`` of a TeX log, with that line of the generated source."""
    match = _ERROR.search(log)
    if not match:
        bang = re.search(r"^! (.+)$", log, re.M)
        return bang.group(1) if bang else "LaTeX failed (no error line found in the log)"
    name, line, message = match.group(1), int(match.group(2)), match.group(3)
    source = tex.parent / Path(name).name
    quoted = ""
    if source.exists():
        lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
        if 0 < line <= len(lines):
            quoted = f"\n  {source.name}:{line}: {lines[line - 1].strip()[:200]}"
    return f"{message}{quoted}"


def compile_pdf(tex: Path, timeout: int = TIMEOUT) -> Path:
    """Compile ``tex`` in its own directory; return the PDF. Raises :class:`CompileError`."""
    if not have_latexmk():
        raise ToolMissing(INSTALL_HINT)
    try:
        proc = subprocess.run(
            latexmk_command(tex),
            cwd=tex.parent,
            env=tex_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CompileError(f"{tex.name}: LaTeX took more than {timeout} s; stopped") from None
    pdf = tex.with_suffix(".pdf")
    if proc.returncode != 0 or not pdf.exists():
        log_file = tex.with_suffix(".log")
        log = log_file.read_text(errors="replace") if log_file.exists() else proc.stdout
        raise CompileError(f"{tex.name}: {first_error(log, tex)}")
    return pdf


def compile_all(texs: Sequence[Path], jobs: int | None = None) -> list[Path]:
    """Compile several documents, ``jobs`` at a time (default: one per core)."""
    workers = max(1, min(len(texs), jobs or os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(compile_pdf, texs))
