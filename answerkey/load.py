"""The one way in: read a spec file, draw its variant if it has ``variables``, validate it.

``load_spec(path)`` is yamlpos (values with positions) → draw (only with ``variables:``) →
validate (typed models, every network analysed). Each step raises one located
:class:`~answerkey.errors.SpecError`.
"""

from __future__ import annotations

from pathlib import Path

from answerkey.spec import LoadedSpec, validate
from answerkey.yamlpos import load_yaml


def load_spec(path: Path, seed: int = 0) -> LoadedSpec:
    """Read, validate and analyse a spec. A spec with ``variables`` gives its first variant
    for ``seed`` (``answerkey variants`` makes many)."""
    located = load_yaml(path)
    if "variables" in located.data:
        from answerkey.draw import draw_variant  # drawing's models only when a spec draws

        return draw_variant(located, path.stem, seed, 1, set()).loaded
    return validate(located, located.data, path.stem)
