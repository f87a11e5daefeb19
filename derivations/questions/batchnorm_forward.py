"""``batchnorm_forward``: the forward equations of one batch-normalisation layer in training, in
index notation, with every tensor's shape and the number of values each statistic averages.

Per channel c, over the m = B · (positions) values of the batch (Ioffe & Szegedy 2015,
Algorithm 1): μ_c = (1/m) Σ x, σ²_c = (1/m) Σ (x − μ_c)² (the biased variance),
x̂ = (x − μ_c)/√(σ²_c + ε), y = γ_c x̂ + β_c. The running estimates PyTorch keeps for
inference move by the momentum: μ̂_c ← (1 − momentum) μ̂_c + momentum · μ_c, and σ̂²_c the same
with the unbiased variance m/(m − 1) · σ²_c (``torch.nn.BatchNorm2d`` docs).
"""

from __future__ import annotations

from typing import Literal

import sympy as sp
from pydantic import Field

from derivations.answers import Answer, Step
from derivations.fields import Size, Text
from derivations.formula import Formula, as_size, product, total
from derivations.layers import Count
from derivations.layers.norm import BatchNorm
from derivations.questions._structure import grouped
from derivations.questions.base import Context, QuestionKind, layer_result, question_kind
from derivations.shapes import ShapeError

N = {"nonnegative": True, "integer": True}
SIZE = {"positive": True, "integer": True}
IDX = {0: ("n",), 1: ("n", "l"), 2: ("n", "h", "w"), 3: ("n", "d", "h", "w")}
AXES = {0: (), 1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
C_IDX = sp.Symbol("c", **N)
M, B = sp.Symbol("m", **SIZE), sp.Symbol("B", **SIZE)
EPS, MOMENTUM = sp.Symbol("epsilon", positive=True), sp.Symbol("alpha", positive=True)
CITE = "Ioffe & Szegedy 2015, Algorithm 1"


def _identity(lhs: sp.Expr, rhs: sp.Expr) -> Formula:
    return Formula(lhs, rhs, identity=True)


def _mul(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


@question_kind
class BatchnormForward(QuestionKind):
    """The training forward pass of a batch-normalisation ``layer``: the batch mean and
    variance per channel over m = B · positions values, the normalised x̂, y = γ x̂ + β, and
    the running estimates' update, with every tensor's shape; ``batch`` (default: the
    network's ``batch``)."""

    kind: Literal["batchnorm_forward"] = "batchnorm_forward"
    layer: Text
    batch: Size | None = None
    momentum: float = Field(default=0.1, gt=0, lt=1)

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        row, res = layer_result(analysis, self.layer)
        layer = res.layer
        if not isinstance(layer, BatchNorm) or layer.per_sample:
            raise ShapeError("layer", f"{row.label} is not a batch normalisation")
        batch = as_size(self.batch) if self.batch is not None else analysis.network.batch
        if batch is None:
            raise ShapeError("batch", "batch normalisation needs the batch size: give batch:")
        shape = res.in_shape
        rank = shape.spatial_rank
        idx = [sp.Symbol(n, **N) for n in IDX[rank]]
        spatial_syms = [sp.Symbol(a, **SIZE) for a in AXES[rank]]
        x, y, xhat = sp.IndexedBase("x"), sp.IndexedBase("y"), sp.IndexedBase("xhat")
        mu, var = sp.IndexedBase("mu"), sp.IndexedBase("sigma")
        gamma, beta = sp.IndexedBase("gamma"), sp.IndexedBase("beta")
        mu_run, var_run = sp.IndexedBase("muhat"), sp.IndexedBase("sigmahat")
        entry = (idx[0], C_IDX, *idx[1:])
        limits = [
            (i, 0, sp.Add(n, -1, evaluate=False))
            for i, n in zip(idx, [B, *spatial_syms], strict=True)
        ]
        inv_m = sp.UnevaluatedExpr(sp.Pow(M, -1))  # printed 1/m before the sum
        centred = sp.Add(x[entry], -mu[C_IDX], evaluate=False)
        values = {B: batch, **dict(zip(spatial_syms, shape.spatial, strict=True))}
        m = Formula.of(M, product([B, *spatial_syms]), values)
        c = shape.channels
        per_channel = (int(c),) if not sp.sympify(c).free_symbols else None
        full = tuple(int(d) for d in (batch, *shape.dims)) if m.value.is_Integer else None
        steps = [
            Step("Values per channel", m, cite="the batch and every position"),
            Step(
                "Batch mean",
                _identity(mu[C_IDX], _mul(inv_m, sp.Sum(x[entry], *limits))),
                shape=per_channel,
                cite=CITE,
            ),
            Step(
                "Batch variance (biased)",
                _identity(var[C_IDX] ** 2, _mul(inv_m, sp.Sum(centred**2, *limits))),
                shape=per_channel,
            ),
            Step(
                "Normalised",
                _identity(xhat[entry], centred / sp.sqrt(var[C_IDX] ** 2 + EPS)),
                shape=full,
            ),
        ]
        if Count.SCALES in res.counts:
            scaled = total([_mul(gamma[C_IDX], xhat[entry]), beta[C_IDX]])
            steps.append(Step("Scaled and shifted", _identity(y[entry], scaled), shape=full))
        if Count.RUNNING_MEANS in res.counts:
            keep = sp.Add(1, -MOMENTUM, evaluate=False)
            unbiased = _mul(M, sp.Pow(sp.Add(M, -1, evaluate=False), -1, evaluate=False))
            steps += [
                Step(
                    "Running mean (for inference)",
                    _identity(
                        mu_run[C_IDX], total([_mul(keep, mu_run[C_IDX]), _mul(MOMENTUM, mu[C_IDX])])
                    ),
                    shape=per_channel,
                    note=f"α is the momentum: {self.momentum:g}"
                    + (" (PyTorch's default)" if self.momentum == 0.1 else ""),
                ),
                Step(
                    "Running variance (unbiased)",
                    _identity(
                        var_run[C_IDX] ** 2,
                        total(
                            [
                                _mul(keep, var_run[C_IDX] ** 2),
                                _mul(MOMENTUM, unbiased, var[C_IDX] ** 2),
                            ]
                        ),
                    ),
                    shape=per_channel,
                ),
            ]
        why = (
            f"{row.label} normalises each of its {c} channels with statistics of the batch: "
            f"every sample and every position of that channel, m = {grouped(m.value)} values. "
            "Each value is centred and scaled to unit variance (ε keeps the division safe), "
            "then the learned γ and β set the channel's scale and offset, so the layer can "
            "undo the normalisation if that helps. The running estimates replace the batch "
            "statistics at inference."
        )
        return Answer("batchnorm_forward", m.value, "values per channel", why, tuple(steps))
