"""A network written as a table (one row per layer) is the same network as its layers list,
and a bad cell is named by its own line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from answerkey.errors import SpecError
from answerkey.load import load_spec

HEAD = """title: T
problems:
  - id: p
    title: P
    text: A network.
    networks:
      net:
        input: [32, 32, 1]
"""
PART = """    parts:
      - {id: a, text: Parameters?, ask: total_params}
"""
TABLE = """        table:
          columns: [name, kind, filters, kernel, stride, units, activation]
          rows:
            - [C1, conv2d, 6, 5, ~, ~, relu]
            - [S2, maxpool2d, ~, 2, 2, ~, ~]
            - [F, flatten, ~, ~, ~, ~, ~]
            - [F6, linear, ~, ~, ~, 84, relu]
"""
LAYERS = """        layers:
          - {name: C1, kind: conv2d, filters: 6, kernel: 5, activation: relu}
          - {name: S2, kind: maxpool2d, kernel: 2, stride: 2}
          - {name: F, kind: flatten}
          - {name: F6, kind: linear, units: 84, activation: relu}
"""


def _load(tmp_path: Path, body: str) -> object:
    spec = tmp_path / "t.yaml"
    spec.write_text(HEAD + body + PART, encoding="utf-8")
    return load_spec(spec)


def _rows(loaded: object) -> list[tuple[str, object, object]]:
    analysis = loaded.problems[0].context.get("net")  # type: ignore[attr-defined]
    return [(r.label, r.out_shape.hwc(), analysis.params(res)) for r, res in analysis.layers()]


def test_a_table_is_its_layers(tmp_path: Path) -> None:
    table = _rows(_load(tmp_path, TABLE))
    assert table == _rows(_load(tmp_path, LAYERS))
    assert table[0][1] == (28, 28, 6) and table[3][1] == (84,)
    assert table[3][2] == 14 * 14 * 6 * 84  # biases not counted by default


@pytest.mark.usefixtures("torch_available")
def test_the_referee_reads_the_table(tmp_path: Path) -> None:
    from answerkey.referee import check_spec, verdict

    assert verdict(check_spec(_load(tmp_path, TABLE))).startswith("all 4 rows agree")  # type: ignore[arg-type]


def test_a_bad_cell_is_located(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        _load(
            tmp_path,
            TABLE.replace("[F6, linear, ~, ~, ~, 84, relu]", "[F6, linear, ~, ~, ~, -4, relu]"),
        )
    assert str(err.value).startswith(f"{tmp_path / 't.yaml'}:15:")
    assert "layers[3].units" in str(err.value)


def test_a_short_row_is_located(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"t\.yaml:13:.* a row has 7 cells \(got 3\)"):
        _load(tmp_path, TABLE.replace("[S2, maxpool2d, ~, 2, 2, ~, ~]", "[S2, maxpool2d, 2]"))
