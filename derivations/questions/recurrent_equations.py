"""``recurrent_equations``: the cell equations of an RNN, LSTM or GRU layer, every matrix's
shape, and the parameter count derived from them under both bias conventions.

PyTorch's forms (``torch.nn.RNN``, ``LSTM``, ``GRU`` docs), with d the input's features and h
the hidden size; each gate block has an input matrix W_i· of h × d, a recurrent matrix W_h· of
h × h and, in PyTorch, two bias vectors b_i· and b_h· of h (Keras keeps one, except a GRU with
``reset_after``). LSTM: Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al.
2000; GRU: Cho et al. 2014.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

import sympy as sp

from derivations.answers import Answer, Cell, Step, Table
from derivations.backprop import apply, mm
from derivations.fields import Text
from derivations.formula import Formula, as_size, is_concrete, product, total
from derivations.questions._structure import grouped
from derivations.questions.base import Context, QuestionKind, layer_result, question_kind
from derivations.shapes import ShapeError
from derivations.symbols import Labelled

G, H, D = sp.symbols("G h d", positive=True, integer=True)
GATES = {
    1: (("h", "activation"),),
    3: (("r", "sigmoid"), ("z", "sigmoid"), ("n", "tanh")),
    4: (("i", "sigmoid"), ("f", "sigmoid"), ("g", "tanh"), ("o", "sigmoid")),
}
PARTS = (("W", "i"), ("W", "h"), ("b", "i"), ("b", "h"))
CITE = {1: "Elman 1990; torch.nn.RNN", 3: "Cho et al. 2014; torch.nn.GRU", 4: "torch.nn.LSTM"}


@runtime_checkable
class Gated(Protocol):
    """What the question reads of a recurrent layer kind: its number of gate blocks, its
    hidden size and stacking (the kinds of ``derivations/layers/recurrent.py``)."""

    gates: int
    hidden_size: Any
    num_layers: int
    bidirectional: bool


def _vec(name: str, n: int) -> sp.MatrixSymbol:
    return sp.MatrixSymbol(name, n, 1)


def cell(gates: int, act: str, d: int, h: int, p: int | None = None) -> list[Step]:
    """The cell's equations for one time step, each gate a column of h; an LSTM with
    ``proj_size`` p carries a state h_t of p, projected from h by W_hr (p × h)."""
    r = h if p is None else p
    x, h_prev = _vec("x_{t}", d), _vec("h_{t-1}", r)
    steps: list[Step] = []
    gate_of: dict[str, sp.MatrixSymbol] = {}
    for name, fn in GATES[gates]:
        w_i = sp.MatrixSymbol(f"W_{{i{name}}}", h, d)
        w_h = sp.MatrixSymbol(f"W_{{h{name}}}", h, r)
        b_i, b_h = _vec(f"b_{{i{name}}}", h), _vec(f"b_{{h{name}}}", h)
        recurrent = sp.MatAdd(mm(w_h, h_prev), b_h)
        if gates == 3 and name == "n":  # the reset gate scales the recurrent part (PyTorch)
            recurrent = sp.HadamardProduct(gate_of["r"], recurrent)
        pre = sp.MatAdd(mm(w_i, x), b_i, recurrent)
        out = _vec(f"{name}_{{t}}" if gates > 1 else "h_{t}", h)
        steps.append(
            Step(
                f"Gate {name}" if gates > 1 else "State",
                Formula(out, apply(act if fn == "activation" else fn, pre), identity=True),
                shape=(h, 1),
            )
        )
        gate_of[name] = out
    if gates == 4:
        c, c_prev = _vec("c_{t}", h), _vec("c_{t-1}", h)
        g = gate_of
        new_c = sp.MatAdd(sp.HadamardProduct(g["f"], c_prev), sp.HadamardProduct(g["i"], g["g"]))
        steps.append(Step("Cell state", Formula(c, new_c, identity=True), shape=(h, 1)))
        hidden: sp.Expr = sp.HadamardProduct(g["o"], apply("tanh", c))
        if p is not None:
            hidden = mm(sp.MatrixSymbol("W_{hr}", p, h), hidden)
        steps.append(
            Step("Hidden state", Formula(_vec("h_{t}", r), hidden, identity=True), shape=(r, 1))
        )
    if gates == 3:
        z, n = gate_of["z"], gate_of["n"]
        keep = sp.MatAdd(sp.OneMatrix(h, 1), sp.MatMul(-1, z))
        hidden = sp.MatAdd(sp.HadamardProduct(keep, n), sp.HadamardProduct(z, h_prev))
        steps.append(
            Step("Hidden state", Formula(_vec("h_{t}", h), hidden, identity=True), shape=(h, 1))
        )
    return steps


R, D2, W1, W2 = sp.symbols("r d_2 W_1 W_2", positive=True, integer=True)


def _factor(n: int) -> list[sp.Expr]:
    """``[n]`` as a factor of a product, nothing when n is 1."""
    return [sp.Integer(n)] if n > 1 else []


def layer_weights(gates: int, h: int, p: int | None, d: int, first: bool) -> Formula:
    """One direction of one layer: G·h·(d_l + r) (+ p·h for a projection), where d_l is the
    sequence's d for the first layer and d_2 = D·r (the layer below's output) for the others
    (torch.nn.LSTM docs, "Variables")."""
    r = h if p is None else p
    rec = R if p is not None else H
    d_in = D if first else D2
    rhs = product([G, H, total([d_in, rec])])
    if p is not None:
        rhs = total([rhs, product([R, H])])
    values = {G: gates, H: h, D: d, D2: d, R: r}
    return Formula.of(W1 if first else W2, rhs, values)


@question_kind
class RecurrentEquations(QuestionKind):
    """An RNN, LSTM or GRU ``layer``'s cell equations with every matrix's shape, and its
    parameter count derived from them: G gate blocks of an h × d and an h × h matrix (h × p
    and a p × h projection with ``proj_size``), with two bias vectors per block (PyTorch) or
    one (Keras; two for a GRU with reset_after). A stack derives layer 1 from the input's d
    and each layer above from the D·r features of the layer below, then sums them."""

    kind: Literal["recurrent_equations"] = "recurrent_equations"
    layer: Text

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        row, res = layer_result(analysis, self.layer)
        layer = res.layer
        if not isinstance(layer, Gated) or layer.gates not in GATES:
            raise ShapeError("layer", f"{row.label} is not an RNN, LSTM or GRU layer")
        gates, levels = layer.gates, int(layer.num_layers)
        dirs = 2 if layer.bidirectional else 1
        proj = getattr(layer, "projection", None)
        d, width = res.in_shape.dims[-1], res.out_shape.dims[-1]
        h = as_size(layer.hidden_size) if proj is not None else sp.sympify(width) / dirs
        if not is_concrete(d, h, width):
            raise ShapeError("layer", "the cell equations need numbers for d and h")
        d, h = int(d), int(h)
        p = None if proj is None else int(width) // dirs
        r = h if p is None else p
        act = getattr(layer, "nonlinearity", "tanh")
        steps = cell(gates, act, d, h, p)
        first = layer_weights(gates, h, p, d, first=True)
        above = layer_weights(gates, h, p, dirs * r, first=False)
        values = {G: gates, H: h, D: d}
        if levels == 1 and dirs == 1:
            per = Formula.of(sp.Symbol("W"), first.rhs, dict(first.values))
        else:
            rest = [product([*_factor(levels - 1), W2])] if levels > 1 else []
            stack = total([W1, *rest])
            rhs = product([sp.Integer(dirs), stack]) if dirs > 1 else stack
            per = Formula.of(sp.Symbol("W"), rhs, {W1: first.value, W2: above.value})
            steps.append(Step("Weights, layer 1" + (", each direction" if dirs > 1 else ""), first))
            if levels > 1:
                which = "layer 2" if levels == 2 else f"each of layers 2–{levels}"
                steps.append(
                    Step(f"Weights, {which}" + (", each direction" if dirs > 1 else ""), above)
                )
        cells = [*_factor(levels), *_factor(dirs)]
        both = Formula.of(sp.Symbol("b_PyTorch"), product([*cells, sp.Integer(2), G, H]), values)
        keras_two = gates == 3 and bool(getattr(layer, "reset_after", True))
        one = Formula.of(
            sp.Symbol("b_Keras"),
            product([*cells, sp.Integer(2), G, H]) if keras_two else product([*cells, G, H]),
            values,
        )
        steps += [
            Step("Weights", per),
            Step("Biases (PyTorch)", both),
            Step("Biases (Keras)", one),
        ]
        names = [n for n, _ in GATES[gates]]
        rows: list[tuple[Cell, ...]] = [
            (n, *(Labelled(head, f"{side}{n}", k) for k, (head, side) in enumerate(PARTS)))
            for n in names
        ]
        rec = "h × h" if p is None else "h × p"
        table = Table(
            ("Gate", "input matrix", "recurrent matrix", "input bias", "recurrent bias"),
            tuple(rows),
            notes=(
                f"Each input matrix is h × d = {h} × {d}"
                + (f" in layer 1 and {h} × {dirs * r} in the layers above" if levels > 1 else "")
                + f", each recurrent matrix {rec} = {h} × {r}, each bias vector h = {h}"
                + (f"; W_hr is p × h = {p} × {h}" if p is not None else "")
                + " (the recurrent biases are PyTorch's; Keras keeps one bias per block).",
            ),
        )
        counted = analysis.params(res)
        convention = getattr(analysis.conventions, "recurrent_bias", None) or "pytorch"
        way = " in each direction" if dirs > 1 else ""
        proj_text = (
            f", plus a projection W_hr (p × h = {p} × {h}) of the hidden state"
            if p is not None
            else ""
        )
        why = (
            f"{row.label} has {gates} gate block{'s' if gates > 1 else ''} ({', '.join(names)}), "
            f"each with its own input matrix (h × d = {h} × {d}) and recurrent matrix "
            f"({rec} = {h} × {r}){proj_text}, shared by every time step: "
            + (
                f"{grouped(per.value)} weights"
                if levels == 1 and dirs == 1
                else f"layer 1 has {grouped(first.value)} weights{way}"
            )
            + ". "
            + (
                f"{'Layer 2 reads' if levels == 2 else f'Each of layers 2–{levels} reads'} the "
                f"{dirs * r} features of the layer below instead of the input's {d}, so its "
                f"input matrices are {h} × {dirs * r}: {grouped(above.value)} "
                f"weights{way}{' per layer' if levels > 2 else ''}. "
                if levels > 1
                else ""
            )
            + (
                f"In all, {grouped(per.value)} weights over {levels} "
                f"layer{'s' if levels > 1 else ''}{' and both directions' if dirs > 1 else ''}. "
                if levels > 1 or dirs > 1
                else ""
            )
            + f"PyTorch adds two bias vectors per block ({grouped(both.value)}"
            + (" in all" if levels > 1 or dirs > 1 else "")
            + f"), Keras one ({grouped(one.value)})"
            + (", except a GRU with reset_after, which needs both" if gates == 3 else "")
            + f". The key counts biases as {'Keras' if convention == 'keras' else 'PyTorch'} does"
            + f": {grouped(counted)} parameters in all under the key's conventions."
        )
        return Answer("recurrent_equations", counted, "parameters", why, tuple(steps), table=table)
