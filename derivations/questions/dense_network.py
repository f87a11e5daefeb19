"""Dense-network questions: ``network_equation`` (the nested equation) and
``network_backprop`` (the backprop recursion), every symbol with its shape.

Layer l computes z = W a + b from the previous layer's activation and applies f; the error
δ = ∂L/∂z flows back through each transposed weight matrix (Goodfellow et al. 2016, §6.5.2).
"""

from __future__ import annotations

from typing import Literal

import sympy as sp

from derivations.activations import ACTIVATIONS
from derivations.answers import Answer
from derivations.backprop import (
    Partial,
    apply,
    equation,
    local_gradient,
    mm,
    softmax_cross_entropy,
)
from derivations.layers import Dense, LayerResult
from derivations.losses import LOSSES
from derivations.network import Analysis, Row
from derivations.questions.base import Context, QuestionKind, question_kind
from derivations.shapes import ShapeError, Unsupported


def dense_layers(analysis: Analysis, what: str) -> list[tuple[Row, LayerResult]]:
    """The layers of a dense network on a vector input with numeric sizes; a located error
    (field ``network``) naming the first layer that is not dense, otherwise."""
    layers = analysis.layers()
    for row, res in layers:
        if not isinstance(res.layer, Dense):
            raise Unsupported(
                "network",
                f"{row.label} is a {res.layer.kind_name}: only dense layers have a {what} here",
            )
    if not layers or not analysis.network.input.is_vector:
        raise ShapeError("network", f"the {what} needs a dense network on a vector input")
    if not all(res.out_shape.concrete and res.in_shape.concrete for _, res in layers):
        raise ShapeError("network", f"the {what} needs numbers for every layer's size")
    return layers


def _activation_text(layers: list[tuple[Row, LayerResult]]) -> str:
    """How the layers' activations read in a sentence, from the layers themselves."""
    names = [res.layer.applied for _, res in layers]
    if len(set(names)) > 1:
        each = ", ".join(
            f"{row.label}: {ACTIVATIONS[res.layer.applied].spoken}" for row, res in layers
        )
        return f"applies its activation ({each})"
    if names[0] == "identity":
        return "applies no activation"
    if ACTIVATIONS[names[0]].elementwise:
        return f"applies {ACTIVATIONS[names[0]].spoken} element-wise"
    return f"applies {ACTIVATIONS[names[0]].spoken} to the whole vector"


def network_equation(analysis: Analysis) -> Answer:
    """a = f_L(W_L ... f_1(W_1 x)) for a dense network, with each weight's shape."""
    layers = dense_layers(analysis, "network equation")
    expr: sp.MatrixExpr = sp.MatrixSymbol("x", int(analysis.network.input.dims[0]), 1)
    steps = []
    biased = False
    for row, res in layers:
        n_in, n_out = int(res.in_shape.numel), int(res.out_shape.dims[0])
        w = sp.MatrixSymbol(f"W_{{{row.label}}}", n_out, n_in)
        z = mm(w, expr)
        if res.layer.counts_bias(analysis.conventions.bias):
            z = z + sp.MatrixSymbol(f"b_{{{row.label}}}", n_out, 1)
            biased = True
        steps.append(equation(f"{row.label} weights", w, w, (n_out, n_in)))
        expr = apply(res.layer.applied, z)
    out = sp.MatrixSymbol(layers[-1][0].label, int(analysis.output.dims[0]), 1)
    steps.append(
        equation("The network", out, expr, (*tuple(int(d) for d in analysis.output.dims), 1))
    )
    why = (
        "Each layer multiplies the previous layer's output by its weight matrix (rows: the "
        "layer's nodes; columns: the previous layer's nodes)"
        + (", adds its bias vector" if biased else "")
        + f" and {_activation_text(layers)}; the layers nest from the input x outwards."
    )
    return Answer("network_equation", None, "", why, tuple(steps[-1:] + steps[:-1]))


