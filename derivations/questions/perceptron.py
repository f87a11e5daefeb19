"""Perceptron questions: ``perceptron_equation``, ``compute_graph``, ``perceptron_backprop``.

A perceptron is a network of one dense layer on a vector input: a = f(W x + b) = f(W̃ x̃).
The rules (Jacobians, the vec-Kronecker identity, the chain rule) are in
:mod:`derivations.backprop`, each cited where it is used.
"""

from __future__ import annotations

from typing import Any, Literal

import sympy as sp

from derivations.answers import Answer, ComputeGraphFigure
from derivations.backprop import (
    Partial,
    Perceptron,
    Vec,
    activation_rule,
    equation,
    local_gradient,
    local_jacobian,
    mm,
    softmax_cross_entropy,
    transpose,
)
from derivations.layers import Dense
from derivations.network import Analysis
from derivations.questions.base import Context, QuestionKind, question_kind
from derivations.shapes import ShapeError


def perceptron_of(analysis: Analysis) -> Perceptron:
    """The perceptron a one-layer dense network on a vector input is (ShapeError otherwise)."""
    layers = analysis.layers()
    if (
        len(layers) != 1
        or not isinstance(layers[0][1].layer, Dense)
        or not analysis.network.input.is_vector
    ):
        raise ShapeError(
            "network", "a perceptron question needs a network of one linear layer on a vector input"
        )
    _row, res = layers[0]
    n, m = res.in_shape.dims[0], res.out_shape.dims[0]
    if n.free_symbols or m.free_symbols:
        raise ShapeError("network", "the perceptron's sizes must be numbers")
    return Perceptron(int(n), int(m), res.layer.applied)


def perceptron_equation(p: Perceptron) -> Answer:
    """W̃ = [W b], x̃ = [x; 1] and a = f(W̃ x̃)."""
    steps = (
        equation(
            "Weights with the bias as a last column",
            p.Wt,
            sp.BlockMatrix([[p.W, p.b]]),
            (p.m, p.n + 1),
        ),
        equation(
            "Input with a constant 1 appended",
            p.xt,
            sp.BlockMatrix([[p.x], [sp.OneMatrix(1, 1)]]),
            (p.n + 1, 1),
        ),
        equation("The perceptron, one matrix product", p.a, p.output(), (p.m, 1)),
    )
    why = (
        f"Appending 1 to x and the bias b as a last column of W turns W x + b into the single "
        f"product W̃ x̃: a {p.m} × {p.n + 1} matrix times a {p.n + 1} × 1 vector gives the "
        f"{p.m} × 1 pre-activation z, and {p.activation} acts on each entry."
    )
    return Answer("perceptron_equation", None, "", why, steps)


def compute_graph(p: Perceptron) -> Answer:
    """x̃ and W̃ feed one matmul node; its z feeds f; each edge carries its matrix size."""
    graph = ComputeGraphFigure(
        nodes=(
            ("xt", p.xt, "input"),
            ("Wt", p.Wt, "input"),
            ("mm", sp.Symbol("matmul"), "op"),
            ("f", sp.Symbol(p.activation), "op"),
            ("a", p.a, "output"),
        ),
        edges=(
            ("xt", "mm", (p.n + 1, 1)),
            ("Wt", "mm", (p.m, p.n + 1)),
            ("mm", "f", (p.m, 1)),
            ("f", "a", (p.m, 1)),
        ),
        edge_labels=(None, None, p.z, None),
    )
    why = (
        f"The only matrix multiplication takes W̃ ({p.m} × {p.n + 1}) and x̃ ({p.n + 1} × 1) "
        f"and gives z ({p.m} × 1); {p.activation} keeps the size, so a is {p.m} × 1."
    )
    return Answer("compute_graph", None, "", why, (), figure=graph)


