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
from answerkey.import_calls import call_name, is_last_position, owner, read_call, read_module
from answerkey.import_repeats import with_repeats
from answerkey.import_run import propagate


class ImportFailed(AnswerkeyError):
    """The model has parts no spec kind expresses (``missing``: ``path (what)`` each)."""

    exit_code = 2

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            f"cannot import {len(missing)} part(s) of the model: " + "; ".join(missing)
        )


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
TUPLES = {"rnn", "lstm", "gru", "attention"}
"""Kinds whose PyTorch module returns a tuple (its output, then its state or weights)."""


class _Tracer:
    def __init__(self, model: Any, torch: Any) -> None:
        self.model = model
        self.torch = torch
        self.missing: list[str] = []
        self.values: dict[Any, _Value] = {}
        self.used: set[str] = set()
        self.tuples: set[Any] = set()
        """Module calls that return a tuple (a recurrent layer, attention)."""
        self.origin: dict[Any, tuple[Any, str]] = {}
        """An item of such a tuple: (the call, ``seq``, ``state`` or ``h``)."""
        self.failed: set[Any] = set()
        """Nodes already reported: what reads them is not reported again."""

    def source(self, node: Any) -> _Value:
        """The value a consumer of ``node`` starts from: a fresh branch at a fork."""
        if node not in self.values:
            return _Value(node, [])  # a size, a state: its use is reported where it is read
        if len(node.users) > 1:
            return _Value(node, [])
        return self.values[node]

    def join(self, node: Any, inputs: list[Any], how: str) -> _Value:
        if any(i in self.failed for i in inputs):
            self.failed.add(node)
            return _Value(node, [])
        if len(inputs) < 2:
            self.missing.append(f"{node.name} ({how} with a constant: no layer kind for it)")
            return _Value(node, [])
        starts = [self.source(i) for i in inputs]
        anchors = {id(s.anchor) for s in starts}
        if len(anchors) != 1 or starts[0].anchor not in self.values:
            self.missing.append(f"{node.name} ({how} of values that do not fork from one point)")
            return _Value(starts[0].anchor, [])
        fork = starts[0].anchor
        where = owner(node)
        identity = f"{where}.identity" if where else "identity"
        branches: list[dict[str, Any]] = [
            {"name": f"branch{i + 1}", "layers": s.layers}
            if s.layers
            else {"name": "shortcut", "layers": [dict(IDENTITY, name=identity)]}
            for i, s in enumerate(starts)
        ]
        name = where if where and where not in self.used else call_name(node)
        self.used.add(name)
        block: dict[str, Any] = {"name": name, "kind": "parallel", "join": how}
        block["branches"] = branches
        base = self.values[fork]
        return _Value(base.anchor, [*base.layers, block])

    def last_state(self, node: Any, call: Any) -> None:
        """``node`` is the last hidden state of the recurrent ``call``: its layer with
        ``return_sequences: false`` (one direction only: a bidirectional layer's last state
        is both directions' final states, which one index does not give)."""
        value = self.values[call]
        layer = value.layers[-1]
        if layer.get("bidirectional"):
            self.missing.append(
                f"{node.name} (one direction's state of the bidirectional {layer['name']}: "
                "no field for it)"
            )
            self.failed.add(node)
            return
        last = dict(layer, return_sequences=False)
        self.values[node] = _Value(value.anchor, [*value.layers[:-1], last])

    def getitem(self, node: Any) -> None:
        """An item of a tuple-returning call: the output (``[0]``), a recurrent layer's
        state (``[1]``, an LSTM's ``h`` in it), the last layer's final state (``h[-1]``) or
        the output's last position (``out[:, -1]``) of a one-way recurrent layer."""
        base, index = node.args[0], node.args[1]
        if base in self.failed:
            self.failed.add(node)
            return
        if base in self.tuples:
            if len(base.users) > 1:
                self.missing.append(f"{node.name} (uses more than one result of {base.target})")
            elif index == 0:
                self.values[node] = self.values[base]
                self.origin[node] = (base, "seq")
                return
            elif index == 1 and self.values[base].layers[-1]["kind"] != "attention":
                lstm = self.values[base].layers[-1]["kind"] == "lstm"
                self.origin[node] = (base, "state" if lstm else "h")
                return
        elif node.args[0] in self.origin:
            call, what = self.origin[base]
            if what == "state" and index == 0 and len(base.users) == 1:
                self.origin[node] = (call, "h")
                return
            last = what == "h" and index == -1
            if last or (what == "seq" and is_last_position(index) and len(base.users) == 1):
                self.last_state(node, call)
                return
        self.failed.add(node)
        self.missing.append(
            f"{node.name} (indexing [{index}]: only a recurrent layer's output, its last "
            "hidden state, or attention's output)"
        )

    def visit(self, node: Any) -> None:
        torch = self.torch
        if node.op == "placeholder":
            self.values[node] = _Value(node, [])
            return
        if node.op == "output":
            return
        args = [a for a in node.args if isinstance(a, torch.fx.Node)]
        if node.op == "call_function" and node.target in (operator.add, operator.iadd, torch.add):
            self.values[node] = self.join(node, args, "add")
            return
        if node.op == "call_function" and node.target is torch.cat:
            tensors = list(node.args[0])
            dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
            if dim != 1:
                self.missing.append(f"{node.name} (cat along dim {dim}: only channels)")
            self.values[node] = self.join(node, tensors, "concat")
            return
        if node.op == "call_function" and node.target is operator.getitem:
            self.getitem(node)
            return
        if node.op == "call_method" and node.target == "size":
            return  # a size read for a view: the view is read from the shapes
        layers: list[dict[str, Any]] | None
        if node.op == "call_module":
            layers = read_module(self.model.get_submodule(node.target), node.target, self.missing)
            kind = layers[-1]["kind"] if layers else None
            if kind in TUPLES:
                self.tuples.add(node)
            if kind == "attention" and len(set(node.args[:3])) != 1:
                self.missing.append(
                    f"{node.target} (attention whose keys or values are not its queries)"
                )
        elif node.op in ("call_function", "call_method"):
            layers = read_call(node, self.missing)
        else:
            layers = None
            what = "a parameter used directly" if node.op == "get_attr" else node.op
            self.missing.append(f"{node.target} ({what}: no layer kind for it)")
        if layers is None:
            self.failed.add(node)
        start = self.source(args[0]) if args else _Value(node, [])
        self.values[node] = _Value(start.anchor, [*start.layers, *(layers or [])])