def network_backprop(analysis: Analysis, loss_name: str = "none") -> Answer:
    """The backprop recursion of a dense network, each symbol with its shape; with a loss,
    the output's gradient from it (for softmax with cross-entropy, δ = ŷ − y derived)."""
    layers = dense_layers(analysis, "backprop recursion")
    L = len(layers)
    sizes = [int(analysis.network.input.numel)] + [int(r.out_shape.dims[0]) for _, r in layers]
    steps = []
    loss = sp.Symbol("L")
    out_act = layers[-1][1].layer.applied
    rule = LOSSES.get(loss_name)
    if rule is not None and rule.output and out_act != rule.output:
        raise Unsupported(
            "loss", f"{rule.title} needs a {rule.output} output; the last layer applies {out_act}"
        )
    for idx in range(L, 0, -1):
        (row, res), size = layers[idx - 1], sizes[idx]
        act = res.layer.applied
        z = sp.MatrixSymbol(f"z^{{({idx})}}", size, 1)
        named = idx == L and rule is not None  # the output compared with y: ŷ
        a = sp.MatrixSymbol("yhat" if named else f"a^{{({idx})}}", size, 1)
        delta = sp.MatrixSymbol(f"delta^{{({idx})}}", size, 1)
        if idx == L and rule is not None and rule.gradient is None:  # softmax, cross-entropy
            y = sp.MatrixSymbol("y", size, 1)
            steps += softmax_cross_entropy(z, a, delta, y)
        elif idx == L:
            upstream: sp.MatrixExpr = sp.MatrixSymbol(f"g^{{({idx})}}", size, 1)
            cite = "g = ∂L/∂a at the output"
            if rule is not None and rule.gradient is not None:
                y = sp.MatrixSymbol("y", size, 1)
                steps.append(
                    equation(
                        f"Gradient of the {rule.title}", upstream, rule.gradient(a, y), (size, 1)
                    )
                )
        else:
            w_next = sp.MatrixSymbol(f"W^{{({idx + 1})}}", sizes[idx + 1], size)
            upstream = mm(w_next.T, sp.MatrixSymbol(f"delta^{{({idx + 1})}}", sizes[idx + 1], 1))
            cite = "Goodfellow et al. 2016, §6.5.2 (chain rule)"
        if not (idx == L and rule is not None and rule.gradient is None):
            steps.append(
                equation(
                    f"Layer {idx} ({row.label}): error",
                    delta,
                    local_gradient(act, z, a, upstream),
                    (size, 1),
                    cite,
                )
            )
        prev = sp.MatrixSymbol(f"a^{{({idx - 1})}}", sizes[idx - 1], 1)
        steps.append(
            equation(
                f"Layer {idx} ({row.label}): weight gradient",
                Partial(loss, sp.MatrixSymbol(f"W^{{({idx})}}", size, sizes[idx - 1])),
                mm(delta, prev.T),
                (size, sizes[idx - 1]),
            )
        )
        if res.layer.counts_bias(analysis.conventions.bias):
            steps.append(
                equation(
                    f"Layer {idx} ({row.label}): bias gradient",
                    Partial(loss, sp.MatrixSymbol(f"b^{{({idx})}}", size, 1)),
                    delta,
                    (size, 1),
                )
            )
    why = (
        "Layer l computes z = W a + b from the previous layer's activation a (layer 0 is the "
        "input) and applies f. Its error δ = ∂L/∂z flows backwards through each transposed "
        "weight matrix; each weight gradient is the outer product of a layer's error with "
        "the activation that fed it."
    )
    return Answer("network_backprop", None, "", why, tuple(steps))


@question_kind
class NetworkEquation(QuestionKind):
    """The nested equation of a dense network, with each weight's shape."""

    kind: Literal["network_equation"] = "network_equation"

    def derive(self, ctx: Context) -> Answer:
        return network_equation(ctx.get(self.network))


@question_kind
class NetworkBackprop(QuestionKind):
    """The backprop recursion of a dense network, every symbol's shape. ``loss`` (``mse``,
    ``half_sse``, ``bce``, ``cross_entropy``) writes the output's gradient from the loss;
    with a softmax output and ``cross_entropy``, δ = ŷ − y is derived step by step."""

    kind: Literal["network_backprop"] = "network_backprop"
    loss: Literal["none", "mse", "half_sse", "bce", "cross_entropy"] = "none"

    def derive(self, ctx: Context) -> Answer:
        return network_backprop(ctx.get(self.network), self.loss)
