"""What one traced call of a model becomes in a spec (:mod:`answerkey.importer` walks the
graph): a module read by the kind whose ``torch_types`` name its class, an encoder stack read
layer by layer, and the functions and tensor methods that have a kind (activations, flatten,
pooling, dropout, interpolation, a view or reshape read from the shapes the model produced).

Each reader returns the layers (a list, possibly empty for a call that changes nothing, such
as ``contiguous``) or None after appending to ``missing`` why nothing expresses it.
"""

from __future__ import annotations

import re
from typing import Any

from derivations.layers import LAYER_KINDS, LayerKind


def _by_type() -> dict[str, list[type[LayerKind]]]:
    out: dict[str, list[type[LayerKind]]] = {}
    for kind in LAYER_KINDS.values():
        for name in kind.torch_types:
            out.setdefault(name, []).append(kind)
    return out


def read_module(module: Any, path: str, missing: list[str]) -> list[dict[str, Any]] | None:
    """The spec layers of one module (named ``path``; ``Conv2d-0`` for a model's own child
    ``0``), or None with the reason in ``missing``. An ``nn.TransformerEncoder`` is its
    encoder layers (``path.layers.i``) and its final norm."""
    if type(module).__name__ == "TransformerEncoder":
        children = [(f"{path}.layers.{i}", m) for i, m in enumerate(module.layers)]
        if module.norm is not None:
            children.append((f"{path}.norm", module.norm))
        out: list[dict[str, Any]] = []
        for child_path, child in children:
            out.extend(read_module(child, child_path, missing) or [])
        return out
    kinds = _by_type().get(type(module).__name__, [])
    why = "settings no layer kind expresses" if kinds else "no layer kind for it"
    for kind in kinds:
        fields = kind.from_torch(module)
        if isinstance(fields, dict):
            # a model that is one nn.Sequential names its layers 0, 1, ...: say what each is
            name = f"{type(module).__name__}-{path}" if path.isdigit() else path
            return [{"name": name, **fields}]
        if isinstance(fields, str):
            why = fields
    missing.append(f"{path} ({type(module).__name__}: {why})")
    return None


def _from_module(
    torch_class: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], missing: list[str]
) -> list[dict[str, Any]] | None:
    """The layer of the ``torch.nn`` module the functional call stands for, built from the
    call's own arguments (``F.max_pool2d(x, 2)`` is ``nn.MaxPool2d(2)``)."""
    import torch

    try:
        module = getattr(torch.nn, torch_class)(*args, **kwargs)
    except (TypeError, ValueError) as err:
        missing.append(f"{name} ({torch_class} arguments: {err})")
        return None
    return read_module(module, name, missing)


_POOLS = {
    f"{how}_pool{rank}d": f"{pre}Pool{rank}d"
    for how, pre in (("max", "Max"), ("avg", "Avg"))
    for rank in (1, 2, 3)
}
_ADAPTIVE = {
    f"adaptive_{how}_pool{rank}d": f"Adaptive{pre}Pool{rank}d"
    for how, pre in (("avg", "Avg"), ("max", "Max"))
    for rank in (1, 2, 3)
}
_ACTIVATIONS = {"relu": "relu", "relu6": "relu6", "sigmoid": "sigmoid", "tanh": "tanh"}
_PASS = {"contiguous", "clone", "detach"}


def _target_name(node: Any) -> str:
    return str(getattr(node.target, "__name__", node.target))


def _shape(node: Any) -> tuple[int, ...] | None:
    meta = node.meta.get("tensor_meta") if hasattr(node, "meta") else None
    if meta is None or not hasattr(meta, "shape"):
        return None
    return tuple(int(d) for d in meta.shape)


def _reshape(node: Any, name: str, missing: list[str]) -> list[dict[str, Any]] | None:
    """A view or reshape: ``flatten`` when it keeps the batch and joins the rest, else a
    ``reshape`` to a sequence (two axes) or a map (C first in PyTorch, last in the spec)."""
    src, out = _shape(node.args[0]), _shape(node)
    if src is None or out is None:
        missing.append(f"{name} ({_target_name(node)}: the model could not be run to size it)")
        return None
    if out[0] != src[0]:
        missing.append(f"{name} ({_target_name(node)} to {list(out)}: changes the batch axis)")
        return None
    rest = list(out[1:])
    if len(rest) == 1:
        return [{"name": name, "kind": "flatten"}] if len(src) > 2 else []
    if len(rest) == 2:
        return [{"name": name, "kind": "reshape", "to": {"sequence": rest}}]
    return [{"name": name, "kind": "reshape", "to": {"map": [*rest[1:], rest[0]]}}]


def _dim(node: Any, index: int, key: str = "dim") -> Any:
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(key)


def owner(node: Any) -> str:
    """The path of the module whose forward made ``node`` (``layer1.0`` for its ``add``;
    empty at the model's own level), from the module stack ``torch.fx`` records."""
    stack = list((node.meta.get("nn_module_stack") or {}).keys())
    if node.op == "call_module":
        stack = stack[:-1]  # the module itself
    return str(stack[-1]).split("@")[0] if stack else ""


def call_name(node: Any) -> str:
    """A function's layer name: its module's path and the function (``layer1.0.relu``);
    a second call of the same is numbered when the network's names are made unique."""
    base = re.sub(r"_\d+$", "", node.name).replace("_", "-")
    where = owner(node)
    return f"{where}.{base}" if where else base


def read_call(node: Any, missing: list[str]) -> list[dict[str, Any]] | None:
    """The layers of a ``call_function`` or ``call_method`` node (its input is
    ``node.args[0]``); None with the reason in ``missing``."""
    import torch

    name = call_name(node)
    what = _target_name(node)
    f = node.target
    functional = node.op == "call_function" and (
        getattr(f, "__module__", "") in ("torch.nn.functional", "torch._C._nn")
        or getattr(torch, what, None) is f
    )
    if node.op == "call_method" or functional:
        if what in _ACTIVATIONS:
            return [{"name": name, "kind": "activation", "function": _ACTIVATIONS[what]}]
        if what == "softmax" and _dim(node, 1) in (1, -1):
            return [{"name": name, "kind": "activation", "function": "softmax"}]
        if what == "flatten":
            start = _dim(node, 1, "start_dim")
            end = _dim(node, 2, "end_dim")
            if start == 1 and end in (None, -1):
                return [{"name": name, "kind": "flatten"}]
        if what in ("view", "reshape"):
            return _reshape(node, name, missing)
        if what in _PASS:
            return []
        if what == "dropout" and functional:
            p = node.args[1] if len(node.args) > 1 else node.kwargs.get("p", 0.5)
            return [{"name": name, "kind": "dropout", "p": float(p)}]
        torch_class = _POOLS.get(what) or _ADAPTIVE.get(what)
        if functional and torch_class:
            rest = tuple(node.args[1:])
            return _from_module(torch_class, name, rest, dict(node.kwargs), missing)
        if functional and what == "interpolate":
            rest = tuple(node.args[1:])
            return _from_module("Upsample", name, rest, dict(node.kwargs), missing)
    how = "method" if node.op == "call_method" else "function"
    missing.append(f"{name} ({how} {what}: not supported)")
    return None


def is_last_position(index: Any) -> bool:
    """``[:, -1]`` or ``[:, -1, :]``: a batch-first sequence's last position."""
    if not isinstance(index, tuple) or len(index) not in (2, 3) or index[1] != -1:
        return False
    return all(isinstance(i, slice) and i == slice(None) for i in (index[0], *index[2:]))
