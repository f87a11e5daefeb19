"""Embeddings: ``embedding``, a lookup table from token indices to vectors.

Parameters: V · d weights (a V × d table, one row per vocabulary entry); no biases; no MACs:
each position copies one row, it multiplies nothing (PyTorch ``Embedding``; Keras
``Embedding``, the same count). An input of T token indices becomes a T × d sequence.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import sympy as sp

from derivations.fields import Size
from derivations.formula import Formula, as_size, product
from derivations.layers import torch_adapters
from derivations.layers.base import Count, LayerKind, LayerResult, dims_text, layer_kind
from derivations.shapes import Shape, ShapeError

V, D_EMB = sp.symbols("V d", positive=True, integer=True)


@layer_kind
class Embedding(LayerKind):
    """A lookup table of ``vocabulary`` rows of ``dim`` numbers each. Fields: ``vocabulary``
    (size: the number of distinct tokens, V), ``dim`` (size: the vector of each token, d). Its
    input is T token indices (``input: [T]``); its output the T × d sequence of their rows.
    V · d weights, no biases, no MACs (a lookup multiplies nothing)."""

    kind: Literal["embedding"] = "embedding"
    vocabulary: Size
    dim: Size

    title: ClassVar[str] = "embedding"
    example: ClassVar[Mapping[str, Any]] = {
        "name": "Embed",
        "kind": "embedding",
        "vocabulary": 10000,
        "dim": 256,
    }
    example_input: ClassVar[Any] = [12]
    size_fields: ClassVar[tuple[str, ...]] = ("vocabulary", "dim")

    def forward(self, shape: Shape) -> LayerResult:
        if not shape.is_vector:
            raise ShapeError(
                None,
                f"an embedding reads token indices (input: [T]), but its input is "
                f"{dims_text(shape)}: put it first",
            )
        values = {V: as_size(self.vocabulary), D_EMB: as_size(self.dim)}
        weights = Formula.of(sp.Symbol("W"), product([V, D_EMB]), values)
        out = Shape.sequence(shape.dims[0], as_size(self.dim))
        return LayerResult(self, shape, out, (), {Count.WEIGHTS: weights})

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        return (
            f"{self.label} is a table with one row of {self.dim} numbers for each of the "
            f"{self.vocabulary} tokens of the vocabulary: W is {self.vocabulary} × {self.dim}. "
            "It has no biases, and it costs no multiply-accumulates: each position copies "
            "one row."
        )

    def phrase(self, result: LayerResult) -> str:
        return (
            f"an embedding of a {self.vocabulary}-token vocabulary in {self.dim} dimensions "
            f"→ {dims_text(result.out_shape)}"
        )

    torch_types: ClassVar[tuple[str, ...]] = ("Embedding",)

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | None:
        """``vocabulary`` and ``dim`` (a padding row is still one of the V rows counted)."""
        vocabulary, dim = module.num_embeddings, module.embedding_dim
        return {"kind": "embedding", "vocabulary": vocabulary, "dim": dim}

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """``nn.Embedding(vocabulary, dim)`` reading the input as token indices (``long``)."""
        table = nn.Embedding(int(raw["vocabulary"]), int(raw["dim"]), device="meta")
        return torch_adapters.tokens(table)

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        """A small table for a vector of concrete length (read as token indices)."""
        if not (shape.is_vector and shape.concrete):
            return None
        return {"kind": "embedding", "vocabulary": rng.randint(2, 50), "dim": rng.randint(2, 12)}

    @classmethod
    def torch_form(cls, raw: Mapping[str, Any], in_form: str, rank: int) -> str:
        return "sequence"

