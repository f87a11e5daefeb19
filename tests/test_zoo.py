"""The model zoo: torchvision's classifiers as short specs (specs/zoo/), held to the last digit.

For each model, three numbers must agree: the parameter count torchvision publishes on the
model's documentation page (the ``num_params`` of its ImageNet weights, cited below), the
key's total, and the count of a ``torch.nn`` model built here, independently of the spec, from
torchvision's architecture (torchvision itself is not installed beside torch 2.13.0). The key's
MACs must equal what PyTorch measures on that model (``FlopCounterMode`` FLOPs / 2, per
image). The referee also checks every row of every zoo spec, and each spec's key (its shape
table) is typeset into a PDF.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from answerkey.load import load_spec
from answerkey.sheet import SHEET_ROWS
from derivations.layers import Count

ROOT = Path(__file__).resolve().parent.parent
ZOO = ROOT / "specs" / "zoo"
DOCS = "https://pytorch.org/vision/stable/models/generated/torchvision.models.{}.html"

PUBLISHED = {  # num_params of the IMAGENET1K_V1 weights, from torchvision's model page DOCS
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
    "mobilenet_v2": 3_504_872,
    "googlenet": 6_624_904,  # built with aux_logits=False, as the page's weights are used
    "inception_v3": 27_161_264,  # aux_logits=True: the count includes the auxiliary head
}
INPUT = {"inception_v3": 299}
ENCODER_PARAMS = 18_914_304
"""specs/zoo/transformer-encoder.yaml: nn.TransformerEncoder(6 layers, d = 512, 8 heads,
feed-forward 2048) has this many parameters; tests/test_sequences.py holds the spec to it and
to FlopCounterMode's MACs on that model (torchvision publishes no such model)."""

pytestmark = pytest.mark.usefixtures("torch_available")


# -- torch.nn models, written from torchvision's architecture descriptions --------------------


