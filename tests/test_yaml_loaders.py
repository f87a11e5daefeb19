"""Every spec the project ships reads the same with PyYAML's pure-Python loader as with
libyaml's (which answerkey uses when PyYAML has it): libyaml accepts a few plain scalars the
YAML grammar refuses (a ``?`` inside a flow mapping), and a spec relying on that would fail
on a PyYAML built without libyaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(
    [
        *ROOT.glob("specs/**/*.yaml"),
        *ROOT.glob("tests/specs/*.yaml"),
        *ROOT.glob("tests/fixtures/*.yaml"),
    ]
)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_spec_reads_the_same_without_libyaml(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    pure = yaml.load(text, Loader=yaml.SafeLoader)
    fast = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert pure == fast
