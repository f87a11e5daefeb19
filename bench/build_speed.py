"""Wall time of `answerkey build specs/homework3.yaml` as a ratio to latexmk alone compiling
the same generated .tex files with the same parallelism (both documents at once), measured in
the same run (target ≤ 1.15). Both start from an empty directory every time.

    python bench/build_speed.py
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from answerkey.compile import latexmk_command, tex_env  # noqa: E402

REPEATS = 5
SPEC = ROOT / "specs" / "homework3.yaml"


def ours(work: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "answerkey.cli", "build", str(SPEC), "-o", str(work / "out")],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    return time.perf_counter() - start


def latexmk_alone(sources: Path, work: Path) -> float:
    for name in ("questions.tex", "key.tex"):
        shutil.copy(sources / name, work / name)
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        done = pool.map(
            lambda n: subprocess.run(
                latexmk_command(work / n), cwd=work, env=tex_env(), check=True, capture_output=True
            ),
            ["questions.tex", "key.tex"],
        )
        list(done)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ours(base / "warm")  # warm caches; its .tex files are the baseline's input
        sources = base / "warm" / "out"
        a, b = [], []
        for i in range(REPEATS):
            (base / f"o{i}").mkdir()
            (base / f"l{i}").mkdir()
            a.append(ours(base / f"o{i}"))
            b.append(latexmk_alone(sources, base / f"l{i}"))
    o, lk = statistics.median(a), statistics.median(b)
    print(f"answerkey build homework3:        {o:.2f} s (median of {REPEATS})")
    print(f"latexmk alone, same .tex, 2 jobs: {lk:.2f} s (median of {REPEATS})")
    print(f"ratio: {o / lk:.2f} (target <= 1.15)")


if __name__ == "__main__":
    main()