def _cbr(nn: Any, cin: int, cout: int, k: Any, s: int = 1, p: Any = 0) -> Any:
    """torchvision's BasicConv2d: a convolution without bias, batch norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=False),
        nn.BatchNorm2d(cout, eps=0.001),
        nn.ReLU(),
    )


def alexnet(nn: Any) -> Any:
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.AdaptiveAvgPool2d(6), nn.Flatten(),
        nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(),
        nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000),
    )  # fmt: skip


def vgg16(nn: Any) -> Any:
    layers: list[Any] = []
    cin = 3
    for v in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"):  # fmt: skip
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU()]
            cin = v
    layers += [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(25088, 4096), nn.ReLU()]
    layers += [nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout()]
    return nn.Sequential(*layers, nn.Linear(4096, 1000))


def _residual(nn: Any, body: Any, shortcut: Any, relu: bool = True) -> Any:
    class Residual(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.body, self.shortcut = body, shortcut
            self.relu = nn.ReLU() if relu else nn.Identity()

        def forward(self, x: Any) -> Any:
            return self.relu(self.body(x) + self.shortcut(x))

    return Residual()


def _resnet(nn: Any, bottleneck: bool, counts: tuple[int, ...]) -> Any:
    def bn(c: int) -> Any:
        return nn.BatchNorm2d(c)

    layers: list[Any] = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), bn(64), nn.ReLU()]
    layers.append(nn.MaxPool2d(3, 2, 1))
    cin = 64
    for stage, n in enumerate(counts):
        width = 64 * 2**stage
        cout = width * 4 if bottleneck else width
        for i in range(n):
            s = 2 if stage > 0 and i == 0 else 1
            if bottleneck:  # v1.5: the stride on the 3 × 3 convolution
                body = nn.Sequential(
                    nn.Conv2d(cin, width, 1, bias=False), bn(width), nn.ReLU(),
                    nn.Conv2d(width, width, 3, s, 1, bias=False), bn(width), nn.ReLU(),
                    nn.Conv2d(width, cout, 1, bias=False), bn(cout),
                )  # fmt: skip
            else:
                body = nn.Sequential(
                    nn.Conv2d(cin, width, 3, s, 1, bias=False), bn(width), nn.ReLU(),
                    nn.Conv2d(width, width, 3, 1, 1, bias=False), bn(width),
                )  # fmt: skip
            project = s != 1 or cin != cout
            shortcut = (
                nn.Sequential(nn.Conv2d(cin, cout, 1, s, bias=False), bn(cout))
                if project
                else nn.Identity()
            )
            layers.append(_residual(nn, body, shortcut))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 1000)]
    return nn.Sequential(*layers)


def resnet18(nn: Any) -> Any:
    return _resnet(nn, False, (2, 2, 2, 2))


def resnet50(nn: Any) -> Any:
    return _resnet(nn, True, (3, 4, 6, 3))


def mobilenet_v2(nn: Any) -> Any:
    def cbr6(cin: int, cout: int, k: int, s: int = 1, groups: int = 1) -> list[Any]:
        conv = nn.Conv2d(cin, cout, k, s, (k - 1) // 2, groups=groups, bias=False)
        return [conv, nn.BatchNorm2d(cout), nn.ReLU6()]

    layers: list[Any] = cbr6(3, 32, 3, 2)
    cin = 32
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):  # fmt: skip
        for i in range(n):
            stride, hidden = s if i == 0 else 1, cin * t
            body = (cbr6(cin, hidden, 1) if t != 1 else []) + cbr6(
                hidden, hidden, 3, stride, groups=hidden
            )
            body += [nn.Conv2d(hidden, c, 1, bias=False), nn.BatchNorm2d(c)]
            block = nn.Sequential(*body)
            if stride == 1 and cin == c:
                block = _residual(nn, block, nn.Identity(), relu=False)
            layers.append(block)
            cin = c
    layers += cbr6(cin, 1280, 1)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(1280, 1000)]
    return nn.Sequential(*layers)


class _Concat:
    """A module concatenating its branches' outputs along the channels."""

    @staticmethod
    def of(nn: Any, *branches: Any) -> Any:
        import torch

        class Concat(nn.Module):  # type: ignore[misc, name-defined]
            def __init__(self) -> None:
                super().__init__()
                self.branches = nn.ModuleList(branches)

            def forward(self, x: Any) -> Any:
                return torch.cat([b(x) for b in self.branches], 1)

        return Concat()


def googlenet(nn: Any) -> Any:
    def inception(cin: int, c1: int, r3: int, c3: int, r5: int, c5: int, pool: int) -> Any:
        return _Concat.of(
            nn,
            _cbr(nn, cin, c1, 1),
            nn.Sequential(_cbr(nn, cin, r3, 1), _cbr(nn, r3, c3, 3, p=1)),
            nn.Sequential(_cbr(nn, cin, r5, 1), _cbr(nn, r5, c5, 3, p=1)),  # vision#906
            nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True), _cbr(nn, cin, pool, 1)),
        )

    return nn.Sequential(
        _cbr(nn, 3, 64, 7, 2, 3), nn.MaxPool2d(3, 2, ceil_mode=True),
        _cbr(nn, 64, 64, 1), _cbr(nn, 64, 192, 3, p=1), nn.MaxPool2d(3, 2, ceil_mode=True),
        inception(192, 64, 96, 128, 16, 32, 32), inception(256, 128, 128, 192, 32, 96, 64),
        nn.MaxPool2d(3, 2, ceil_mode=True),
        inception(480, 192, 96, 208, 16, 48, 64), inception(512, 160, 112, 224, 24, 64, 64),
        inception(512, 128, 128, 256, 24, 64, 64), inception(512, 112, 144, 288, 32, 64, 64),
        inception(528, 256, 160, 320, 32, 128, 128), nn.MaxPool2d(2, 2, ceil_mode=True),
        inception(832, 256, 160, 320, 32, 128, 128), inception(832, 384, 192, 384, 48, 128, 128),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(1024, 1000),
    )  # fmt: skip


