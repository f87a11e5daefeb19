"""Matrix calculus for perceptrons and dense networks: equations, graphs, backprop.

SymPy's own matrix differentiation is used to *verify* these results (tests), not to find
them: it returns unsimplified array expressions for derivatives by a matrix, and silently
gives 0 for ``tanh(W*x)`` without ``applyfunc``. The rules here are the textbook ones, each
cited where it is used; layout is numerator layout (∂a/∂x has a's length rows).

Identities used:
- chain rule for vector functions: ∂a/∂x = (∂a/∂z)(∂z/∂x) (Goodfellow, Bengio & Courville,
  *Deep Learning*, 2016, §6.5.2);
- derivative of a linear map: ∂(Ax)/∂x = A (Petersen & Pedersen, *The Matrix Cookbook*, 2012,
  §2.4.1, in numerator layout);
- vec of a product: vec(AXB) = (Bᵀ ⊗ A) vec(X) (Magnus & Neudecker, *Matrix Differential
  Calculus*, 3rd ed., ch. 2, Theorem 2), so ∂(W̃x̃)/∂vec(W̃) = x̃ᵀ ⊗ I_m;
- element-wise activations: ∂f(z)/∂z = diag(f′(z)); each activation's Jacobian is in
  :mod:`derivations.activations` (softmax: ∂a/∂z = diag(a) − a aᵀ, Goodfellow et al. §6.2.2.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from derivations.activations import ACTIVATIONS, ActivationFunction
from derivations.answers import Answer, Graph, Step
from derivations.formula import Formula
from derivations.layers import Dense
from derivations.network import Analysis
from derivations.shapes import ShapeError, Unsupported


def mm(*factors: sp.MatrixExpr) -> sp.MatrixExpr:
    """A matrix product as written, unevaluated: ``A * B`` would canonicalise it through
    SymPy's assumption system, which is slow and changes nothing here."""
    return sp.MatMul(*factors)


def apply(activation: str, z: sp.MatrixExpr) -> sp.MatrixExpr:
    """f(z) element-wise, as a SymPy matrix expression (softmax as its own function)."""
    if activation == "identity":
        return z
    return ElementwiseApplyFunction(_activation(activation).function, z)


def _activation(name: str) -> ActivationFunction:
    if name not in ACTIVATIONS:
        raise Unsupported("activation", f"no derivative rule for {name!r}")
    return ACTIVATIONS[name]


def local_jacobian(activation: str, z: sp.MatrixExpr, a: sp.MatrixExpr) -> sp.MatrixExpr:
    """∂a/∂z (m × m) written in a and z: diag(f′(z)), or diag(a) − a aᵀ for softmax."""
    return _activation(activation).jacobian(z, a)


def local_gradient(
    activation: str, z: sp.MatrixExpr, a: sp.MatrixExpr, upstream: sp.MatrixExpr
) -> sp.MatrixExpr:
    """δ = ∂L/∂z from g = ∂L/∂a: f′(z) ⊙ g for an element-wise f (diagonal Jacobian), g for
    the identity, J g otherwise (softmax)."""
    jac = local_jacobian(activation, z, a)
    if isinstance(jac, sp.Identity):
        return upstream
    if isinstance(jac, DiagMatrix):
        return sp.HadamardProduct(jac.args[0], upstream)
    return mm(jac, upstream)


@dataclass(frozen=True)
class Perceptron:
    """a = f(W x + b) = f(W̃ x̃): the symbols of the derivation, with their sizes."""

    n: int
    m: int
    activation: str

    @property
    def x(self) -> sp.MatrixSymbol:
        return sp.MatrixSymbol("x", self.n, 1)

    @property
    def W(self) -> sp.MatrixSymbol:
        return sp.MatrixSymbol("W", self.m, self.n)

    @property
    def b(self) -> sp.MatrixSymbol:
        return sp.MatrixSymbol("b", self.m, 1)

    @property
    def Wt(self) -> sp.MatrixSymbol:
        return sp.MatrixSymbol("W_tilde", self.m, self.n + 1)

    @property
    def xt(self) -> sp.MatrixSymbol:
        return sp.MatrixSymbol("x_tilde", self.n + 1, 1)

    @property
    def z(self) -> sp.MatrixSymbol:
        return sp.MatrixSymbol("z", self.m, 1)

    @property
    def a(self) -> sp.MatrixSymbol:
        return sp.MatrixSymbol("a", self.m, 1)

    @property
    def g(self) -> sp.MatrixSymbol:
        """The upstream gradient ∂L/∂a, a column like a."""
        return sp.MatrixSymbol("g", self.m, 1)

    @property
    def delta(self) -> sp.MatrixSymbol:
        return sp.MatrixSymbol("delta", self.m, 1)

    def output(self) -> sp.MatrixExpr:
        """f(W̃ x̃) (softmax written as its own function)."""
        return apply(self.activation, mm(self.Wt, self.xt))


