"""B2: wall time of `answerkey build specs/homework3.yaml` as a ratio to latexmk alone
compiling the same generated .tex files with the same parallelism (both documents at once),
measured in the same run, medians (target <= 0.5). Both start from an empty directory.

    python bench/build_speed.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import ROOT, latexmk, medians, report, wall

REPEATS = 7
SPEC = ROOT / "specs" / "homework3.yaml"
TARGET = 0.5


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        cmd = [sys.executable, "-m", "answerkey.cli", "build", str(SPEC), "-o"]
        wall([*cmd, str(base / "warm")])  # warm caches; its .tex files are the baseline's input

        def ours(i: int) -> float:
            return wall([*cmd, str(base / f"o{i}")])

        def latexmk_alone(i: int) -> float:
            work = base / f"l{i}"
            work.mkdir()
            for name in ("questions.tex", "key.tex"):
                shutil.copy(base / "warm" / name, work / name)
            start = time.perf_counter()
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(latexmk, [work / "questions.tex", work / "key.tex"]))
            return time.perf_counter() - start

        o, lk = medians(REPEATS, ours, latexmk_alone)
    print(f"answerkey build homework3:        {o:.2f} s (median of {REPEATS})")
    print(f"latexmk alone, same .tex, 2 jobs: {lk:.2f} s (median of {REPEATS})")
    report("B2", o / lk, TARGET)


if __name__ == "__main__":
    main()
