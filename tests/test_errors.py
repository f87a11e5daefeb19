"""Bad input gets one clear line: ``file:line:col field: message``, exit code 2, no traceback.

Each case is a small spec with one thing wrong; the table says where the message must point
and what it must say.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from answerkey.cli import main

VALID = """\
title: T
problems:
  - id: p
    title: P
    networks:
      net:
        input: [32, 32, 3]
        layers:
          - {name: c1, kind: conv2d, filters: 8, kernel: 3, stride: 1, padding: 1}
          - {name: fc, kind: linear, units: 10}
    parts:
      - id: a
        text: Count.
        ask: {kind: layer_params, layer: c1}
"""

BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "title: *i\n"
)


BLOCK_PAIR = (
    "        input: [32, 32, 3]\n        blocks:\n          pair:\n            params: {w: null}\n"
    "            layers:\n"
    "              - {name: c, kind: conv2d, filters: w, kernel: 3, padding: 1}\n"
    "              - {name: d, kind: conv2d, filters: w/2, kernel: 1}\n"
)
BLOCK_TYPO = (
    "        input: [32, 32, 3]\n        blocks:\n          pair:\n            params: {w: null}\n"
    "            layers:\n              - {name: c, kind: conv2d, filters: w, kernal: 3}\n"
)


def with_block(use: str, blocks: str = BLOCK_PAIR) -> str:
    """VALID with ``blocks`` defined and ``use`` (one or more layer lines) before fc."""
    return VALID.replace("        input: [32, 32, 3]\n", blocks, 1).replace(
        "- {name: fc, kind: linear, units: 10}",
        use + "\n          - {name: fc, kind: linear, units: 10}",
        1,
    )


def in_branch(layer: str) -> str:
    """A concat block whose first branch holds ``layer`` and whose second is the identity."""
    return (
        "- kind: parallel\n            name: j\n            branches:\n"
        "              - name: a\n                layers:\n"
        f"                  - {layer}\n              - {{name: b}}"
    )


BLOCK_RES = (
    "        input: [32, 32, 3]\n        blocks:\n          res:\n            params: {w: null}\n"
    "            layers:\n              - kind: parallel\n                name: add\n"
    "                join: add\n                branches:\n                  - name: main\n"
    "                    layers:\n"
    "                      - {name: c, kind: conv2d, filters: w, kernel: 3, padding: 1}\n"
    "                  - {name: shortcut}\n"
)
BLOCK_OUTER = (
    "          outer:\n            layers:\n"
    "              - {name: q, kind: block, block: pair, with: {w: 3}}\n"
)


def edit(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


SEQUENCE = """\
title: T
problems:
  - id: p
    title: P
    networks:
      net:
        input: {sequence: [10, 16]}
        layers:
          - {name: att, kind: attention, heads: 4}
          - {name: rnn, kind: lstm, hidden_size: 8, num_layers: 2}
          - {name: enc, kind: transformer_encoder_layer, heads: 2, feedforward: 32}
    parts:
      - id: a
        text: Count.
        ask: {kind: layer_params, layer: rnn}
