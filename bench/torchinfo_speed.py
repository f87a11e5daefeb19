"""B5: `answerkey derive` of a 50-layer CNN stack as a ratio to torchinfo's summary of the
same model (built from the same spec's fields, on PyTorch's meta device), whole processes,
alternating, medians (target <= 0.2). Needs torch and torchinfo (pip install '.[bench]').

    python bench/torchinfo_speed.py
"""

from __future__ import annotations

import sys
import tempfile
import textwrap
from pathlib import Path

from _common import compile_bytecode, medians, report, wall
from _specs import write_cnn_stack

REPEATS = 7
TARGET = 0.2

TORCHINFO = textwrap.dedent("""
    import sys, yaml, torch, torchinfo
    net = yaml.safe_load(open(sys.argv[1]))["problems"][0]["networks"]["cnn"]
    h, w, c = net["input"]
    layers, channels = [], c
    for layer in net["layers"]:
        layers.append(torch.nn.Conv2d(channels, layer["filters"], layer["kernel"],
                                      layer["stride"], layer["padding"], bias=False,
                                      device="meta"))
        channels = layer["filters"]
    model = torch.nn.Sequential(*layers)
    print(torchinfo.summary(model, input_size=(1, c, h, w), device="meta", verbose=0))
""")


def main() -> None:
    compile_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        spec = write_cnn_stack(Path(tmp), 50)
        ours = [sys.executable, "-m", "answerkey.cli", "derive", str(spec)]
        theirs = [sys.executable, "-c", TORCHINFO, str(spec)]
        sympy = [sys.executable, "-c", "import sympy"]
        wall(ours), wall(theirs)  # warm the file cache
        t_ours, t_theirs, t_sympy = medians(
            REPEATS, lambda i: wall(ours), lambda i: wall(theirs), lambda i: wall(sympy)
        )
    print(f"answerkey derive, 50 layers:          {t_ours:.3f} s (median of {REPEATS})")
    print(f"torchinfo summary on meta, 50 layers: {t_theirs:.3f} s (median of {REPEATS})")
    print(f"python -c 'import sympy':             {t_sympy:.3f} s (median of {REPEATS})")
    print(f"  floor of the ratio (SymPy's import alone): {t_sympy / t_theirs:.2f}")
    report("B5", t_ours / t_theirs, TARGET)


if __name__ == "__main__":
    main()
