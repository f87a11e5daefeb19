"""The shape table's working derives every number of its Params column."""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from answerkey.derive import derive
from answerkey.load import load_spec

SPEC = """\
title: Working behind the table
conventions: {bias: true}
problems:
  - id: p
    title: A small CNN
    networks:
      cnn:
        input: [32, 32, 3]
        layers:
          - {name: Conv-1, kind: conv2d, filters: 32, kernel: 3, padding: 1}
          - {name: Pool-1, kind: maxpool2d, kernel: 2}
          - {name: FC-1, kind: linear, units: 10}
    parts:
      - id: a
        text: Fill the table.
        ask: shape_table
"""


def test_params_column_is_the_sum_of_its_working(tmp_path: Path) -> None:
    spec = tmp_path / "cnn.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    (answer,) = derive(load_spec(spec)).problems[0].parts[0].answers
    assert answer.table is not None
    worked: dict[str, sp.Expr] = {}
    for step in answer.steps:
        if step.role in ("params", "biases"):
            layer = step.label.split()[0]
            worked[layer] = worked.get(layer, sp.Integer(0)) + step.formula.value
    column = {row[0]: row[-1] for row in answer.table.rows}
    # 3·3·3·32 + 32 and 16·16·32·10 + 10, by hand
    assert column == {"Conv-1": 896, "Pool-1": 0, "FC-1": 81930}
    assert worked == {"Conv-1": 896, "FC-1": 81930}
