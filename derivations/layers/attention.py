"""Multi-head attention: ``attention`` (Vaswani et al. 2017, §3.2;
``torch.nn.MultiheadAttention``).

The queries come from the layer's T × E input; the keys and values from the same sequence
(self-attention) or from another one of S positions with E_k and E_v features. Four
projections: W_Q (E × E), W_K (E × E_k), W_V (E × E_v) and the output's W_O (E × E), each with
E biases; the h heads split E into slices of d_h = E/h and share those matrices, so h does not
change the parameter count. MACs, each term named: the projections T·E·E, S·E_k·E, S·E_v·E;
the scores QKᵀ, h·T·S·d_h; the softmax-weighted sum of values, h·T·S·d_h; and the output
projection T·E·E. The softmax and the scaling by 1/√d_h are not multiply-accumulates.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import sympy as sp

from derivations.fields import Size
from derivations.formula import Formula, as_size, is_concrete, product, total
from derivations.layers import torch_adapters
from derivations.layers.base import Count, LayerKind, LayerResult, dims_text, layer_kind
from derivations.layers.sequence import T, check_features, require_sequence
from derivations.shapes import Shape, ShapeError

E, E_K, E_V, S, HEADS, D_H = sp.symbols("E E_k E_v S h d_h", positive=True, integer=True)


@dataclass(frozen=True)
class AttentionSizes:
    """The sizes an attention layer's rules read: T, E, h, d_h = E/h, and the keys' and
    values' S, E_k, E_v (T, E, E for self-attention)."""

    t: sp.Expr
    e: sp.Expr
    heads: sp.Expr
    s: sp.Expr | None = None
    e_k: sp.Expr | None = None
    e_v: sp.Expr | None = None

    @property
    def values(self) -> dict[sp.Symbol, sp.Expr]:
        return {
            T: self.t,
            E: self.e,
            HEADS: self.heads,
            D_H: self.e / self.heads,
            S: self.t if self.s is None else self.s,
            E_K: self.e if self.e_k is None else self.e_k,
            E_V: self.e if self.e_v is None else self.e_v,
        }


def mac_terms(sizes: AttentionSizes) -> list[tuple[str, sp.Expr]]:
    """The MACs of multi-head attention as named terms, in the order they are computed. With
    self-attention the three input projections share one form (3·T·E·E); the scores and the
    weighted sum always do (2·h·T·S·d_h)."""
    two = sp.Integer(2)
    scores = (
        "the scores QKᵀ and the softmax-weighted sum of the values",
        product([two, HEADS, T, _s(sizes), D_H]),
    )
    out = ("the output projection", product([T, E, E]))
    if sizes.s is None and sizes.e_k is None and sizes.e_v is None:
        return [
            ("the query, key and value projections", product([sp.Integer(3), T, E, E])),
            scores,
            out,
        ]
    return [
        ("the query projection", product([T, E, E])),
        ("the key projection", product([_s(sizes), E if sizes.e_k is None else E_K, E])),
        ("the value projection", product([_s(sizes), E if sizes.e_v is None else E_V, E])),
        scores,
        out,
    ]


def _s(sizes: AttentionSizes) -> sp.Symbol:
    return T if sizes.s is None else S


def attention_counts(sizes: AttentionSizes) -> dict[Count, Formula]:
    """Weights, biases and MACs of multi-head attention (module docstring); the symbols of
    the general formulas are those the layer needs (S, E_k, E_v only when they differ)."""
    e_k = E if sizes.e_k is None else E_K
    e_v = E if sizes.e_v is None else E_V
    values = sizes.values
    weights = total([product([E, E]), product([E, e_k]), product([E, e_v]), product([E, E])])
    biases = product([sp.Integer(4), E])
    macs = total([term for _, term in mac_terms(sizes)])
    s = T if sizes.s is None else S
    adds = total([product([T, E]), product([s, E]), product([s, E]), product([T, E])])
    return {
        Count.WEIGHTS: Formula.of(sp.Symbol("W"), weights, values),
        Count.BIASES: Formula.of(sp.Symbol("b"), biases, values),
        Count.MACS: Formula.of(sp.Symbol("MAC"), macs, values),
        # one bias addition per projected value (counted under the bias_ops convention)
        Count.BIAS_OPS: Formula.of(sp.Symbol("OPS"), adds, values),
    }


def check_heads(heads: sp.Expr, e: sp.Expr, what: str) -> None:
    """The heads must divide the embedding dimension (PyTorch: "embed_dim must be divisible
    by num_heads"), where both are numbers."""
    if is_concrete(heads, e) and sp.Mod(e, heads) != 0:
        raise ShapeError(
            "heads", f"heads = {heads} does not divide the {what} {e} (each head gets E/h)"
        )


def sample_heads(rng: random.Random, features: sp.Expr) -> int:
    """A number of heads that divides ``features`` (a concrete size), for random networks."""
    return rng.choice([h for h in (1, 2, 3, 4, 8) if int(features) % h == 0])


def mac_breakdown(sizes: AttentionSizes) -> str:
    """The named MAC terms with their values: ``the query, key and value projections 122880,
    the scores QKᵀ and the softmax-weighted sum of the values 12800, ...``."""
    values = sizes.values
    parts = [f"{name} {int(term.xreplace(values))}" for name, term in mac_terms(sizes)]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


