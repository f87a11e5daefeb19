"""``answerkey import``: a model becomes a spec the referee finds equal to it, on models
after torchvision's code and on modules an instructor writes; what no kind expresses fails,
listed, never a wrong spec."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("torch_available")

ROOT = Path(__file__).resolve().parent.parent


def _models() -> Any:
    import torch_models

    return torch_models


@pytest.fixture(autouse=True)
def _tests_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))


def _from_torch(model: Any, shape: tuple[int, ...]) -> str:
    from answerkey import from_torch

    return from_torch(model, shape)


def round_trip(model: Any, shape: tuple[int, ...], tmp_path: Path) -> Any:
    """Import ``model``, load the spec, and hold it against the model itself: every row of
    the referee agrees, the parameter count is the model's own, and so is the output shape."""
    import torch

    from answerkey import from_torch
    from answerkey.load import load_spec
    from answerkey.referee import check_spec, verdict

    spec = tmp_path / "imported.yaml"
    spec.write_text(from_torch(model, shape), encoding="utf-8")
    loaded = load_spec(spec)
    verdict(check_spec(loaded))  # raises CheckFailed on any difference
    analysis = loaded.problems[0].context.get("model")
    params = sum(analysis.params(r) for _, r in analysis.layers())
    assert params == sum(p.numel() for p in model.parameters())
    embeds = any(isinstance(m, torch.nn.Embedding) for m in model.modules())
    with torch.no_grad():
        out = model.eval()(torch.zeros(1, *shape, dtype=torch.long if embeds else torch.float))
    dims = [int(d) for d in analysis.output.hwc()]  # channels last
    got = list(out.shape[1:])
    as_torch = dims if len(dims) == 1 or analysis.output.is_sequence else [dims[-1], *dims[:-1]]
    assert got == as_torch
    return analysis


def test_resnet18_round_trips(tmp_path: Path) -> None:
    model = _models().ResNet18(pooled=True, pool=2)
    analysis = round_trip(model, (3, 64, 64), tmp_path)
    joins = [r for r in analysis.rows if type(r.result).__name__ == "JoinResult"]
    assert len(joins) == 8  # two basic blocks in each of four stages
    # layer1's two identical basic blocks: one block definition used with repeat: 2
    assert [j.label for j in joins][:3] == ["layer1.1.add", "layer1.2.add", "layer2.0"]
    text = _from_torch(model, (3, 64, 64))
    assert "- {name: layer1, kind: block, block: BasicBlock, repeat: 2}" in text
    assert "# layer1.1 to layer1.2 are PyTorch's layer1.0 to layer1.1" in text
    assert text.count("kind: block,") == 1  # layer2.0 downsamples: layer2.1 stands alone
    assert analysis.find("layer2.0.downsample.0").result.layer.stride == (2, 2)
    assert sum(p.numel() for p in model.parameters()) == 11_689_512  # torchvision's count


def test_resnet18_with_torchvisions_adaptive_pooling_round_trips(tmp_path: Path) -> None:
    analysis = round_trip(_models().ResNet18(pooled=False), (3, 64, 64), tmp_path)
    assert analysis.find("avgpool").out_shape.hwc() == (1, 1, 512)


def test_mobilenetv2_round_trips(tmp_path: Path) -> None:
    analysis = round_trip(_models().MobileNetV2(pooled=True), (3, 64, 64), tmp_path)
    joins = [r for r in analysis.rows if type(r.result).__name__ == "JoinResult"]
    # features.5 and .6 repeat; their use is named by its range (features.1 exists)
    assert [j.label for j in joins] == ["features.3", "features.5-6.1.add", "features.5-6.2.add"]
    depthwise = analysis.find("features.2.conv.1.0").result.layer
    assert depthwise.groups == 96  # 16 · 6 channels, one filter each


def test_mobilenetv2_with_torchvisions_functional_head_round_trips(tmp_path: Path) -> None:
    analysis = round_trip(_models().MobileNetV2(pooled=False), (3, 64, 64), tmp_path)
    assert analysis.find("adaptive-avg-pool2d").result.layer.kind == "adaptiveavgpool2d"
    assert analysis.find("classifier.0").result.layer.kind == "dropout"


