"""Memory questions: ``activation_memory`` (the values each layer outputs, per layer and in
total, for a batch and a number type) and ``param_memory`` (the bytes of the parameters, and
what training with an optimiser keeps).

Bytes = values × bytes per value: fp32 4, fp16 and bf16 2, int8 1 (IEEE 754 binary32 and
binary16, bfloat16; PyTorch ``Tensor.element_size()``). Sizes are given with binary prefixes,
1 KiB = 2¹⁰ bytes, 1 MiB = 2²⁰, 1 GiB = 2³⁰ (IEC 80000-13). The training estimates are stated
where they are used: activations are kept for the backward pass, which holds a gradient of the
same size for each (CS231n, "VGGNet in detail", counts ×2 for the backward pass); an
optimiser keeps the weights, their gradients and its own state per weight (one velocity for
momentum, two moments for Adam: Kingma & Ba 2015, Algorithm 1).
"""

from __future__ import annotations

from typing import Literal

import sympy as sp

from derivations.answers import Answer, Cell, Step, Table
from derivations.fields import Size, Text
from derivations.formula import Formula, as_size, is_concrete, product
from derivations.network import Analysis
from derivations.questions.base import Context, QuestionKind, question_kind, selected, sum_formula
from derivations.questions.counts import total_params_sum
from derivations.shapes import Shape
from derivations.symbols import Labelled

DType = Literal["fp32", "fp16", "bf16", "int8"]
BYTES: dict[str, int] = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
PREFIXES = (("GiB", 30), ("MiB", 20), ("KiB", 10))
B, N, S = sp.symbols("B N s", positive=True, integer=True)
STATES = {"none": 0, "sgd": 0, "momentum": 1, "adam": 2}
STATE_TEXT = {
    "sgd": "plain SGD keeps no state of its own",
    "momentum": "SGD with momentum keeps one velocity per weight",
    "adam": "Adam keeps two moments per weight, m and v, as in Kingma & Ba 2015, Algorithm 1",
}


def prefixed(nbytes: sp.Expr, source: str = "M") -> tuple[str, Step | None]:
    """``nbytes`` (the value of the symbol ``source``) in the largest binary unit that keeps
    it at least 1, as text, and the step that converts it (None below 1 KiB or when the size
    is symbolic)."""
    if not is_concrete(nbytes):
        return "bytes", None
    for unit, power in PREFIXES:
        if nbytes >= 2**power:
            m = sp.Symbol(source)
            scale = sp.Pow(sp.Integer(2), sp.Integer(power), evaluate=False)
            rhs = sp.Mul(m, sp.Pow(scale, -1, evaluate=False), evaluate=False)
            tag = unit if source == "M" else f"{source.split('_')[-1]}, {unit}"
            f = Formula.of(Labelled("M", tag), rhs, {m: sp.Float(int(nbytes))}, 2)
            return f"{_two(f.value)} {unit}", Step(f"In {unit}", f)
    return f"{int(nbytes)} bytes", None


def _two(value: sp.Expr) -> str:
    return f"{float(value):,.2f}"


def _size_cell(nbytes: sp.Expr) -> Cell:
    return prefixed(nbytes)[0] if is_concrete(nbytes) else nbytes


def bytes_formula(lhs: str, count: sp.Expr, batch: sp.Expr | None, size: int) -> Formula:
    """``M = B · N · s`` (or ``N · s`` without a batch)."""
    factors = [B, N, S] if batch is not None else [N, S]
    values = {B: batch, N: count, S: size}
    return Formula.of(sp.Symbol(lhs), product(factors), values)


