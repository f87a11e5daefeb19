"""The layer registry: every kind has every face, and nothing outside its family module names
it.

Each kind's docs ``example`` runs through validation, the shape and count rules, the prose,
and the PyTorch referee; and no module outside ``derivations/layers/`` refers to a kind's
class (a dispatch chain on layer classes is how one kind ends up spread over many modules).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from answerkey.spec_network import NetworkSpec
from derivations.conventions import Conventions
from derivations.layers import LAYER_KINDS, LayerKind
from derivations.network import analyze

ROOT = Path(__file__).resolve().parent.parent
INPUT = [16, 16, 4]


def _network(example: dict[str, Any], cls: Any = None) -> dict[str, Any]:
    return {"input": cls.example_input if cls else INPUT, "layers": [dict(example)]}


def test_the_registry_is_filled_by_the_family_modules() -> None:
    assert {"conv2d", "maxpool2d", "avgpool2d", "linear", "flatten", "activation"} <= set(
        LAYER_KINDS
    )
    for name, cls in LAYER_KINDS.items():
        assert cls.model_fields["kind"].default == name
        assert cls.__module__.startswith("derivations.layers."), name


@pytest.mark.parametrize("name", sorted(LAYER_KINDS))
def test_every_kind_has_every_face(name: str) -> None:
    cls = LAYER_KINDS[name]
    assert cls.__doc__ and cls.title and cls.example, name
    assert cls.example["kind"] == name
    net = NetworkSpec.model_validate(_network(dict(cls.example), cls)).to_model("n", ())
    analysis = analyze(net, Conventions())
    ((row, result),) = analysis.layers()
    layer = result.layer
    assert isinstance(layer, LayerKind)
    assert layer.param_reason(result, bias=False).endswith(".")
    assert layer.phrase(result)
    assert layer.diagram_label() == row.label
    for field in cls.size_fields:
        assert field in cls.model_fields, (name, field)


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize("name", sorted(LAYER_KINDS))
def test_every_kind_agrees_with_pytorch(name: str) -> None:
    from answerkey.referee import check_network

    raw = _network(dict(LAYER_KINDS[name].example), LAYER_KINDS[name])
    net = NetworkSpec.model_validate(raw).to_model("n", ())
    for bias in (False, True):
        rows = check_network(analyze(net, Conventions(bias=bias)), raw, bias)
        assert rows and all(r.ok for r in rows), rows


def _names_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {  # module.Class, except the standard library's ast.Compare and the like
        n.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute)
        and not (isinstance(n.value, ast.Name) and n.value.id == "ast")
    }
    used |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    return used


def test_no_module_outside_the_families_names_a_layer_class() -> None:
    classes = {cls.__name__ for cls in LAYER_KINDS.values()}
    offenders = []
    for package in ("answerkey", "derivations"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.parent.name == "layers":
                continue
            named = _names_used(path) & classes
            if named:
                offenders.append((str(path.relative_to(ROOT)), sorted(named)))
    assert offenders == []


# -- question kinds ---------------------------------------------------------------------------

PRESENTATION = ("render", "jsonout", "snippets", "slides", "notebook", "variants", "figures")


def test_every_question_kind_is_documented_and_filed() -> None:
    from derivations.questions import QUESTION_KINDS

    assert len(QUESTION_KINDS) >= 16
    for name, cls in QUESTION_KINDS.items():
        assert cls.model_fields["kind"].default == name
        assert cls.__doc__ and cls.__doc__.strip(), name
        assert cls.__module__.startswith("derivations.questions."), name


def _strings(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def test_presentation_never_names_a_kind() -> None:
    """Rendering, JSON, snippets, slides, the notebook and the manifest read an answer's hints;
    none of them names a question kind or a layer kind."""
    from derivations.questions import QUESTION_KINDS

    kinds = set(QUESTION_KINDS) | set(LAYER_KINDS)
    classes = {c.__name__ for c in (*QUESTION_KINDS.values(), *LAYER_KINDS.values())}
    for module in PRESENTATION:
        path = ROOT / "answerkey" / f"{module}.py"
        assert not (_strings(path) & kinds), (module, _strings(path) & kinds)
        assert not (_names_used(path) & classes), (module, _names_used(path) & classes)


def test_no_module_outside_the_question_modules_names_a_question_class() -> None:
    from derivations.questions import QUESTION_KINDS

    classes = {cls.__name__ for cls in QUESTION_KINDS.values()}
    offenders = []
    for package in ("answerkey", "derivations"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.parent.name == "questions":
                continue
            named = _names_used(path) & classes
            if named:
                offenders.append((str(path.relative_to(ROOT)), sorted(named)))
    assert offenders == []