def test_small_transformer_round_trips(tmp_path: Path) -> None:
    analysis = round_trip(_models().SmallTransformer(), (10,), tmp_path)
    assert [r.result.layer.kind for r in analysis.rows] == [
        "embedding", "transformer_encoder_layer", "linear"
    ]  # fmt: skip
    assert analysis.output.hwc() == (10, 100)  # a T × vocabulary sequence


def test_transformer_encoder_is_its_layers_and_norm(tmp_path: Path) -> None:
    analysis = round_trip(_models().EncoderClassifier(), (8,), tmp_path)
    labels = [r.label for r in analysis.rows]
    assert labels[:4] == [
        "embed", "encoder.layers.1.layer", "encoder.layers.2.layer", "encoder.norm"
    ]  # fmt: skip
    layer = analysis.find("encoder.layers.2.layer").result.layer
    assert (layer.norm, layer.feedforward_activation, layer.feedforward) == ("pre", "gelu", 48)


def test_hand_written_transformer_block_round_trips(tmp_path: Path) -> None:
    analysis = round_trip(_models().HandBlock(), (6, 24), tmp_path)
    joins = [r for r in analysis.rows if type(r.result).__name__ == "JoinResult"]
    assert len(joins) == 2  # the two residual sums
    assert analysis.find("attn").result.layer.heads == 3


def test_recurrent_last_states_round_trip(tmp_path: Path) -> None:
    lstm = round_trip(_models().LSTMClassifier(), (12,), tmp_path).find("lstm").result.layer
    assert (lstm.num_layers, lstm.return_sequences) == (2, False)  # h[-1]
    analysis = round_trip(_models().GRUTagger(), (7, 10), tmp_path)
    assert analysis.find("gru").result.layer.return_sequences  # the whole sequence, both ways
    assert not analysis.find("rnn").result.layer.return_sequences  # out[:, -1, :]


