"""``numeric_pass``: a forward pass, the loss, the backward pass and one SGD step of a small
dense network whose weights the spec gives, every value to a stated number of decimals.

Layer l computes z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾ and a⁽ˡ⁾ = f(z⁽ˡ⁾), with a⁽⁰⁾ = x and ŷ the last a.
Backwards (Goodfellow, Bengio & Courville 2016, §6.5.2, Algorithm 6.4): g = ∂L/∂ŷ from the
loss (:mod:`derivations.losses`); δ⁽ᴸ⁾ = f′(z⁽ᴸ⁾) ⊙ g, or ŷ − y for softmax with
cross-entropy; ∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ, ∂L/∂b⁽ˡ⁾ = δ⁽ˡ⁾; δ⁽ˡ⁻¹⁾ = f′(z⁽ˡ⁻¹⁾) ⊙ W⁽ˡ⁾ᵀ δ⁽ˡ⁾
(the weights before the step). One step of gradient descent: W ← W − η ∂L/∂W (Robbins &
Monro 1951). Values are computed with 40 significant digits and printed rounded.
"""

from __future__ import annotations

from typing import Any, Literal

import sympy as sp
from pydantic import Field

from derivations.answers import Also, Answer
from derivations.backprop import Gradient, Softmax, apply, local_gradient, mm
from derivations.fields import Strict, Text
from derivations.losses import LOSSES
from derivations.numeric import (
    LayerSymbols,
    Number,
    Working,
    check_vector,
    column,
    matrix,
    to_float,
    value_graph,
)
from derivations.questions.base import Context, QuestionKind, question_kind
from derivations.questions.dense_network import dense_layers
from derivations.shapes import ShapeError, Unsupported
from derivations.symbols import Entry

CHAIN = "chain rule, Goodfellow et al. 2016, §6.5.2"
CE_TEXT = (
    "∂L/∂z = (diag(ŷ) − ŷŷᵀ)(−y / ŷ) = ŷ − y (division entry by entry; the entries of y "
    "add up to 1)"
)
ACT_TEXT = {
    "sigmoid": "σ(t) = 1/(1 + exp(−t)), element-wise",
    "tanh": "tanh element-wise",
    "relu": "ReLU(t) = max(t, 0), element-wise",
    "softmax": "softmax(z)(k) = exp(z(k)) / (sum of exp(z(j)) over j)",
}


class LayerWeights(Strict):
    """One layer's numbers: ``W`` (a list of rows, one per unit) and ``b`` (one per unit;
    needed exactly when the layer has biases under the conventions)."""

    W: list[list[Number]]
    b: list[Number] | None = None