"""


def seq_edit(old: str, new: str) -> str:
    assert old in SEQUENCE
    return SEQUENCE.replace(old, new)


ATT, RNN, ENC = (f"problems[0].networks.net.layers[{i}]" for i in range(3))


CASES = [  # id, spec text, expected "line:col", field (or None), words in the message
    ("yaml-syntax", "title: [unclosed\nproblems: 3\n", "2:9", None, "YAML syntax error"),
    ("empty", "", None, None, "empty"),
    ("not-a-mapping", "- a\n- b\n", "1:1", None, "top level must be a mapping"),
    (
        "unknown-question-kind",
        edit("kind: layer_params", "kind: layer_param"),
        "14:21",
        "problems[0].parts[0].ask.kind",
        "did you mean 'layer_params'",
    ),
    (
        "unknown-layer-kind",
        edit("kind: conv2d", "kind: conv2e"),
        "9:30",
        "problems[0].networks.net.layers[0].kind",
        "did you mean 'conv2d'",
    ),
    (
        "unknown-field",
        edit("stride: 1", "strid: 1"),
        "9:61",
        "problems[0].networks.net.layers[0].strid",
        "did you mean 'stride'",
    ),
    (
        "missing-field",
        edit("filters: 8, ", ""),
        "9:13",
        "problems[0].networks.net.layers[0].filters",
        "missing required field",
    ),
    ("missing-title", VALID.replace("title: T\n", ""), "1:1", "title", "missing required field"),
    (
        "wrong-type",
        edit("units: 10", "units: [10]"),
        "10:45",
        "problems[0].networks.net.layers[1].units",
        "positive integer or a symbol",
    ),
    (
        "bool-is-not-int",
        edit("filters: 8", "filters: true"),
        "9:47",
        "problems[0].networks.net.layers[0].filters",
        "got True",
    ),
    (
        "zero-size",
        edit("input: [32, 32, 3]", "input: [32, 0, 3]"),
        "7:21",
        "problems[0].networks.net.input[1]",
        "positive integer",
    ),
    (
        "negative-filters",
        edit("filters: 8", "filters: -8"),
        "9:47",
        "problems[0].networks.net.layers[0].filters",
        "got -8",
    ),
    (
        "stride-zero",
        edit("stride: 1", "stride: 0"),
        "9:69",
        "problems[0].networks.net.layers[0].stride",
        "expected a positive integer or a symbol name, got 0",
    ),
    (
        "symbol-where-number",
        edit("stride: 1", "stride: 1, dilation: s"),
        "9:82",
        "problems[0].networks.net.layers[0].dilation",
        "a symbol is allowed only for sizes",
    ),
    (
        "kernel-too-large",
        edit("kernel: 3, stride: 1, padding: 1", "kernel: 40, stride: 1, padding: 1"),
        "9:58",
        "problems[0].networks.net.layers[0].kernel",
        "larger than the padded input",
    ),
    (
        "groups-do-not-divide",
        edit("padding: 1}", "padding: 1, groups: 2}"),
        "9:92",
        "problems[0].networks.net.layers[0].groups",
        "does not divide the input channels (3)",
    ),
    (
        "conv-after-flatten",
        edit(
            "- {name: fc, kind: linear, units: 10}",
            "- {name: fc, kind: linear, units: 10}\n"
            "          - {name: c2, kind: conv2d, filters: 2, kernel: 1}",
        ),
        "11:13",
        "problems[0].networks.net.layers[2]",
        "needs an H×W×C feature map",
    ),
    (
        "same-even-kernel",
        edit("kernel: 3, stride: 1, padding: 1", "kernel: 4, stride: 1, padding: same"),
        "9:81",
        "problems[0].networks.net.layers[0].padding",
        "odd kernel",
    ),
    (
        "no-such-layer",
        edit("layer: c1", "layer: c9"),
        "14:42",
        "problems[0].parts[0].ask.layer",
        "no layer named 'c9'",
    ),
    (
        "duplicate-key",
        edit("title: P", "title: P\n    title: Q"),
        "5:5",
        "problems[0].title",
        "given twice",
    ),
    (
        "points-do-not-add-up",
        edit("title: P", "title: P\n    points: 5").replace(
            "text: Count.", "text: Count.\n        points: 2"
        ),
        "3:5",
        "problems[0]",
        "add up to 2, not 5",
    ),
    (
        "duplicate-layer-name",
        edit("name: fc", "name: c1"),
        "10:20",
        "problems[0].networks.net.layers[1].name",
        "used twice",
    ),
    (
        "concat-size-mismatch",
        edit(
            "- {name: fc, kind: linear, units: 10}",
            "- kind: parallel\n            name: blk\n            branches:\n"
            "              - {name: one, layers: [{name: x, kind: conv2d, filters: 2, kernel: 1}]}"
            "\n"
            "              - {name: two, layers: [{name: y, kind: conv2d, filters: 2, kernel: 3}]}",
        ),
        "13:15",
        "problems[0].networks.net.layers[1].branches",
        "needs the same height and width",
    ),
    (
        "input-two-sizes-ambiguous",
        edit("input: [32, 32, 3]", "input: [32, 3]"),
        "7:16",
        "problems[0].networks.net.input",
        "write {sequence: [T, d]} or {map: [L, C]}",
    ),
    (
        "input-sequence-rank",
        edit("input: [32, 32, 3]", "input: {sequence: [32, 32, 3]}"),
        "7:27",
        "problems[0].networks.net.input.sequence",
        "a sequence is written [T, d], got 3 sizes",
    ),
    (
        "input-two-forms",
        edit("input: [32, 32, 3]", "input: {sequence: [32, 3], map: [32, 3]}"),
        "7:16",
        "problems[0].networks.net.input",
        "give exactly one of vector: [N], sequence: [T, d] or map",
    ),
    (
        "input-batch-zero",
        edit("input: [32, 32, 3]", "input: {map: [32, 32, 3], batch: 0}"),
        "7:42",
        "problems[0].networks.net.input.batch",
        "expected a positive integer",
    ),
    # layer breadth: convolutions, pooling, normalisation, joins, size expressions
    (
        "output-padding-not-smaller",
        VALID.replace(
            "{name: c1, kind: conv2d, filters: 8, kernel: 3, stride: 1, padding: 1}",
            (
                "{name: c1, kind: convtranspose2d, filters: 8, kernel: 3, stride: 2, "
                "output_padding: 2}"
            ),
            1,
        ),
        "9:97",
        "problems[0].networks.net.layers[0].output_padding",
        "output_padding 2 on H must be smaller than the stride (2) or the dilat",
    ),
    (
        "depthwise-filters-not-multiple",
        VALID.replace(
            "filters: 8, kernel: 3, stride: 1, padding: 1}",
            "filters: 4, kernel: 3, stride: 1, padding: 1, groups: same}",
            1,
        ),
        "9:92",
        "problems[0].networks.net.layers[0].groups",
        "groups: same (3, one per input channel) does not divide the filters (4",
    ),
    (
        "expression-not-whole",
        VALID.replace("filters: 8", "filters: 6/4", 1),
        "9:47",
        "problems[0].networks.net.layers[0].filters",
        "'6/4' must be a positive integer: it is 3/2, not a whole number",
    ),
    (
        "expression-not-positive",
        VALID.replace("kernel: 3,", "kernel: 3-3,", 1),
        "9:58",
        "problems[0].networks.net.layers[0].kernel",
        "'3-3' must be a positive integer: it is 0, less than 1",
    ),
    (
        "expression-with-a-call",
        VALID.replace("filters: 8", "filters: f(2)", 1),
        "9:47",
        "problems[0].networks.net.layers[0].filters",
        "'f(2)': a size expression has only integers, names and + - * / // ** (",
    ),
    (
        "expression-bad-symbol",
        VALID.replace("filters: 8", "filters: 2*lambda", 1),
        "9:47",
        "problems[0].networks.net.layers[0].filters",
        "cannot read '2*lambda' as a size expression",
    ),
    (
        "rounding-unknown",
        VALID.replace(
            "padding: 1}",
            "padding: 1}\n          - {name: p1, kind: maxpool2d, kernel: 2, rounding: round}",
            1,
        ),
        "10:62",
        "problems[0].networks.net.layers[1].rounding",
        "expected 'floor' or 'ceil', got 'round'",
    ),
    (
        "ceil-symbolic-window",
        VALID.replace("input: [32, 32, 3]", "input: [h, h, 3]", 1).replace(
            "padding: 1}",
            (
                "padding: 1}\n"
                "          - {name: p1, kind: maxpool2d, kernel: 3, stride: 2, rounding: ceil}"
            ),
            1,
        ),
        "10:73",
        "problems[0].networks.net.layers[1].rounding",
        "rounding: ceil with symbolic sizes: whether the last H window would st",
    ),
    (
        "norm-convention-unknown",
        VALID.replace("title: P", "title: P\n    conventions: {norm: tensorflow}", 1),
        "5:25",
        "problems[0].conventions.norm",
        "expected 'pytorch' or 'keras', got 'tensorflow'",
    ),
    (
        "groupnorm-groups-do-not-divide",
        VALID.replace(
            "padding: 1}", "padding: 1}\n          - {name: gn, kind: groupnorm, groups: 3}", 1
        ),
        "10:49",
        "problems[0].networks.net.layers[1].groups",
        "groups = 3 does not divide the channels (8)",
    ),
    (
        "layernorm-not-trailing",
        VALID.replace(
            "padding: 1}", "padding: 1}\n          - {name: ln, kind: layernorm, shape: [32, 8]}", 1
        ),
        "10:48",
        "problems[0].networks.net.layers[1].shape",
        "shape [32, 8] must be the trailing sizes of the input in PyTorch's ord",
    ),
    (
        "adaptive-output-arity",
        VALID.replace(
            "padding: 1}",
            "padding: 1}\n          - {name: ap, kind: adaptiveavgpool2d, output: [3, 3, 3]}",
            1,
        ),
        "10:57",
        "problems[0].networks.net.layers[1].output",
        "expected one value or two [height, width], got 3 values",
    ),
    (
        "upsample-scale-and-size",
        VALID.replace(
            "padding: 1}",
            "padding: 1}\n          - {name: up, kind: upsample, scale: 2, size: [64, 64]}",
            1,
        ),
        "10:47",
        "problems[0].networks.net.layers[1].scale",
        "give exactly one of scale and size",
    ),
    (
        "reshape-count",
        VALID.replace(
            "padding: 1}",
            "padding: 1}\n          - {name: rs, kind: reshape, to: {sequence: [32, 32]}}",
            1,
        ),
        "10:43",
        "problems[0].networks.net.layers[1].to",
        "32 × 32 holds 1024 values, but the input 32 × 32 × 8 holds 8192",
    ),
    (
        "dropout-p-one",
        VALID.replace("padding: 1}", "padding: 1}\n          - {name: dr, kind: dropout, p: 1}", 1),
        "10:42",
        "problems[0].networks.net.layers[1].p",
        "expected a probability from 0 up to (not including) 1, got 1",
    ),
    (
        "conv1d-on-a-2d-map",
        VALID.replace("kind: conv2d", "kind: conv1d", 1),
        "9:13",
        "problems[0].networks.net.layers[0]",
        "conv1d needs an L×C (1-D) feature map, but its input is a 2-D map of 3",
    ),
    (
        "shortcut-shape-differs",
        VALID.replace(
            "- {name: fc, kind: linear, units: 10}",
            (
                "- kind: parallel\n"
                "            name: res\n"
                "            join: add\n"
                "            branches:\n"
                "              - {name: main, layers: [{name: x, kind: conv2d, filters: 8, "
                "kernel: 3, stride: 2, padding: 1}]}\n"
                "              - {name: shortcut}"
            ),
            1,
        ),
        "14:15",
        "problems[0].networks.net.layers[1].branches",
        "branch 'shortcut' gives 32 × 32 × 8 but branch 'main' gives 16 × 16 × ",
    ),
    (
        "multiply-gate-shape-differs",
        VALID.replace(
            "- {name: fc, kind: linear, units: 10}",
            (
                "- kind: parallel\n"
                "            name: se\n"
                "            join: multiply\n"
                "            branches:\n"
                "              - {name: x}\n"
                "              - {name: gate, layers: [{name: g, kind: adaptiveavgpool2d, "
                "output: 2}]}"
            ),
            1,
        ),
        "14:15",
        "problems[0].networks.net.layers[1].branches",
        "branch 'gate' gives 2 × 2 × 8 but branch 'x' gives 32 × 32 × 8: a mult",
    ),
    (
        "avgpool3d-unpadded-kernel",
        VALID.replace("input: [32, 32, 3]", "input: [2, 32, 32, 3]", 1).replace(
            "{name: c1, kind: conv2d, filters: 8, kernel: 3, stride: 1, padding: 1}",
            "{name: c1, kind: avgpool3d, kernel: 3, padding: 1}",
            1,
        ),
        "9:49",
        "problems[0].networks.net.layers[0].kernel",
        "the D kernel 3 is larger than the unpadded input 2, which PyTorch's 3-",
    ),
    (
        "instancenorm-one-position",
        VALID.replace(
            "{name: c1, kind: conv2d, filters: 8, kernel: 3, stride: 1, padding: 1}",
            (
                "{name: c1, kind: adaptiveavgpool2d, output: 1}\n"
                "          - {name: inorm, kind: instancenorm2d}"
            ),
            1,
        ),
        "10:13",
        "problems[0].networks.net.layers[1]",
        "instancenorm2d normalises each channel over its positions, but 1 × 1 ×",
    ),
    (
        "heads-do-not-divide",
        seq_edit("heads: 4}", "heads: 3}"),
        "9:49",
        f"{ATT}.heads",
        "heads = 3 does not divide the embedding dimension 16",
    ),
    (
        "embed-dim-not-the-input",
        seq_edit("heads: 4}", "heads: 4, embed_dim: 32}"),
        "9:63",
        f"{ATT}.embed_dim",
        "embed_dim = 32, but the input has 16 features",
    ),
    (
        "proj-size-not-smaller",
        seq_edit("num_layers: 2}", "num_layers: 2, proj_size: 8}"),
        "10:79",
        f"{RNN}.proj_size",
        "proj_size = 8 must be smaller than hidden_size = 8",
    ),
    (
        "input-size-not-the-input",
        seq_edit("num_layers: 2}", "num_layers: 2, input_size: 12}"),
        "10:80",
        f"{RNN}.input_size",
        "input_size = 12, but the input has 16 features",
    ),
    (
        "recurrent-layers-zero",
        seq_edit("num_layers: 2}", "num_layers: 0}"),
        "10:65",
        f"{RNN}.num_layers",
        "expected a positive integer, got 0",
    ),
    (
        "rnn-nonlinearity",
        seq_edit("kind: lstm, hidden_size: 8", "kind: rnn, nonlinearity: sigmoid, hidden_size: 8"),
        "10:50",
        f"{RNN}.nonlinearity",
        "expected 'tanh' or 'relu', got 'sigmoid'",
    ),
    (
        "reset-after-is-gru-only",
        seq_edit("kind: lstm, hidden_size: 8", "kind: rnn, hidden_size: 8, reset_after: false"),
        "10:52",
        f"{RNN}.reset_after",
        "unknown field 'reset_after'",
    ),
    (
        "transformer-heads-do-not-divide",
        seq_edit("heads: 2, feedforward", "heads: 5, feedforward"),
        "11:65",
        f"{ENC}.heads",
        "heads = 5 does not divide the model dimension 8",
    ),
    (
        "transformer-norm",
        seq_edit("feedforward: 32}", "feedforward: 32, norm: middle}"),
        "11:91",
        f"{ENC}.norm",
        "expected 'post' or 'pre', got 'middle'",
    ),
    (
        "attention-on-a-map",
        seq_edit("input: {sequence: [10, 16]}", "input: [10, 10, 3]"),
        "9:13",
        ATT,
        "needs a T × d sequence, but its input is a feature map of 10 × 10 × 3",
    ),
    (
        "embedding-not-first",
        seq_edit(
            "- {name: att, kind: attention, heads: 4}",
            "- {name: emb, kind: embedding, vocabulary: 100, dim: 16}",
        ),
        "9:13",
        ATT,
        "an embedding reads token indices (input: [T]), but its input is 10 × 16",
    ),
    (
        "recurrent-bias-convention",
        seq_edit("title: P", "title: P\n    conventions: {recurrent_bias: kera}"),
        "5:35",
        "problems[0].conventions.recurrent_bias",
        "expected 'pytorch' or 'keras', got 'kera'",
    ),
    # reusable blocks
    (
        "block-unknown",
        VALID.replace(
            "        input: [32, 32, 3]\n",
            BLOCK_PAIR,
            1,
        ).replace(
            "- {name: fc, kind: linear, units: 10}",
            "- {name: p, kind: block, block: pear, with: {w: 8}}\n"
            "          - {name: fc, kind: linear, units: 10}",
            1,
        ),
        "16:43",
        "problems[0].networks.net.layers[1].block",
        "no block named 'pear' in this network (defined: pair)",
    ),
    (
        "block-unknown-parameter",
        VALID.replace(
            "        input: [32, 32, 3]\n",
            BLOCK_PAIR,
            1,
        ).replace(
            "- {name: fc, kind: linear, units: 10}",
            "- {name: p, kind: block, block: pair, with: {width: 8}}\n"
            "          - {name: fc, kind: linear, units: 10}",
            1,
        ),
        "16:55",
        "problems[0].networks.net.layers[1].with",
        "block 'pair' has no parameter 'width' (it has: w)",
    ),
    (
        "block-missing-parameter",
        VALID.replace(
            "        input: [32, 32, 3]\n",
            BLOCK_PAIR,
            1,
        ).replace(
            "- {name: fc, kind: linear, units: 10}",
            "- {name: p, kind: block, block: pair}\n"
            "          - {name: fc, kind: linear, units: 10}",
            1,
        ),
        "16:13",
        "problems[0].networks.net.layers[1].with",
        "block 'pair' needs a value for 'w'",
    ),
    (
        "block-repeat-zero",
        VALID.replace(
            "        input: [32, 32, 3]\n",
            BLOCK_PAIR,
            1,
        ).replace(
            "- {name: fc, kind: linear, units: 10}",
            "- {name: p, kind: block, block: pair, with: {w: 8}, repeat: 0}\n"
            "          - {name: fc, kind: linear, units: 10}",
            1,
        ),
        "16:71",
        "problems[0].networks.net.layers[1].repeat",
        "repeat must be a whole number from 1 to 1000, got 0",
    ),
    (
        "block-parameter-not-whole",
        VALID.replace(
            "        input: [32, 32, 3]\n",
            BLOCK_PAIR,
            1,
        ).replace(
            "- {name: fc, kind: linear, units: 10}",
            "- {name: p, kind: block, block: pair, with: {w: 7}}\n"
            "          - {name: fc, kind: linear, units: 10}",
            1,
        ),
        "13:50",
        "problems[0].networks.net.blocks.pair.layers[1].filters",
        "'w/2' is 7/2 with {'w': 7}, not a whole number (in p)",
    ),
    (
        "block-layer-field",
        VALID.replace(
            "        input: [32, 32, 3]\n",
            BLOCK_TYPO,
            1,
        ).replace(
            "- {name: fc, kind: linear, units: 10}",
            "- {name: p, kind: block, block: pair, with: {w: 8}}\n"
            "          - {name: fc, kind: linear, units: 10}",
            1,
        ),
        "12:53",
        "problems[0].networks.net.blocks.pair.layers[0].kernal",
        "unknown field 'kernal'; did you mean 'kernel'?",
    ),
    (
        "block-use-unknown-field",
        with_block("- {name: p, kind: block, block: pair, with: {w: 8}, repeats: 3}"),
        "16:63",
        "problems[0].networks.net.layers[1].repeats",
        "unknown field 'repeats'; did you mean 'repeat'?",
    ),
    (
        "block-use-without-block",
        with_block("- {name: p, kind: block, with: {w: 8}}"),
        "16:13",
        "problems[0].networks.net.layers[1]",
        "missing field 'block': the block to use (defined: pair)",
    ),
    (
        "block-repeat-not-a-number",
        with_block("- {name: p, kind: block, block: pair, with: {w: 8}, repeat: two}"),
        "16:71",
        "problems[0].networks.net.layers[1].repeat",
        "repeat must be a whole number from 1 to 1000, got 'two'",
    ),
    (
        "block-with-not-a-mapping",
        with_block("- {name: p, kind: block, block: pair, with: [8]}"),
        "16:55",
        "problems[0].networks.net.layers[1].with",
        "expected a mapping of parameter values",
    ),
    (
        "block-parameter-not-an-expression",
        with_block("- {name: p, kind: block, block: pair, with: {w: '8+'}}"),
        "16:59",
        "problems[0].networks.net.layers[1].with.w",
        "parameter 'w' is not a size expression: cannot read '8+'",
    ),
    (
        "block-parameter-negative",
        with_block("- {name: p, kind: block, block: pair, with: {w: -8}}"),
        "16:59",
        "problems[0].networks.net.layers[1].with.w",
        "parameter 'w' must not be negative, got -8",
    ),
    (
        "block-uses-itself",
        with_block(
            "- {name: p, kind: block, block: pair, with: {w: 8}}",
            BLOCK_PAIR + "              - {name: e, kind: block, block: pair, with: {w: w}}\n",
        ),
        "14:47",
        "problems[0].networks.net.blocks.pair.layers[2].block",
        "block 'pair' uses itself (pair → pair)",
    ),
    (
        "block-definition-unknown-field",
        with_block(
            "- {name: p, kind: block, block: pair, with: {w: 8}}",
            BLOCK_PAIR.replace("params:", "parms:"),
        ),
        "10:13",
        "problems[0].networks.net.blocks.pair.parms",
        "unknown field 'parms'; did you mean 'params'?",
    ),
    (
        "block-without-layers",
        with_block(
            "- {name: p, kind: block, block: pair, with: {w: 8}}",
            "        input: [32, 32, 3]\n        blocks:\n          pair:\n"
            "            params: {w: null}\n",
        ),
        "10:13",
        "problems[0].networks.net.blocks.pair",
        "block 'pair' needs a non-empty list of layers",
    ),
    (
        "block-definition-not-a-mapping",
        with_block(
            "- {name: p, kind: block, block: pair, with: {w: 8}}",
            "        input: [32, 32, 3]\n        blocks:\n          pair: 3\n",
        ),
        "9:17",
        "problems[0].networks.net.blocks.pair",
        "block 'pair' must be a mapping of params and layers",
    ),
    (
        "blocks-not-a-mapping",
        with_block(
            "- {name: p, kind: block, block: pair, with: {w: 8}}",
            "        input: [32, 32, 3]\n        blocks: [pair]\n",
        ),
        "8:17",
        "problems[0].networks.net.blocks",
        "expected a mapping of block names to blocks",
    ),
    (
        "block-parameter-name-not-a-name",
        with_block(
            "- {name: p, kind: block, block: pair, with: {'1w': 8}}",
            BLOCK_PAIR.replace("params: {w: null}", "params: {'1w': null}"),
        ),
        "10:22",
        "problems[0].networks.net.blocks.pair.params.1w",
        "a parameter's name must be a name such as 'width', got '1w'",
    ),
    (
        "block-default-not-a-size",
        with_block(
            "- {name: p, kind: block, block: pair}",
            BLOCK_PAIR.replace("params: {w: null}", "params: {w: [1]}"),
        ),
        "10:25",
        "problems[0].networks.net.blocks.pair.params.w",
        "the default of 'w' must be a whole number or a size expression, got [1]",
    ),
    (
        "block-shortcut-shape-differs",
        with_block("- {name: p, kind: block, block: res, with: {w: 16}}", BLOCK_RES),
        "16:19",
        "problems[0].networks.net.blocks.res.layers[0].branches",
        "branch 'p.shortcut' gives 32 × 32 × 8 but branch 'p.main' gives 32 × 32 × 16",
    ),
    (
        "block-in-branch-layer-field",
        with_block(in_branch("{name: p, kind: block, block: pair, with: {w: 8}}"), BLOCK_TYPO),
        "12:53",
        "problems[0].networks.net.blocks.pair.layers[0].kernal",
        "unknown field 'kernal'; did you mean 'kernel'?",
    ),
    (
        "block-in-branch-unknown-parameter",
        with_block(in_branch("{name: p, kind: block, block: pair, with: {x: 8}}")),
        "21:63",
        "problems[0].networks.net.layers[1].branches[0].layers[0].with",
        "block 'pair' has no parameter 'x' (it has: w)",
    ),
    (
        "block-nested-parameter-not-whole",
        with_block("- {name: p, kind: block, block: outer}", BLOCK_PAIR + BLOCK_OUTER),
        "13:50",
        "problems[0].networks.net.blocks.pair.layers[1].filters",
        "'w/2' is 3/2 with {'w': 3}, not a whole number (in p.q)",
    ),
    (
        "block-use-name-twice",
        with_block(
            "- {name: p, kind: block, block: pair, with: {w: 8}}\n"
            "          - {name: p, kind: block, block: pair, with: {w: 4}}"
        ),
        "17:20",
        "problems[0].networks.net.layers[2].name",
        "a second block use named 'p' here: its layers would have the first's names",
    ),
    ("alias-bomb", BOMB, None, None, "alias bomb"),
    ("merge-key", "base: &b {x: 1}\nother:\n  <<: *b\n", "3:3", "other", "merge keys"),
]


def run(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["derive", str(path)])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("text", "where", "field", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_spec(
    tmp_path: Path, text: str, where: str | None, field: str | None, words: str
) -> None:
    spec = tmp_path / "x.yaml"
    spec.write_text(text, encoding="utf-8")
    code, out = run(spec)
    assert code == 2, out
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    line = lines[0]
    sep = " " if field else ": "
    prefix = f"answerkey: {spec}:{where}{sep}" if where else f"answerkey: {spec}"
    assert line.startswith(prefix), line
    if field:
        assert f" {field}: " in line, line
    assert words in line, line
    assert "Traceback" not in out


def test_ten_megabyte_spec(tmp_path: Path) -> None:
    spec = tmp_path / "big.yaml"
    spec.write_text("title: T\n" + "# padding\n" * 1_100_000, encoding="utf-8")
    code, out = run(spec)
    assert code == 2 and "a spec may be at most" in out


def test_missing_file(tmp_path: Path) -> None:
    code, out = run(tmp_path / "nope.yaml")
    assert code == 2 and out.strip() == f"answerkey: {tmp_path / 'nope.yaml'}: no such file"


def test_directory(tmp_path: Path) -> None:
    code, out = run(tmp_path)
    assert code == 2 and "is a directory" in out


def test_real_process_has_no_traceback_unless_debug(tmp_path: Path) -> None:
    spec = tmp_path / "x.yaml"
    spec.write_text(edit("stride: 1", "stride: 0"), encoding="utf-8")
    cmd = [sys.executable, "-m", "answerkey.cli"]
    quiet = subprocess.run([*cmd, "derive", str(spec)], capture_output=True, text=True)
    assert quiet.returncode == 2
    assert quiet.stdout == "" and "Traceback" not in quiet.stderr
    assert quiet.stderr.count("\n") == 1
    loud = subprocess.run([*cmd, "--debug", "derive", str(spec)], capture_output=True, text=True)
    assert "Traceback" in loud.stderr


def test_valid_spec_passes(tmp_path: Path) -> None:
    spec = tmp_path / "x.yaml"
    spec.write_text(textwrap.dedent(VALID), encoding="utf-8")
    code, out = run(spec)
    assert code == 0 and '"value": 216' in out
