"""What `answerkey derive specs/homework3.yaml` imports, and what each group costs: the self
time of every module from `python -X importtime` (medians over REPEATS runs), summed by
group. Modules that `python -c "import sympy"` also loads count as "sympy (import sympy)";
SymPy modules loaded later, on first use, are "sympy, loaded on first use". importtime's
own overhead inflates every figure alike: read the shares, not the milliseconds. Standard
library modules that `import sympy` loads too count with Python's start-up.

    python bench/import_cost.py [COMMAND ...]   (default: derive specs/homework3.yaml)
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
from collections import defaultdict

from _common import ROOT, compile_bytecode

REPEATS = 5
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)")
GROUPS = {
    "answerkey": "answerkey (this package)",
    "derivations": "derivations (this package)",
    "templates": "answerkey (this package)",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic",
    "annotated_types": "pydantic",
    "typing_inspection": "pydantic",
    "typing_extensions": "pydantic",
    "yaml": "PyYAML",
    "_yaml": "PyYAML",
    "click": "click",
    "jinja2": "Jinja2",
    "markupsafe": "Jinja2",
}


def modules(argv: list[str]) -> dict[str, int]:
    err = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    return {m[3]: int(m[1]) for line in err.splitlines() if (m := LINE.match(line))}


def main() -> None:
    compile_bytecode()
    argv = sys.argv[1:] or ["derive", "specs/homework3.yaml"]
    sympy_own = set(modules(["-c", "import sympy"]))
    totals: dict[str, list[float]] = defaultdict(list)
    for _ in range(REPEATS):
        run: dict[str, float] = defaultdict(float)
        for name, micros in modules(["-m", "answerkey.cli", *argv]).items():
            top = name.split(".")[0]
            if top in ("sympy", "mpmath"):
                group = (
                    "sympy (import sympy)" if name in sympy_own else "sympy, loaded on first use"
                )
            elif top in GROUPS:
                group = GROUPS[top]
            elif name in sympy_own:
                group = "start-up and stdlib (as import sympy)"
            else:
                group = "stdlib modules the others import"
            run[group] += micros / 1000
        for group, ms in run.items():
            totals[group].append(ms)
    rows = sorted(((statistics.median(v), g) for g, v in totals.items()), reverse=True)
    whole = sum(ms for ms, _ in rows)
    print(f"imports of `answerkey {' '.join(argv)}` (self time, median of {REPEATS}):")
    for ms, group in rows:
        print(f"  {group:36s} {ms:7.1f} ms  {100 * ms / whole:4.0f} %")


if __name__ == "__main__":
    main()
