"""Loss functions: one table, each entry with the faces the backprop questions need.

An entry writes the loss L of an output ŷ (n entries) against a target y as a scalar SymPy
expression of the entries, and its gradient ∂L/∂ŷ as a column in matrix form. The gradient
forms are the textbook ones; :func:`check` confirms each against SymPy's own differentiation
of the scalar form (the tests run it for every entry and several n).

- ``mse``: L = (1/n) Σ (ŷ_k − y_k)², ∂L/∂ŷ = (2/n)(ŷ − y) (PyTorch ``MSELoss``, mean);
- ``half_sse``: L = ½ Σ (ŷ_k − y_k)², ∂L/∂ŷ = ŷ − y (Bishop 2006, eq. 5.11);
- ``bce``: L = −(1/n) Σ [y_k log ŷ_k + (1 − y_k) log(1 − ŷ_k)], ∂L/∂ŷ_k =
  (ŷ_k − y_k)/(n ŷ_k (1 − ŷ_k)), for a sigmoid output (PyTorch ``BCELoss``, mean);
- ``cross_entropy``: L = −Σ y_k log ŷ_k, ŷ = softmax(z), y a distribution (one-hot or
  soft), for a softmax output (PyTorch ``CrossEntropyLoss`` with class probabilities); with
  softmax, ∂L/∂z = ŷ − y (Goodfellow et al. 2016, §6.2.2.3).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from derivations.backprop import HadamardDivide
from derivations.formula import total


def _mean(n: int) -> sp.Expr:
    return sp.Integer(1) if n == 1 else sp.Rational(1, n)


def _squares(yhat: Sequence[sp.Expr], y: Sequence[sp.Expr]) -> sp.Expr:
    return total([sp.Pow(total([a, -t]), 2, evaluate=False) for a, t in zip(yhat, y, strict=True)])


def _scaled(factor: sp.Expr, expr: sp.Expr) -> sp.Expr:
    return expr if factor == 1 else sp.Mul(factor, expr, evaluate=False)


def _log(t: sp.Expr) -> sp.Expr:
    return sp.log(t, evaluate=False)


@dataclass(frozen=True)
class Loss:
    """One loss. ``scalar(yhat, y)`` is L in the entries; ``gradient(yhat, y)`` is ∂L/∂ŷ as a
    matrix expression in the columns ŷ and y (None when the loss is only taken together with
    its output activation, as cross-entropy with softmax); ``output`` the activation the
    output must have (None: any); ``title`` the loss in a sentence."""

    name: str
    title: str
    scalar: Callable[[Sequence[sp.Expr], Sequence[sp.Expr]], sp.Expr]
    gradient: Callable[[sp.MatrixExpr, sp.MatrixExpr], sp.MatrixExpr] | None
    output: str | None = None


def _mse(yhat: Sequence[sp.Expr], y: Sequence[sp.Expr]) -> sp.Expr:
    return _scaled(_mean(len(yhat)), _squares(yhat, y))


def _half(yhat: Sequence[sp.Expr], y: Sequence[sp.Expr]) -> sp.Expr:
    return _scaled(sp.Rational(1, 2), _squares(yhat, y))


def _bce(yhat: Sequence[sp.Expr], y: Sequence[sp.Expr]) -> sp.Expr:
    terms = [
        term
        for a, t in zip(yhat, y, strict=True)
        for term in (sp.Mul(t, _log(a), evaluate=False), sp.Mul(1 - t, _log(1 - a), evaluate=False))
    ]
    return sp.Mul(-_mean(len(yhat)), total(terms), evaluate=False)


def _ce(yhat: Sequence[sp.Expr], y: Sequence[sp.Expr]) -> sp.Expr:
    terms = [sp.Mul(t, _log(a), evaluate=False) for a, t in zip(yhat, y, strict=True)]
    return sp.Mul(-1, total(terms), evaluate=False)


def _bce_gradient(yhat: sp.MatrixExpr, y: sp.MatrixExpr) -> sp.MatrixExpr:
    n = yhat.shape[0]
    spread = sp.HadamardProduct(yhat, sp.MatAdd(sp.OneMatrix(n, 1), sp.MatMul(-1, yhat)))
    return _times(_mean(n), HadamardDivide(sp.MatAdd(yhat, -y), spread))


def _times(factor: sp.Expr, matrix: sp.MatrixExpr) -> sp.MatrixExpr:
    """``factor · matrix``, or ``matrix`` when the factor is 1."""
    return matrix if factor == 1 else sp.MatMul(factor, matrix)


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            "mse",
            "mean squared error",
            _mse,
            lambda a, y: _times(sp.Rational(2, a.shape[0]), sp.MatAdd(a, -y)),
        ),
        Loss("half_sse", "half the sum of squared errors", _half, lambda a, y: sp.MatAdd(a, -y)),
        Loss("bce", "binary cross-entropy", _bce, _bce_gradient, "sigmoid"),
        Loss("cross_entropy", "cross-entropy", _ce, None, "softmax"),
    )
}
"""Every loss a spec may name, by that name."""


def check(loss: Loss, n: int, seed: int = 0) -> bool:
    """Whether ``loss.gradient`` equals SymPy's derivative of ``loss.scalar`` entry by entry,
    at a random point inside (0, 1) (the range every loss here is defined on)."""
    if loss.gradient is None:
        return True
    a = [sp.Symbol(f"a{k}", positive=True) for k in range(n)]
    t = [sp.Symbol(f"t{k}", positive=True) for k in range(n)]
    rng = random.Random(seed)
    at = {s: sp.Rational(rng.randint(1, 99), 100) for s in (*a, *t)}
    L = loss.scalar(a, t)
    A, T = sp.MatrixSymbol("A", n, 1), sp.MatrixSymbol("T", n, 1)
    explicit = {A: sp.ImmutableMatrix(a), T: sp.ImmutableMatrix(t)}
    grad = sp.Matrix(loss.gradient(A, T).xreplace(explicit).doit())
    return all(sp.simplify((grad[k] - sp.diff(L.doit(), a[k])).xreplace(at)) == 0 for k in range(n))
