"""Hostile and malformed input, one table (``tests/hostile_cases.py``), the same checks on
every row: the exit code; one line on stderr (none on success); no traceback; no partial
output (a failed run leaves its output folder as it was, no staging folder anywhere); nothing
outside the output folder touched; nothing injected typeset. Then one spec with hostile text
in every field, built, and each field found literally in the PDFs (``pdftotext``).
"""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from answerkey.cli import main
from tests.conftest import ROOT
from tests.hostile_cases import ROWS, Row

CANARIES = [Path("/tmp/answerkey-pwned"), Path("/tmp/answerkey-openout")]
RAW_TEX = [r"\input{/", r"\write18", r"\openout", r"\def\x", r"\def\a", r"\catcode", r"\href"]
"""Commands from the hostile inputs: in generated .tex they may appear only escaped."""


def snapshot(root: Path, skip: Path | None = None) -> dict[str, Any]:
    """Every entry under ``root`` (but ``skip``): kind, and for files size and hash."""
    seen: dict[str, Any] = {}
    if not root.exists():
        return seen
    for path in sorted(root.rglob("*")):
        if skip is not None and (path == skip or skip in path.parents):
            continue
        key = str(path.relative_to(root))
        if path.is_symlink():
            seen[key] = ("link", os.readlink(path))
        elif path.is_fifo():
            seen[key] = ("fifo",)
        elif path.is_file():
            seen[key] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
        else:
            seen[key] = ("dir",)
    return seen


def fill(text: str, sandbox: Path) -> str:
    return text.format(
        spec=sandbox / "spec.yaml", roster=sandbox / "roster.csv", out=sandbox / "out", dir=sandbox
    )


def outdir_of(args: list[str]) -> Path | None:
    return Path(args[args.index("-o") + 1]) if "-o" in args else None


def _limits(row: Row) -> Any:
    size = row.env.get("ANSWERKEY_TEST_FSIZE")
    if not size:
        return None

    def apply() -> None:  # a full disk: writes past ``size`` bytes fail (EFBIG)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(size), int(size)))

    return apply


def command(row: Row, args: list[str]) -> list[str]:
    if row.env.get("ANSWERKEY_TEST_NO_TORCH"):  # PyTorch not importable
        boot = "import sys; sys.modules['torch'] = None; from answerkey.cli import main; main()"
        return [sys.executable, "-c", boot, *args]
    return [sys.executable, "-m", "answerkey.cli", *args]