@question_kind
class ActivationMemory(QuestionKind):
    """The memory of the values each layer outputs, per layer and in total, for ``batch``
    samples (default: the network's ``batch``, else 1) of ``dtype`` (fp32, fp16, bf16, int8);
    ``training: true`` adds what the backward pass keeps."""

    kind: Literal["activation_memory"] = "activation_memory"
    dtype: DType = "fp32"
    batch: Size | None = None
    training: bool = False
    layers: list[Text] | None = None

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        batch = as_size(self.batch) if self.batch is not None else analysis.network.batch
        b = batch if batch is not None else sp.Integer(1)
        size = BYTES[self.dtype]
        entries = self._entries(analysis)
        rows: list[tuple[Cell, ...]] = []
        batched = b != 1
        for label, shape in entries:
            values = shape.numel
            scaled = (b * values,) if batched else ()
            rows.append((label, shape, values, *scaled, _size_cell(b * values * size)))
        counted = sum_formula("N", [label for label, _ in entries], [s.numel for _, s in entries])
        total = bytes_formula("M", counted.value, b, size)
        steps = [Step(f"Bytes ({self.dtype}; N from the table's total)", total)]
        text, convert = prefixed(total.value)
        steps += [convert] if convert else []
        why = (
            f"Each layer's output holds H × W × C values per sample (the input too); a batch of "
            f"{b} holds {b} times as many, and each {self.dtype} value takes {size} "
            f"byte{'s' if size > 1 else ''}: {text} in all. An activation applied inside a "
            "layer is taken to work in place."
        )
        value = total.value
        if self.training:
            m = sp.Symbol("M")
            train = Formula.of(sp.Symbol("M_train"), product([sp.Integer(2), m]), {m: total.value})
            steps.append(Step("Training", train))
            value = train.value
            ttext, tconv = prefixed(train.value, "M_train")
            steps += [tconv] if tconv else []
            why += (
                " Training keeps every one of these values until the backward pass has used "
                "it, and the backward pass holds a gradient of the same size for each: about "
                f"twice as much, {ttext} (CS231n's estimate; workspace is not included)."
            )
        scaled_head = (f"× batch {b}",) if batched else ()
        scaled_total = (b * counted.value,) if batched else ()
        table = Table(
            ("Layer", "Output", "Values", *scaled_head, f"Memory ({self.dtype})"),
            tuple(rows),
            total=("Total", "", counted.value, *scaled_total, text),
        )
        return Answer("activation_memory", value, "bytes", why, tuple(steps), table=table)

    def _entries(self, analysis: Analysis) -> list[tuple[str, Shape]]:
        if self.layers is not None:
            return [(row.label, row.out_shape) for row, _ in selected(analysis, self.layers)]
        return [("input", analysis.network.input)] + [(r.label, r.out_shape) for r in analysis.rows]


@question_kind
class ParamMemory(QuestionKind):
    """The bytes of the network's parameters in ``dtype``; with ``optimizer`` (``sgd``,
    ``momentum``, ``adam``) the training estimate: weights, gradients and the optimiser's
    state per weight."""

    kind: Literal["param_memory"] = "param_memory"
    dtype: DType = "fp32"
    optimizer: Literal["none", "sgd", "momentum", "adam"] = "none"

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        size = BYTES[self.dtype]
        params = total_params_sum(analysis)
        rows = tuple(
            (label, value, _size_cell(value * size))
            for label, value in zip(_labels(params), (v for _, v in params.values), strict=True)
        )
        stored = bytes_formula("M", params.value, None, size)
        steps = [Step(f"Bytes ({self.dtype})", stored)]
        text, convert = prefixed(stored.value)
        steps += [convert] if convert else []
        why = f"Each of the N parameters is one {self.dtype} value of {size} bytes: {text}."
        value = stored.value
        if self.optimizer != "none":
            copies = sp.Symbol("c")
            extra = STATES[self.optimizer]
            train = Formula.of(
                sp.Symbol("M_train"),
                product([copies, N, S]),
                {copies: 2 + extra, N: params.value, S: size},
            )
            steps.append(Step("Training", train))
            ttext, tconv = prefixed(train.value, "M_train")
            steps += [tconv] if tconv else []
            value = train.value
            why += (
                f" Training keeps c = {2 + extra} values per parameter: the weight, its "
                f"gradient and the optimiser's state; {STATE_TEXT[self.optimizer]}. In all "
                f"{ttext}, before any activations."
            )
        table = Table(
            ("Layer", "Parameters", f"Memory ({self.dtype})"),
            rows,
            total=("Total", params.value, text),
        )
        return Answer("param_memory", value, "bytes", why, tuple(steps), table=table)


def _labels(formula: Formula) -> list[str]:
    """The layer names of a sum of labelled terms (``N_{conv1}`` → ``conv1``)."""
    return [getattr(symbol, "label", str(symbol)) for symbol, _ in formula.values]
