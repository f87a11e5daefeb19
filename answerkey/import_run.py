"""Running an imported model once on the input shape (``torch.fx`` ShapeProp), so that each
traced value carries its shape; a model that cannot run that shape is named by the first module
or call that failed, with PyTorch's own message, in one line."""

from __future__ import annotations

import contextlib
import io
from typing import Any


def _failing(node: Any, model: Any) -> str:
    """The node that raised, as the user wrote it: ``module 0 (Conv2d)``, ``call view``."""
    if node is None:
        return "the model"
    if node.op == "call_module":
        return f"module {node.target} ({type(model.get_submodule(node.target)).__name__})"
    if node.op in ("call_function", "call_method"):
        return f"call {getattr(node.target, '__name__', node.target)} ({node.name})"
    return f"{node.op} {node.name}"


def propagate(model: Any, graph_module: Any, shape: tuple[int, ...], torch: Any) -> str | None:
    """Run the model once on zeros of ``shape`` (batch 2, token indices when it embeds),
    recording every value's shape on its node (``meta["tensor_meta"]``). When it cannot run,
    returns why: the shape, the first node that failed and PyTorch's own message (the
    traceback ShapeProp prints to stderr before re-raising is kept off the terminal)."""
    from torch.fx.passes.shape_prop import ShapeProp

    class Recording(ShapeProp):  # type: ignore[misc]
        node: Any = None

        def run_node(self, n: Any) -> Any:
            self.node = n
            return super().run_node(n)

    embeds = any(type(m).__name__ == "Embedding" for m in model.modules())
    sample = torch.zeros((2, *shape), dtype=torch.long if embeds else torch.float32)
    modes = {m: m.training for m in model.modules()}
    prop = Recording(graph_module.eval())
    try:
        with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
            prop.propagate(sample)
    except Exception as err:  # the user's code may raise anything
        cause = err.__cause__ if isinstance(err.__cause__, Exception) else err
        lines = str(cause).strip().splitlines()
        said = lines[0][:200] if lines else type(cause).__name__
        return (
            f"the model does not run on an input of {' x '.join(map(str, shape))} "
            f"(a batch of 2 added): {_failing(prop.node, model)} raised "
            f"{type(cause).__name__}: {said}"
        )
    finally:
        for module, mode in modes.items():
            module.training = mode
    return None
