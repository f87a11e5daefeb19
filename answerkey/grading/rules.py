"""Named misconceptions: each recomputes the answer a known mistake would give.

A rule takes the key's own formula or layer result and changes the one thing the mistake
changes — biases put in or left out, ``C_in`` set to 1, the floor turned into a ceiling, the
``+ 1`` of an output size dropped, a term of a sum counted twice, a matrix size read
backwards — and evaluates it again. A student's wrong answer that equals such a value is
named in the feedback. The rules never type in a number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sympy as sp

from answerkey.grading.recompute import hwc_of, subscript, with_values
from answerkey.latex import step_tex
from derivations.answers import Answer, Step
from derivations.formula import Formula, int_value
from derivations.layers.base import Count, LayerResult
from derivations.network import Analysis

MISCONCEPTIONS = {
    "biases-added": "biases added: here parameters are weights only",
    "biases-forgotten": "biases forgotten: this count includes one bias per filter or unit",
    "c-in-left-out": "C_in left out of the weights: each filter spans all input channels "
    "(K·K·C_in weights per filter)",
    "k-squared": "K² used for K·K·C_in: each output value costs K·K·C_in multiply-accumulates",
    "off-by-one": "off by one in the output size: it is ⌊(H + 2P − K)/S⌋ + 1",
    "ceil-for-floor": "rounded up instead of down: strided sizes use the floor",
    "pool-params": "pooling counted as having parameters: a pooling layer has none",
    "flops-for-macs": "FLOPs for MACs: two per multiply-accumulate, where the key counts one",
    "macs-for-flops": "MACs for FLOPs: one per multiply-accumulate, where the key counts two",
    "counted-twice": "a branch or layer counted twice in the sum",
    "transposed": "transposed matrix size: a weight matrix mapping n inputs to m outputs is m × n",
    "padding-doubled": "the padding of both sides together (2P) for the padding per side P",
}
"""Every misconception a rule can name: code → the sentence the feedback prints."""


@dataclass(frozen=True)
class Mistake:
    """The value a named misconception gives, and how (LaTeX working, may be empty)."""

    code: str
    value: object
    working: str = ""
    detail: str = ""

    @property
    def text(self) -> str:
        base = MISCONCEPTIONS[self.code]
        return f"{base} ({self.detail})" if self.detail else base


def family(formula: Formula) -> str | None:
    """``params`` for a weight count, ``ops`` for an operation count, else None."""
    head = str(formula.lhs)
    return {"W": "params", "N": "params", "MAC": "ops", "OPS": "ops", "FLOP": "ops"}.get(head)


def family_of_symbol(symbol: sp.Symbol) -> str | None:
    """The family of a summed term ``N_{…}`` (params) or ``OPS_{…}`` (ops)."""
    return family(Formula(sp.Symbol(str(symbol).split("_{")[0]), sp.Integer(0)))


def _int(expr: object) -> int | None:
    if expr is None or not isinstance(expr, (int, sp.Basic)):
        return None
    return int_value(sp.sympify(expr))


def _val(expr: object) -> int | sp.Expr | None:
    """A mistake's value: an int for a number, the formula itself where the key's sizes are
    symbols (``9·c·k`` for a symbolic convolution's weights), else None."""
    if expr is None or not isinstance(expr, (int, sp.Basic)):
        return None
    value = sp.sympify(expr)
    return value if value.free_symbols else int_value(value)


def _named(symbol: str, formula: Formula) -> sp.Symbol | None:
    return next((s for s, _ in formula.values if str(s) == symbol), None)


ZERO = sp.Integer(0)


def _c_in_out(formula: Formula, code: str, plus: sp.Expr = ZERO) -> list[Mistake]:
    c_in = _named("C_in", formula)
    if c_in is None:
        return []
    changed = with_values(formula, {c_in: sp.Integer(1)})
    return [Mistake(code, _val(changed.value + plus), step_tex(Step("", changed)))]


def _conv_params(result: LayerResult, with_bias: bool, counts_bias: bool) -> list[Mistake]:
    """Mistakes in a layer's parameter count; ``with_bias``: the key's count includes biases."""
    out: list[Mistake] = []
    w, b = result.count(Count.WEIGHTS), result.count(Count.BIASES)
    weights = result.formula(Count.WEIGHTS)
    if weights is None:  # no weights: pooling, flatten
        if result.kernel is not None:
            k = [_int(x) for x in result.kernel]
            c = _int(result.in_shape.channels) if result.in_shape.is_image else None
            if None not in k and c is not None:
                kk = k[0] * k[1]  # type: ignore[operator]
                out += [
                    Mistake("pool-params", kk * c, detail="K·K·C"),
                    Mistake("pool-params", kk * c * c, detail="K·K·C·C, as a convolution"),
                ]
        return out
    if with_bias:
        out.append(Mistake("biases-forgotten", _val(w)))
    elif counts_bias is False and result.formula(Count.BIASES) is not None:
        out.append(Mistake("biases-added", _val(w + b)))
    out += _c_in_out(weights, "c-in-left-out", b if with_bias else sp.Integer(0))
    return out


def cell_mistakes(column: str, analysis: Analysis, result: LayerResult) -> tuple[Mistake, ...]:
    """Mistakes for one cell of a shape table."""
    out: list[Mistake] = []
    if column == "Output size" and result.sizes:
        hwc = hwc_of(result.out_shape)
        if hwc is not None and len(hwc) == 3:
            h, w, c = hwc
            out += [
                Mistake("off-by-one", (h - 1, w - 1, c), detail="the + 1 left out"),
                Mistake("off-by-one", (h + 1, w + 1, c), detail="one too many"),
            ]
            ceil = [_ceil(s.formula) for s in result.sizes]
            if None not in ceil and tuple(ceil) != (h, w):
                out.append(Mistake("ceil-for-floor", (ceil[0], ceil[1], c)))
    elif column == "Kernel size" and result.kernel is not None and len(result.kernel) == 3:
        k = [_int(x) for x in result.kernel]
        out.append(Mistake("k-squared", (k[0], k[1]), detail="K × K without the input depth"))
    elif column.startswith("Params"):
        with_bias = column == "Params (with biases)" or (
            column == "Params" and result.layer.counts_bias(analysis.conventions.bias)
        )
        out += _conv_params(result, with_bias, False)
    return tuple(m for m in out if m.value is not None)


def _ceil(formula: Formula) -> int | sp.Expr | None:
    if not formula.rhs.has(sp.floor):
        return None
    ceiled = Formula(formula.lhs, formula.rhs.replace(sp.floor, sp.ceiling), formula.values)
    return _val(ceiled.value)


def _is_size(lhs: sp.Basic) -> bool:
    """An output size: ``H_out``, or ``H_out = W_out`` for a square one."""
    return str(lhs.lhs if isinstance(lhs, sp.Eq) else lhs).startswith("H_")


def step_mistakes(
    formula: Formula, layer: tuple[Analysis, LayerResult] | None, fam: str | None
) -> tuple[Mistake, ...]:
    """Mistakes for one per-layer step (a parameter or operation count, a padding, a size)."""
    out: list[Mistake] = []
    value = _val(formula.value)
    head = str(formula.lhs)
    if fam == "params" and layer is not None:
        analysis, result = layer
        counts_bias = result.layer.counts_bias(analysis.conventions.bias)
        out += _conv_params(result, counts_bias, counts_bias)
    elif fam == "ops" and value is not None:
        flop = layer is not None and layer[0].conventions.ops == "flop"
        if head in ("MAC", "FLOP"):
            out += _c_in_out(formula, "k-squared")
            out.append(
                Mistake("macs-for-flops", _half(value))
                if flop
                else Mistake("flops-for-macs", value * 2)
            )
    elif head == "P" and value is not None and value != 0:
        out.append(Mistake("padding-doubled", 2 * value))
    elif _is_size(formula.lhs) and value is not None:
        out += [Mistake("off-by-one", value - 1), Mistake("off-by-one", value + 1)]
        ceil = _ceil(formula)
        if ceil is not None and ceil != value:
            out.append(Mistake("ceil-for-floor", ceil))
    return tuple(m for m in out if m.value is not None and m.value != value)


def headline_mistakes(
    answer: Answer,
    formula: Formula | None,
    terms: Sequence[sp.Expr],
    layer: tuple[Analysis, LayerResult] | None,
    layers: Sequence[tuple[Analysis, LayerResult]],
) -> tuple[Mistake, ...]:
    """Mistakes for a headline number: a layer's count, or a sum of ``terms`` (the layers
    behind the terms in ``layers``)."""
    out: list[Mistake] = []
    value = _val(answer.value)
    if value is None:
        return ()
    if answer.kind == "layer_params" and layer is not None:
        analysis, result = layer
        counts_bias = result.layer.counts_bias(analysis.conventions.bias)
        out += _conv_params(result, counts_bias, counts_bias)
    if formula is not None and terms:
        labels = [subscript(s) for s, _ in formula.values]
        for label, term in zip(labels, terms, strict=True):
            once = _val(term)
            if once is not None and once != 0 and len(terms) > 1:
                out.append(Mistake("counted-twice", value + once, detail=label))
        fam = family_of_symbol(formula.values[0][0])
        if fam == "params":
            weighted = [(a, r) for a, r in layers if r.formula(Count.WEIGHTS) is not None]
            added = _biases(r for a, r in weighted if not r.layer.counts_bias(a.conventions.bias))
            kept = _biases(r for a, r in weighted if r.layer.counts_bias(a.conventions.bias))
            if added != 0:
                out.append(Mistake("biases-added", value + added))
            if kept != 0:
                out.append(Mistake("biases-forgotten", value - kept))
        elif fam == "ops":
            flop = bool(layers) and layers[0][0].conventions.ops == "flop"
            out.append(
                Mistake("macs-for-flops", _half(value))
                if flop
                else Mistake("flops-for-macs", value * 2)
            )
    return tuple(m for m in out if m.value is not None and m.value != value)


def _half(value: int | sp.Expr) -> int | sp.Expr:
    return value // 2 if isinstance(value, int) else value / 2


def _biases(results: Iterable[LayerResult]) -> int | sp.Expr:
    """The biases of these layers together (0 for none)."""
    total = _val(sum((r.count(Count.BIASES) for r in results), sp.Integer(0)))
    return 0 if total is None else total


def matrix_mistakes(size: tuple[int, ...]) -> tuple[Mistake, ...]:
    """A matrix size read backwards (n × m for m × n)."""
    flipped = tuple(reversed(size))
    return (Mistake("transposed", flipped),) if flipped != size else ()
