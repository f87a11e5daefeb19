"""B1: wall time of `answerkey derive specs/homework3.yaml`, as a ratio to
`python -c "import sympy"` measured in the same run (target <= 1.5). Each command runs REPEATS
times in a fresh process, alternating, and the medians are compared.

    python bench/derive_speed.py
"""

from __future__ import annotations

import sys

from _common import ROOT, compile_bytecode, medians, report, wall

REPEATS = 11
TARGET = 1.5
DERIVE = [sys.executable, "-m", "answerkey.cli", "derive", str(ROOT / "specs" / "homework3.yaml")]
BASELINE = [sys.executable, "-c", "import sympy"]


def main() -> None:
    compile_bytecode()
    wall(DERIVE), wall(BASELINE)  # warm the file cache
    ours, base = medians(REPEATS, lambda i: wall(DERIVE), lambda i: wall(BASELINE))
    print(f"answerkey derive homework3: {ours:.3f} s (median of {REPEATS})")
    print(f"python -c 'import sympy':   {base:.3f} s (median of {REPEATS})")
    report("B1", ours / base, TARGET)


if __name__ == "__main__":
    main()
