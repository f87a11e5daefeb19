"""The rows of the hostile-input table (run by ``tests/test_hostile.py``).

Each row is one command line with the files it reads, and what must come of it: the exit code
and a few words of the one line on stderr. Paths in ``args`` are written ``{spec}``,
``{roster}``, ``{out}`` (the output folder, inside the row's sandbox) or ``{dir}`` (the sandbox).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

VALID = """\
title: T
problems:
  - id: p
    title: P
    networks:
      net:
        input: [32, 32, 3]
        layers:
          - {name: c1, kind: conv2d, filters: 8, kernel: 3, stride: 1, padding: 1}
          - {name: fc, kind: linear, units: 10}
    parts:
      - id: a
        text: Count.
        ask: {kind: layer_params, layer: c1}
"""

CONV = "          - {name: c1, kind: conv2d, filters: 8, kernel: 3, stride: 1, padding: 1}\n"
FC = "          - {name: fc, kind: linear, units: 10}\n"

DENSE = """\
title: Dense
problems:
  - id: p
    title: P
    networks:
      net:
        input: [4]
        layers:
          - {name: "NAME1", kind: linear, units: 3, activation: tanh}
          - {name: "NAME2", kind: linear, units: 2}
    parts:
      - id: PART
        text: Equation?
        ask: [{kind: network_equation}, {kind: network_backprop}]
"""

RANDOM = """\
title: R
variables:
VARIABLES
constraints:
CONSTRAINTS
problems:
  - id: p
    title: P
    networks:
      net:
        input: ["${n}"]
        layers: [{name: fc, kind: linear, units: 3}]
    parts:
      - {id: a, text: "Parameters?", ask: {kind: layer_params, layer: fc}}
"""


def edit(old: str, new: str, base: str = VALID) -> str:
    assert old in base, old
    return base.replace(old, new)


def random_spec(variables: str, constraints: str = "  []") -> str:
    text = RANDOM.replace("VARIABLES", variables).replace("CONSTRAINTS", constraints)
    return text.replace("constraints:\n  []", "constraints: []")


def dense(name1: str = "h1", name2: str = "h2", part: str = "a") -> str:
    return DENSE.replace("NAME1", name1).replace("NAME2", name2).replace("PART", part)


@dataclass
class Row:
    """One hostile input and the outcome it must have."""

    id: str
    args: list[str]
    code: int
    says: str = ""
    files: dict[str, str | bytes] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None
    check: Callable[[Path], None] | None = None
    proc: bool = False  # a real process (with a timeout), not click's in-process runner
    env: dict[str, str] = field(default_factory=dict)
    typeset: bool = False  # needs TeX
    signal: int | None = None  # sent once the (slow, fake) TeX run has started
    copies: int = 1  # the same command, this many at once into one folder
    also: list[list[str]] = field(default_factory=list)  # other commands run at the same time


def derive(spec: str, code: int, says: str = "", **kw: object) -> Row:
    """A row for ``answerkey derive`` of one spec text; the id is filled in by the table."""
    return Row("", ["derive", "{spec}"], code, says, files={"spec.yaml": spec}, **kw)  # type: ignore[arg-type]


def build(spec: str, code: int, says: str = "", pdf: bool = False, **kw: object) -> Row:
    args = ["build", "{spec}", "-o", "{out}", *([] if pdf else ["--no-pdf"])]
    return Row("", args, code, says, files={"spec.yaml": spec}, typeset=pdf, **kw)  # type: ignore[arg-type]


def variants(
    spec: str, code: int, says: str = "", extra: tuple[str, ...] = (), **kw: object
) -> Row:
    args = ["variants", "{spec}", "-o", "{out}", "--no-pdf", *extra]
    return Row("", args, code, says, files={"spec.yaml": spec}, **kw)  # type: ignore[arg-type]


def roster(
    text: str | bytes, code: int, says: str = "", count: int | None = None, **kw: object
) -> Row:
    extra = ("--roster", "{roster}", *(["--count", str(count)] if count else []))
    row = variants(random_spec("  n: {choice: [3, 5, 7, 9]}"), code, says, extra, **kw)
    row.files["roster.csv"] = text
    return row


def mkfifo(name: str) -> Callable[[Path], None]:
    return lambda d: os.mkfifo(d / name)


def symlink(name: str, target: str) -> Callable[[Path], None]:
    return lambda d: (d / name).symlink_to(target)


def _cases() -> dict[str, Row]:
    big_line = "x" * 200_000
    alias = 'a: &a "' + "y" * 100_000 + '"\nb: [' + ", ".join(["*a"] * 30) + "]\n" + VALID
    nested = "title: " + "[" * 200 + "]" * 200 + "\n"
    branches = (
        "{kind: parallel, branches: [{name: a, layers: [X]}, {name: b, layers: [{kind: flatten}]}]}"
    )
    deep_parallel = "{kind: flatten}"
    for _ in range(150):
        deep_parallel = branches.replace("X", deep_parallel)
    return {
        # -- malformed specs: each one located line, exit 2 ----------------------------------
        "padding-as-documented-list": build(edit("padding: 1}", "padding: [0, 1]}"), 0),
        "question-without-networks": derive(
            edit(
                """    networks:
      net:
        input: [32, 32, 3]
        layers:
          - {name: c1, kind: conv2d, filters: 8, kernel: 3, stride: 1, padding: 1}
          - {name: fc, kind: linear, units: 10}