def inception_v3(nn: Any) -> Any:
    def c(cin: int, cout: int, k: Any, s: int = 1, p: Any = 0) -> Any:
        return _cbr(nn, cin, cout, k, s, p)

    def pool_proj(cin: int, cout: int) -> Any:
        return nn.Sequential(nn.AvgPool2d(3, 1, 1), c(cin, cout, 1))

    def a(cin: int, pool: int) -> Any:
        return _Concat.of(
            nn, c(cin, 64, 1), nn.Sequential(c(cin, 48, 1), c(48, 64, 5, p=2)),
            nn.Sequential(c(cin, 64, 1), c(64, 96, 3, p=1), c(96, 96, 3, p=1)),
            pool_proj(cin, pool),
        )  # fmt: skip

    def b(cin: int) -> Any:
        return _Concat.of(
            nn, c(cin, 384, 3, 2),
            nn.Sequential(c(cin, 64, 1), c(64, 96, 3, p=1), c(96, 96, 3, 2)),
            nn.MaxPool2d(3, 2),
        )  # fmt: skip

    def c7(cin: int, m: int) -> Any:
        return _Concat.of(
            nn, c(cin, 192, 1),
            nn.Sequential(c(cin, m, 1), c(m, m, (1, 7), p=(0, 3)), c(m, 192, (7, 1), p=(3, 0))),
            nn.Sequential(c(cin, m, 1), c(m, m, (7, 1), p=(3, 0)), c(m, m, (1, 7), p=(0, 3)),
                          c(m, m, (7, 1), p=(3, 0)), c(m, 192, (1, 7), p=(0, 3))),
            pool_proj(cin, 192),
        )  # fmt: skip

    def d(cin: int) -> Any:
        return _Concat.of(
            nn, nn.Sequential(c(cin, 192, 1), c(192, 320, 3, 2)),
            nn.Sequential(c(cin, 192, 1), c(192, 192, (1, 7), p=(0, 3)),
                          c(192, 192, (7, 1), p=(3, 0)), c(192, 192, 3, 2)),
            nn.MaxPool2d(3, 2),
        )  # fmt: skip

    def e(cin: int) -> Any:
        def split(m: int) -> Any:
            return _Concat.of(nn, c(m, 384, (1, 3), p=(0, 1)), c(m, 384, (3, 1), p=(1, 0)))

        return _Concat.of(
            nn, c(cin, 320, 1), nn.Sequential(c(cin, 384, 1), split(384)),
            nn.Sequential(c(cin, 448, 1), c(448, 384, 3, p=1), split(384)),
            pool_proj(cin, 192),
        )  # fmt: skip

    stem = nn.Sequential(
        c(3, 32, 3, 2), c(32, 32, 3), c(32, 64, 3, p=1), nn.MaxPool2d(3, 2),
        c(64, 80, 1), c(80, 192, 3), nn.MaxPool2d(3, 2),
        a(192, 32), a(256, 64), a(288, 64), b(288),
        c7(768, 128), c7(768, 160), c7(768, 160), c7(768, 192),
    )  # fmt: skip
    aux = nn.Sequential(
        nn.AvgPool2d(5, 3), c(768, 128, 1), c(128, 768, 5),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(768, 1000),
    )  # fmt: skip
    head = nn.Sequential(
        d(768), e(1280), e(2048), nn.AdaptiveAvgPool2d(1), nn.Dropout(), nn.Flatten(),
        nn.Linear(2048, 1000),
    )  # fmt: skip

    class Inception3(nn.Module):  # type: ignore[misc, name-defined]
        """The auxiliary classifier runs only while training, as torchvision's."""

        def __init__(self) -> None:
            super().__init__()
            self.stem, self.aux, self.head = stem, aux, head

        def forward(self, x: Any) -> Any:
            x = self.stem(x)
            if self.training:
                self.aux(x)
            return self.head(x)

    return Inception3()


BUILDERS = {
    "alexnet": alexnet,
    "vgg16": vgg16,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "mobilenet_v2": mobilenet_v2,
    "googlenet": googlenet,
    "inception_v3": inception_v3,
}


