"""Where the time of `answerkey derive SPEC` goes, phase by phase, in CPU milliseconds (medians
of REPEATS fresh processes; CPU time, not wall time, so that a shared machine's load counts
less). The phases run in the order the command runs them, with the collector off as the
command has it while loading (:mod:`answerkey.startup`); the last rows compare whole
processes: the command itself and `python -c "import sympy"` (B1's baseline), whose
difference from the sum of the phases is interpreter start-up and exit.

    python bench/derive_phases.py [SPEC]   (default: specs/homework3.yaml)
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import textwrap

from _common import ROOT, compile_bytecode

REPEATS = 9

PHASES = textwrap.dedent("""
    import gc, json, sys, time
    gc.disable()
    marks = [("interpreter start-up", time.process_time())]
    def mark(name):
        marks.append((name, time.process_time()))
    import sympy
    mark("import sympy")
    import click, yaml
    mark("import click, yaml")
    from pydantic import BaseModel, Field
    mark("import pydantic")
    from pydantic.plugin._loader import get_plugins
    get_plugins()
    mark("pydantic's plugin search (importlib.metadata)")
    import pylatex.utils
    mark("import PyLaTeX")
    import answerkey.cli, answerkey.derive, answerkey.jsonout, answerkey.load
    mark("import answerkey, derivations (base models)")
    import importlib
    from pathlib import Path
    from pydantic._internal import _model_construction
    import answerkey.spec
    spent = {"kinds": 0.0, "build": 0.0, "analyze": 0.0}
    def timed(key, function):
        def run(*args, **kwargs):
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[key] += time.process_time() - start
        return run
    importlib.import_module = timed("kinds", importlib.import_module)
    _model_construction.complete_model_class = timed(
        "build", _model_construction.complete_model_class
    )
    answerkey.spec.analyze = timed("analyze", answerkey.spec.analyze)
    before = time.process_time()
    loaded = answerkey.load.load_spec(Path(sys.argv[1]))
    whole = time.process_time() - before
    marks.append(("load: kind modules imported", before + spent["kinds"]))
    marks.append(("load: spec models built", marks[-1][1] + spent["build"]))
    marks.append(("load: networks analysed (SymPy)", marks[-1][1] + spent["analyze"]))
    marks.append(("load: YAML, validation, the rest", before + whole))
    gc.freeze()
    gc.enable()
    key = answerkey.derive.derive(loaded)
    mark("derive the answers")
    text = answerkey.jsonout.dumps(key)
    mark("JSON (LaTeX of every step)")
    out, last = {}, 0.0
    for name, at in marks:
        out[name] = 1000 * (at - last)
        last = at
    print(json.dumps(out))
""")


def cpu_ms(cmd: list[str]) -> float:
    """CPU milliseconds (user + system) of one run of ``cmd`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return 1000 * (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def main() -> None:
    compile_bytecode()
    spec = sys.argv[1] if len(sys.argv) > 1 else "specs/homework3.yaml"
    derive = [sys.executable, "-m", "answerkey.cli", "derive", spec]
    sympy = [sys.executable, "-c", "import sympy"]
    runs: dict[str, list[float]] = {}
    whole: dict[str, list[float]] = {"derive": [], "sympy": []}
    for _ in range(REPEATS):
        out = subprocess.run(
            [sys.executable, "-c", PHASES, spec], check=True, capture_output=True, cwd=ROOT
        ).stdout
        for name, ms in json.loads(out).items():
            runs.setdefault(name, []).append(ms)
        whole["derive"].append(cpu_ms(derive))
        whole["sympy"].append(cpu_ms(sympy))
    total = sum(statistics.median(v) for v in runs.values())
    print(f"`answerkey derive {spec}`, CPU ms, median of {REPEATS} fresh processes:")
    for name, values in runs.items():
        print(f"  {name:46s} {statistics.median(values):7.1f}")
    print(f"  {'sum of the phases':46s} {total:7.1f}")
    ours, base = statistics.median(whole["derive"]), statistics.median(whole["sympy"])
    print(f"whole process, answerkey derive:             {ours:7.1f}")
    print(f"whole process, python -c 'import sympy':     {base:7.1f}")
    print(f"CPU ratio (B1 counts wall time): {ours / base:.2f}")


if __name__ == "__main__":
    main()