class DoesNotRun(ImportFailed):
    """The model raised when run on the input shape given (``what``: the shape, the first
    module or call that failed, and PyTorch's own message)."""

    def __init__(self, what: str) -> None:
        self.missing = [what]
        AnswerkeyError.__init__(self, what)


def network_layers(
    model: Any, torch: Any, shape: tuple[int, ...]
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The spec layers of ``model``'s forward for inputs of ``shape`` (PyTorch order, no
    batch), runs of identical children as uses of the blocks returned with them
    (:mod:`answerkey.import_repeats`). Raises :class:`ImportFailed`."""

    def class_of(path: str) -> str | None:
        try:
            return str(type(model.get_submodule(path)).__name__)
        except AttributeError:
            return None

    return with_repeats(traced_layers(model, torch, shape), class_of)


def traced_layers(model: Any, torch: Any, shape: tuple[int, ...]) -> list[dict[str, Any]]:
    """The spec layers of ``model``'s forward, traced by ``torch.fx`` (the module tree when
    tracing fails and the model is a chain of ``nn.Sequential``), every name unique."""
    try:
        traced = torch.fx.symbolic_trace(model)
    except Exception as err:  # fx raises many kinds on untraceable code
        return _module_tree(model, torch, err)
    failed = propagate(model, traced, shape, torch)
    if failed:
        raise DoesNotRun(failed)
    graph = traced.graph
    graph.eliminate_dead_code()  # a result unpacked but never used (``out, _ = rnn(x)``)
    tracer = _Tracer(model, torch)
    out = None
    for node in graph.nodes:
        tracer.visit(node)
        if node.op == "output":
            out = node.args[0]
    one = isinstance(out, torch.fx.Node) and out in tracer.values
    if not one and out not in tracer.failed:
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
                layers.extend(read_module(child, path, missing) or [])

    if not isinstance(model, torch.nn.Sequential):
        first = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise ImportFailed([f"model (torch.fx cannot trace it: {first})"])
    walk(model, "")
    if missing:
        raise ImportFailed(missing)
    return layers
