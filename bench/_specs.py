"""Generated specs for the benchmarks: a CNN stack of any depth (shape table and total)."""

from __future__ import annotations

from pathlib import Path


def cnn_stack(layers: int) -> str:
    """A ``layers``-deep stack of padded 3 × 3 and 5 × 5 convolutions over 32 × 32 × 3, each
    with its own filter count (so no two neighbouring layers print the same working)."""
    rows = []
    for i in range(layers):
        kernel = 3 if i % 2 else 5
        filters = 8 + (i * 37) % 120
        rows.append(
            f"          - {{name: Conv-{i + 1}, kind: conv2d, filters: {filters}, "
            f"kernel: {kernel}, stride: 1, padding: {kernel // 2}}}"
        )
    body = "\n".join(rows)
    return f"""title: A {layers}-layer CNN stack
problems:
  - id: stack
    title: A deep CNN stack
    points: 10
    text: A stack of {layers} convolutions over a 32 × 32 × 3 input.
    networks:
      cnn:
        title: the stack
        input: [32, 32, 3]
        layers:
{body}
    parts:
      - id: a
        points: 8
        text: Fill in the table.
        ask: {{kind: shape_table}}
      - id: b
        points: 2
        text: How many parameters does the stack have?
        ask: total_params
"""


def write_cnn_stack(folder: Path, layers: int) -> Path:
    path = folder / f"stack{layers}.yaml"
    path.write_text(cnn_stack(layers), encoding="utf-8")
    return path
