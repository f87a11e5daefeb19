"""The one way answerkey runs TeX: pdflatex, locked down, reproducible, with short errors.

- ``-no-shell-escape``, ``shell_escape=f`` and ``openin_any=p``/``openout_any=p`` (paranoid:
  no reading or writing outside the working directory, no dot files), ``-halt-on-error``, no
  rc files (pdflatex is run directly, not through latexmk and its ``latexmkrc``);
- a timeout, and the whole process group killed on a timeout or when answerkey itself gets
  SIGTERM or SIGINT, so no TeX run outlives answerkey;
- ``SOURCE_DATE_EPOCH`` and ``FORCE_SOURCE_DATE=1`` (with ``\\pdftrailerid{}`` in the
  preamble: no random ``/ID``), so the same ``.tex`` gives the same PDF bytes;
- exactly as many passes as the document needs: one for a document that reads nothing back
  from its ``.aux`` (the key and the question sheet write their grade table from the spec);
  otherwise until the auxiliary files stop changing (a fixed point), at most
  :data:`MAX_PASSES`;
- on failure, the first TeX error and the line of the generated ``.tex`` it names.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FrameType
from typing import Any

from answerkey.errors import CompileError, ToolMissing

TIMEOUT = 180  # seconds for one pass; a key compiles in about one
EPOCH = "1700000000"  # a fixed date for every PDF, so builds are byte-identical
MAX_PASSES = 5
AUX_SUFFIXES = (".aux", ".toc", ".nav", ".snm", ".out", ".lof", ".lot")
"""The files a pass writes for the next one to read back (LaTeX, Beamer, hyperref)."""
TEX = "pdflatex"
INSTALL_HINT = (
    "pdflatex is not installed. On Debian or Ubuntu: apt-get install -y --no-install-recommends "
    "texlive-latex-recommended texlive-latex-extra texlive-pictures texlive-science "
    "lmodern (or run: bash tasks.sh setup)"
)


def tex_env() -> dict[str, str]:
    """The environment TeX runs in: locked-down file access, no shell, a fixed date."""
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
            "max_print_line": "100000",  # one message per log line: answerkey.texlog reads it
        }
    )
    return env


ENGINE_HINT = {
    "lualatex": "lualatex is not installed. On Debian or Ubuntu: apt-get install -y "
    "--no-install-recommends texlive-luatex",
    "xelatex": "xelatex is not installed. On Debian or Ubuntu: apt-get install -y "
    "--no-install-recommends texlive-xetex",
}


def tex_command(tex: Path, engine: str = TEX) -> list[str]:
    """One pass of ``engine`` (pdflatex, lualatex or xelatex) over ``tex``, run in its
    directory; the same locked-down options for each."""
    return [
        engine,
        "-no-shell-escape",
        "-halt-on-error",
        "-interaction=nonstopmode",
        "-file-line-error",
        tex.name,
    ]


def have_tex(engine: str = TEX) -> bool:
    return shutil.which(engine) is not None


# -- process groups: every TeX run in its own session, killed whole ------------------------

_LIVE: set[int] = set()  # process-group ids of the TeX runs under way
_STOPPING = threading.Event()  # set by a signal: start no new run
_INSTALLED: dict[int, Any] = {}


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Kill every TeX process group, then stop as the signal would have stopped us (Python's
    own handler for SIGINT, exit status 128 + n otherwise), so ``finally`` blocks still clean
    the temporary directories."""
    _STOPPING.set()
    for pgid in list(_LIVE):
        _kill_group(pgid)
    previous = _INSTALLED.get(signum)
    if callable(previous):
        previous(signum, frame)
    raise SystemExit(128 + signum)


def install_signal_handlers() -> None:
    """Route SIGTERM and SIGINT through :func:`_on_signal` (main thread only; idempotent)."""
    if threading.current_thread() is not threading.main_thread():
        return
    _STOPPING.clear()
    for sig in (signal.SIGTERM, signal.SIGINT):
        current = signal.getsignal(sig)
        if current is not _on_signal and current is not signal.SIG_IGN:
            _INSTALLED[sig] = current
            signal.signal(sig, _on_signal)


