"""Randomized variants: reproducible, distinct, constraint-checked, PyTorch-checked."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from answerkey.errors import CompileError, SpecError
from answerkey.variants import build_variants, draw_variants

ROOT = Path(__file__).resolve().parent.parent
RANDOM = ROOT / "specs" / "homework3-random.yaml"

SMALL = """\
title: Small
variables:
  n: {choice: [3, 5]}
  m: {expr: "n * 2"}
constraints:
  - {kind: check, expr: "%s"}
problems:
  - id: p
    title: "A layer of ${n}"
    networks:
      net:
        input: ["${m}"]
        layers: [{name: fc, kind: linear, units: "${n}"}]
    parts:
      - {id: a, text: "Parameters of a ${m} × ${n} layer?", ask: {kind: layer_params, layer: fc}}
"""


@pytest.fixture(scope="module")
def thirty() -> list:  # type: ignore[type-arg]
    return draw_variants(RANDOM, 30, 7)


def test_variants_are_reproducible_and_distinct(thirty: list) -> None:  # type: ignore[type-arg]
    again = draw_variants(RANDOM, 30, 7)
    assert [v.values for v in again] == [v.values for v in thirty]
    assert len({tuple(sorted(v.values.items())) for v in thirty}) == 30
    assert [v.values for v in draw_variants(RANDOM, 3, 8)] != [v.values for v in thirty[:3]]


def test_constraints_hold(thirty: list) -> None:  # type: ignore[type-arg]
    for v in thirty:
        assert v.values["n_h1"] != v.values["n_h2"]
        analyses = {n: a for p in v.loaded.problems for n, a in p.context.analyses.items()}
        assert not any(r.floored for _, r in analyses["cnn"].layers()), v.id
        for a in analyses.values():
            for row in a.rows:
                if row.out_shape.is_image:
                    assert row.out_shape.height >= 4


@pytest.mark.usefixtures("torch_available")
def test_every_variant_agrees_with_pytorch(thirty: list) -> None:  # type: ignore[type-arg]
    from answerkey.referee import check_spec

    for v in thirty:
        bad = [r for r in check_spec(v.loaded) if not r.ok]
        assert not bad, (v.id, bad)


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = build_variants(RANDOM, 4, 11, outdir=tmp_path / "a", pdf=False)
    b = build_variants(RANDOM, 4, 11, outdir=tmp_path / "b", pdf=False)
    files = sorted(p.relative_to(a.directory) for p in a.directory.rglob("*") if p.is_file())
    assert len(files) == 4 * 3 + 2 + 1  # and the marker
    for f in files:
        assert (a.directory / f).read_bytes() == (b.directory / f).read_bytes(), f
    manifest = json.loads((a.directory / "variants.json").read_text())
    assert [m["variant"] for m in manifest] == ["v001", "v002", "v003", "v004"]
    first = manifest[0]
    assert first["answers"]["1(b)"] == first["variables"]["n_in"] * first["variables"]["n_h1"]


def test_roster_names_the_students(tmp_path: Path) -> None:
    roster = tmp_path / "students.csv"
    roster.write_text("name,id\nAda Lovelace,1815\nAlan Turing & Co,1912\n", encoding="utf-8")
    result = build_variants(RANDOM, None, 3, roster, tmp_path / "out", pdf=False)
    assert len(result.variants) == 2
    sheet = (result.directory / "v002" / "questions.tex").read_text()
    assert "Alan Turing \\& Co" in sheet and "1912" in sheet
    csv = (result.directory / "variants.csv").read_text().splitlines()
    assert csv[1].split(",")[3:5] == ["Ada Lovelace", "1815"]
    with pytest.raises(Exception, match="roster lists 2 students but --count is 3"):
        build_variants(RANDOM, 3, 3, roster, tmp_path / "x", pdf=False)


def test_too_many_variants_is_an_error(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(SMALL % "n > 0", encoding="utf-8")
    assert [v.values["m"] for v in draw_variants(spec, 2, 0)] in ([6, 10], [10, 6])
    with pytest.raises(SpecError, match="only 2 distinct variants can be drawn"):
        draw_variants(spec, 3, 0)


def test_impossible_constraint_names_itself(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(SMALL % "n > 100", encoding="utf-8")
    with pytest.raises(SpecError, match=r"most often broken: check\(n > 100\)"):
        draw_variants(spec, 1, 0)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('units: "${n}"', 'units: "${q}"'), "unknown variable 'q'"),
        (("{choice: [3, 5]}", "{choice: [3, 5], expr: n}"), "exactly one of choice, range or expr"),
        (('"n * 2"', '"__import__(1)"'), r"only integers, names"),
    ],
)
def test_bad_variables(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text((SMALL % "n > 0").replace(*edit), encoding="utf-8")
    with pytest.raises(SpecError, match=message) as err:
        draw_variants(spec, 1, 0)
    assert str(err.value).startswith(f"{spec}:")


def _pages(pdf: Path, folder: Path) -> list[bytes]:
    """The pages of ``pdf`` rendered at 70 dpi, as PNG bytes."""
    folder.mkdir(parents=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(folder / "p")], check=True)
    return [p.read_bytes() for p in sorted(folder.glob("p-*.png"))]


def test_batched_pdfs_look_like_standalone_builds(tmp_path: Path, tex_available: None) -> None:
    """Three variants typeset in one TeX run per kind, split: each variant's PDF renders
    pixel for pixel as its own .tex compiled alone, and the combined PDFs hold every page."""
    from pypdf import PdfReader

    from answerkey.compile import compile_pdf

    result = build_variants(RANDOM, 3, 5, outdir=tmp_path / "ok")
    total = {"key": 0, "questions": 0}
    for v in result.variants:
        for kind in total:
            alone = tmp_path / "alone" / v.id / f"{kind}.tex"
            alone.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(result.directory / v.id / f"{kind}.tex", alone)
            split = result.directory / v.id / f"{kind}.pdf"
            want = _pages(compile_pdf(alone, reads_aux=False), tmp_path / "png" / v.id / kind)
            got = _pages(split, tmp_path / "png" / v.id / f"{kind}-split")
            assert len(got) == len(want) and got == want, (v.id, kind)
            total[kind] += len(got)
    assert len(PdfReader(result.directory / "all-keys.pdf").pages) == total["key"]
    assert len(PdfReader(result.directory / "all-questions.pdf").pages) == total["questions"]
    again = build_variants(RANDOM, 3, 5, outdir=tmp_path / "again")
    for f in sorted(p.relative_to(result.directory) for p in result.directory.rglob("*.pdf")):
        assert (result.directory / f).read_bytes() == (again.directory / f).read_bytes(), f


def test_pdfs_combined_and_failures_named(
    tmp_path: Path, tex_available: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = build_variants(RANDOM, 2, 5, outdir=tmp_path / "ok")
    names = sorted(p.name for p in result.directory.iterdir())
    assert names == [
        ".answerkey",
        "all-keys.pdf",
        "all-questions.pdf",
        "v001",
        "v002",
        "variants.csv",
        "variants.json",
    ]
    assert sorted(p.name for p in (result.directory / "v001").iterdir()) == [
        "answers.json",
        "key.pdf",
        "key.tex",
        "questions.pdf",
        "questions.tex",
    ]

    from answerkey import variants as module

    real = module.render
    written: dict[str, str] = {}

    def broken(key, variant=None, student=None):  # type: ignore[no-untyped-def]
        rendered = real(key, variant=variant, student=student)
        if variant == "Variant 2":  # a TeX error in the body of variant 2's key only
            bad = rendered.key.replace("\\begin{questions}", "\\undefinedmacro\n\\begin{questions}")
            written["v002"] = bad
            return type(rendered)(rendered.questions, bad)
        return rendered

    monkeypatch.setattr(module, "render", broken)
    with pytest.raises(CompileError) as err:
        build_variants(RANDOM, 3, 5, outdir=tmp_path / "bad")
    message = str(err.value)
    assert message.startswith("v002/key.tex: Undefined control sequence"), message
    assert ": \\undefinedmacro" in message
    expected = written["v002"].splitlines().index("\\undefinedmacro") + 1
    assert f"key.tex:{expected}: \\undefinedmacro" in message, "v002's own line is quoted"
    assert not (tmp_path / "bad").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