def perceptron_backprop(p: Perceptron, layout: str = "numerator") -> Answer:
    """The Jacobians of a = f(W̃ x̃) and the gradients for a loss.

    ``layout`` is ``numerator`` (∂u/∂v has u's length rows) or ``denominator`` (the
    transpose: v's length rows). The activation Jacobian is symmetric, so only the linear
    factors change; gradients of a scalar loss have the variable's shape in both.
    """
    m, n = p.m, p.n
    jac = local_jacobian(p.activation, p.z, p.a)
    chain = "Goodfellow et al. 2016, §6.5.2 (chain rule)"
    kron = sp.KroneckerProduct(p.xt.T, sp.Identity(m))
    numerator = layout == "numerator"

    def oriented(product: list[sp.MatrixExpr], shape: tuple[int, int]) -> tuple[Any, Any]:
        """The numerator-layout product, or its transpose (factors reversed, each
        transposed; the symmetric activation Jacobian stays itself)."""
        if numerator:
            return (mm(*product) if len(product) > 1 else product[0]), shape
        flipped = [f if f is jac else transpose(f) for f in reversed(product)]
        return (mm(*flipped) if len(flipped) > 1 else flipped[0]), (shape[1], shape[0])

    steps = [
        equation(
            "Activation",
            Partial(p.a, p.z),
            jac,
            (m, m),
            activation_rule(p.activation).cite
            or f"{p.activation}′ element-wise, so the Jacobian is diagonal",
        ),
        equation(
            "Linear map", Partial(p.z, p.x), *oriented([p.W], (m, n)), "Matrix Cookbook §2.4.1"
        ),
        equation(
            "With respect to the inputs", Partial(p.a, p.x), *oriented([jac, p.W], (m, n)), chain
        ),
        equation(
            "Linear map in the weights",
            Partial(p.z, Vec(p.Wt)),
            *oriented([kron], (m, m * (n + 1))),
            "vec(AXB) = (Bᵀ ⊗ A) vec(X), Magnus & Neudecker",
        ),
        equation(
            "With respect to weights and biases",
            Partial(p.a, Vec(p.Wt)),
            *oriented([jac, kron], (m, m * (n + 1))),
            chain,
        ),
        equation(
            "With respect to the biases",
            Partial(p.a, p.b),
            jac,
            (m, m),
            "the bias is W̃'s last column, multiplied by x̃'s constant 1",
        ),
    ]
    delta = local_gradient(p.activation, p.z, p.a, p.g)
    grads = [
        equation("Error at z, given g = ∂L/∂a", p.delta, delta, (m, 1), chain),
        equation(
            "Gradient for the weights and biases",
            Partial(sp.Symbol("L"), p.Wt),
            mm(p.delta, p.xt.T),
            (m, n + 1),
            "outer product: ∂𝐿/∂𝑊̃ⱼₖ = δⱼ 𝑥̃ₖ",
        ),
        equation(
            "Gradient for the weights", Partial(sp.Symbol("L"), p.W), mm(p.delta, p.x.T), (m, n)
        ),
        equation("Gradient for the biases", Partial(sp.Symbol("L"), p.b), p.delta, (m, 1)),
        equation(
            "Gradient for the inputs",
            Partial(sp.Symbol("L"), p.x),
            mm(p.W.T, p.delta),
            (n, 1),
            chain,
        ),
    ]
    y = sp.MatrixSymbol("y", m, 1)
    if p.activation == "softmax":
        grads += softmax_cross_entropy(p.z, p.a, p.delta, y)
    else:
        grads.append(equation("Mean squared error L = ½‖a − y‖²", p.g, p.a - y, (m, 1)))
    why = (
        (
            "Numerator layout: ∂u/∂v has one row per entry of u and one column per entry of v. "
            if numerator
            else "Denominator layout: ∂u/∂v has one row per entry of v and one column per "
            "entry of u (the transpose of the numerator layout). "
        )
        + "The chain rule multiplies the local Jacobians from the output back to the input; "
        "for a loss L the same chain, transposed, gives the gradients as outer products."
    )
    return Answer("perceptron_backprop", None, "", why, (*steps, *grads))


@question_kind
class PerceptronEquation(QuestionKind):
    """a = f(W̃ x̃), the bias folded into W̃ (one linear layer on a vector)."""

    kind: Literal["perceptron_equation"] = "perceptron_equation"

    def derive(self, ctx: Context) -> Answer:
        return perceptron_equation(perceptron_of(ctx.get(self.network)))


@question_kind
class ComputeGraph(QuestionKind):
    """The perceptron's computational graph, one matmul node, each edge with its size."""

    kind: Literal["compute_graph"] = "compute_graph"

    def derive(self, ctx: Context) -> Answer:
        return compute_graph(perceptron_of(ctx.get(self.network)))


@question_kind
class PerceptronBackprop(QuestionKind):
    """Jacobians by inputs, weights+biases and biases; gradients for a loss. ``layout``:
    ``numerator`` (default) or ``denominator``."""

    kind: Literal["perceptron_backprop"] = "perceptron_backprop"
    layout: Literal["numerator", "denominator"] = "numerator"

    def derive(self, ctx: Context) -> Answer:
        return perceptron_backprop(perceptron_of(ctx.get(self.network)), self.layout)
