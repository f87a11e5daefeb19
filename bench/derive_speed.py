"""Wall time of `answerkey derive specs/homework3.yaml`, as a ratio to `python -c "import
sympy"` measured in the same run (target ≤ 1.5). Each command runs REPEATS times in a fresh
process, alternating, and the medians are compared.

    python bench/derive_speed.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 7
DERIVE = [sys.executable, "-m", "answerkey.cli", "derive", str(ROOT / "specs" / "homework3.yaml")]
BASELINE = [sys.executable, "-c", "import sympy"]


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    wall(DERIVE), wall(BASELINE)  # warm the file cache
    ours, base = [], []
    for _ in range(REPEATS):
        ours.append(wall(DERIVE))
        base.append(wall(BASELINE))
    o, b = statistics.median(ours), statistics.median(base)
    print(f"answerkey derive homework3: {o:.3f} s (median of {REPEATS})")
    print(f"python -c 'import sympy':   {b:.3f} s (median of {REPEATS})")
    print(f"ratio: {o / b:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