def _transpose(expr: sp.MatrixExpr) -> sp.MatrixExpr:
    """Aᵀ, with (x̃ᵀ ⊗ I)ᵀ written x̃ ⊗ I and (Aᵀ)ᵀ as A."""
    if isinstance(expr, sp.KroneckerProduct):
        return sp.KroneckerProduct(*[_transpose(a) for a in expr.args])
    if isinstance(expr, sp.Transpose):
        return expr.arg
    if isinstance(expr, sp.Identity):
        return expr
    return sp.Transpose(expr)


def _eq(
    label: str, lhs: sp.Basic, rhs: sp.Basic, shape: tuple[int, ...] | None, cite: str | None = None
) -> Step:
    return Step(label, Formula(lhs, rhs), shape=shape, cite=cite)


class Partial(sp.Expr):
    """The symbol ∂num/∂den of a derivative, for printing (it has no value)."""

    is_commutative = False

    @property
    def num(self) -> sp.Basic:
        return self.args[0]

    @property
    def den(self) -> sp.Basic:
        return self.args[1]


class Vec(sp.Expr):
    """vec(M): the columns of M stacked (for printing ∂a/∂vec(W̃))."""

    is_commutative = False


def perceptron_equation(p: Perceptron) -> Answer:
    steps = (
        _eq(
            "Weights with the bias as a last column",
            p.Wt,
            sp.BlockMatrix([[p.W, p.b]]),
            (p.m, p.n + 1),
        ),
        _eq(
            "Input with a constant 1 appended",
            p.xt,
            sp.BlockMatrix([[p.x], [sp.OneMatrix(1, 1)]]),
            (p.n + 1, 1),
        ),
        _eq("The perceptron, one matrix product", p.a, p.output(), (p.m, 1)),
    )
    why = (
        f"Appending 1 to x and the bias b as a last column of W turns W x + b into the single "
        f"product W̃ x̃: a {p.m} × {p.n + 1} matrix times a {p.n + 1} × 1 vector gives the "
        f"{p.m} × 1 pre-activation z, and {p.activation} acts on each entry."
    )
    return Answer("perceptron_equation", None, "", why, steps)


