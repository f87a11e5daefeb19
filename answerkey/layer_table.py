"""A network's layers as a table: one row per layer, for stacks copied from a textbook figure.

.. code-block:: yaml

    lenet5:
      input: [32, 32, 1]
      table:
        columns: [name, kind, filters, kernel, stride, units, activation]
        rows:
          - [C1, conv2d, 6, 5, ~, ~, relu]
          - [S2, maxpool2d, ~, 2, 2, ~, ~]
          - [F6, linear, ~, ~, ~, 84, relu]

``~`` (null) leaves a field out of that row. :func:`expand_tables` turns every ``table`` into
the ``layers`` list it stands for before validation, and files each cell's line and column
under the field it becomes, so an error in a row names the cell
(``file:line:col problems[0].networks.lenet5.layers[2].units``) and the referee reads the
same layers as everything else.
"""

from __future__ import annotations

import copy
from typing import Any

from answerkey.errors import SpecError
from answerkey.yamlpos import Loc, Located, dotted


def _error(located: Located, loc: Loc, message: str) -> SpecError:
    return SpecError(located.where(loc), dotted(loc) or None, message)


def _expand(located: Located, net: dict[str, Any], loc: Loc) -> None:
    table = net.pop("table")
    here = (*loc, "table")
    if "layers" in net:
        raise _error(located, here, "give either layers or table, not both")
    if not isinstance(table, dict) or set(table) != {"columns", "rows"}:
        raise _error(located, here, "a table is a mapping of columns: [...] and rows: [[...]]")
    columns, rows = table["columns"], table["rows"]
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise _error(located, (*here, "columns"), "columns is a list of field names")
    if len(set(columns)) != len(columns) or "kind" not in columns:
        raise _error(located, (*here, "columns"), "columns name each field once, kind included")
    if not isinstance(rows, list) or not rows:
        raise _error(located, (*here, "rows"), "rows is a list of rows, one per layer")
    layers = []
    for r, row in enumerate(rows):
        row_loc = (*here, "rows", r)
        if not isinstance(row, list) or len(row) != len(columns):
            got = len(row) if isinstance(row, list) else "not a list"
            raise _error(located, row_loc, f"a row has {len(columns)} cells (got {got})")
        layer_loc = (*loc, "layers", r)
        located.values[layer_loc] = located.values.get(row_loc, (0, 0))
        layer = {}
        for c, (column, cell) in enumerate(zip(columns, row, strict=True)):
            if cell is None:
                continue
            layer[column] = cell
            cell_loc = (*row_loc, c)
            if cell_loc in located.values:
                located.values[(*layer_loc, column)] = located.values[cell_loc]
        layers.append(layer)
    net["layers"] = layers


def expand_tables(located: Located, data: Any) -> Any:
    """``data`` with every network's ``table`` turned into ``layers`` (a copy when there is
    any table; ``data`` itself otherwise). Raises :class:`SpecError` for a malformed table."""
    problems = data.get("problems") if isinstance(data, dict) else None
    if not isinstance(problems, list):
        return data
    found = [
        (i, name)
        for i, p in enumerate(problems)
        if isinstance(p, dict) and isinstance(p.get("networks"), dict)
        for name, net in p["networks"].items()
        if isinstance(net, dict) and "table" in net
    ]
    if not found:
        return data
    data = copy.deepcopy(data)
    for i, name in found:
        _expand(located, data["problems"][i]["networks"][name], ("problems", i, "networks", name))
    return data