@question_kind
class NumericPass(QuestionKind):
    """A forward pass, the loss, every gradient by the chain rule with its numbers, and the
    weights after one SGD step, for a dense network with the given ``weights`` (per layer
    ``W`` and ``b``), ``input``, ``target``, ``loss`` (``mse``, ``half_sse``, ``bce`` with a
    sigmoid output, ``cross_entropy`` with a softmax output) and ``learning_rate``, to
    ``decimals`` places; with the computational graph, drawn top to bottom, each edge's value
    beside it and its gradient beneath."""

    kind: Literal["numeric_pass"] = "numeric_pass"
    input: list[Number] = Field(min_length=1)
    target: list[Number] = Field(min_length=1)
    loss: Literal["mse", "half_sse", "bce", "cross_entropy"]
    learning_rate: Number
    decimals: int = Field(default=4, ge=1, le=10)
    weights: dict[Text, LayerWeights]

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        rows = dense_layers(analysis, "numeric pass")
        loss = LOSSES[self.loss]
        work = Working(self.decimals)
        x, layers = self._layers(analysis, rows, work)
        y = sp.MatrixSymbol("y", layers[-1].a.shape[0], 1)
        check_vector("target", self.target, y.shape[0])
        work.values[y] = column(self.target)
        if loss.output and layers[-1].act != loss.output:
            raise Unsupported(
                "loss", f"{loss.title} needs a {loss.output} output; the last layer applies "
                f"{layers[-1].act}"
            )  # fmt: skip
        self._forward(x, layers, work)
        out = layers[-1]
        yhat = [Entry("yhat", (i + 1,)) for i in range(y.shape[0])]
        target = [Entry("y", (i + 1,)) for i in range(y.shape[0])]
        for i, (e, t) in enumerate(zip(yhat, target, strict=True)):
            work.values[e], work.values[t] = work.values[out.a][i], work.values[y][i]
        loss_value = work.step(f"Loss ({loss.title})", sp.Symbol("L"), loss.scalar(yhat, target))
        upstream = self._backward(x, layers, y, work)
        updated = self._sgd(layers, work)
        why = (
            "Forward, each layer multiplies the previous activation by its weights, adds its "
            "bias and applies its activation; the loss compares ŷ with the target. Backwards, "
            "the chain rule (Goodfellow et al. 2016, §6.5.2) gives each layer's error δ from "
            "the one above, through the transposed weights before the update and the "
            "activation's derivative; each weight gradient is δ times the activation that fed "
            f"the layer. One SGD step with learning rate {self.learning_rate} subtracts that "
            "multiple of each gradient from its parameter. Values are computed at full "
            f"precision and printed to {self.decimals} decimals; the loss is "
            f"L ≈ {float(loss_value):.{self.decimals}f}."
        )
        return Answer(
            "numeric_pass",
            None,
            "",
            why,
            tuple(work.steps),
            figure=value_graph(x, layers, y, upstream, work),
            headline=False,
            also=(Also("loss", loss_value), *updated),
        )

    def _layers(
        self, analysis: Any, rows: list[Any], work: Working
    ) -> tuple[sp.MatrixSymbol, list[LayerSymbols]]:
        """The symbols of every layer, with the given numbers checked and put in."""
        sizes = [int(analysis.network.input.dims[0])] + [int(r.out_shape.dims[0]) for _, r in rows]
        check_vector("input", self.input, sizes[0])
        x = sp.MatrixSymbol("x", sizes[0], 1)
        work.values[x] = column(self.input)
        unknown = set(self.weights) - {row.label for row, _ in rows}
        if unknown:
            raise ShapeError("weights", f"no layer named {sorted(unknown)[0]!r} in the network")
        layers = []
        for k, (row, res) in enumerate(rows, 1):
            act = res.layer.applied
            if act == "softmax" and k < len(rows):
                raise Unsupported("network", f"{row.label}: softmax is taken only at the output")
            given = self.weights.get(row.label)
            if given is None:
                raise ShapeError("weights", f"no weights given for layer {row.label!r}")
            n, m = sizes[k], sizes[k - 1]
            W = sp.MatrixSymbol(f"W^{{({k})}}", n, m)
            work.values[W] = matrix(row.label, given.W, n, m)
            biased = res.layer.counts_bias(analysis.conventions.bias)
            if biased != (given.b is not None):
                have, do = ("has", "give") if biased else ("has no", "leave out")
                raise ShapeError(
                    "weights",
                    f"layer {row.label!r} {have} biases under the conventions; {do} its b",
                )
            b = sp.MatrixSymbol(f"b^{{({k})}}", n, 1) if given.b is not None else None
            if b is not None and given.b is not None:
                check_vector(f"weights.{row.label}.b", given.b, n)
                work.values[b] = column(given.b)
            name = "yhat" if k == len(rows) else f"a^{{({k})}}"
            layers.append(
                LayerSymbols(
                    k, row.label, act, W, b,
                    sp.MatrixSymbol(f"z^{{({k})}}", n, 1),
                    sp.MatrixSymbol(name, n, 1),
                    sp.MatrixSymbol(f"delta^{{({k})}}", n, 1),
                )
            )  # fmt: skip
        return x, layers

    def _forward(self, x: sp.MatrixSymbol, layers: list[LayerSymbols], work: Working) -> None:
        prev = x
        for lay in layers:
            linear = mm(lay.W, prev)
            rhs = linear + lay.b if lay.b is not None else linear
            first = "the input x is layer 0's activation" if lay.k == 1 else None
            work.step(f"Forward, layer {lay.k} ({lay.label})", lay.z, rhs, first)
            if lay.act == "identity":
                work.values[lay.a] = work.values[lay.z]
            else:
                rule = Softmax(lay.z) if lay.act == "softmax" else apply(lay.act, lay.z)
                work.step(f"Activation, layer {lay.k}", lay.a, rule, ACT_TEXT.get(lay.act))
            prev = lay.a

    def _backward(
        self, x: sp.MatrixSymbol, layers: list[LayerSymbols], y: sp.MatrixSymbol, work: Working
    ) -> dict[sp.MatrixSymbol, sp.Basic]:
        """Every error and gradient; returns ∂L/∂a for each activation that has one."""
        loss, out = LOSSES[self.loss], layers[-1]
        upstream: dict[sp.MatrixSymbol, sp.Basic] = {}
        if loss.gradient is None:  # cross-entropy, taken with its softmax
            work.step("Output error (softmax with cross-entropy)", out.delta, out.a - y, CE_TEXT)
        else:
            g = Gradient(out.a)
            work.step(
                "Loss gradient", g, loss.gradient(out.a, y), f"derivative of the {loss.title}"
            )
            upstream[out.a] = g
            rule = local_gradient(out.act, out.z, out.a, g)
            work.step("Output error", out.delta, rule, CHAIN)
        for lay, below in zip(reversed(layers), [*reversed(layers[:-1]), None], strict=True):
            prev = below.a if below is not None else x
            outer = "outer product: ∂L/∂w(j, k) = δ(j) · a(k)"
            work.step(
                f"Weight gradient, layer {lay.k}", Gradient(lay.W), mm(lay.delta, prev.T), outer
            )
            if lay.b is not None:
                work.step(f"Bias gradient, layer {lay.k}", Gradient(lay.b), lay.delta)
            if below is not None:
                upstream[below.a] = mm(lay.W.T, lay.delta)
                rule = local_gradient(below.act, below.z, below.a, upstream[below.a])
                work.step(f"Error, layer {below.k}", below.delta, rule, CHAIN)
        return upstream

    def _sgd(self, layers: list[LayerSymbols], work: Working) -> list[Also]:
        """W ← W − η ∂L/∂W for every parameter; each new entry, by name, for answers.json."""
        eta = sp.Symbol("eta")
        work.values[eta] = to_float(self.learning_rate)
        updated: list[Also] = []
        for lay in layers:
            for p in (lay.W, lay.b):
                if p is None:
                    continue
                head = str(p.name)[0]
                what = "weights" if head == "W" else "biases"
                new = sp.MatrixSymbol(f"{head}_{{new}}^{{({lay.k})}}", *p.shape)
                rule = p - eta * Gradient(p)
                got = work.step(
                    f"SGD step, {what} of layer {lay.k}",
                    new,
                    rule,
                    f"learning rate {self.learning_rate}",
                )
                updated += [
                    Also(f"{head}{lay.k}_{i + 1}" + (f"{j + 1}" if got.cols > 1 else ""), got[i, j])
                    for i in range(got.rows)
                    for j in range(got.cols)
                ]
        return updated
