"""``answerkey moodle`` and ``answerkey canvas``: variants → questions → one file.

The variants are drawn exactly as ``answerkey variants`` draws them (same spec and seed, same
variants), so a paper sitting and an online one can be marked against the same keys. The
file goes through :class:`~answerkey.outputs.OutputFolder` like every output: staged, moved
into place only when complete, and never over a file answerkey did not write.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from answerkey.derive import Key, derive
from answerkey.lms import canvas, moodle
from answerkey.lms.content import Figure, Question, questions
from answerkey.lms.figures import key_figures
from answerkey.load import load_spec
from answerkey.outputs import OutputFolder
from answerkey.yamlpos import load_yaml


def variant_keys(spec: Path, count: int, seed: int) -> dict[str, Key]:
    """Variant id → key; a spec without ``variables:`` gives its one key (id ``""``)."""
    if "variables" not in load_yaml(spec).data:
        return {"": derive(load_spec(spec))}
    from answerkey.draw import iter_variants

    return {v.id: derive(v.loaded) for v in iter_variants(spec, count, seed)}


@dataclass(frozen=True)
class Exported:
    """The file written, and the parts left out (answered in prose or equations: by hand)."""

    path: Path
    left_out: tuple[str, ...]


def all_questions(spec: Path, count: int, seed: int, figures: bool) -> list[Question]:
    return _questions(variant_keys(spec, count, seed), figures)


def _questions(keys: dict[str, Key], figures: bool) -> list[Question]:
    pictures: dict[str, dict[str, list[Figure]]] = (
        key_figures(keys) if figures else {v: {} for v in keys}
    )
    out: list[Question] = []
    for variant, key in keys.items():
        out.extend(questions(key, variant, pictures[variant]))
    return out


def _left_out(keys: dict[str, Key], qs: list[Question]) -> tuple[str, ...]:
    """Labels of the parts with answers that no online question carries."""
    exported = {q.category.rsplit("/", 1)[-1] for q in qs}
    first = next(iter(keys.values()))
    return tuple(
        p.label
        for p in first.parts()
        if p.answers and p.label not in exported and not p.label.startswith(tuple(exported))
    )


def _export(
    spec: Path, count: int, seed: int, out: Path | None, figures: bool, what: str
) -> Exported:
    keys = variant_keys(spec, count, seed)
    qs = _questions(keys, figures)
    if what == "moodle":
        data, name = moodle.bank(qs).encode("utf-8"), "moodle.xml"
    else:
        title = load_yaml(spec).data.get("title") or spec.stem
        data, name = canvas.package(qs, str(title)), "canvas-qti.zip"
    target = out or Path("build") / spec.stem / name
    # -o names one file: it may sit beside the user's files (never over one of them), and
    # one record per file name means writing b.xml never removes an earlier a.xml
    with OutputFolder(target.parent, f"{what}-{target.name}", True, [spec]) as folder:
        (folder.stage / target.name).write_bytes(data)
        folder.commit([target.name])
    return Exported(target, _left_out(keys, qs))


def export_moodle(
    spec: Path, count: int, seed: int, out: Path | None, figures: bool
) -> Exported:
    """A Moodle XML question bank of ``count`` variants (a category per part)."""
    return _export(spec, count, seed, out, figures, "moodle")


def export_canvas(
    spec: Path, count: int, seed: int, out: Path | None, figures: bool
) -> Exported:
    """A Canvas QTI 1.2 package (zip) of ``count`` variants (a question group per part)."""
    return _export(spec, count, seed, out, figures, "canvas")