def test_one_direction_of_a_bidirectional_state_is_refused() -> None:
    import torch
    from torch import nn

    from answerkey import from_torch
    from answerkey.importer import ImportFailed

    class Last(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(4, 5, bidirectional=True, batch_first=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.gru(x)[1][-1]

    with pytest.raises(ImportFailed) as err:
        from_torch(Last(), (3, 4))
    assert err.value.missing == [
        "getitem_1 (one direction's state of the bidirectional gru: no field for it)"
    ]


def test_cnn_kinds_of_every_rank_round_trip(tmp_path: Path) -> None:
    one = round_trip(_models().Conv1dNet(), (2, 40), tmp_path)
    assert one.rows[0].in_shape.hwc() == (40, 2)  # C × L read as an L × C map
    assert one.find("body.3").result.layer.rounding == "ceil"
    unet = round_trip(_models().TinyUNet(), (3, 16, 16), tmp_path)
    assert unet.output.hwc() == (32, 32, 4)
    video = round_trip(_models().Video3d(), (3, 4, 8, 8), tmp_path)
    assert video.find("net.4").result.layer.kind == "convtranspose3d"


def test_tutorial_net_with_functions_and_view_round_trips(tmp_path: Path) -> None:
    analysis = round_trip(_models().TutorialNet(), (3, 32, 32), tmp_path)
    assert analysis.find("view").result.layer.kind == "flatten"
    assert analysis.find("max-pool2d").result.layer.kernel == (2, 2)
    assert sum(analysis.params(r) for _, r in analysis.layers()) == 62_006


def test_unsupported_parts_are_each_listed_once() -> None:
    from answerkey import from_torch
    from answerkey.importer import ImportFailed

    with pytest.raises(ImportFailed) as err:
        from_torch(_models().Unsupported(), (6, 8))
    assert err.value.missing == [
        "pos (a parameter used directly: no layer kind for it)",
        "act (GELU: no layer kind for it)",
        "lstm (LSTM: batch_first=False: the spec's sequences are batch first)",
        "mean (method mean: not supported)",
    ]


def test_a_model_that_does_not_run_on_the_shape_fails_located() -> None:
    from answerkey import from_torch
    from answerkey.importer import ImportFailed

    with pytest.raises(ImportFailed, match=r"the model does not run on an input of 3 x 30 x 30"):
        from_torch(_models().TutorialNet(), (3, 30, 30))


def test_lenet_sequential_round_trips(tmp_path: Path) -> None:
    analysis = round_trip(_models().lenet5(), (1, 32, 32), tmp_path)
    assert [r.label for r in analysis.rows][:3] == ["Conv2d-0", "ReLU-1", "MaxPool2d-2"]
    assert sum(analysis.params(r) for _, r in analysis.layers()) == 61_706


def test_inception_concat_round_trips(tmp_path: Path) -> None:
    analysis = round_trip(_models().Inception(), (192, 28, 28), tmp_path)
    assert analysis.output.hwc() == (28, 28, 256)  # 64 + 128 + 32 + 32


def test_untraceable_model_fails_in_one_line() -> None:
    from answerkey import from_torch
    from answerkey.importer import ImportFailed

    with pytest.raises(ImportFailed, match=r"torch\.fx cannot trace it"):
        from_torch(_models().Branchy(), (4,))


def test_sequential_of_untraceable_parts_reads_the_module_tree(tmp_path: Path) -> None:
    import torch
    from torch import nn

    class Scaled(nn.Linear):  # tracing stops at nothing here; force the fallback path
        pass

    model = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 2))
    from answerkey.importer import _module_tree

    layers = _module_tree(model, torch, RuntimeError("x"))
    assert [(la["name"], la["kind"]) for la in layers] == [
        ("Linear-0", "linear"), ("ReLU-1", "activation"), ("Linear-2", "linear")
    ]  # fmt: skip
    assert Scaled  # a subclass of a kind's module is not read as that kind
    round_trip(model, (8,), tmp_path)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env_path = f"{ROOT}"
    return subprocess.run(
        [sys.executable, "-m", "answerkey.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
    )


def test_cli_writes_once_and_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "mynets.py").write_text(
        "from torch import nn\n"
        "def tiny():\n"
        "    return nn.Sequential(nn.Flatten(), nn.Linear(12, 3), nn.Sigmoid())\n",
        encoding="utf-8",
    )
    out = tmp_path / "tiny.yaml"
    done = _cli("import", "mynets:tiny", "--input-shape", "3,2,2", "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert "- {name: Linear-1, kind: linear, bias: true, units: 12}" not in text
    assert "- {name: Linear-1, kind: linear, bias: true, units: 3}" in text
    again = _cli("import", "mynets.py:tiny", "--input-shape", "3,2,2", "-o", str(out), cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    assert out.read_text(encoding="utf-8") == text
    check = _cli("check", str(out), cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    bad = _cli("import", "mynets", "--input-shape", "3,2,2", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


ARRIVE_OTHERWISE = {
    "globalavgpool": "adaptive pooling to 1 then a flatten",
    "globalmaxpool": "adaptive pooling to 1 then a flatten",
    "reshape": "a view or reshape call, read from the shapes the model produces",
}
"""Kinds no torch.nn module stands for: the import writes what the model does instead."""


def test_every_kind_reads_back_the_module_it_builds() -> None:
    """Each kind's ``from_torch`` inverts its ``torch_module`` on its documented example: the
    read-back layer has the same parameters and output under bias-counting conventions."""
    from random_networks import fits
    from torch import nn

    from answerkey.referee import TorchShape
    from derivations.conventions import Conventions
    from derivations.layers import LAYER_KINDS

    conventions = Conventions(bias=True)
    for name, kind in LAYER_KINDS.items():
        if not kind.torch_types:
            assert name in ARRIVE_OTHERWISE, f"{name} has no importer"
            continue
        example = dict(kind.example)
        given = fits({"input": kind.example_input, "layers": [example]}, conventions)
        assert given is not None, name
        (row,) = given.rows
        shape = row.in_shape
        dims = shape.dims if not shape.is_map else (shape.dims[-1], *shape.dims[:-1])
        form = "vector" if shape.is_vector else "sequence" if shape.is_sequence else "map"
        built = kind.torch_module(example, TorchShape(dims, form), nn)
        (module,) = [m for m in built.modules() if type(m).__name__ in kind.torch_types]
        fields = kind.from_torch(module)
        assert isinstance(fields, dict), (name, fields)
        read = fits({"input": kind.example_input, "layers": [fields]}, conventions)
        assert read is not None, (name, fields)
        (back,) = read.rows
        assert back.out_shape == row.out_shape, name
        assert read.params(back.result) == given.params(row.result), name


def test_a_spec_that_differs_from_its_model_is_never_handed_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An import defect (a kind reading a module wrong) fails the import, named: with one
    more unit per linear layer, 400·121 + 121 + 121·85 + 85 + 85·11 + 11 + 2,572."""
    from answerkey import from_torch
    from answerkey.importer import ImportFailed
    from derivations.layers.dense import Linear

    def off_by_one(module: Any) -> dict[str, Any]:
        return {"kind": "linear", "units": module.out_features + 1, "bias": True}

    monkeypatch.setattr(Linear, "from_torch", classmethod(lambda cls, m: off_by_one(m)))
    with pytest.raises(ImportFailed) as err:
        from_torch(_models().lenet5(), (1, 32, 32))
    assert err.value.missing[0] == "model (the spec counts 62409 parameters, the model has 61706)"
    assert err.value.missing[1] == "model (the spec's output is [11], the model's [10])"


@pytest.mark.parametrize(
    ("target", "shape", "line"),
    [
        ("bad:boom", "4", "answerkey: bad:boom: the factory raised RuntimeError: x\n"),
        ("broken:f", "4", "answerkey: broken: importing it raised ZeroDivisionError: "),
        (
            "mynets:conv",
            "3,32",
            "answerkey: the model does not run on an input of 3 x 32 (a batch of 2 added): "
            "module 0 (Conv2d) raised RuntimeError: Given groups=1, weight of size [4, 3, 3, 3]",
        ),
        ("mynets:conv", "3,x,32", "answerkey: --input-shape '3,x,32': 'x' is not a size ("),
        ("mynets:conv", "3,,32", "answerkey: --input-shape '3,,32': a size is empty ("),
        ("mynets:conv", "3x0x32", "answerkey: --input-shape '3x0x32': '0' is not a size ("),
        ("mynets:conv", "1,2,3,4,5", "answerkey: --input-shape '1,2,3,4,5': 5 sizes, at most 4"),
    ],
)
def test_cli_import_errors_are_one_line(tmp_path: Path, target: str, shape: str, line: str) -> None:
    """User code that raises, a model that cannot run the shape, a shape with a part that is
    no size: exit 2 and one line (no traceback, no ShapeProp dump), nothing written."""
    (tmp_path / "bad.py").write_text('def boom():\n    raise RuntimeError("x")\n', "utf-8")
    (tmp_path / "broken.py").write_text("1 / 0\n", encoding="utf-8")
    (tmp_path / "mynets.py").write_text(
        "from torch import nn\n"
        "def conv():\n"
        "    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(3600, 3))\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.yaml"
    done = _cli("import", target, "--input-shape", shape, "-o", str(out), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(line), done.stderr
    left = {p.name for p in tmp_path.iterdir()} - {"__pycache__"}
    assert left == {"bad.py", "broken.py", "mynets.py"}


def test_cli_import_debug_shows_the_factory_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text('def boom():\n    raise RuntimeError("x")\n', "utf-8")
    done = _cli("--debug", "import", "bad:boom", "--input-shape", "4", cwd=tmp_path)
    assert done.returncode != 0 and "Traceback" in done.stderr
    assert 'raise RuntimeError("x")' in done.stderr


def test_input_shape_reads_commas_or_times() -> None:
    from answerkey.import_cli import parse_shape

    assert parse_shape("3,224,224") == parse_shape("3x224x224") == (3, 224, 224)
    assert parse_shape(" 3 × 32 ") == (3, 32)
