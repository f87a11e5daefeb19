"""B3: 100 variants of specs/homework3-random.yaml (200 PDFs): wall time and peak memory of
`answerkey variants`, and in the same run of latexmk alone compiling the same 200 .tex files
with the same parallelism (one job per core), and their ratio (target <= 0.25; peak < 1 GB).

Peak memory is the largest resident set of any one process of the run (the Python process
or one TeX run), from getrusage(RUSAGE_CHILDREN) in a fresh wrapper process. One run each:
the baseline alone takes minutes.

    python bench/variants_speed.py [COUNT]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from _common import ROOT, report

SPEC = ROOT / "specs" / "homework3-random.yaml"
TARGET = 0.25
MEMORY_LIMIT_MB = 1024

WRAPPER = textwrap.dedent("""
    import resource, subprocess, sys, time
    start = time.perf_counter()
    subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
    print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
""")

BASELINE = textwrap.dedent("""
    import sys
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path
    sys.path.insert(0, sys.argv[1] + "/bench")
    from _common import latexmk
    texs = [Path(p) for p in sys.argv[3:]]
    with ThreadPoolExecutor(int(sys.argv[2])) as pool:
        list(pool.map(latexmk, texs))
""")


def measured(cmd: list[str]) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER, *cmd], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout.split()
    return float(out[0]), int(out[1])


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    jobs = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        ours_dir = Path(tmp) / "ours"
        cmd = [sys.executable, "-m", "answerkey.cli", "variants", str(SPEC), "--count", str(count)]
        t_ours, m_ours = measured([*cmd, "--seed", "7", "-o", str(ours_dir)])
        base = Path(tmp) / "base"
        texs = []
        for folder in sorted(ours_dir.glob("v[0-9]*")):
            (base / folder.name).mkdir(parents=True)
            for name in ("questions.tex", "key.tex"):
                (base / folder.name / name).write_text((folder / name).read_text())
                texs.append(str(base / folder.name / name))
        t_base, m_base = measured([sys.executable, "-c", BASELINE, str(ROOT), str(jobs), *texs])
    print(f"{count} variants, {len(texs)} PDFs, {jobs} parallel LaTeX runs")
    print(f"answerkey variants: {t_ours:7.1f} s, peak {m_ours / 1024:6.0f} MB")
    print(f"latexmk alone:      {t_base:7.1f} s, peak {m_base / 1024:6.0f} MB")
    report("B3", t_ours / t_base, TARGET)
    memory = "met" if m_ours / 1024 < MEMORY_LIMIT_MB else "NOT met"
    print(f"B3 peak memory: {m_ours / 1024:.0f} MB (target < {MEMORY_LIMIT_MB} MB: {memory})")


if __name__ == "__main__":
    main()
