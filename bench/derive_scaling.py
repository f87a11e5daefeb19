"""B4: `answerkey derive` of a 1,000-layer CNN stack (shape table and total) as a ratio to the
10-layer stack, whole processes, medians (target <= 2.5: linear, a small constant per layer);
then the 1,000-layer key typeset completely: every table row in the PDF, no overfull box.

    python bench/derive_scaling.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import compile_bytecode, medians, report, wall
from _specs import write_cnn_stack

REPEATS = 5
TARGET = 2.5
DEEP = 1000


def derive(spec: Path) -> list[str]:
    return [sys.executable, "-m", "answerkey.cli", "derive", str(spec)]


def typeset(spec: Path, work: Path) -> None:
    """Build the deep key's .tex, compile it once, and check every row and the log."""
    from answerkey.compile import compile_pdf

    start = time.perf_counter()
    cmd = [sys.executable, "-m", "answerkey.cli", "build", str(spec), "-o", str(work)]
    subprocess.run([*cmd, "--no-pdf"], check=True, stdout=subprocess.DEVNULL)
    pdf = compile_pdf(work / "key.tex", reads_aux=False)
    seconds = time.perf_counter() - start
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    missing = [i for i in range(1, DEEP + 1) if not re.search(rf"^\s*Conv-{i}\s+32 ", text, re.M)]
    pages = text.count("\f")
    overfull = pdf.with_suffix(".log").read_text(errors="replace").count("Overfull")
    print(f"{DEEP}-layer key: {pages} pages in {seconds:.1f} s (derive, render, one pass)")
    print(f"  table rows missing: {len(missing)}; overfull boxes: {overfull}")
    verdict = "met" if not missing and overfull == 0 else "NOT met"
    print(f"B4 typeset: every row present, no overfull box: {verdict}")


def main() -> None:
    compile_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small, deep = write_cnn_stack(folder, 10), write_cnn_stack(folder, DEEP)
        wall(derive(small)), wall(derive(deep))  # warm the file cache
        t_small, t_deep = medians(
            REPEATS, lambda i: wall(derive(small)), lambda i: wall(derive(deep))
        )
        print(f"derive, 10 layers:   {t_small:.2f} s (median of {REPEATS})")
        print(f"derive, {DEEP} layers: {t_deep:.2f} s (median of {REPEATS})")
        per_layer = (t_deep - t_small) / (DEEP - 10) * 1000
        print(f"  {per_layer:.2f} ms per layer beyond the 10-layer run")
        report("B4", t_deep / t_small, TARGET)
        typeset(deep, folder / "deep")


if __name__ == "__main__":
    main()
