"""Output folders: nothing answerkey did not write is deleted or overwritten; commands that
share a folder keep each other's outputs; concurrent runs into one folder all succeed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from answerkey.build import build
from answerkey.errors import OutputError
from answerkey.outputs import MARKER, OutputFolder, _mkdirs
from answerkey.slides import write_slides
from answerkey.snippets import write_snippets
from answerkey.variants import build_variants

ROOT = Path(__file__).resolve().parent.parent
HW3 = ROOT / "specs" / "homework3.yaml"
RANDOM = ROOT / "specs" / "homework3-random.yaml"


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_the_specs_own_folder_is_refused_and_kept(tmp_path: Path) -> None:
    spec = tmp_path / "hw.yaml"
    spec.write_bytes(HW3.read_bytes())
    (tmp_path / "notes.txt").write_text("mine")
    before = tree(tmp_path)
    with pytest.raises(OutputError, match="holds files answerkey did not write") as err:
        build(spec, tmp_path, pdf=False)
    assert err.value.exit_code == 2
    assert tree(tmp_path) == before
    result = build(spec, tmp_path, pdf=False, force=True)  # beside them, removing nothing
    after = tree(tmp_path)
    assert after["hw.yaml"] == before["hw.yaml"] and after["notes.txt"] == b"mine"
    assert set(result.files) <= set(after)


def test_an_input_is_never_overwritten(tmp_path: Path) -> None:
    spec = tmp_path / "key.tex"  # a spec whose name is an output's name
    spec.write_bytes(HW3.read_bytes())
    with pytest.raises(OutputError, match="is an input of this run"):
        build(spec, tmp_path, pdf=False, force=True)
    assert spec.read_bytes() == HW3.read_bytes()


def test_a_file_as_outdir_is_refused_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "out.pdf"
    target.write_text("a file")
    with pytest.raises(OutputError, match="is a file"):
        build(HW3, target, pdf=False)
    assert target.read_text() == "a file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf"]


def test_commands_sharing_a_folder_keep_each_others_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(HW3, out, pdf=False)
    write_snippets(HW3, out / "snippets", formats=["tex"])
    build_variants(RANDOM, 2, 1, outdir=out / "variants", pdf=False)
    build_variants(RANDOM, 2, 1, outdir=out, pdf=False)  # into the same folder as build
    (out / "slides.tex").unlink(missing_ok=True)
    write_slides(HW3, out, pdf=False)
    before = tree(out)
    build(HW3, out, pdf=False)
    write_slides(HW3, out, pdf=False)
    build_variants(RANDOM, 2, 1, outdir=out, pdf=False)
    after = tree(out)
    assert {k for k in after if k != MARKER} == {k for k in before if k != MARKER}
    assert {"key.tex", "slides.tex", "v001/key.tex", "snippets/preamble.tex"} <= set(after)
    assert not [p for p in out.rglob(".answerkey-*")], "staging folders left behind"
    record = json.loads((out / MARKER).read_text())["outputs"]
    assert set(record) == {"build", "slides", "variants"}


def test_a_command_removes_only_its_own_stale_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_variants(RANDOM, 3, 1, outdir=out, pdf=False)
    (out / "v009").mkdir()  # not answerkey's: kept
    build_variants(RANDOM, 2, 1, outdir=out, pdf=False)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("v0")) == [
        "v001",
        "v002",
        "v009",
    ]


def test_slides_without_pdf_leave_no_stale_pdf(tmp_path: Path, tex_available: None) -> None:
    write_slides(HW3, tmp_path / "out")
    assert (tmp_path / "out" / "slides.pdf").exists()
    write_slides(HW3, tmp_path / "out", pdf=False)
    assert not (tmp_path / "out" / "slides.pdf").exists()


def test_a_users_file_with_an_outputs_name_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(HW3, out, pdf=False)
    (out / "slides.tex").write_text("my own slides")
    with pytest.raises(OutputError, match="was not written by answerkey"):
        write_slides(HW3, out, pdf=False)
    assert (out / "slides.tex").read_text() == "my own slides"
    with pytest.raises(OutputError, match="never overwritten"):  # --force: beside, never over
        write_slides(HW3, out, pdf=False, force=True)
    assert (out / "slides.tex").read_text() == "my own slides"


def test_a_tampered_marker_deletes_nothing_outside(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(HW3, out, pdf=False)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    listed = ["../victim.txt", "/etc", "answers.json", "key.tex", "questions.tex"]
    (out / MARKER).write_text(json.dumps({"outputs": {"build": listed}}))
    build(HW3, out, pdf=False)
    assert victim.read_text() == "keep me"


def test_a_failed_run_removes_the_folders_it_made(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    with pytest.raises(RuntimeError), OutputFolder(target, "test") as out:
        (out.stage / "x").write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_run_leaves_an_existing_folder_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(HW3, out, pdf=False)
    before = tree(out)
    with pytest.raises(RuntimeError), OutputFolder(out, "build") as folder:
        (folder.stage / "key.tex").write_text("half")
        raise RuntimeError("boom")
    assert tree(out) == before


def test_eight_concurrent_builds_into_one_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "answerkey.cli", "build", str(HW3), "-o", str(out), "--no-pdf"]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(8)
    ]
    results = [(p.communicate(timeout=120)[1], p.returncode) for p in procs]
    assert all(code == 0 for _, code in results), results
    assert sorted(p.name for p in out.iterdir()) == [
        MARKER,
        "answers.json",
        "key.tex",
        "questions.tex",
    ]


def test_a_late_folder_maker_keeps_a_concurrent_runs_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs into a new folder: one makes it, and before it gives the folder its empty
    marker the other opens the folder, commits and records its outputs. The maker's marker
    must not wipe that record (or a third run would take the outputs for the user's)."""
    target = tmp_path / "out"
    real_mkdir = Path.mkdir

    def mkdir_then_another_run_commits(self: Path, *args: object, **kwargs: object) -> None:
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]
        if self == target:
            with OutputFolder(target, "build") as other:
                (other.stage / "answers.json").write_text("{}", encoding="utf-8")
                other.commit(["answers.json"])

    monkeypatch.setattr(Path, "mkdir", mkdir_then_another_run_commits)
    assert _mkdirs(target) == [target]
    monkeypatch.undo()
    record = json.loads((target / MARKER).read_text(encoding="utf-8"))
    assert record["outputs"] == {"build": ["answers.json"]}
    with OutputFolder(target, "build") as third:  # takes the outputs as answerkey's
        (third.stage / "answers.json").write_text("[]", encoding="utf-8")
        third.commit(["answers.json"])


def test_a_signal_during_the_moves_waits_for_them(tmp_path: Path) -> None:
    """SIGTERM while a run moves its files into place: every file is moved, then the run
    stops (143), so an output folder never holds half of one run and half of another."""
    import signal as sig

    from answerkey.interrupt import Interrupted, deferred

    before = sig.getsignal(sig.SIGTERM)
    moved = []
    with pytest.raises(Interrupted) as err, deferred():
        os.kill(os.getpid(), sig.SIGTERM)
        for name in ("a", "b", "c"):
            (tmp_path / name).write_text(name)
            moved.append(name)
    assert moved == ["a", "b", "c"] and err.value.exit_code == 143
    assert sig.getsignal(sig.SIGTERM) == before