def compute_graph(p: Perceptron) -> Answer:
    """x̃ and W̃ feed one matmul node; its z feeds f; each edge carries its matrix size."""
    graph = Graph(
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
    return Answer("compute_graph", None, "", why, (), figure="compute-graph", graph=graph)


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
        flipped = [f if f is jac else _transpose(f) for f in reversed(product)]
        return (mm(*flipped) if len(flipped) > 1 else flipped[0]), (shape[1], shape[0])

    steps = [
        _eq(
            "Activation",
            Partial(p.a, p.z),
            jac,
            (m, m),
            _activation(p.activation).cite
            or f"{p.activation}′ element-wise, so the Jacobian is diagonal",
        ),
        _eq("Linear map", Partial(p.z, p.x), *oriented([p.W], (m, n)), "Matrix Cookbook §2.4.1"),
        _eq("With respect to the inputs", Partial(p.a, p.x), *oriented([jac, p.W], (m, n)), chain),
        _eq(
            "Linear map in the weights",
            Partial(p.z, Vec(p.Wt)),
            *oriented([kron], (m, m * (n + 1))),
            "vec(AXB) = (Bᵀ ⊗ A) vec(X), Magnus & Neudecker",
        ),
        _eq(
            "With respect to weights and biases",
            Partial(p.a, Vec(p.Wt)),
            *oriented([jac, kron], (m, m * (n + 1))),
            chain,
        ),
        _eq(
            "With respect to the biases",
            Partial(p.a, p.b),
            jac,
            (m, m),
            "the bias is W̃'s last column, multiplied by x̃'s constant 1",
        ),
    ]
    delta = local_gradient(p.activation, p.z, p.a, p.g)
    grads = [
        _eq("Error at z, given g = ∂L/∂a", p.delta, delta, (m, 1), chain),
        _eq(
            "Gradient for the weights and biases",
            Partial(sp.Symbol("L"), p.Wt),
            mm(p.delta, p.xt.T),
            (m, n + 1),
            "outer product: ∂L/∂W̃_jk = δ_j x̃_k",
        ),
        _eq("Gradient for the weights", Partial(sp.Symbol("L"), p.W), mm(p.delta, p.x.T), (m, n)),
        _eq("Gradient for the biases", Partial(sp.Symbol("L"), p.b), p.delta, (m, 1)),
        _eq(
            "Gradient for the inputs",
            Partial(sp.Symbol("L"), p.x),
            mm(p.W.T, p.delta),
            (n, 1),
            chain,
        ),
    ]
    y = sp.MatrixSymbol("y", m, 1)
    if p.activation == "softmax":
        grads.append(
            _eq(
                "Cross-entropy L = −yᵀ log a (y one-hot)",
                p.delta,
                p.a - y,
                (m, 1),
                "softmax and cross-entropy combined",
            )
        )
    else:
        grads.append(_eq("Mean squared error L = ½‖a − y‖²", p.g, p.a - y, (m, 1)))
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


def network_equation(analysis: Analysis) -> Answer:
    """a = f_L(W_L ... f_1(W_1 x)) for a dense network, with each weight's shape."""
    layers = analysis.layers()
    if not layers or not analysis.network.input.is_vector:
        raise ShapeError("network", "the network equation needs a dense network on a vector input")
    name = "I"
    expr: sp.MatrixExpr = sp.MatrixSymbol(name, int(analysis.network.input.dims[0]), 1)
    steps = []
    for row, res in layers:
        if not isinstance(res.layer, Dense):
            raise Unsupported(
                "network",
                f"{row.label} is a {res.layer.kind_name}: only dense "
                "layers have a network equation here",
            )
        n_in, n_out = int(res.in_shape.numel), int(res.out_shape.dims[0])
        w = sp.MatrixSymbol(f"W_{{{row.label}}}", n_out, n_in)
        z = mm(w, expr)
        if res.layer.counts_bias(analysis.conventions.bias):
            z = z + sp.MatrixSymbol(f"b_{{{row.label}}}", n_out, 1)
        steps.append(_eq(f"{row.label} weights", w, w, (n_out, n_in)))
        expr = apply(res.layer.applied, z)
    out = sp.MatrixSymbol(layers[-1][0].label, int(analysis.output.dims[0]), 1)
    steps.append(_eq("The network", out, expr, (*tuple(int(d) for d in analysis.output.dims), 1)))
    why = (
        "Each layer multiplies the previous layer's output by its weight matrix (rows: the "
        "layer's nodes; columns: the previous layer's nodes) and applies tanh element-wise; "
        "the layers nest from the input outwards."
    )
    return Answer("network_equation", None, "", why, tuple(steps[-1:] + steps[:-1]))


def network_backprop(analysis: Analysis) -> Answer:
    """The backprop recursion of a dense network, each symbol with its shape."""
    layers = analysis.layers()
    L = len(layers)
    sizes = [int(analysis.network.input.numel)] + [int(r.out_shape.dims[0]) for _, r in layers]
    steps = []
    loss = sp.Symbol("L")
    for idx in range(L, 0, -1):
        (row, res), size = layers[idx - 1], sizes[idx]
        act = res.layer.applied
        z = sp.MatrixSymbol(f"z^{{({idx})}}", size, 1)
        a = sp.MatrixSymbol(f"a^{{({idx})}}", size, 1)
        delta = sp.MatrixSymbol(f"delta^{{({idx})}}", size, 1)
        if idx == L:
            upstream: sp.MatrixExpr = sp.MatrixSymbol(f"g^{{({idx})}}", size, 1)
            cite = "g = ∂L/∂a at the output"
        else:
            w_next = sp.MatrixSymbol(f"W^{{({idx + 1})}}", sizes[idx + 1], size)
            upstream = mm(w_next.T, sp.MatrixSymbol(f"delta^{{({idx + 1})}}", sizes[idx + 1], 1))
            cite = "Goodfellow et al. 2016, §6.5.2 (chain rule)"
        steps.append(
            _eq(
                f"Layer {idx} ({row.label}): error",
                delta,
                local_gradient(act, z, a, upstream),
                (size, 1),
                cite,
            )
        )
        prev = sp.MatrixSymbol(f"a^{{({idx - 1})}}", sizes[idx - 1], 1)
        steps.append(
            _eq(
                f"Layer {idx} ({row.label}): weight gradient",
                Partial(loss, sp.MatrixSymbol(f"W^{{({idx})}}", size, sizes[idx - 1])),
                mm(delta, prev.T),
                (size, sizes[idx - 1]),
            )
        )
        if res.layer.counts_bias(analysis.conventions.bias):
            steps.append(
                _eq(
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


__all__ = [
    "Perceptron",
    "compute_graph",
    "network_backprop",
    "network_equation",
    "perceptron_backprop",
    "perceptron_equation",
]
