"""``answerkey moodle`` and ``answerkey canvas``: variants → questions → one file.

The variants are drawn exactly as ``answerkey variants`` draws them (same spec and seed, same
variants), so a paper sitting and an online one can be marked against the same keys. The
file is written beside its target and renamed into place, so a failure leaves nothing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from answerkey.derive import Key, derive
from answerkey.lms import canvas, moodle
from answerkey.lms.content import Figure, Question, questions
from answerkey.lms.figures import key_figures
from answerkey.load import load_spec
from answerkey.yamlpos import load_yaml


def variant_keys(spec: Path, count: int, seed: int) -> dict[str, Key]:
    """Variant id → key; a spec without ``variables:`` gives its one key (id ``""``)."""
    if "variables" not in load_yaml(spec).data:
        return {"": derive(load_spec(spec))}
    from answerkey.draw import iter_variants

    return {v.id: derive(v.loaded) for v in iter_variants(spec, count, seed)}


def all_questions(spec: Path, count: int, seed: int, figures: bool) -> list[Question]:
    keys = variant_keys(spec, count, seed)
    pictures: dict[str, dict[str, list[Figure]]] = (
        key_figures(keys) if figures else {v: {} for v in keys}
    )
    out: list[Question] = []
    for variant, key in keys.items():
        out.extend(questions(key, variant, pictures[variant]))
    return out


def _write(target: Path, data: bytes) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    Path(tmp).replace(target)
    return target


def export_moodle(spec: Path, count: int, seed: int, out: Path | None, figures: bool) -> Path:
    qs = all_questions(spec, count, seed, figures)
    target = out or Path("build") / spec.stem / "moodle.xml"
    return _write(target, moodle.bank(qs).encode("utf-8"))


def export_canvas(spec: Path, count: int, seed: int, out: Path | None, figures: bool) -> Path:
    qs = all_questions(spec, count, seed, figures)
    title = load_yaml(spec).data.get("title") or spec.stem
    target = out or Path("build") / spec.stem / "canvas-qti.zip"
    return _write(target, canvas.package(qs, str(title)))