""",
                "",
            ).replace("{kind: layer_params, layer: c1}", "total_params"),
            2,
            "no network",
        ),
        "integer-of-5000-digits": derive(
            edit("filters: 8", "filters: " + "9" * 5000), 2, "5,000 digits is too long"
        ),
        "size-beyond-int64": derive(edit("filters: 8", "filters: " + "9" * 40), 2, "at most"),
        "size-beyond-1e9": derive(edit("input: [32, 32, 3]", "input: [32, 32, 3000000000]"), 2),
        "pair-text-of-huge-digits": derive(edit("kernel: 3", 'kernel: "' + "9" * 5000 + 'x3"'), 2),
        "yaml-200-deep": derive(nested, 2, "nests more than 64"),
        "150-nested-parallel-blocks": derive(
            edit("- {name: fc, kind: linear, units: 10}", "- " + deep_parallel), 2, "nests"
        ),
        "alias-100kb-string-30-times": derive(alias, 2, "characters of text"),
        "raw-control-character-in-yaml": derive(VALID.replace("title: T", "title: T\x01"), 2),
        "nul-byte-in-yaml": derive(VALID.replace("title: T", "title: T\x00"), 2),
        "latin-1-spec": Row(
            "",
            ["derive", "{spec}"],
            2,
            "not UTF-8",
            files={"spec.yaml": VALID.replace("title: T", "title: caf\xe9").encode("latin-1")},
        ),
        "title-of-200k-characters": derive(
            edit("title: T", f"title: {big_line}"), 2, "at most 300"
        ),
        "part-text-of-200k-characters": derive(
            edit("text: Count.", f"text: {big_line}"), 2, "at most 20,000"
        ),
        "27-parts": derive(
            edit(
                VALID[VALID.index("      - id: a") :],
                "".join(f"      - {{id: x{i}, text: Q., ask: total_params}}\n" for i in range(27)),
            ),
            2,
            "at most 26",
        ),
        "400-layer-module-graph": build(
            edit(
                CONV + FC,
                "".join(
                    f"          - {{name: l{i}, kind: linear, units: 4}}\n" for i in range(400)
                ),
            )
            .replace("input: [32, 32, 3]", "input: [4]")
            .replace("{kind: layer_params, layer: c1}", "output_shapes"),
            0,
            pdf=True,
        ),
        "compare-with-no-parameters": derive(
            edit(
                FC,
                FC + "      empty:\n        input: [10]\n"
                "        layers: [{kind: activation, function: relu}]\n",
            ).replace("{kind: layer_params, layer: c1}", "{kind: compare, networks: [net, empty]}"),
            2,
            "no parameters",
        ),
        "field-name-with-escape-sequence": derive(
            edit("stride: 1", '"str\\x1b[31mide\\n": 1'), 2, "\\x1b[31m"
        ),
        "duplicate-key": derive(edit("title: P", "title: P\n    title: Q"), 2, "given twice"),
        "python-object-tag": derive(
            edit("title: T", "title: !!python/object/apply:os.system [touch /tmp/answerkey-pwned]"),
            2,
        ),
        "merge-key": derive("base: &b {x: 1}\nother:\n  <<: *b\n", 2, "merge keys"),
        "not-a-mapping": derive("- a\n- b\n", 2, "top level"),
        "empty-file": derive("", 2, "empty"),
        "date-as-title": derive(edit("title: T", "title: 2024-01-01"), 2, "expected text"),
        # -- symbol names the printer could not print, or SymPy would read back as constants --
        **{
            f"symbol-{name}": derive(edit("filters: 8", f"filters: {name}"), 2, "size symbol")
            for name in ("n1_in", "a_b_", "xscr", "I", "E", "pi", "S", "N", "oo", "gamma", "lambda")
        },
        "symbol-n_in-is-fine": derive(edit("filters: 8", "filters: n_in"), 0),
        # -- text that must survive as itself ---------------------------------------------------
        "control-characters-in-text": build(
            edit("text: Count.", 'text: "x\\x01y\\x02z \\x07 \\x7f \\x9f end"'), 0, pdf=True
        ),
        "line-breaks-in-one-line-fields": build(
            edit("title: T", 'title: "a\\n\\nb\\rc"')
            .replace("title: P", 'title: "P\\r\\n\\r\\nQ"')
            .replace("name: c1", 'name: "c\\n\\n1"')
            .replace("layer: c1", 'layer: "c 1"'),
            0,
            pdf=True,
        ),
        "blank-lines-in-prose": build(
            edit("text: Count.", 'text: "one\\n\\ntwo\\rthree"'), 0, pdf=True
        ),
        "tex-in-a-layer-name-used-as-a-symbol": build(
            dense("\\\\def\\\\x{INJ}\\\\x\\\\x", "h^{\\\\input{/etc/passwd}}"), 0, pdf=True
        ),
        "tex-loop-in-a-layer-name": build(dense("h1", "\\\\def\\\\a{\\\\a}\\\\a"), 0, pdf=True),
        "write18-in-a-layer-name": build(
            dense("\\\\immediate\\\\write18{touch /tmp/answerkey-pwned}", "h2"), 0, pdf=True
        ),
        "openout-in-a-layer-name": build(
            dense("\\\\immediate\\\\openout9=answers.json h", "h2"), 0, pdf=True
        ),
        "write18-in-a-layer-name-into-snippets": Row(
            "",
            ["snippets", "{spec}", "-o", "{out}", "--formats", "tex,pdf"],
            0,
            files={"spec.yaml": dense("\\\\immediate\\\\write18{touch /tmp/answerkey-pwned}")},
            typeset=True,
        ),
        "check-beyond-what-pytorch-can-hold": Row(
            "",
            ["check", "{spec}"],
            5,
            "differ from PyTorch",
            files={"spec.yaml": edit("input: [32, 32, 3]", "input: [1000000000, 1000000000, 9]")},
            proc=True,
        ),
        "ampersand-in-a-part-id-on-slides": Row(
            "",
            ["slides", "{spec}", "-o", "{out}"],
            0,
            files={"spec.yaml": dense(part="'a&'")},
            typeset=True,
        ),
        # -- drawn variables and constraints ----------------------------------------------------
        "range-of-a-billion": variants(random_spec("  n: {range: [1, 1000000000]}"), 0, proc=True),
        "nested-powers": variants(
            random_spec('  n: {choice: [9]}\n  m: {expr: "((((n**8)**8)**8)**8)**8"}'),
            2,
            "beyond",
            proc=True,
        ),
        "power-with-variable-exponent": variants(
            random_spec('  n: {choice: [9]}\n  m: {expr: "n**n"}'), 2, "constant exponent"
        ),
        "division-by-zero": variants(
            random_spec('  n: {choice: [3]}\n  m: {expr: "n // (n - 3)"}'),
            2,
            "variables.m.expr: division by zero",
        ),
        "modulo-by-zero": variants(
            random_spec('  n: {choice: [3]}\n  m: {expr: "n % 0"}'), 2, "modulo by zero"
        ),
        "unknown-name-in-expr": variants(
            random_spec('  n: {choice: [3]}\n  m: {expr: "n + q"}'),
            2,
            "variables.m.expr: unknown variable 'q'",
        ),
        "very-long-expr": variants(
            random_spec('  n: {choice: [3]}\n  m: {expr: "' + "+".join(["n"] * 400) + '"}'),
            2,
            "characters",
        ),
        "very-deep-expr": variants(
            random_spec('  n: {choice: [3]}\n  m: {expr: "' + "-" * 100 + 'n"}'), 2, "too large"
        ),
        "python-in-expr": variants(
            random_spec("  n: {choice: [3]}\n  m: {expr: \"__import__('os').system('true')\"}"),
            2,
            "only integers",
        ),
        "float-in-expr": variants(random_spec('  n: {choice: [3]}\n  m: {expr: "n * 1.5"}'), 2),
        "huge-constant-in-expr": variants(
            random_spec('  n: {choice: [3]}\n  m: {expr: "n * ' + "9" * 30 + '"}'), 2, "beyond"
        ),
        "cyclic-exprs": variants(
            random_spec('  n: {expr: "m + 1"}\n  m: {expr: "n + 1"}'), 2, "depend on each other"
        ),
        "boolean-in-choice": variants(random_spec("  n: {choice: [true, 3]}"), 2, "integer"),
        "string-in-choice": variants(random_spec('  n: {choice: ["3", 5]}'), 2, "integer"),
        "float-in-choice": variants(random_spec("  n: {choice: [3.0, 5]}"), 2, "integer"),
        "boolean-in-range": variants(random_spec("  n: {range: [false, 5]}"), 2, "integer"),
        "empty-range": variants(random_spec("  n: {range: [9, 5]}"), 2, "empty"),
        "bad-variable-name": variants(
            random_spec('  n: {choice: [3]}\n  "a b": {choice: [1]}'), 2, "variable name"
        ),
        "distinct-over-an-unknown-variable": variants(
            random_spec("  n: {choice: [3, 5]}", "  - {kind: distinct, variables: [n, zz]}"),
            2,
            "unknown variable 'zz'",
        ),
        "check-with-division-by-zero": variants(
            random_spec("  n: {choice: [3, 5]}", '  - {kind: check, expr: "n // 0 > 1"}'),
            2,
            "division by zero",
        ),
        "constraint-on-a-symbolic-network": variants(
            random_spec(
                "  n: {choice: [3, 5]}", "  - {kind: params_between, network: net, min: 1}"
            ).replace('input: ["${n}"]', "input: [k]"),
            2,
            "needs numbers",
        ),
        "constraint-on-an-unknown-network": variants(
            random_spec(
                "  n: {choice: [3, 5]}", "  - {kind: params_between, network: nope, min: 1}"
            ),
            2,
            "nope",
        ),
        "more-variants-than-draws": variants(
            random_spec("  n: {choice: [3, 5]}"), 2, "distinct", ("--count", "3")
        ),
        "variants-of-a-spec-without-variables": variants(VALID, 2, "draws nothing"),
        # -- rosters -----------------------------------------------------------------------------
        "roster-latin-1": roster("name,id\nJos\xe9,1\nAda,2\n".encode("latin-1"), 2, "not UTF-8"),
        "roster-utf-16": roster("name,id\nJosé,1\nAda,2\n".encode("utf-16"), 0),
        "roster-utf-8-bom": roster("\ufeffname,id\nJosé,1\nAda,2\n".encode(), 0),
        "roster-short-row": roster("id,name\n1,Ada\n2\n", 2, "no student name"),
        "roster-huge-field": roster("name,id\n" + "A" * 200_000 + ",1\n", 2),
        "roster-unterminated-quote": roster('name,id\n"Ada,1\nBob,2\n', 2, "CSV"),
        "roster-name-with-line-break": roster(
            'name,id\n"Ada\nLovelace",1\nBob,2\n', 2, "line break"
        ),
        "roster-control-character": roster("name,id\nA\x07da,1\nBob,2\n", 2, "control character"),
        "roster-empty": roster("", 2, "no students"),
        "roster-count-mismatch": roster("name,id\nAda,1\nBob,2\n", 2, "roster lists 2", count=3),
        "roster-formula-injection": roster(
            "name,id\n\"=cmd|' /C calc'!A0\",+SUM(1)\n@evil,-1+2\n",
            0,
            check=lambda d: _csv_neutralised(d),
        ),
        "roster-is-a-fifo": Row(
            "",
            ["variants", "{spec}", "-o", "{out}", "--no-pdf", "--roster", "{dir}/fifo.csv"],
            2,
            "not a regular file",
            files={"spec.yaml": random_spec("  n: {choice: [3, 5]}")},
            setup=mkfifo("fifo.csv"),
            proc=True,
        ),
        "roster-is-dev-zero": Row(
            "",
            ["variants", "{spec}", "-o", "{out}", "--no-pdf", "--roster", "/dev/zero"],
            2,
            "not a regular file",
            files={"spec.yaml": random_spec("  n: {choice: [3, 5]}")},
            proc=True,
        ),
        "roster-missing": Row(
            "",
            ["variants", "{spec}", "-o", "{out}", "--no-pdf", "--roster", "{dir}/none.csv"],
            2,
            "no such file",
            files={"spec.yaml": random_spec("  n: {choice: [3, 5]}")},
        ),
        # -- spec files that are not files -------------------------------------------------------
        "spec-is-a-fifo": Row(
            "",
            ["build", "{dir}/fifo.yaml", "-o", "{out}"],
            2,
            "not a regular file",
            setup=mkfifo("fifo.yaml"),
            proc=True,
        ),
        "spec-is-dev-zero": Row("", ["derive", "/dev/zero"], 2, "not a regular file", proc=True),
        "spec-is-a-symlink-to-dev-zero": Row(
            "",
            ["derive", "{dir}/z.yaml"],
            2,
            "not a regular file",
            setup=symlink("z.yaml", "/dev/zero"),
            proc=True,
        ),
        "spec-is-a-directory": Row("", ["derive", "{dir}"], 2, "is a directory"),
        "spec-missing": Row("", ["build", "{dir}/none.yaml", "-o", "{out}"], 2, "no such file"),
        "variants-of-a-missing-spec": Row(
            "", ["variants", "{dir}/none.yaml", "-o", "{out}"], 2, "no such file"
        ),
        "spec-over-1mb": derive(VALID + "# pad\n" * 200_000, 2, "at most 1,000,000"),
        # -- output folders -------------------------------------------------------------------
        "outdir-is-a-file": Row(
            "",
            ["build", "{spec}", "-o", "{dir}/spec.yaml", "--no-pdf"],
            2,
            "is a file",
            files={"spec.yaml": VALID},
        ),
        "outdir-is-the-specs-folder": Row(
            "",
            ["build", "{spec}", "-o", "{dir}", "--no-pdf"],
            2,
            "did not write",
            files={"spec.yaml": VALID},
        ),
        "outdir-is-the-specs-folder-forced": Row(
            "",
            ["build", "{spec}", "-o", "{dir}", "--no-pdf", "--force"],
            0,
            files={"spec.yaml": VALID},
            check=lambda d: _spec_kept(d),
        ),
        "outdir-under-a-file": Row(
            "",
            ["build", "{spec}", "-o", "{dir}/spec.yaml/x", "--no-pdf"],
            2,
            "cannot",
            files={"spec.yaml": VALID},
        ),
        "outdir-in-proc": Row(
            "",
            ["build", "{spec}", "-o", "/proc/1/answerkey-x", "--no-pdf"],
            2,
            "cannot",
            files={"spec.yaml": VALID},
        ),
        "outdir-holding-a-users-key": Row(
            "",
            ["build", "{spec}", "-o", "{out}", "--no-pdf"],
            2,
            "did not write",
            files={"spec.yaml": VALID, "out/key.tex": "my own key"},
        ),
        "snippets-into-a-users-folder": Row(
            "",
            ["snippets", "{spec}", "-o", "{out}", "--formats", "tex"],
            2,
            "did not write",
            files={"spec.yaml": VALID, "out/notes.txt": "mine"},
        ),
        "slides-into-a-users-folder": Row(
            "",
            ["slides", "{spec}", "-o", "{out}", "--no-pdf"],
            2,
            "did not write",
            files={"spec.yaml": VALID, "out/slides.tex": "mine"},
        ),
        "full-disk": Row(
            "",
            ["build", "{spec}", "-o", "{out}", "--no-pdf"],
            2,
            "File too large",
            files={"spec.yaml": VALID},
            proc=True,
            env={"ANSWERKEY_TEST_FSIZE": "2000"},
        ),
        # -- command lines ----------------------------------------------------------------------
        "unknown-command": Row("", ["bogus"], 2, "No such command"),
        "missing-spec-argument": Row("", ["build"], 2, "Missing argument"),
        "count-zero": Row(
            "", ["variants", "{spec}", "--count", "0"], 2, "--count", files={"spec.yaml": VALID}
        ),
        "unknown-format": Row(
            "",
            ["snippets", "{spec}", "--formats", "tex,doc", "-o", "{out}"],
            2,
            "unknown format",
            files={"spec.yaml": VALID},
        ),
        "dpi-too-small": Row(
            "", ["snippets", "{spec}", "--dpi", "5"], 2, "--dpi", files={"spec.yaml": VALID}
        ),
        "unknown-option": Row(
            "", ["build", "{spec}", "--bogus"], 2, "No such option", files={"spec.yaml": VALID}
        ),
        # -- missing tools: exit 4, nothing written ----------------------------------------------
        **{
            f"no-tex-{cmd}": Row(
                "",
                [cmd, "{spec}", "-o", "{out}"],
                4,
                "pdflatex is not installed",
                files={
                    "spec.yaml": VALID if cmd != "variants" else random_spec("  n: {choice: [3]}")
                },
                env={"PATH": "{dir}/empty-bin"},
                setup=lambda d: (d / "empty-bin").mkdir(),
            )
            for cmd in ("build", "slides", "snippets", "variants")
        },
        "no-tex-build-no-pdf-is-fine": Row(
            "",
            ["build", "{spec}", "-o", "{out}", "--no-pdf"],
            0,
            files={"spec.yaml": VALID},
            env={"PATH": "{dir}/empty-bin"},
            setup=lambda d: (d / "empty-bin").mkdir(),
        ),
        "no-tex-snippets-tex-only-is-fine": Row(
            "",
            ["snippets", "{spec}", "-o", "{out}", "--formats", "tex"],
            0,
            files={"spec.yaml": VALID},
            env={"PATH": "{dir}/empty-bin"},
            setup=lambda d: (d / "empty-bin").mkdir(),
        ),
        "no-poppler-snippets-svg": Row(
            "",
            ["snippets", "{spec}", "-o", "{out}", "--formats", "svg"],
            4,
            "poppler",
            files={"spec.yaml": VALID},
            env={"PATH": "{dir}/tex-only"},
            setup=lambda d: _tex_only(d),
        ),
        # -- signals: a slow (fake) pdflatex, then SIGTERM or SIGINT: exit 128 + n, the staging
        # folder gone, the earlier outputs as they were, no TeX process left ----------------
        **{
            f"{sig.name}-during-{cmd}": Row(
                "",
                [cmd, "{spec}", "-o", "{out}"],
                128 + sig,
                sig.name,
                files={
                    "spec.yaml": VALID
                    if cmd != "variants"
                    else random_spec("  n: {choice: [3, 5]}")
                },
                setup=_slow_tex,
                env={"PATH": "{dir}/slow-bin:" + os.environ.get("PATH", "")},
                proc=True,
                signal=sig,
            )
            for cmd, sig in (
                ("build", signal.SIGTERM),
                ("build", signal.SIGINT),
                ("slides", signal.SIGTERM),
                ("snippets", signal.SIGTERM),
                ("variants", signal.SIGTERM),
                ("variants", signal.SIGINT),
            )
        },
        # -- concurrency: runs into one folder all succeed, none removes another's outputs ----
        "eight-builds-into-one-folder": Row(
            "",
            ["build", "{spec}", "-o", "{out}", "--no-pdf"],
            0,
            files={"spec.yaml": VALID},
            proc=True,
            copies=8,
        ),
        "build-slides-snippets-variants-at-once": Row(
            "",
            ["build", "{spec}", "-o", "{out}", "--no-pdf"],
            0,
            files={"spec.yaml": VALID, "random.yaml": random_spec("  n: {choice: [3, 5]}")},
            proc=True,
            also=[
                ["slides", "{spec}", "-o", "{out}", "--no-pdf"],
                ["snippets", "{spec}", "-o", "{out}/snippets", "--formats", "tex"],
                ["variants", "{dir}/random.yaml", "-o", "{out}", "--no-pdf"],
            ],
            check=lambda d: _all_outputs(d),
        ),
        "no-torch-check": Row(
            "",
            ["check", "{spec}"],
            4,
            "answerkey[check]",
            files={"spec.yaml": VALID},
            proc=True,
            env={"ANSWERKEY_TEST_NO_TORCH": "1"},
        ),
    }


def _slow_tex(folder: Path) -> None:
    """A pdflatex that records its process id and its child's, then sleeps (until killed)."""
    bin_dir = folder / "slow-bin"
    bin_dir.mkdir()
    fake = bin_dir / "pdflatex"
    fake.write_text(f"#!/bin/sh\nsleep 60 &\necho $$ $! >> {folder.parent}/pids\nwait\n")
    fake.chmod(0o755)
    (folder / "out").mkdir()
    (folder / "out" / ".answerkey").write_text('{"outputs": {"build": ["key.tex"]}}')
    (folder / "out" / "key.tex").write_text("the earlier key")


def _all_outputs(folder: Path) -> None:
    names = {p.name for p in (folder / "out").iterdir()}
    assert {"key.tex", "answers.json", "slides.tex", "snippets", "v001", "variants.csv"} <= names
    assert (folder / "out" / "snippets" / "preamble.tex").exists()


def _csv_neutralised(folder: Path) -> None:
    text = (folder / "out" / "variants.csv").read_text(encoding="utf-8")
    assert "'=cmd|' /C calc'!A0" in text and "'+SUM(1)" in text, text
    assert "'@evil" in text and "'-1+2" in text, text
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "@")), cell


def _spec_kept(folder: Path) -> None:
    assert (folder / "spec.yaml").read_text() == VALID
    assert (folder / "key.tex").exists()


def _tex_only(folder: Path) -> None:
    """A PATH with TeX but without poppler."""
    import shutil

    bin_dir = folder / "tex-only"
    bin_dir.mkdir()
    for tool in ("pdflatex", "kpsewhich"):
        real = shutil.which(tool)
        if real:
            (bin_dir / tool).symlink_to(real)


CASES = _cases()
ROWS = [
    Row(k, **{f: getattr(r, f) for f in Row.__dataclass_fields__ if f != "id"})
    for k, r in CASES.items()
]
