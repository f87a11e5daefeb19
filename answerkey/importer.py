"""``answerkey import``: a ``torch.nn.Module`` as a spec's network.

The model is traced with ``torch.fx`` (its forward as a graph of module calls and functions);
each module call becomes a layer of the kind whose ``torch_types`` name its class (the kind
reads its own fields back: ``LayerKind.from_torch``, the inverse of ``torch_module``), named
by its module path. A value used by several calls is a fork; an ``add`` or ``cat`` of
branches that start at the same fork becomes a ``parallel`` block (``join: add`` or
``concat``), a branch with no layers an identity. A model whose forward fx cannot trace is
read as its module tree when that tree is a chain of ``nn.Sequential`` containers.

Anything not expressible — a module of no kind, a kind that cannot hold its settings, a
function that is not add, cat, flatten or an activation, a graph that is not series-parallel
— is collected, and the import fails with one :class:`ImportFailed` listing every one of
them by module path: never a spec that silently differs from the model.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

from answerkey.errors import AnswerkeyError
from derivations.layers import LAYER_KINDS, LayerKind


class ImportFailed(AnswerkeyError):
    """The model has parts no spec kind expresses (``missing``: ``path (what)`` each)."""

    exit_code = 2

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            f"cannot import {len(missing)} part(s) of the model: " + "; ".join(missing)
        )


def _by_type() -> dict[str, list[type[LayerKind]]]:
    out: dict[str, list[type[LayerKind]]] = {}
    for kind in LAYER_KINDS.values():
        for name in kind.torch_types:
            out.setdefault(name, []).append(kind)
    return out


def read_module(module: Any, path: str, missing: list[str]) -> dict[str, Any] | None:
    """The spec layer of one module (named ``path``), or None with the reason in ``missing``."""
    kinds = _by_type().get(type(module).__name__, [])
    for kind in kinds:
        fields = kind.from_torch(module)
        if fields is not None:
            return {"name": path, **fields}
    why = "settings no layer kind expresses" if kinds else "no layer kind for it"
    missing.append(f"{path} ({type(module).__name__}: {why})")
    return None


def _common(paths: list[list[str]]) -> list[str]:
    """The module path all ``paths`` share (``layer1.0`` for ``layer1.0.conv1``, ...)."""
    out: list[str] = []
    for parts in zip(*[p[:-1] for p in paths], strict=False):
        if len(set(parts)) != 1:
            break
        out.append(parts[0])
    return out if paths else []


def unique_names(layers: list[dict[str, Any]], seen: set[str] | None = None) -> None:
    """Number a name used again (a module called twice): ``relu``, ``relu-2``, ..."""
    seen = set() if seen is None else seen
    for layer in layers:
        base, n = str(layer["name"]), 1
        while layer["name"] in seen:
            n += 1
            layer["name"] = f"{base}-{n}"
        seen.add(layer["name"])
        for branch in layer.get("branches", []):
            unique_names(branch["layers"], seen)


@dataclass
class _Value:
    """A traced value: the layers applied since ``anchor`` (the fork it grew from)."""

    anchor: Any
    layers: list[dict[str, Any]]


IDENTITY = {"kind": "activation", "function": "identity"}


def _function_layer(node: Any, torch: Any) -> dict[str, Any] | None:
    f = node.target
    name = node.name.replace("_", "-")
    if node.op == "call_method":
        if f in ("relu", "sigmoid", "tanh"):
            return {"name": name, "kind": "activation", "function": f}
        if f == "flatten" and node.args[1:] in ((1,), ()) and len(node.args) == 2:
            return {"name": name, "kind": "flatten"}
        return None
    F = torch.nn.functional
    acts = {F.relu: "relu", torch.relu: "relu", torch.sigmoid: "sigmoid", torch.tanh: "tanh"}
    acts.update({F.sigmoid: "sigmoid", F.tanh: "tanh"})
    if f in acts:
        return {"name": name, "kind": "activation", "function": acts[f]}
    if f is torch.flatten and tuple(node.args[1:]) == (1,) and not node.kwargs:
        return {"name": name, "kind": "flatten"}
    return None


class _Tracer:
    def __init__(self, model: Any, torch: Any) -> None:
        self.model = model
        self.torch = torch
        self.missing: list[str] = []
        self.values: dict[Any, _Value] = {}
        self.used: set[str] = set()

    def source(self, node: Any) -> _Value:
        """The value a consumer of ``node`` starts from: a fresh branch at a fork."""
        if len(node.users) > 1:
            return _Value(node, [])
        return self.values[node]

    def join(self, node: Any, inputs: list[Any], how: str) -> _Value:
        starts = [self.source(i) for i in inputs]
        anchors = {id(s.anchor) for s in starts}
        if len(anchors) != 1:
            self.missing.append(f"{node.name} ({how} of values that do not fork from one point)")
            return _Value(starts[0].anchor, [])
        fork = starts[0].anchor
        branches = [
            {"name": f"branch{i + 1}", "layers": s.layers}
            if s.layers
            else {"name": "shortcut", "layers": [dict(IDENTITY, name=f"{node.name}-identity")]}
            for i, s in enumerate(starts)
        ]
        paths = [str(layer["name"]).split(".") for s in starts for layer in s.layers]
        prefix = ".".join(_common(paths))
        name = prefix if prefix and prefix not in self.used else node.name.replace("_", "-")
        self.used.add(name)
        block = {"name": name, "kind": "parallel", "join": how}
        block["branches"] = branches
        base = self.values[fork]
        return _Value(base.anchor, [*base.layers, block])

    def visit(self, node: Any) -> None:
        torch = self.torch
        if node.op == "placeholder":
            self.values[node] = _Value(node, [])
            return
        if node.op == "output":
            return
        args = [a for a in node.args if isinstance(a, torch.fx.Node)]
        if node.op == "call_function" and node.target in (operator.add, torch.add):
            self.values[node] = self.join(node, args, "add")
            return
        if node.op == "call_function" and node.target is torch.cat:
            tensors = list(node.args[0])
            dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
            if dim != 1:
                self.missing.append(f"{node.name} (cat along dim {dim}: only channels)")
            self.values[node] = self.join(node, tensors, "concat")
            return
        if node.op == "call_module":
            layer = read_module(self.model.get_submodule(node.target), node.target, self.missing)
        elif node.op in ("call_function", "call_method"):
            layer = _function_layer(node, torch)
            if layer is None:
                what = getattr(node.target, "__name__", str(node.target))
                self.missing.append(f"{node.name} (function {what}: not supported)")
        else:
            layer = None
            self.missing.append(f"{node.name} ({node.op} {node.target}: not supported)")
        start = self.source(args[0]) if args else _Value(node, [])
        self.values[node] = _Value(start.anchor, [*start.layers, *([layer] if layer else [])])


def network_layers(model: Any, torch: Any) -> list[dict[str, Any]]:
    """The spec layers of ``model``'s forward, traced by ``torch.fx`` (the module tree when
    tracing fails and the model is a chain of ``nn.Sequential``). Raises :class:`ImportFailed`."""
    try:
        graph = torch.fx.symbolic_trace(model).graph
    except Exception as err:  # fx raises many kinds on untraceable code
        return _module_tree(model, torch, err)
    tracer = _Tracer(model, torch)
    out = None
    for node in graph.nodes:
        tracer.visit(node)
        if node.op == "output":
            out = node.args[0]
    if not isinstance(out, torch.fx.Node):
        tracer.missing.append("output (not one tensor)")
    if tracer.missing:
        raise ImportFailed(tracer.missing)
    layers = [dict(layer) for layer in tracer.values[out].layers]
    unique_names(layers)
    return layers


def _module_tree(model: Any, torch: Any, err: Exception) -> list[dict[str, Any]]:
    missing: list[str] = []
    layers: list[dict[str, Any]] = []

    def walk(module: Any, prefix: str) -> None:
        for name, child in module.named_children():
            path = f"{prefix}{name}"
            if isinstance(child, torch.nn.Sequential):
                walk(child, path + ".")
            else:
                layer = read_module(child, path, missing)
                if layer:
                    layers.append(layer)

    if not isinstance(model, torch.nn.Sequential):
        first = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise ImportFailed([f"model (torch.fx cannot trace it: {first})"])
    walk(model, "")
    if missing:
        raise ImportFailed(missing)
    return layers