def run_pass(tex: Path, timeout: int = TIMEOUT, engine: str = TEX) -> tuple[int, str]:
    """One pdflatex pass in its own process group; (exit status, terminal output).

    Raises :class:`CompileError` on a timeout, after killing the whole group."""
    if _STOPPING.is_set():
        raise CompileError(f"{tex.name}: stopped")
    proc = subprocess.Popen(
        tex_command(tex, engine),
        cwd=tex.parent,
        env=tex_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, which _kill_group ends as a whole
    )
    _LIVE.add(proc.pid)
    try:
        if _STOPPING.is_set():  # a signal came while it was starting
            _kill_group(proc.pid)
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.communicate()
        raise CompileError(f"{tex.name}: LaTeX took more than {timeout} s; stopped") from None
    except BaseException:
        _kill_group(proc.pid)
        proc.wait()
        raise
    finally:
        _LIVE.discard(proc.pid)
    return proc.returncode, out.decode("utf-8", errors="replace")


# -- errors ----------------------------------------------------------------------------------

_ERROR = re.compile(r"^(?:\./)?([^:\n]+\.tex):(\d+): (.+)$", re.M)

Locate = Callable[[int], tuple[str, Path, int]]
"""A line of the compiled file → (name to report, source file, line in that file)."""


def first_error(log: str, tex: Path, locate: Locate | None = None) -> str:
    """The first ``file:line: error`` of a TeX log, named and with that line of the source."""
    match = _ERROR.search(log)
    if not match:
        bang = re.search(r"^! (.+)$", log, re.M)
        message = bang.group(1) if bang else "LaTeX failed (no error line found in the log)"
        return f"{tex.name}: {message}"
    name, line, message = match.group(1), int(match.group(2)), match.group(3)
    if Path(name).name == tex.name and locate is not None:
        label, source, line = locate(line)
    else:
        source = tex.parent / Path(name).name
        label = source.name
    quoted = ""
    if source.exists():
        lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
        if 0 < line <= len(lines):
            quoted = f"\n  {source.name}:{line}: {lines[line - 1].strip()[:200]}"
    return f"{label}: {message}{quoted}"


# -- compiling -------------------------------------------------------------------------------


def _aux_state(tex: Path) -> dict[str, bytes]:
    files = (tex.with_suffix(s) for s in AUX_SUFFIXES)
    return {f.name: f.read_bytes() for f in files if f.exists()}


def compile_pdf(
    tex: Path,
    timeout: int = TIMEOUT,
    *,
    reads_aux: bool = True,
    locate: Locate | None = None,
    engine: str = TEX,
) -> Path:
    """Compile ``tex`` in its own directory; return the PDF.

    ``reads_aux=False`` says the document uses nothing a pass writes for the next (no
    ``\\ref``, no table of contents, no ``\\gradetable``): one pass. Otherwise passes run until
    the auxiliary files a pass reads equal the ones it writes. ``locate`` maps a line of
    ``tex`` to the file and line an error should name. Raises :class:`CompileError` and
    :class:`ToolMissing`."""
    if not have_tex(engine):
        raise ToolMissing(ENGINE_HINT.get(engine, INSTALL_HINT))
    install_signal_handlers()
    pdf = tex.with_suffix(".pdf")
    for _ in range(1 if not reads_aux else MAX_PASSES):
        before = _aux_state(tex) if reads_aux else {}
        status, out = run_pass(tex, timeout, engine)
        if status != 0 or not pdf.exists():
            log_file = tex.with_suffix(".log")
            log = log_file.read_text(errors="replace") if log_file.exists() else out
            raise CompileError(first_error(log, tex, locate))
        if not reads_aux or _aux_state(tex) == before:
            break
    return pdf


def compile_all(
    texs: Sequence[Path], jobs: int | None = None, *, reads_aux: bool = True, engine: str = TEX
) -> list[Path]:
    """Compile several documents, ``jobs`` at a time (default: one per core)."""
    install_signal_handlers()
    workers = max(1, min(len(texs), jobs or os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda t: compile_pdf(t, reads_aux=reads_aux, engine=engine), texs))
