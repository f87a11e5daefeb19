"""Matrix calculus for perceptrons and dense networks: the symbols and rules the backprop
questions (:mod:`derivations.questions.perceptron`, :mod:`derivations.questions.dense_network`)
are written with.

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
from derivations.answers import Step
from derivations.formula import Formula
from derivations.shapes import Unsupported


def mm(*factors: sp.MatrixExpr) -> sp.MatrixExpr:
    """A matrix product as written, unevaluated: ``A * B`` would canonicalise it through
    SymPy's assumption system, which is slow and changes nothing here."""
    return sp.MatMul(*factors)


def apply(activation: str, z: sp.MatrixExpr) -> sp.MatrixExpr:
    """f(z) element-wise, as a SymPy matrix expression (softmax as its own function)."""
    if activation == "identity":
        return z
    return ElementwiseApplyFunction(activation_rule(activation).function, z)


def activation_rule(name: str) -> ActivationFunction:
    if name not in ACTIVATIONS:
        raise Unsupported("activation", f"no derivative rule for {name!r}")
    return ACTIVATIONS[name]


def local_jacobian(activation: str, z: sp.MatrixExpr, a: sp.MatrixExpr) -> sp.MatrixExpr:
    """∂a/∂z (m × m) written in a and z: diag(f′(z)), or diag(a) − a aᵀ for softmax."""
    return activation_rule(activation).jacobian(z, a)


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


def softmax_cross_entropy(
    z: sp.MatrixSymbol, a: sp.MatrixSymbol, delta: sp.MatrixSymbol, y: sp.MatrixSymbol
) -> list[Step]:
    """δ = ∂L/∂z = a − y for a = softmax(z) and L = −yᵀ log a, derived step by step: the
    loss's gradient −y ⊘ a, the softmax Jacobian diag(a) − a aᵀ (Goodfellow et al. 2016,
    §6.2.2.3), their product by the chain rule, and 1ᵀy = 1 (y a distribution)."""
    m = int(a.shape[0])
    t = sp.Symbol("t")
    log_a = ElementwiseApplyFunction(sp.Lambda(t, sp.log(t)), a)
    dL_da = HadamardDivide(sp.MatMul(-1, y), a)
    jac = sp.MatAdd(DiagMatrix(a), sp.MatMul(-1, mm(a, a.T)))
    ones = sp.OneMatrix(m, 1)
    chain = "Goodfellow et al. 2016, §6.5.2 (chain rule)"
    L = sp.Symbol("L")
    return [
        equation("Cross-entropy of the softmax output", L, sp.MatMul(-1, mm(y.T, log_a)), None),
        equation("Its gradient", Partial(L, a), dL_da, (m, 1), "∂(log t)/∂t = 1/t, entry by entry"),
        equation(
            "Softmax Jacobian", Partial(a, z), jac, (m, m), "Goodfellow et al. 2016, §6.2.2.3"
        ),
        equation("Chain rule (the Jacobian is symmetric)", delta, mm(jac, dL_da), (m, 1), chain),
        equation(
            "Multiplied out",
            delta,
            sp.MatAdd(sp.MatMul(-1, y), mm(a, sp.Transpose(ones), y)),
            (m, 1),
            "diag(a) (y / a) = y and aᵀ (y / a) = 1ᵀy, dividing entry by entry",
        ),
        equation("As 1ᵀy = 1 (y a distribution)", delta, sp.MatAdd(a, sp.MatMul(-1, y)), (m, 1)),
    ]


def transpose(expr: sp.MatrixExpr) -> sp.MatrixExpr:
    """Aᵀ, with (x̃ᵀ ⊗ I)ᵀ written x̃ ⊗ I and (Aᵀ)ᵀ as A."""
    if isinstance(expr, sp.KroneckerProduct):
        return sp.KroneckerProduct(*[transpose(a) for a in expr.args])
    if isinstance(expr, sp.Transpose):
        return expr.arg
    if isinstance(expr, sp.Identity):
        return expr
    return sp.Transpose(expr)


def equation(
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


class Gradient(sp.MatrixSymbol):
    """∂L/∂X as a matrix of X's shape, for matrix equations such as the SGD step
    W ← W − η ∂L/∂W (it stands for the numbers a derivation substitutes). Its name is
    ``dL/d<X's name>``, so that SymPy can rebuild it from its arguments."""

    def __new__(cls, of: Any, rows: Any = None, cols: Any = None) -> Gradient:
        if rows is None:
            return super().__new__(cls, f"dL/d{of.name}", *of.shape)  # type: ignore[no-any-return]
        return super().__new__(cls, of, rows, cols)  # type: ignore[no-any-return]

    @property
    def of(self) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(str(self.name).split("/d", 1)[1], *self.shape)

    @property
    def loss(self) -> str:
        return str(self.name).split("/d", 1)[0][1:]


class HadamardDivide(sp.MatrixExpr):
    """A ⊘ B: entry-by-entry division of two matrices of one shape (printed ``\\oslash``),
    evaluated by :meth:`doit` when both are explicit."""

    def __new__(cls, num: sp.MatrixExpr, den: sp.MatrixExpr) -> HadamardDivide:
        return super().__new__(cls, num, den)  # type: ignore[no-any-return]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.args[0].shape  # type: ignore[no-any-return]

    def doit(self, **hints: object) -> sp.MatrixExpr:
        num, den = (a.doit(**hints) for a in self.args)
        if any(
            isinstance(x, sp.MatrixSymbol) for m in (num, den) for x in sp.preorder_traversal(m)
        ):
            return HadamardDivide(num, den)  # still symbolic: nothing to divide yet
        top, bottom = num.as_explicit(), den.as_explicit()
        quotients = [a / b for a, b in zip(top, bottom, strict=True)]
        return sp.ImmutableMatrix(top.rows, top.cols, quotients)


class Softmax(sp.MatrixExpr):
    """softmax(z) of a column, e^{z_k} / Σ_j e^{z_j} (vector-wise, so not an element-wise
    function): printed as the activation table names it, evaluated by :meth:`doit` when z is
    an explicit matrix."""

    def __new__(cls, arg: sp.MatrixExpr) -> Softmax:
        return super().__new__(cls, arg)  # type: ignore[no-any-return]

    @property
    def arg(self) -> sp.MatrixExpr:
        return self.args[0]  # type: ignore[no-any-return]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.arg.shape  # type: ignore[no-any-return]

    def doit(self, **hints: object) -> sp.MatrixExpr:
        arg = self.arg.doit(**hints) if hints.get("deep", True) else self.arg
        if isinstance(arg, sp.MatrixBase):
            exps = [sp.exp(v) for v in arg]
            whole = sum(exps, sp.Integer(0))
            return sp.ImmutableMatrix(arg.rows, 1, [e / whole for e in exps])
        return Softmax(arg)


class Vec(sp.Expr):
    """vec(M): the columns of M stacked (for printing ∂a/∂vec(W̃))."""

    is_commutative = False


__all__ = [
    "Gradient",
    "HadamardDivide",
    "Partial",
    "Perceptron",
    "Softmax",
    "Vec",
    "activation_rule",
    "apply",
    "equation",
    "local_gradient",
    "local_jacobian",
    "mm",
    "softmax_cross_entropy",
    "transpose",
]
