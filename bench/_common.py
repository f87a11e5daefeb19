"""What the benchmarks share: latexmk as the baseline, medians of alternating runs."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from answerkey.compile import tex_env  # noqa: E402


def latexmk_command(tex: Path) -> list[str]:
    """The baseline: latexmk as answerkey used to run it (same locked-down environment)."""
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


def latexmk(tex: Path) -> None:
    subprocess.run(
        latexmk_command(tex), cwd=tex.parent, env=tex_env(), check=True, capture_output=True
    )


def compile_bytecode() -> None:
    """Write the package's bytecode, as an install does (a machine that sets
    PYTHONDONTWRITEBYTECODE would otherwise compile every module from source on every run)."""
    import compileall

    for folder in ("answerkey", "derivations", "templates"):
        compileall.compile_dir(ROOT / folder, quiet=1)


def wall(cmd: list[str], cwd: Path = ROOT) -> float:
    """Seconds for one run of ``cmd`` in a fresh process (its output discarded)."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=cwd)
    return time.perf_counter() - start


def medians(repeats: int, *runs: Callable[[int], float]) -> list[float]:
    """Each run ``repeats`` times, alternating (so drift hits all alike); their medians."""
    times: list[list[float]] = [[] for _ in runs]
    for i in range(repeats):
        for out, run in zip(times, runs, strict=True):
            out.append(run(i))
    return [statistics.median(t) for t in times]


def report(name: str, ratio: float, target: float) -> None:
    verdict = "met" if ratio <= target else "NOT met"
    print(f"{name} ratio: {ratio:.2f} (target <= {target}: {verdict})")
