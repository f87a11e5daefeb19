"""What the sequence kinds share: the symbols of a ``[T, d]`` sequence (T positions, d features
each, PyTorch's ``batch_first`` order without the batch axis) and the check that a layer's input
is one.

The kinds themselves live in their family modules: the per-position ``linear`` in ``dense``,
``embedding``, ``rnn``/``lstm``/``gru`` in ``recurrent``, ``attention`` and
``transformer_encoder`` in ``attention`` and ``transformer``.
"""

from __future__ import annotations

import sympy as sp

from derivations.formula import is_concrete
from derivations.layers.base import dims_text
from derivations.shapes import Shape, ShapeError

T = sp.Symbol("T", positive=True, integer=True)
"""Sequence length: the number of positions."""
D_IN, D_OUT = sp.symbols("d_in d_out", positive=True, integer=True)
"""Features per position, in and out."""


def require_sequence(shape: Shape, kind: str) -> tuple[sp.Expr, sp.Expr]:
    """``(T, d)`` of a sequence input; :class:`ShapeError` for a vector or a feature map."""
    if shape.is_sequence:
        return shape.dims[0], shape.dims[1]
    if shape.is_vector:
        got = (
            f"a vector of {shape.dims[0]}: give the network a sequence input "
            "({sequence: [T, d]}) or put an embedding first"
        )
    else:
        got = f"a feature map of {dims_text(shape)}"
    raise ShapeError(None, f"{kind} needs a T × d sequence, but its input is {got}")


def check_features(field: str, given: sp.Expr | None, features: sp.Expr, what: str) -> None:
    """A field that restates the input's features (``input_size``, ``embed_dim``) must agree
    with them where both are numbers."""
    if given is None:
        return
    if is_concrete(given, features) and given != features:
        raise ShapeError(field, f"{field} = {given}, but the input has {features} {what}")
