"""The transformer encoder layer as a block: ``transformer_encoder_layer`` (Vaswani et al.
2017, §3.1; ``torch.nn.TransformerEncoderLayer``).

A T × E sequence passes through multi-head self-attention and a position-wise feed-forward
network (E → F → E, each a ``linear`` applied at every position), each wrapped in a residual
connection and a layer norm: after the sum (``norm: post``, the paper's and PyTorch's default)
or before the sublayer (``norm: pre``). Its parts are kinds of their own (:meth:`parts`:
attention, two per-position linear layers, two layer norms), and its counts are their sums,
written in E, F, T and h: W = 4·E·E (the four attention projections) + 2·E·F (the
feed-forward matrices) + 2·E (the layer norms' scales); b = 4·E + F + E + 2·E; MAC =
4·T·E·E (projections) + 2·h·T·T·d_h (scores and weighted sum) + 2·T·E·F (feed-forward).
Residual additions, the activation and dropout have no parameters and no multiply-
accumulates; the order of norm and sublayer changes no count.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import sympy as sp

from derivations.fields import Size
from derivations.formula import Formula, as_size, product, total
from derivations.layers.attention import (
    D_H,
    HEADS,
    E,
    MultiheadAttention,
    check_heads,
    mac_breakdown,
    sample_heads,
)
from derivations.layers.base import Count, LayerKind, LayerResult, dims_text, layer_kind
from derivations.layers.dense import Linear
from derivations.layers.norm import LayerNorm
from derivations.layers.sequence import T, check_features, require_sequence
from derivations.shapes import Shape

PART_NAMES = {
    "attn": "self-attention",
    "FF1": "first feed-forward layer",
    "FF2": "second feed-forward layer",
    "LN1": "first layer norm",
    "LN2": "second layer norm",
}

F = sp.Symbol("F", positive=True, integer=True)
"""The feed-forward network's hidden width (PyTorch's ``dim_feedforward``)."""


@layer_kind
class TransformerEncoderLayer(LayerKind):
    """One transformer encoder layer over a T × E sequence: self-attention and a feed-forward
    network E → F → E, each with a residual connection and a layer norm. Fields: ``heads``
    (must divide E), ``feedforward`` (size F; PyTorch's ``dim_feedforward``), ``norm``
    (``post``, the default, or ``pre``: PyTorch's ``norm_first``), ``feedforward_activation``
    (``relu`` or ``gelu``), ``d_model`` (optional; must equal E), ``bias`` (default: the
    convention; false drops every linear and layer-norm bias, as PyTorch's ``bias=False``).
    Output T × E."""

    kind: Literal["transformer_encoder_layer"] = "transformer_encoder_layer"
    heads: Size
    feedforward: Size
    norm: Literal["post", "pre"] = "post"
    feedforward_activation: Literal["relu", "gelu"] = "relu"
    d_model: Size | None = None
    bias: bool | None = None

    title: ClassVar[str] = "transformer encoder layer"
    example: ClassVar[Mapping[str, Any]] = {
        "name": "Encoder-1",
        "kind": "transformer_encoder_layer",
        "heads": 4,
        "feedforward": 64,
    }
    example_input: ClassVar[Any] = {"sequence": [10, 16]}
    size_fields: ClassVar[tuple[str, ...]] = ("heads", "feedforward", "d_model")

    def parts(self, shape: Shape) -> dict[str, dict[Count, Formula]]:
        """Each part's counts, by its short name (:data:`PART_NAMES`), in the order a
        post-norm layer applies them, each counted by its own kind: ``attention``, ``linear``
        (E → F and F → E at every position) and ``layernorm`` (whose scale and shift are
        :attr:`Count.SCALES` and :attr:`Count.SHIFTS`)."""
        attention = MultiheadAttention(name="attn", heads=self.heads).forward(shape)
        ff1 = Linear(name="FF1", units=self.feedforward).forward(shape)
        back = Linear.model_construct(name="FF2", units=shape.dims[1])  # E: a size already
        ff2 = back.forward(ff1.out_shape)
        norm = LayerNorm(name="LN").forward(shape)
        return {
            "attn": dict(attention.counts),
            "LN1": dict(norm.counts),
            "FF1": dict(ff1.counts),
            "FF2": dict(ff2.counts),
            "LN2": dict(norm.counts),
        }

    def forward(self, shape: Shape) -> LayerResult:
        t, e = require_sequence(shape, f"transformer encoder layer {self.label}")
        d_model = None if self.d_model is None else as_size(self.d_model)
        check_features("d_model", d_model, e, "features")
        heads = as_size(self.heads)
        check_heads(heads, e, "model dimension")
        values = {T: t, E: e, F: as_size(self.feedforward), HEADS: heads, D_H: e / heads}
        four, two = sp.Integer(4), sp.Integer(2)
        rules = {  # the general formulas; tests hold each to the sum of the parts' counts
            Count.WEIGHTS: (
                "W",
                total([product([four, E, E]), product([two, E, F]), product([two, E])]),
            ),
            Count.BIASES: ("b", total([product([four, E]), F, E, product([two, E])])),
            Count.MACS: (
                "MAC",
                total(
                    [
                        product([four, T, E, E]),
                        product([two, HEADS, T, T, D_H]),
                        product([two, T, E, F]),
                    ]
                ),
            ),
            # element-wise operations, counted only under their conventions: one bias
            # addition per projected or feed-forward output, two per element for each layer
            # norm, one per hidden value for the activation, one per element for each
            # residual sum
            Count.BIAS_OPS: (
                "OPS",
                total([product([four, T, E]), product([T, F]), product([T, E])]),
            ),
            Count.NORM_OPS: ("OPS", product([two, two, T, E])),
            Count.ACTIVATION_OPS: ("OPS", product([T, F])),
            Count.JOIN_OPS: ("OPS", product([two, T, E])),
        }
        counts = {c: Formula.of(sp.Symbol(lhs), rhs, values) for c, (lhs, rhs) in rules.items()}
        return LayerResult(self, shape, shape, (), counts)

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        parts = self.parts(result.in_shape)
        e, f = result.in_shape.dims[1], as_size(self.feedforward)
        weights = ", ".join(
            f"{PART_NAMES[n]} {(p.get(Count.WEIGHTS) or p[Count.SCALES]).value}"
            for n, p in parts.items()
        )
        text = (
            f"{self.label} is a block of five parts, each counted as a layer of its own: "
            f"self-attention (four {e} × {e} projections), a layer norm ({e} scales), the "
            f"feed-forward layers ({e} × {f} and {f} × {e}) and a second layer norm; the "
            f"residual sums have no parameters. Weights: {weights}."
        )
        if bias:
            biases = ", ".join(
                f"{PART_NAMES[n]} {(p.get(Count.BIASES) or p[Count.SHIFTS]).value}"
                for n, p in parts.items()
            )
            return text + f" Biases: {biases}."
        return text + " No bias terms are counted."

    def ops_reason(self, result: LayerResult) -> str:
        parts = self.parts(result.in_shape)
        sizes = MultiheadAttention(name="attn", heads=self.heads).sizes(result.in_shape)
        return (
            f"{self.label} costs, in its self-attention, {mac_breakdown(sizes)}; in its "
            f"feed-forward layers {parts['FF1'][Count.MACS].value} and "
            f"{parts['FF2'][Count.MACS].value} (T · E · F each); the layer norms and residual "
            "sums are not multiply-accumulates."
        )

    def phrase(self, result: LayerResult) -> str:
        return (
            f"a {self.norm}-norm transformer encoder layer ({self.heads} heads, feed-forward "
            f"{self.feedforward}) → {dims_text(result.out_shape)}"
        )

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        """A small encoder layer over a concrete sequence: heads that divide its features,
        pre- or post-norm, ReLU or GELU, the bias on, off or left to the convention."""
        if not (shape.is_sequence and shape.concrete):
            return None
        layer: dict[str, Any] = {
            "kind": "transformer_encoder_layer",
            "heads": sample_heads(rng, shape.dims[1]),
            "feedforward": rng.randint(2, 24),
        }
        if rng.random() < 0.5:
            layer["norm"] = "pre"
        if rng.random() < 0.3:
            layer["feedforward_activation"] = "gelu"
        if rng.random() < 0.4:
            layer["bias"] = rng.random() < 0.5
        return layer

    torch_types: ClassVar[tuple[str, ...]] = ("TransformerEncoderLayer",)

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | str | None:
        """Heads, feed-forward width, norm placement, activation and bias of a batch-first
        ``nn.TransformerEncoderLayer``; refused: another activation, a sequence-first one."""
        if not module.self_attn.batch_first:
            return "batch_first=False: the spec's sequences are batch first"
        act = {1: "relu", 2: "gelu"}.get(int(getattr(module, "activation_relu_or_gelu", 0)))
        if act is None:
            return "an activation other than relu or gelu"
        fields: dict[str, Any] = {
            "kind": "transformer_encoder_layer",
            "heads": module.self_attn.num_heads,
            "feedforward": module.linear1.out_features,
            "d_model": module.self_attn.embed_dim,
        }
        if module.norm_first:
            fields["norm"] = "pre"
        if act != "relu":
            fields["feedforward_activation"] = act
        fields["bias"] = module.linear1.bias is not None
        return fields

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.TransformerEncoderLayer`` (``batch_first``) from the raw fields."""
        return nn.TransformerEncoderLayer(
            int(raw.get("d_model", in_shape[-1])),
            int(raw["heads"]),
            dim_feedforward=int(raw["feedforward"]),
            activation=raw.get("feedforward_activation", "relu"),
            norm_first=raw.get("norm", "post") == "pre",
            bias=True,
            batch_first=True,
            device="meta",
        )
