"""Recurrent layers: ``rnn`` (Elman), ``lstm`` and ``gru``, stacked and bidirectional.

Per layer and direction a kind with G gate blocks (RNN 1, GRU 3, LSTM 4) has an input matrix
W_ih of G·h × d_l and a recurrent matrix W_hh of G·h × r, where h is the hidden size, r the
recurrent state (h, or an LSTM's ``proj_size`` p, which adds W_hr of p × h), and d_l the
layer's input: the sequence's d for the first layer, D·r for later ones (D = 2 directions when
bidirectional). PyTorch keeps two bias vectors of G·h (b_ih, b_hh); Keras keeps one, except a
GRU with ``reset_after`` (its default), which keeps both. Every weight is used once per
position, so MACs = T · W; the gates' element-wise products and non-linearities are not
multiply-accumulates (PyTorch ``nn.RNN``/``nn.LSTM``/``nn.GRU`` docs, "Variables"; Keras
``SimpleRNN``/``LSTM``/``GRU``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import sympy as sp
from pydantic import field_validator

from derivations.fields import Positive, Size
from derivations.formula import Formula, as_size, is_concrete, product, total
from derivations.layers import torch_adapters
from derivations.layers.base import Count, LayerKind, LayerResult, dims_text, layer_kind
from derivations.layers.sequence import T, check_features, require_sequence
from derivations.shapes import Shape, ShapeError

D, H, P, L = sp.symbols("d h p L", positive=True, integer=True)


class Recurrent(LayerKind):
    """What the three recurrent kinds share: fields, the count rules, prose and referee."""

    hidden_size: Size
    num_layers: Positive = 1
    bidirectional: bool = False
    bias: bool | None = None
    input_size: Size | None = None
    return_sequences: bool = True

    gates: ClassVar[int] = 1
    gate_names: ClassVar[str] = ""
    torch_name: ClassVar[str] = ""
    """The ``torch.nn`` class of the referee's model."""
    example_input: ClassVar[Any] = {"sequence": [10, 16]}
    size_fields: ClassVar[tuple[str, ...]] = ("hidden_size", "input_size")

    @property
    def projection(self) -> sp.Expr | None:
        """The projection size p of an LSTM with ``proj_size``; None otherwise."""
        return None

    def _weights_rhs(self) -> sp.Expr:
        """W for the stack, in reading order: the first layer, then L − 1 layers above it;
        per direction G·h·(d_l + r), plus p·h for a projection."""
        r = P if self.projection is not None else H
        both = [sp.Integer(2)] if self.bidirectional else []

        def per_direction(d_in: sp.Expr) -> sp.Expr:
            gates = product([sp.Integer(self.gates), H, total([d_in, r])])
            return total([gates, product([P, H])]) if self.projection is not None else gates

        first = product([*both, per_direction(D)])
        if self.num_layers == 1:
            return first
        below = product([*both, r]) if both else r
        return total([first, product([total([L, sp.Integer(-1)]), *both, per_direction(below)])])

    def forward(self, shape: Shape) -> LayerResult:
        t, d = require_sequence(shape, f"{self.kind_name} {self.label}")
        check_features(
            "input_size", as_size(self.input_size) if self.input_size else None, d, "features"
        )
        h, p = as_size(self.hidden_size), self.projection
        if p is not None and is_concrete(p, h) and p >= h:
            raise ShapeError("proj_size", f"proj_size = {p} must be smaller than hidden_size = {h}")
        values = {D: d, H: h, P: p if p is not None else h, L: self.num_layers, T: t}
        weights = Formula.of(sp.Symbol("W"), self._weights_rhs(), values)
        dirs = 2 if self.bidirectional else 1
        layers = [sp.Integer(self.num_layers)] if self.num_layers > 1 else []
        both = [sp.Integer(2)] if dirs == 2 else []
        per_gate = product([*layers, *both, sp.Integer(self.gates), H])
        b_ih = Formula.of(sp.Symbol("b_ih"), per_gate, values)
        b_hh = Formula.of(sp.Symbol("b_hh"), per_gate, values)
        w = sp.Symbol("W")
        macs = Formula.of(sp.Symbol("MAC"), product([T, w]), {T: t, w: weights.value})
        counts = {
            Count.WEIGHTS: weights,
            Count.BIASES: b_ih,
            Count.RECURRENT_BIASES: b_hh,
            Count.MACS: macs,
        }
        width = dirs * (p if p is not None else h)
        out = Shape.sequence(t, width) if self.return_sequences else Shape.vector(width)
        return LayerResult(self, shape, out, (), counts)

    def bias_counts(self, conventions: Any) -> tuple[Count, ...]:
        """Both vectors under PyTorch's convention; Keras's RNN and LSTM keep only b_ih."""
        if getattr(conventions, "recurrent_bias", None) == "keras":
            return (Count.BIASES,)
        return (Count.BIASES, Count.RECURRENT_BIASES)

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        d = result.in_shape.dims[1]
        h, p = self.hidden_size, self.projection
        r = p if p is not None else h
        each = (
            f"a {h} × {d} matrix on the input and a {h} × {r} matrix on the previous hidden state"
        )
        text = (
            f"{self.label} has {self.gates} {self.gate_names}, each with {each}"
            if self.gates > 1
            else f"{self.label} has {each}"
        )
        if p is not None:
            text += f", and a {p} × {h} projection of the hidden state"
        text += "; the same matrices serve every position, so the length does not enter."
        if self.bidirectional:
            text += " A second set runs backwards over the sequence."
        if self.num_layers > 1:
            below = (2 if self.bidirectional else 1) * (p if p is not None else as_size(h))
            above = (
                "The layer above the first reads"
                if self.num_layers == 2
                else f"Each of the {self.num_layers - 1} layers above the first reads"
            )
            text += f" {above} the {below} features of the layer below instead of the input's."
        if bias:
            return text + (
                " Biases: PyTorch keeps two vectors per gate (b_ih and b_hh), Keras one; the "
                "conventions say which are counted."
            )
        return text + " No bias terms are counted."

    def ops_reason(self, result: LayerResult) -> str:
        return (
            f"{self.label} uses each of its W weights once per position: "
            "MAC = T · W; the gates' element-wise products and non-linearities are not "
            "multiply-accumulates."
        )

    def phrase(self, result: LayerResult) -> str:
        stack = f"{self.num_layers} layers of " if self.num_layers > 1 else ""
        way = "bidirectional " if self.bidirectional else ""
        return (
            f"a {way}{self.title} with {stack}{self.hidden_size} hidden units "
            f"→ {dims_text(result.out_shape)}"
        )

    @classmethod
    def _torch_options(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    @classmethod
    def _sample_options(cls, rng: random.Random, hidden: int) -> dict[str, Any]:
        return {}

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        """A small stack over a concrete sequence: layers, directions, the last state or the
        sequence, the bias on, off or left to the convention, and the kind's own options."""
        if not (shape.is_sequence and shape.concrete):
            return None
        h = rng.randint(2, 12)
        layer: dict[str, Any] = {"kind": cls.model_fields["kind"].default, "hidden_size": h}
        if rng.random() < 0.4:
            layer["num_layers"] = rng.randint(2, 3)
        if rng.random() < 0.4:
            layer["bidirectional"] = True
        if rng.random() < 0.2:
            layer["return_sequences"] = False
        if rng.random() < 0.4:
            layer["bias"] = rng.random() < 0.5
        return {**layer, **cls._sample_options(rng, h)}

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.RNN``/``nn.LSTM``/``nn.GRU`` (``batch_first``) from the raw fields, giving its
        output sequence or, with ``return_sequences: false``, its last hidden state."""
        module = getattr(nn, cls.torch_name)(
            in_shape[-1],
            int(raw["hidden_size"]),
            num_layers=int(raw.get("num_layers", 1)),
            bidirectional=bool(raw.get("bidirectional", False)),
            bias=True,
            batch_first=True,
            device="meta",
            **cls._torch_options(raw),
        )
        return torch_adapters.recurrent(module, bool(raw.get("return_sequences", True)))

    @classmethod
    def keras_absent(cls, raw: Mapping[str, Any]) -> tuple[str, ...]:
        return ("bias_hh",)

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | str | None:
        """Hidden size, layers, directions, bias and the kind's own options; the output
        sequence (``answerkey import`` turns a use of the last hidden state into
        ``return_sequences: false``). A sequence-first module is refused: a spec's
        sequences are read batch first."""
        if not module.batch_first:
            return "batch_first=False: the spec's sequences are batch first"
        fields: dict[str, Any] = {
            "kind": cls.model_fields["kind"].default,
            "hidden_size": module.hidden_size,
        }
        if module.num_layers != 1:
            fields["num_layers"] = module.num_layers
        if module.bidirectional:
            fields["bidirectional"] = True
        fields["bias"] = bool(module.bias)
        return {**fields, **cls._read_options(module)}

    @classmethod
    def _read_options(cls, module: Any) -> dict[str, Any]:
        return {}


@layer_kind
class RNN(Recurrent):
    """An Elman RNN, h_t = tanh(W_ih x_t + b_ih + W_hh h_(t−1) + b_hh). Fields:
    ``hidden_size`` (size), ``num_layers`` (default 1), ``bidirectional`` (default false),
    ``bias`` (default: the convention), ``nonlinearity`` (``tanh`` or ``relu``),
    ``return_sequences`` (default true: the T × D·h sequence; false: the last hidden state),
    ``input_size`` (optional; must equal the input's features)."""

    kind: Literal["rnn"] = "rnn"
    nonlinearity: Literal["tanh", "relu"] = "tanh"

    title: ClassVar[str] = "RNN"
    torch_name: ClassVar[str] = "RNN"
    example: ClassVar[Mapping[str, Any]] = {"name": "RNN", "kind": "rnn", "hidden_size": 32}

    @classmethod
    def _torch_options(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {"nonlinearity": raw.get("nonlinearity", "tanh")}

    @classmethod
    def _sample_options(cls, rng: random.Random, hidden: int) -> dict[str, Any]:
        return {"nonlinearity": "relu"} if rng.random() < 0.3 else {}

    torch_types: ClassVar[tuple[str, ...]] = ("RNN",)

    @classmethod
    def _read_options(cls, module: Any) -> dict[str, Any]:
        return {} if module.nonlinearity == "tanh" else {"nonlinearity": module.nonlinearity}


@layer_kind
class LSTM(Recurrent):
    """A long short-term memory layer: 4 gate blocks (input, forget, cell, output). Fields as
    ``rnn`` (no ``nonlinearity``), and ``proj_size`` (optional; smaller than ``hidden_size``:
    the hidden state is projected to p numbers, PyTorch's LSTMP)."""

    kind: Literal["lstm"] = "lstm"
    proj_size: Size | None = None

    title: ClassVar[str] = "LSTM"
    gates: ClassVar[int] = 4
    gate_names: ClassVar[str] = "gate blocks (input, forget, cell, output)"
    torch_name: ClassVar[str] = "LSTM"
    size_fields: ClassVar[tuple[str, ...]] = ("hidden_size", "input_size", "proj_size")
    example: ClassVar[Mapping[str, Any]] = {
        "name": "LSTM",
        "kind": "lstm",
        "hidden_size": 64,
        "num_layers": 2,
        "bidirectional": True,
    }

    @field_validator("proj_size", mode="before")
    @classmethod
    def _zero_is_none(cls, value: Any) -> Any:
        return None if value == 0 and not isinstance(value, bool) else value

    @property
    def projection(self) -> sp.Expr | None:
        return None if self.proj_size is None else as_size(self.proj_size)

    @classmethod
    def _torch_options(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {"proj_size": int(raw["proj_size"])} if raw.get("proj_size") else {}

    torch_types: ClassVar[tuple[str, ...]] = ("LSTM",)

    @classmethod
    def _read_options(cls, module: Any) -> dict[str, Any]:
        return {"proj_size": module.proj_size} if module.proj_size else {}

    @classmethod
    def _sample_options(cls, rng: random.Random, hidden: int) -> dict[str, Any]:
        if hidden > 2 and rng.random() < 0.4:
            return {"proj_size": rng.randint(1, hidden - 1)}
        return {}


@layer_kind
class GRU(Recurrent):
    """A gated recurrent unit: 3 gate blocks (reset, update, new). Fields as ``rnn`` (no
    ``nonlinearity``), and ``reset_after`` (Keras's option, default true as in Keras: the
    reset gate is applied after the recurrent product, which needs the second bias vector;
    PyTorch's GRU always does so; under ``recurrent_bias: keras`` false counts one vector)."""

    kind: Literal["gru"] = "gru"
    reset_after: bool = True

    title: ClassVar[str] = "GRU"
    gates: ClassVar[int] = 3
    gate_names: ClassVar[str] = "gate blocks (reset, update, new)"
    torch_name: ClassVar[str] = "GRU"
    torch_types: ClassVar[tuple[str, ...]] = ("GRU",)
    example: ClassVar[Mapping[str, Any]] = {"name": "GRU", "kind": "gru", "hidden_size": 48}

    def bias_counts(self, conventions: Any) -> tuple[Count, ...]:
        """Keras's GRU keeps both vectors with ``reset_after`` (its default), one without."""
        if self.reset_after:
            return (Count.BIASES, Count.RECURRENT_BIASES)
        return super().bias_counts(conventions)

    @classmethod
    def keras_absent(cls, raw: Mapping[str, Any]) -> tuple[str, ...]:
        return () if raw.get("reset_after", True) else ("bias_hh",)

    @classmethod
    def _sample_options(cls, rng: random.Random, hidden: int) -> dict[str, Any]:
        return {"reset_after": False} if rng.random() < 0.3 else {}
