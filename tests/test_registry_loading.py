"""The registries load a kind's module when a spec names the kind, and list every kind in one
order however they were loaded (:mod:`derivations.registry`).

Each check runs in a fresh interpreter: which modules a process has imported is the point.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


LISTING = """
    import json
    from derivations.layers import LAYER_KINDS
    from derivations.questions import QUESTION_KINDS
    {before}
    print(json.dumps([list(LAYER_KINDS), list(QUESTION_KINDS)]))
"""


def test_the_order_of_the_kinds_does_not_depend_on_what_loaded_first() -> None:
    fresh = _run(LISTING.format(before=""))
    lazily = _run(
        LISTING.format(
            before=(
                "QUESTION_KINDS['compare']; QUESTION_KINDS['flops_table']; "
                "LAYER_KINDS['transformer_encoder_layer']; LAYER_KINDS['conv2d']"
            )
        )
    )
    assert fresh == lazily
    layers, questions = fresh  # type: ignore[misc]
    # compare.py imports counts.py and ops.py: their kinds come first, as Python files them
    assert questions.index("total_params") < questions.index("ops") < questions.index("compare")
    assert layers.index("attention") < layers.index("conv2d") < layers.index("linear")


def test_a_spec_loads_only_the_modules_of_the_kinds_it_names() -> None:
    loaded = _run("""
        import json, sys
        from pathlib import Path
        from answerkey.load import load_spec
        load_spec(Path("specs/homework3.yaml"))
        print(json.dumps(sorted(m for m in sys.modules if m.startswith("derivations."))))
    """)
    assert isinstance(loaded, list)
    assert "derivations.layers.conv" in loaded and "derivations.questions.ops" in loaded
    for unused in ("recurrent", "attention", "transformer", "embedding", "norm"):
        assert f"derivations.layers.{unused}" not in loaded, unused
    assert "derivations.questions.memory" not in loaded


def test_an_unknown_kind_lists_every_kind_in_registry_order() -> None:
    listed = _run("""
        import json
        from answerkey.spec_network import NetworkSpec
        from derivations.layers import LAYER_KINDS
        try:
            NetworkSpec.model_validate({"input": [8, 8, 3], "layers": [{"kind": "conv9d"}]})
        except Exception as err:
            tags = err.errors()[0]["ctx"]["expected_tags"]
        print(json.dumps([tags, [*LAYER_KINDS, "parallel"]]))
    """)
    tags, kinds = listed  # type: ignore[misc]
    assert [t.strip(" '") for t in tags.split(",")] == kinds


def test_the_source_index_finds_every_kind_in_its_module() -> None:
    """Each kind is found where it is declared, so that naming it loads only its module
    (a kind the index missed would still load, with every module)."""
    from derivations.layers import LAYER_KINDS
    from derivations.questions import QUESTION_KINDS
    from derivations.registry import _index

    for registry in (LAYER_KINDS, QUESTION_KINDS):
        index = _index(registry.package)
        for name, cls in registry.items():
            assert index.get(name) == cls.__module__.rsplit(".", 1)[-1], name
