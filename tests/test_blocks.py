"""Reusable blocks: defined once with parameters, used with ``with:`` and ``repeat:``.

The expansion is checked on its own (names, substitution of numbers and of symbols, blocks
inside blocks and inside branches), then through the whole pipeline: the analysis and the
PyTorch referee read the same expanded layers, and a symbolic block is checked at drawn sizes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from answerkey.blocks import BlockError, expand, expanded_network
from answerkey.load import load_spec
from derivations.formula import size_symbol
from derivations.layers import Count

BLOCKS: dict[str, Any] = {
    "unit": {
        "params": {"w": None, "s": 1},
        "layers": [
            {"name": "conv", "kind": "conv2d", "filters": "2*w", "kernel": 3, "stride": "s",
             "padding": 1},
            {"name": "bn", "kind": "batchnorm2d", "activation": "relu"},
        ],
    },
    "twice": {
        "params": {"w": None},
        "layers": [{"name": "inner", "kind": "block", "block": "unit", "with": {"w": "w"},
                    "repeat": 2}],
    },
}  # fmt: skip


def test_expansion_names_and_substitutes() -> None:
    layers = [{"name": "stage", "kind": "block", "block": "unit", "with": {"w": 8}, "repeat": 2}]
    got = [x for x, _, _ in expand(layers, BLOCKS)]
    assert [x["name"] for x in got] == ["stage.1.conv", "stage.1.bn", "stage.2.conv", "stage.2.bn"]
    assert got[0]["filters"] == 16 and got[0]["stride"] == 1
    assert got[1]["activation"] == "relu"  # a field that is never a size is left alone


def test_symbols_pass_through_and_blocks_nest() -> None:
    layers = [{"name": "b", "kind": "block", "block": "twice", "with": {"w": "c_in + 1"}}]
    got = [x for x, _, _ in expand(layers, BLOCKS)]
    assert [x["name"] for x in got] == ["b.inner.1.conv", "b.inner.1.bn", "b.inner.2.conv",
                                        "b.inner.2.bn"]  # fmt: skip
    assert got[0]["filters"] == "2 * (c_in + 1)"


def test_uses_inside_branches_are_expanded() -> None:
    raw = {
        "input": [8, 8, 4],
        "blocks": BLOCKS,
        "layers": [{"kind": "parallel", "join": "add", "branches": [
            {"name": "main", "layers": [{"name": "u", "kind": "block", "block": "unit",
                                         "with": {"w": 2}}]},
            {"name": "id"}]}],
    }  # fmt: skip
    out = expanded_network(raw)
    assert "blocks" not in out
    assert [x["name"] for x in out["layers"][0]["branches"][0]["layers"]] == ["u.conv", "u.bn"]


def test_a_block_using_itself_is_refused() -> None:
    loop = {"loop": {"layers": [{"kind": "block", "block": "loop"}]}}
    with pytest.raises(BlockError, match=r"block 'loop' uses itself \(loop → loop\)") as err:
        expand([{"kind": "block", "block": "loop"}], loop)
    assert err.value.path == ("blocks", "loop", "layers", 0, "block")


SPEC = """\
title: Blocks
problems:
  - id: p
    title: P
    networks:
      net:
        input: [h, h, c]
        blocks:
          unit:
            params: {w: null}
            layers:
              - {name: conv, kind: conv2d, filters: 2*w, kernel: 3, padding: 1, bias: false}
              - {name: bn, kind: batchnorm2d, activation: relu}
          residual:
            params: {w: null}
            layers:
              - kind: parallel
                name: add
                join: add
                activation: relu
                branches:
                  - {name: main, layers: [{name: u, kind: block, block: unit, with: {w: w}}]}
                  - {name: shortcut}
        layers:
          - {name: stem, kind: block, block: unit, with: {w: c}}
          - {name: res, kind: block, block: residual, with: {w: c}, repeat: 3}
          - {name: gap, kind: globalavgpool}
    parts:
      - {id: a, text: Count., ask: total_params}
"""


def test_a_symbolic_block_spec_derives_and_agrees_with_pytorch(tmp_path: Path) -> None:
    spec = tmp_path / "blocks.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    loaded = load_spec(spec)
    ((analysis,),) = [tuple(p.context.analyses.values()) for p in loaded.problems]
    c = size_symbol("c")
    names = [row.label for row, _ in analysis.layers()]
    assert names[:2] == ["stem.conv", "stem.bn"] and "res.3.u.conv" in names
    convs = [r for _, r in analysis.layers() if Count.WEIGHTS in r.counts]
    assert convs[0].count(Count.WEIGHTS) == 9 * c * 2 * c
    assert all(r.count(Count.WEIGHTS) == 9 * (2 * c) * (2 * c) for r in convs[1:])
    total = sum(analysis.params(r) for _, r in analysis.layers())
    assert total == 18 * c**2 + 3 * 36 * c**2 + 4 * (2 * 2 * c)


@pytest.mark.usefixtures("torch_available")
def test_the_referee_reads_blocks_too(tmp_path: Path) -> None:
    from answerkey.referee import check_spec

    spec = tmp_path / "blocks.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    rows = check_spec(load_spec(spec))
    assert rows and all(r.ok for r in rows), [r for r in rows if not r.ok][:2]
    assert any(r.layer == "res.2.u.conv" for r in rows)