@layer_kind
class MultiheadAttention(LayerKind):
    """Multi-head attention over a T × E sequence. Fields: ``heads`` (must divide E),
    ``embed_dim`` (optional; must equal the input's features E), ``kdim`` and ``vdim`` (the
    keys' and values' features, default E), ``source_length`` (S, the keys' and values'
    positions; default T: self-attention), ``bias`` (default: the convention). Output T × E."""

    kind: Literal["attention"] = "attention"
    heads: Size
    embed_dim: Size | None = None
    kdim: Size | None = None
    vdim: Size | None = None
    source_length: Size | None = None
    bias: bool | None = None

    title: ClassVar[str] = "multi-head attention"
    example: ClassVar[Mapping[str, Any]] = {"name": "MHA", "kind": "attention", "heads": 4}
    example_input: ClassVar[Any] = {"sequence": [10, 16]}
    size_fields: ClassVar[tuple[str, ...]] = (
        "heads",
        "embed_dim",
        "kdim",
        "vdim",
        "source_length",
    )

    def _opt(self, value: int | str | None) -> sp.Expr | None:
        return None if value is None else as_size(value)

    def sizes(self, shape: Shape) -> AttentionSizes:
        """The sizes the rules read, from the input (T × E) and the fields."""
        t, e = require_sequence(shape, f"attention {self.label}")
        return AttentionSizes(
            t,
            e,
            as_size(self.heads),
            self._opt(self.source_length),
            self._opt(self.kdim),
            self._opt(self.vdim),
        )

    def forward(self, shape: Shape) -> LayerResult:
        sizes = self.sizes(shape)
        check_features("embed_dim", self._opt(self.embed_dim), sizes.e, "features")
        check_heads(sizes.heads, sizes.e, "embedding dimension")
        out = Shape.sequence(sizes.t, sizes.e)
        return LayerResult(self, shape, out, (), attention_counts(sizes))

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        e = result.in_shape.dims[1]
        e_k = self.kdim if self.kdim is not None else e
        e_v = self.vdim if self.vdim is not None else e
        text = (
            f"{self.label} projects the queries, keys and values with {e} × {e}, {e} × {e_k} "
            f"and {e} × {e_v} matrices, and the joined heads with an output matrix of {e} × {e}. "
            f"Its {self.heads} heads each use a slice of E/h features of these matrices, so "
            "the number of heads does not change the count, and neither does the length."
        )
        if bias:
            return text + f" Each projection adds one bias per output: 4 × {e}."
        return text + " No bias terms are counted."

    def phrase(self, result: LayerResult) -> str:
        return f"multi-head attention with {self.heads} heads → {dims_text(result.out_shape)}"

    def ops_reason(self, result: LayerResult) -> str:
        return (
            f"{self.label} costs {mac_breakdown(self.sizes(result.in_shape))}; the softmax and "
            "the scaling by one over the square root of d_h are not multiply-accumulates."
        )

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        """Self-attention over a concrete sequence with heads that divide its features, or
        attention to another sequence (kdim, vdim, source length drawn)."""
        if not (shape.is_sequence and shape.concrete):
            return None
        layer: dict[str, Any] = {"kind": "attention", "heads": sample_heads(rng, shape.dims[1])}
        for name, low, high in (("kdim", 1, 12), ("vdim", 1, 12), ("source_length", 1, 9)):
            if rng.random() < 0.3:
                layer[name] = rng.randint(low, high)
        if rng.random() < 0.4:
            layer["bias"] = rng.random() < 0.5
        return layer

    torch_types: ClassVar[tuple[str, ...]] = ("MultiheadAttention",)

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | str | None:
        """Heads, the embedding size and the bias of a batch-first self-attention module
        (``answerkey import`` checks that it is called with one sequence as queries, keys
        and values). Refused: other key or value sizes, the extra key/value biases."""
        if not module.batch_first:
            return "batch_first=False: the spec's sequences are batch first"
        if not module._qkv_same_embed_dim:
            return "kdim/vdim: keys and values from another sequence"
        if module.bias_k is not None:
            return "add_bias_kv: no field counts the extra key and value biases"
        return {
            "kind": "attention",
            "heads": module.num_heads,
            "embed_dim": module.embed_dim,
            "bias": module.in_proj_bias is not None,
        }

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.MultiheadAttention`` (``batch_first``) with its queries the input; keys and
        values the input too, or tensors of S × kdim and S × vdim when any is given."""
        e = in_shape[-1]
        mha = nn.MultiheadAttention(
            int(raw.get("embed_dim", e)),
            int(raw["heads"]),
            bias=True,
            kdim=int(raw["kdim"]) if "kdim" in raw else None,
            vdim=int(raw["vdim"]) if "vdim" in raw else None,
            batch_first=True,
            device="meta",
        )
        memory = None
        if any(k in raw for k in ("kdim", "vdim", "source_length")):
            s = int(raw.get("source_length", in_shape[0]))
            memory = (s, int(raw.get("kdim", e)), int(raw.get("vdim", e)))
        return torch_adapters.attention(mha, memory)
