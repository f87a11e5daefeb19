"""Activation functions: one table, each entry with every face answerkey needs of it.

An entry holds the SymPy function f(t) (element-wise) and its derivative f′(t), the local
Jacobian ∂a/∂z written in a and z, the PyTorch module that computes it (for the referee), and
how the key writes its name. Adding an activation is one entry here.

Derivatives (Goodfellow, Bengio & Courville, *Deep Learning*, 2016, §6.3 and §6.2.2.3):
tanh′ = 1 − tanh², σ′ = σ(1 − σ), ReLU′ = 1[z > 0] (0 at 0, as PyTorch), identity′ = 1;
softmax is vector-wise, ∂a/∂z = diag(a) − a aᵀ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

T = sp.Symbol("t")


class Positive(sp.Function):
    """1 where the argument is positive, else 0: ReLU's derivative (taken as 0 at 0, as
    PyTorch does)."""

    @classmethod
    def eval(cls, arg: sp.Expr) -> sp.Expr | None:
        if arg.is_extended_positive:
            return sp.S.One
        if arg.is_extended_nonpositive:
            return sp.S.Zero
        return None


Jacobian = Callable[[sp.MatrixExpr, sp.MatrixExpr], sp.MatrixExpr]


@dataclass(frozen=True)
class ActivationFunction:
    """One activation. ``function`` is f as a SymPy ``Lambda`` of one variable (softmax,
    vector-wise, is written as its own function ``softmax(t)``); ``derivative`` is f′ (None
    for softmax); ``jacobian(z, a)`` is ∂a/∂z (m × m) in terms of z and a = f(z);
    ``torch(nn)`` builds the ``torch.nn`` module on a batch (N, features); ``latex`` is how
    the key names it in math, ``cite`` the source of its Jacobian.

    ``rule`` and ``slope`` give f(t) and f′(t) in the symbol :data:`T`: the ``Lambda`` of
    each is built the first time it is asked for (a spec uses one or two activations of the
    table, and building SymPy expressions is not free at start-up)."""

    name: str
    rule: Callable[[], sp.Expr]
    slope: Callable[[], sp.Expr] | None
    jacobian: Jacobian
    torch: Callable[[Any], Any]
    latex: str
    cite: str | None = None
    prose: str | None = None
    """How a sentence names it (``ReLU``); the spec's name when None."""

    @cached_property
    def function(self) -> sp.Lambda:
        return sp.Lambda(T, self.rule())

    @cached_property
    def derivative(self) -> sp.Lambda | None:
        return None if self.slope is None else sp.Lambda(T, self.slope())

    @property
    def spoken(self) -> str:
        """The activation's name in the key's prose."""
        return self.prose or self.name

    @property
    def elementwise(self) -> bool:
        return self.slope is not None


def _ones(z: sp.MatrixExpr) -> sp.MatrixExpr:
    return sp.OneMatrix(z.shape[0], 1)


ACTIVATIONS: dict[str, ActivationFunction] = {
    a.name: a
    for a in (
        ActivationFunction(
            "tanh",
            lambda: sp.tanh(T),
            lambda: 1 - sp.tanh(T) ** 2,
            lambda z, a: DiagMatrix(_ones(z) - sp.HadamardProduct(a, a)),
            lambda nn: nn.Tanh(),
            r"\tanh",
        ),
        ActivationFunction(
            "sigmoid",
            lambda: 1 / (1 + sp.exp(-T)),
            lambda: sp.exp(-T) / (1 + sp.exp(-T)) ** 2,
            lambda z, a: DiagMatrix(sp.HadamardProduct(a, _ones(z) - a)),
            lambda nn: nn.Sigmoid(),
            r"\sigma",
        ),
        ActivationFunction(
            "relu",
            lambda: sp.Max(T, 0),
            lambda: Positive(T),
            lambda z, a: DiagMatrix(ElementwiseApplyFunction(sp.Lambda(T, Positive(T)), z)),
            lambda nn: nn.ReLU(),
            r"\operatorname{ReLU}",
            prose="ReLU",
        ),
        ActivationFunction(
            "relu6",
            lambda: sp.Min(sp.Max(T, 0), 6),
            lambda: Positive(T) * Positive(6 - T),
            lambda z, a: DiagMatrix(
                ElementwiseApplyFunction(sp.Lambda(T, Positive(T) * Positive(6 - T)), z)
            ),
            lambda nn: nn.ReLU6(),
            r"\operatorname{ReLU6}",
            "Sandler et al. 2018 (MobileNetV2): min(max(0, t), 6)",
        ),
        ActivationFunction(
            "softmax",
            lambda: sp.Function("softmax")(T),
            None,
            lambda z, a: sp.MatAdd(DiagMatrix(a), -sp.MatMul(a, a.T)),
            lambda nn: nn.Softmax(dim=1),
            r"\operatorname{softmax}",
            "Goodfellow et al. 2016, §6.2.2.3 (softmax)",
        ),
        ActivationFunction(
            "identity",
            lambda: T,
            lambda: sp.Integer(1),
            lambda z, a: sp.Identity(z.shape[0]),
            lambda nn: nn.Identity(),
            r"\operatorname{id}",
        ),
    )
}
"""Every activation a spec may name, by that name."""


def activation(name: str) -> ActivationFunction:
    """The entry for ``name`` (KeyError if there is none; spec validation prevents that)."""
    return ACTIVATIONS[name]


def by_function(function: sp.Lambda) -> ActivationFunction | None:
    """The entry whose ``function`` is ``function`` (for printing an applied activation;
    only the entries before it in the table build their ``Lambda``)."""
    return next((a for a in ACTIVATIONS.values() if a.function == function), None)
