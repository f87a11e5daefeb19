"""The TeX run: one pass where one is enough, whole process groups killed on a timeout and on
SIGTERM/SIGINT, errors that quote the generated line."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from answerkey.compile import compile_pdf, tex_command, tex_env
from answerkey.errors import CompileError

ROOT = Path(__file__).resolve().parent.parent

FAKE_TEX = """#!/bin/sh
# A pdflatex that never finishes and has a child of its own: both must be killed.
echo $$ >> "$FAKE_TEX_PIDS"
sleep 300 &
echo $! >> "$FAKE_TEX_PIDS"
wait
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie has been killed and only waits to be reaped


def _gone(pids: list[int], within: float = 5.0) -> list[int]:
    """The pids still alive after ``within`` seconds (empty when all are gone)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


@pytest.fixture
def fake_tex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A slow ``pdflatex`` first on PATH; returns the file its processes write their pids to."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "pdflatex"
    script.write_text(FAKE_TEX, encoding="utf-8")
    script.chmod(0o755)
    pids = tmp_path / "pids"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_TEX_PIDS", str(pids))
    return pids


def _pids(path: Path, count: int, within: float = 30.0) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists():
            pids = [int(x) for x in path.read_text().split()]
            if len(pids) >= count:
                return pids
        time.sleep(0.05)
    raise AssertionError(f"the fake pdflatex did not start {count} processes")


def test_timeout_kills_the_whole_process_group(tmp_path: Path, fake_tex: Path) -> None:
    tex = tmp_path / "doc.tex"
    tex.write_text("\\relax\n", encoding="utf-8")
    start = time.monotonic()
    with pytest.raises(CompileError, match=r"doc.tex: LaTeX took more than 1 s; stopped"):
        compile_pdf(tex, timeout=1, reads_aux=False)
    assert time.monotonic() - start < 10
    pids = _pids(fake_tex, 2)
    assert _gone(pids) == [], "a TeX process or its child outlived the timeout"


def test_runaway_tex_input_is_stopped(tmp_path: Path, tex_available: None) -> None:
    tex = tmp_path / "loop.tex"
    tex.write_text(
        "\\documentclass{article}\n\\begin{document}\n\\def\\x{\\x}\\x\n\\end{document}\n",
        encoding="utf-8",
    )
    with pytest.raises(CompileError, match="took more than 2 s"):
        compile_pdf(tex, timeout=2, reads_aux=False)
    left = subprocess.run(["pgrep", "-f", str(tex.name)], capture_output=True, text=True)
    assert left.stdout.strip() == "", f"pdflatex left running: {left.stdout}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_kills_tex_and_leaves_nothing(
    tmp_path: Path, fake_tex: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "answerkey.cli",
            "build",
            str(ROOT / "specs" / "homework3.yaml"),
            "-o",
            str(out),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    pids = _pids(fake_tex, 4)  # both documents' pdflatex, each with its child
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    # exit status 128 + n, as a shell reports a process a signal stopped (143, 130)
    assert proc.returncode == 128 + sig, err
    assert err.decode().count("\n") == 1 and sig.name in err.decode(), err
    assert b"Traceback" not in err
    assert _gone(pids) == [], "TeX processes outlived answerkey"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "pids"], "output left behind"


def test_one_pass_is_final(tmp_path: Path, tex_available: None) -> None:
    """The key reads nothing back from its .aux: a second pass gives the same bytes, so the
    single pass that ``build`` runs is the finished document."""
    from answerkey.build import build

    result = build(ROOT / "specs" / "homework3.yaml", tmp_path / "out")
    work = tmp_path / "again"
    work.mkdir()
    for name in ("key", "questions"):
        first = (result.directory / f"{name}.pdf").read_bytes()
        tex = work / f"{name}.tex"
        shutil.copy(result.directory / f"{name}.tex", tex)
        for _ in range(2):
            subprocess.run(
                tex_command(tex), cwd=work, env=tex_env(), check=True, capture_output=True
            )
        assert (work / f"{name}.pdf").read_bytes() == first, name
        assert "\\gradetable" not in tex.read_text(encoding="utf-8")


def test_passes_follow_the_aux(tmp_path: Path, tex_available: None) -> None:
    """A document that does read its .aux (a forward reference) gets the passes it needs: the
    reference is resolved, and the last pass found the .aux unchanged."""
    tex = tmp_path / "ref.tex"
    tex.write_text(
        "\\documentclass{article}\n\\pdftrailerid{}\n\\begin{document}\n"
        "See page~\\pageref{end}.\n\\newpage\nEnd.\\label{end}\n\\end{document}\n",
        encoding="utf-8",
    )
    pdf = compile_pdf(tex)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "See page 2." in text
    assert "??" not in text


def test_error_names_the_file_and_quotes_the_line(tmp_path: Path, tex_available: None) -> None:
    tex = tmp_path / "bad.tex"
    tex.write_text(
        "\\documentclass{article}\n\\begin{document}\nfine\n\\undefinedmacro\n\\end{document}\n",
        encoding="utf-8",
    )
    with pytest.raises(CompileError) as err:
        compile_pdf(tex, reads_aux=False)
    assert str(err.value).startswith("bad.tex: Undefined control sequence")
    assert "bad.tex:4: \\undefinedmacro" in str(err.value)