def _pids(sandbox: Path, within: float = 60.0) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        file = sandbox.parent / "pids"  # the fake TeX writes it beside the sandbox
        pids = file.read_text().split() if file.exists() else []
        if pids:
            return [int(p) for p in pids]
        time.sleep(0.05)
    raise AssertionError("the fake pdflatex never started")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def run_row(row: Row, sandbox: Path) -> list[tuple[int, str, str]]:
    """Run the row's command(s); (exit code, stdout, stderr) of each."""
    args = [fill(a, sandbox) for a in row.args]
    env = {k: fill(v, sandbox) for k, v in row.env.items()}
    if not (row.proc or row.signal or row.copies > 1 or row.also):
        result = CliRunner().invoke(main, args, env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # an uncaught exception is a failure, whatever the code
        return [(result.exit_code, result.stdout, result.stderr)]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    runs = [args] * row.copies + [[fill(a, sandbox) for a in more] for more in row.also]
    procs = [
        subprocess.Popen(
            command(row, a),
            env=full_env,
            cwd=sandbox,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_limits(row),
        )
        for a in runs
    ]
    tex_pids: list[int] = []
    if row.signal:
        tex_pids = _pids(sandbox)
        procs[0].send_signal(row.signal)
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        out.append((proc.returncode, stdout, stderr))
    if tex_pids:
        time.sleep(0.2)
        assert [p for p in tex_pids if _alive(p)] == [], "a TeX process outlived answerkey"
    return out


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_hostile_input(row: Row, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if row.typeset:
        request.getfixturevalue("tex_available")
    if row.args[0] == "check" and row.code != 4:
        request.getfixturevalue("torch_available")
    sandbox = tmp_path / "box"
    sandbox.mkdir()
    for name, content in row.files.items():
        path = sandbox / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if row.setup:
        row.setup(sandbox)
    out = outdir_of([fill(a, sandbox) for a in row.args])
    if out is not None and sandbox not in [out, *out.parents]:
        out = None  # an output folder outside the sandbox: nothing may appear there either
    outside_before = snapshot(sandbox, skip=out)
    inside_before = snapshot(out) if out is not None else {}

    results = run_row(row, sandbox)

    for code, stdout, stderr in results:
        assert "Traceback" not in stdout + stderr, stderr
        assert code == row.code, (code, stderr)
        lines = stderr.splitlines()
        if row.code == 0:
            assert lines == [], stderr
        else:
            assert len(lines) == 1 and lines[0].startswith("answerkey: "), stderr
            assert row.says in lines[0], lines[0]
    assert snapshot(sandbox, skip=out) == outside_before, "something outside -o changed"
    assert not [p for p in tmp_path.rglob(".answerkey-*")], "a staging folder was left"
    if row.code != 0 and out is not None:
        assert snapshot(out) == inside_before, "a failed run changed its output folder"
    if row.code == 0 and out is not None:
        for tex in out.rglob("*.tex"):
            text = tex.read_text(encoding="utf-8")
            assert not [t for t in RAW_TEX if t in text], (
                tex.name,
                [t for t in RAW_TEX if t in text],
            )
            assert not any(ord(c) < 32 and c not in "\n\t" for c in text), tex.name
        for pdf in out.rglob("*.pdf"):
            text = pdftotext(pdf)
            assert "INJINJ" not in text and "root:x:0" not in text, pdf.name
    for canary in CANARIES:
        assert not canary.exists(), canary
    if row.check:
        row.check(sandbox)


def test_the_table_is_large_enough() -> None:
    assert len(ROWS) >= 80
    kinds = {r.code for r in ROWS}
    assert {0, 2, 4, 130, 143} <= kinds
    assert (
        sum(1 for r in ROWS if r.signal) >= 4
        and sum(1 for r in ROWS if r.copies > 1 or r.also) >= 2
    )


def pdftotext(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


H = "#$%&~_^\\{} \\input{/x/y} \\def\\x{INJ}\\x\\x é \x01"
"""A hostile text: every LaTeX special character, commands that would read a file and define
and run a macro ("INJINJ" if it ran), a Latin-1 letter and a control character."""
PRINTED = H.replace("\x01", "⟨U+0001⟩")


def _yaml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\x01", "\\x01") + '"'


def hostile_spec() -> str:
    f = {n: _yaml(f"F{n:02d} {H}") for n in range(1, 23)}
    return f"""\
title: {f[1]}
course: {f[2]}
date: {f[3]}
instructions: {f[4]}
problems:
  - id: p1
    title: {f[5]}
    text: {f[6]}
    note: {f[7]}
    networks:
      cnn:
        title: {f[8]}
        input: [16, 16, 3]
        layers:
          - {{name: {f[9]}, kind: conv2d, filters: 4, kernel: 3, padding: 1}}
          - kind: parallel
            name: {f[10]}
            branches:
              - {{name: {f[11]}, layers: [{{name: {f[12]}, kind: conv2d, filters: 2, kernel: 1}}]}}
              - name: {f[13]}
                layers: [{{name: {f[14]}, kind: maxpool2d, kernel: 3, stride: 1, padding: 1}}]
      small:
        title: {f[15]}
        input: [8, 8, 3]
        layers: [{{name: sc, kind: conv2d, filters: 2, kernel: 3}}]
    parts:
      - id: {f[16]}
        text: {f[17]}
        note: {f[18]}
        ask:
          - {{kind: shape_table}}
          - {{kind: output_shapes}}
          - {{kind: describe}}
          - {{kind: compare, networks: [cnn, small]}}
  - id: p2
    title: Dense
    networks:
      mlp:
        input: [4]
        layers:
          - {{name: {f[19]}, kind: linear, units: 3, activation: tanh}}
          - {{name: {f[20]}, kind: linear, units: 2}}
    parts:
      - {{id: a, text: Equation?, ask: [{{kind: network_equation}}, {{kind: network_backprop}}]}}
"""


def flat(text: str) -> str:
    return "".join(text.split())


def test_hostile_text_in_every_field_prints_literally(tmp_path: Path, tex_available: None) -> None:
    spec = tmp_path / "hostile.yaml"
    spec.write_text(hostile_spec(), encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(f'name,id\n"F21 {H}","F22 {H}"\n'.replace("\x01", ""), encoding="utf-8")
    out = tmp_path / "out"
    runner = CliRunner()
    for args in (
        ["build", str(spec), "-o", str(out)],
        ["slides", str(spec), "-o", str(out)],
        ["snippets", str(spec), "-o", str(out / "snippets"), "--formats", "tex,pdf"],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.stderr
    key = flat(pdftotext(out / "key.pdf"))
    slides = flat(pdftotext(out / "slides.pdf"))
    snippets = flat(" ".join(pdftotext(p) for p in sorted((out / "snippets").glob("*.pdf"))))
    where = {n: key for n in range(1, 21)} | {5: slides, 16: slides}  # frame titles
    missing = [n for n, text in where.items() if flat(f"F{n:02d} {PRINTED}") not in text]
    assert missing == [], f"fields not printed literally: {missing}"
    for n in (1, 2, 3):  # the deck's title page
        assert flat(f"F{n:02d} {PRINTED}") in slides, n
    assert flat(f"F09 {PRINTED}") in snippets and flat(f"F19 {PRINTED}") in snippets
    for text in (key, slides, snippets):
        assert "INJINJ" not in text
    variants_spec = tmp_path / "hostile-random.yaml"
    variants_spec.write_text(
        hostile_spec()
        .replace("title: Dense", 'title: "Dense ${n}"')
        .replace("problems:", "variables:\n  n: {choice: [1, 2]}\nproblems:", 1),
        encoding="utf-8",
    )
    result = runner.invoke(
        main, ["variants", str(variants_spec), "--roster", str(roster), "-o", str(tmp_path / "v")]
    )
    assert result.exit_code == 0, result.stderr
    sheet = flat(pdftotext(tmp_path / "v" / "v001" / "questions.pdf"))
    for n in (21, 22):
        assert flat(f"F{n:02d} {H}".replace("\x01", "")) in sheet, n
