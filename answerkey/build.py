"""The main job, as a table of contents: load → derive → render → write → compile → move.

Everything is written into a temporary directory beside the target and moved into place only
when it is complete, so a failed or interrupted build never leaves a half-written key.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from answerkey.compile import INSTALL_HINT, compile_all, have_tex
from answerkey.derive import derive
from answerkey.jsonout import dumps
from answerkey.load import load_spec
from answerkey.render import render


@dataclass(frozen=True)
class BuildResult:
    directory: Path
    files: tuple[str, ...]
    warning: str | None = None


def default_outdir(spec: Path) -> Path:
    return Path("build") / spec.stem


def build(spec: Path, outdir: Path | None = None, pdf: bool = True) -> BuildResult:
    """Write ``questions``/``key`` (``.tex`` and ``.pdf``) and ``answers.json`` for ``spec``."""
    loaded = load_spec(spec)
    key = derive(loaded)
    rendered = render(key)
    target = outdir or default_outdir(spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    warning = None
    with tempfile.TemporaryDirectory(prefix=f".{target.name}-", dir=target.parent) as tmp:
        work = Path(tmp)
        (work / "questions.tex").write_text(rendered.questions, encoding="utf-8")
        (work / "key.tex").write_text(rendered.key, encoding="utf-8")
        (work / "answers.json").write_text(dumps(key), encoding="utf-8")
        if pdf and have_tex():
            compile_all([work / "questions.tex", work / "key.tex"], reads_aux=False)
        elif pdf:
            warning = f"PDFs not made: {INSTALL_HINT}"
        keep = sorted(p.name for p in work.iterdir() if p.suffix in {".tex", ".pdf", ".json"})
        final = work / "out"
        final.mkdir()
        for name in keep:
            (work / name).rename(final / name)
        move_into_place(final, target)
    return BuildResult(target, tuple(keep), warning)


def move_into_place(ready: Path, target: Path) -> None:
    """Move ``ready`` to ``target``, replacing an earlier build only once the new one exists."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
    ready.rename(target)
    if old is not None:
        shutil.rmtree(old)
