"""The imported spec held against its model before it is handed back: the spec's parameter
count (under its own conventions, which count what PyTorch keeps) and its output shape must
be the model's. A difference is a defect of the import, reported as one, never a spec that
silently differs from the model it came from."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from answerkey.errors import AnswerkeyError


def model_facts(model: Any, shape: tuple[int, ...], torch: Any) -> tuple[int, tuple[int, ...]]:
    """The model's parameter count and its output's shape (PyTorch order, no batch) on zeros
    of ``shape`` (token indices when it embeds), in evaluation mode, its modes restored."""
    embeds = any(type(m).__name__ == "Embedding" for m in model.modules())
    sample = torch.zeros((2, *shape), dtype=torch.long if embeds else torch.float32)
    modes = {m: m.training for m in model.modules()}
    try:
        with torch.no_grad():
            out = model.eval()(sample)
    finally:
        for module, mode in modes.items():
            module.training = mode
    params = sum(int(p.numel()) for p in model.parameters())
    return params, tuple(int(d) for d in out.shape[1:])


def verify(text: str, model: Any, shape: tuple[int, ...], torch: Any) -> None:
    """Raise :class:`answerkey.importer.ImportFailed` unless the spec ``text`` counts the
    model's parameters and gives its output shape."""
    from answerkey.importer import ImportFailed
    from answerkey.load import load_spec

    with tempfile.TemporaryDirectory(prefix="answerkey-import-") as work:
        path = Path(work) / "imported.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            loaded = load_spec(path)
        except AnswerkeyError as err:
            raise ImportFailed([f"model (the written spec does not load: {err})"]) from None
    analysis = loaded.problems[0].context.get("model")
    params = sum(int(analysis.params(r)) for _, r in analysis.layers())
    dims = tuple(int(d) for d in analysis.output.hwc())
    if not (len(dims) == 1 or analysis.output.is_sequence):
        dims = (dims[-1], *dims[:-1])  # channels first, as PyTorch
    expected, out = model_facts(model, shape, torch)
    wrong = []
    if params != expected:
        wrong.append(f"model (the spec counts {params} parameters, the model has {expected})")
    if dims != out:
        wrong.append(f"model (the spec's output is {list(dims)}, the model's {list(out)})")
    if wrong:
        raise ImportFailed([*wrong, "(a defect of answerkey import: please report it)"])
