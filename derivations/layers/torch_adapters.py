"""Small ``torch.nn`` wrappers the sequence kinds' referee models need: a PyTorch module that
takes what the referee passes it (one tensor, batch first) and returns one tensor.

PyTorch is imported only when a wrapper is built (the derivations never need it). Each
wrapper class is defined once (:func:`functools.cache`).
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _classes() -> dict[str, type]:
    import torch

    class Tokens(torch.nn.Module):  # type: ignore[misc]
        """An embedding reading its input as token indices (the referee's is float)."""

        def __init__(self, table: Any) -> None:
            super().__init__()
            self.table = table

        def forward(self, x: Any) -> Any:
            return self.table(x.long())

    class Recurrent(torch.nn.Module):  # type: ignore[misc]
        """An RNN, LSTM or GRU giving its output sequence, or (``sequences`` false) the
        final hidden state of its last layer, both directions concatenated (Keras's
        ``return_sequences=False``)."""

        def __init__(self, rnn: Any, sequences: bool) -> None:
            super().__init__()
            self.rnn = rnn
            self.sequences = sequences

        def forward(self, x: Any) -> Any:
            out, state = self.rnn(x)
            if self.sequences:
                return out
            h_n = state[0] if isinstance(state, tuple) else state
            dirs = 2 if self.rnn.bidirectional else 1
            return torch.cat(list(h_n[-dirs:]), dim=-1)

    class Attention(torch.nn.Module):  # type: ignore[misc]
        """Multi-head attention whose queries are the input; keys and values are the input
        too (self-attention), or fresh tensors of S positions with kdim and vdim features
        (attention to another sequence)."""

        def __init__(self, mha: Any, memory: tuple[int, int, int] | None) -> None:
            super().__init__()
            self.mha = mha
            self.memory = memory

        def forward(self, x: Any) -> Any:
            if self.memory is None:
                return self.mha(x, x, x)[0]
            s, kdim, vdim = self.memory
            key = torch.empty((x.shape[0], s, kdim), device=x.device)
            value = torch.empty((x.shape[0], s, vdim), device=x.device)
            return self.mha(x, key, value)[0]

    return {"Tokens": Tokens, "Recurrent": Recurrent, "Attention": Attention}


def tokens(table: Any) -> Any:
    """``table`` (an ``nn.Embedding``) applied to the input as integer indices."""
    return _classes()["Tokens"](table)


def recurrent(rnn: Any, sequences: bool) -> Any:
    """``rnn`` (batch first) giving its output sequence or its last hidden state."""
    return _classes()["Recurrent"](rnn, sequences)


def attention(mha: Any, memory: tuple[int, int, int] | None) -> Any:
    """``mha`` (batch first) attending from the input to itself or to ``memory`` (S, kdim,
    vdim)."""
    return _classes()["Attention"](mha, memory)
