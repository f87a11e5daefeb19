"""The main job, as a table of contents: load → derive → render → write → compile → move.

Everything is written into a staging folder inside the target and moved into place, file by
file, only when the run has succeeded (:mod:`answerkey.outputs`): a failed or interrupted
build never leaves a half-written key and never removes what other commands wrote there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from answerkey.characters import Engine, check_spec
from answerkey.compile import compile_all
from answerkey.derive import derive
from answerkey.jsonout import dumps
from answerkey.load import load_spec
from answerkey.outputs import OutputFolder, output_name
from answerkey.overleaf import ZIP_NAME, write_zip
from answerkey.render import render
from answerkey.texlog import box_report
from answerkey.tools import require_tex


@dataclass(frozen=True)
class BuildResult:
    directory: Path
    files: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    """Located overfull boxes (answerkey.texlog), printed by the command line."""


def default_outdir(spec: Path) -> Path:
    return Path("build") / output_name(spec.stem)


def build(
    spec: Path,
    outdir: Path | None = None,
    pdf: bool = True,
    force: bool = False,
    *,
    strict: bool = False,
    engine: Engine = "pdflatex",
    overleaf: bool = False,
) -> BuildResult:
    """Write ``questions``/``key`` (``.tex`` and ``.pdf``) and ``answers.json`` for ``spec``.

    ``engine`` is pdflatex (the default), lualatex or xelatex; ``overleaf`` also writes
    ``overleaf.zip`` (:mod:`answerkey.overleaf`). Raises :class:`SpecError`
    (bad spec, or a character ``engine`` cannot set), :class:`ToolMissing` (no TeX),
    :class:`OutputError` (unusable ``outdir``) or :class:`CompileError` (also, with
    ``strict``, for a box that overfills by more than 1 pt); nothing is written into
    ``outdir`` unless the whole build succeeds.
    """
    loaded = load_spec(spec)
    check_spec(loaded.located, engine)
    if overleaf:
        check_spec(loaded.located, "portable")
    if pdf:
        require_tex(engine)
    key = derive(loaded)
    rendered = render(key, engine=engine)
    names = ["questions.tex", "key.tex", "answers.json"]
    warnings: tuple[str, ...] = ()
    with OutputFolder(outdir or default_outdir(spec), "build", force, [spec]) as out:
        work = out.stage
        (work / "questions.tex").write_text(rendered.questions, encoding="utf-8")
        (work / "key.tex").write_text(rendered.key, encoding="utf-8")
        (work / "answers.json").write_text(dumps(key), encoding="utf-8")
        if overleaf:
            write_zip(work / ZIP_NAME, render(key, engine="portable"))
            names.append(ZIP_NAME)
        if pdf:
            texs = [work / "questions.tex", work / "key.tex"]
            compile_all(texs, reads_aux=False, engine=engine)
            warnings = box_report(texs, strict)
            names += ["questions.pdf", "key.pdf"]
        out.commit(sorted(names))
    return BuildResult(out.target, tuple(sorted(names)), warnings)
