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
from derivations.formula import Formula, product, total
from derivations.layers import LayerResult
from derivations.questions._structure import grouped
from derivations.questions.base import Context, QuestionKind, layer_row, question_kind
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


def cell(gates: int, act: str, d: int, h: int) -> list[Step]:
    """The cell's equations for one time step, each gate a column of h."""
    x, h_prev = _vec("x_{t}", d), _vec("h_{t-1}", h)
    steps: list[Step] = []
    gate_of: dict[str, sp.MatrixSymbol] = {}
    for name, fn in GATES[gates]:
        w_i = sp.MatrixSymbol(f"W_{{i{name}}}", h, d)
        w_h = sp.MatrixSymbol(f"W_{{h{name}}}", h, h)
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
        hidden = sp.HadamardProduct(g["o"], apply("tanh", c))
        steps.append(
            Step("Hidden state", Formula(_vec("h_{t}", h), hidden, identity=True), shape=(h, 1))
        )
    if gates == 3:
        z, n = gate_of["z"], gate_of["n"]
        keep = sp.MatAdd(sp.OneMatrix(h, 1), sp.MatMul(-1, z))
        hidden = sp.MatAdd(sp.HadamardProduct(keep, n), sp.HadamardProduct(z, h_prev))
        steps.append(
            Step("Hidden state", Formula(_vec("h_{t}", h), hidden, identity=True), shape=(h, 1))
        )
    return steps


def _stacking(layer: Gated) -> str:
    ways = "both directions" if layer.bidirectional else "one direction"
    return f"{layer.num_layers} layers, {ways}, the later layers reading the layer below"


@question_kind
class RecurrentEquations(QuestionKind):
    """An RNN, LSTM or GRU ``layer``'s cell equations with every matrix's shape, and its
    parameter count derived from them: G gate blocks of an h × d and an h × h matrix, with
    two bias vectors per block (PyTorch) or one (Keras; two for a GRU with reset_after)."""

    kind: Literal["recurrent_equations"] = "recurrent_equations"
    layer: Text

    def derive(self, ctx: Context) -> Answer:
        analysis = ctx.get(self.network)
        row = layer_row(analysis, self.layer)
        res = row.result
        assert isinstance(res, LayerResult)
        layer = res.layer
        if not isinstance(layer, Gated) or layer.gates not in GATES:
            raise ShapeError("layer", f"{row.label} is not an RNN, LSTM or GRU layer")
        d, h, gates = res.in_shape.dims[-1], res.out_shape.dims[-1], layer.gates
        h = sp.sympify(layer.hidden_size) if isinstance(layer.hidden_size, int) else h
        if sp.sympify(d).free_symbols or sp.sympify(h).free_symbols:
            raise ShapeError("layer", "the cell equations need numbers for d and h")
        d, h = int(d), int(h)
        act = getattr(layer, "nonlinearity", "tanh")
        steps = cell(gates, act, d, h)
        values = {G: gates, H: h, D: d}
        per = Formula.of(sp.Symbol("W"), product([G, H, total([D, H])]), values)
        both = Formula.of(sp.Symbol("b_PyTorch"), product([sp.Integer(2), G, H]), values)
        keras_two = gates == 3 and bool(getattr(layer, "reset_after", True))
        one = Formula.of(
            sp.Symbol("b_Keras"),
            product([sp.Integer(2), G, H]) if keras_two else product([G, H]),
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
        shapes = (f"{h} × {d}", f"{h} × {h}", f"{h}", f"{h}")
        table = Table(
            ("Gate", "input matrix", "recurrent matrix", "input bias", "recurrent bias"),
            tuple(rows),
            notes=(
                "Each input matrix is h × d = "
                + shapes[0]
                + ", each recurrent matrix h × h = "
                + shapes[1]
                + ", each bias vector h = "
                + shapes[2]
                + " (the recurrent biases "
                "are PyTorch's; Keras keeps one bias per block).",
            ),
        )
        stack = int(layer.num_layers) * (2 if layer.bidirectional else 1)
        counted = analysis.params(res)
        convention = getattr(analysis.conventions, "recurrent_bias", None) or "pytorch"
        why = (
            f"{row.label} has {gates} gate block{'s' if gates > 1 else ''} ({', '.join(names)}), "
            f"each with its own input matrix (h × d = {h} × {d}) and recurrent matrix "
            f"(h × h = {h} × {h}), shared by every time step: {grouped(per.value)} weights. "
            f"PyTorch adds two bias vectors per block ({grouped(both.value)}), Keras one "
            f"({grouped(one.value)})"
            + (", except a GRU with reset_after, which needs both" if gates == 3 else "")
            + f". The key counts biases as {'Keras' if convention == 'keras' else 'PyTorch'} does"
            + (f"; {stack} such cells in all ({_stacking(layer)})" if stack > 1 else "")
            + f": {grouped(counted)} parameters in all under the key's conventions."
        )
        return Answer("recurrent_equations", counted, "parameters", why, tuple(steps), table=table)
