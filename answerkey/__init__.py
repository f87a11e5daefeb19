"""answerkey: YAML problem specs → SymPy derivations → typeset question sheets and answer keys."""

__version__ = "0.1.0"


def from_torch(model: object, input_shape: tuple[int, ...], title: str = "model") -> str:
    """The spec (YAML text) of ``model``, a ``torch.nn.Module`` reading inputs of
    ``input_shape`` (PyTorch order without the batch: C×H×W for an image). Raises
    :class:`answerkey.importer.ImportFailed` listing every part no layer kind expresses, or
    when the written spec's parameter count or output shape is not the model's."""
    import torch

    from answerkey.import_check import verify
    from answerkey.importer import network_layers
    from answerkey.spec_writer import spec_text

    shape = tuple(input_shape)
    layers, blocks = network_layers(model, torch, shape)
    text = spec_text(layers, shape, title, type(model).__name__, blocks)
    verify(text, model, shape, torch)
    return text
