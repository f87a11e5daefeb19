"""answerkey: YAML problem specs → SymPy derivations → typeset question sheets and answer keys."""

__version__ = "0.1.0"


def from_torch(model: object, input_shape: tuple[int, ...], title: str = "model") -> str:
    """The spec (YAML text) of ``model``, a ``torch.nn.Module`` reading inputs of
    ``input_shape`` (PyTorch order without the batch: C×H×W for an image). Raises
    :class:`answerkey.importer.ImportFailed` listing every part no layer kind expresses."""
    import torch

    from answerkey.importer import network_layers
    from answerkey.spec_writer import spec_text

    layers, blocks = network_layers(model, torch, tuple(input_shape))
    return spec_text(layers, tuple(input_shape), title, type(model).__name__, blocks)