def _measured_macs(model: Any, size: int, training: bool) -> int:
    """PyTorch's multiply-accumulates per image: FLOPs / 2 of a batch of two, halved."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model.train(training)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.empty(2, 3, size, size, device="meta"))
    return int(counter.get_total_flops()) // 4


def _key(name: str) -> Any:
    loaded = load_spec(ZOO / f"{name}.yaml")
    ((analysis,),) = [tuple(p.context.analyses.values()) for p in loaded.problems]
    return loaded, analysis


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_zoo_equals_torchvision_and_pytorch(name: str) -> None:
    import torch

    _, analysis = _key(name)
    layers = analysis.layers()
    total = sum(analysis.params(r) for _, r in layers)
    assert total == PUBLISHED[name], (name, total, DOCS.format(name))

    with torch.device("meta"):
        model = BUILDERS[name](torch.nn)
    assert sum(p.numel() for p in model.parameters()) == PUBLISHED[name]
    size = INPUT.get(name, 224)
    macs = sum(r.count(Count.MACS) for _, r in layers)
    assert macs == _measured_macs(model, size, training=True)
    main_path = sum(r.count(Count.MACS) for row, r in layers if ".aux" not in f".{row.label}")
    assert main_path == _measured_macs(model, size, training=False)
    if name == "inception_v3":
        assert macs - main_path == 5 * 5 * 128 * 768 + 1 * 1 * 768 * 5 * 5 * 128 + 768 * 1000


def test_zoo_specs_are_short() -> None:
    """Blocks with parameters and repeat: ResNet-50 (53 convolutions) is tens of lines."""
    lines = (ZOO / "resnet50.yaml").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 90
    _, analysis = _key("resnet50")
    convs = [r for _, r in analysis.layers() if r.layer.kind_name == "conv2d"]
    assert len(convs) == 53


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_zoo_agrees_with_the_referee_row_by_row(name: str) -> None:
    from answerkey.referee import check_spec

    rows = check_spec(load_spec(ZOO / f"{name}.yaml"))
    assert rows and all(r.ok for r in rows), [r for r in rows if not r.ok][:3]


@pytest.mark.usefixtures("tex_available")
@pytest.mark.parametrize("name", [*sorted(PUBLISHED), "transformer-encoder"])
def test_zoo_shape_table_typesets(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each zoo spec builds as ``answerkey build --strict`` does (an overfull box over 1 pt
    would be a CompileError, exit 3), and its key typesets every layer of its shape table
    (the table breaks across pages) with the total: no box overfull at all, in either
    document's TeX log, and no character missing."""
    from answerkey import compile as compile_module
    from answerkey.build import build
    from answerkey.texlog import read_log

    logs: list[tuple[str, str]] = []
    run_pass = compile_module.run_pass

    def recording(tex: Path, *args: Any, **kwargs: Any) -> Any:
        result = run_pass(tex, *args, **kwargs)
        logs.append((tex.name, tex.with_suffix(".log").read_text(errors="replace")))
        return result

    monkeypatch.setattr(compile_module, "run_pass", recording)
    result = build(ZOO / f"{name}.yaml", tmp_path / "out", strict=True)
    assert result.warnings == ()
    assert sorted(n for n, _ in logs) == ["key.tex", "questions.tex"]
    for tex, log in logs:
        bad = [e.message for e in read_log(log) if e.kind in ("overfull", "missing")]
        assert bad == [], (tex, bad[:3])
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "out" / "key.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    _, analysis = _key(name)
    total = int(sum(analysis.params(r) for _, r in analysis.layers()))
    assert total == PUBLISHED.get(name, ENCODER_PARAMS)
    assert f"{total:,}" in text  # the total, typeset with thousands separators
    for row, _ in analysis.layers():
        assert row.label in text, row.label
    # the sheet's table to fill in comes in grids of SHEET_ROWS rows (and the total's row)
    sheet = (tmp_path / "out" / "questions.tex").read_text(encoding="utf-8")
    grids = -(-(len(analysis.layers()) + 1) // SHEET_ROWS)
    assert sheet.count(r"\begin{tabularx}") == grids
