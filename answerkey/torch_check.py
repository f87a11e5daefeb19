"""PyTorch as the referee: build each network as ``torch.nn`` modules and compare.

Shapes come from a forward pass on the ``meta`` device (no memory, no arithmetic), parameters
from ``numel()``, MACs from ``torch.utils.flop_counter.FlopCounterMode`` (which counts 2 FLOPs
per multiply-accumulate of a convolution or matrix product). Pooling has no FLOPs there, so
the window-operation convention is not compared; MACs are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from answerkey.errors import ToolMissing
from derivations.activations import ACTIVATIONS
from derivations.formula import int_value
from derivations.layers import Activation, Conv2d, Flatten, Layer, LayerResult, Linear, Pool2d
from derivations.network import Analysis, Network, Node, Parallel

if TYPE_CHECKING:
    from answerkey.spec import LoadedSpec


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ToolMissing("PyTorch is not installed: pip install torch==2.13.0") from None
    return torch


@dataclass(frozen=True)
class Measured:
    """What PyTorch says about one layer."""

    shape: tuple[int, ...]
    weights: int
    biases: int
    macs: int


@dataclass(frozen=True)
class CheckRow:
    network: str
    layer: str
    ours: Measured | None
    torch: Measured | None

    @property
    def ok(self) -> bool:
        return self.ours is None or self.ours == self.torch


def _i(value: Any) -> int:
    out = int_value(value)
    if out is None:
        raise ValueError(f"not a concrete integer: {value}")
    return out


def build_layer(layer: Layer, in_channels: int) -> Any:
    """The ``torch.nn`` module of one layer (biases on, so both counts can be compared)."""
    nn = _torch().nn
    if isinstance(layer, Conv2d):
        return nn.Conv2d(
            in_channels,
            _i(layer.filters),
            tuple(map(_i, layer.kernel)),
            stride=tuple(map(_i, layer.stride)),
            padding=tuple(map(_i, layer.padding)),
            dilation=tuple(map(_i, layer.dilation)),
            groups=layer.groups,
            bias=True,
            device="meta",
        )
    if isinstance(layer, Pool2d):
        cls = nn.MaxPool2d if layer.kind == "maxpool2d" else nn.AvgPool2d
        return cls(
            tuple(map(_i, layer.kernel)),
            stride=tuple(map(_i, layer.stride)),
            padding=tuple(map(_i, layer.padding)),
        )
    if isinstance(layer, Linear):
        units = in_channels if layer.units is None else _i(layer.units)
        return nn.Sequential(nn.Flatten(), nn.Linear(in_channels, units, bias=True, device="meta"))
    if isinstance(layer, Flatten):
        return nn.Flatten()
    if isinstance(layer, Activation):
        return ACTIVATIONS[layer.activation].torch(nn)
    raise TypeError(f"no PyTorch module for {layer.kind}")


def _measure(module: Any, x: Any) -> tuple[Any, Measured]:
    torch = _torch()
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        y = module(x)
    weights = sum(p.numel() for n, p in module.named_parameters() if not n.endswith("bias"))
    biases = sum(p.numel() for n, p in module.named_parameters() if n.endswith("bias"))
    flops = counter.get_total_flops()
    del torch
    return y, Measured(tuple(y.shape[1:]), weights, biases, flops // 2)


def _walk(nodes: tuple[Node, ...], x: Any, out: dict[str, Measured]) -> Any:
    torch = _torch()
    for node in nodes:
        if isinstance(node, Parallel):
            ys = [_walk(b.layers, x, out) for b in node.branches]
            x = torch.cat(ys, dim=1) if node.join == "concat" else sum(ys[1:], ys[0])
            out[node.name] = Measured(tuple(x.shape[1:]), 0, 0, 0)
            continue
        features = x[0].numel() if isinstance(node, Linear) else x.shape[1]
        x, measured = _measure(build_layer(node, int(features)), x)
        out[node.name] = measured
    return x


def measure_network(network: Network) -> dict[str, Measured]:
    """PyTorch's view of every layer and join, by name (batch of one, on ``meta``)."""
    torch = _torch()
    dims = [_i(d) for d in network.input.dims]
    x = torch.empty((1, *dims), device="meta")
    out: dict[str, Measured] = {}
    _walk(network.layers, x, out)
    return out


def ours(analysis: Analysis) -> dict[str, Measured | None]:
    """Our numbers in the same form (None where a size is symbolic)."""
    got: dict[str, Measured | None] = {}
    for row in analysis.rows:
        shape = row.out_shape
        if not shape.concrete:
            got[row.label] = None
            continue
        dims = tuple(_i(d) for d in shape.dims)
        if isinstance(row.result, LayerResult):
            r = row.result
            got[row.label] = Measured(dims, _i(r.weight_count), _i(r.bias_count), _i(r.mac_count))
        else:
            got[row.label] = Measured(dims, 0, 0, 0)
    return got


def compare(analysis: Analysis) -> list[CheckRow]:
    mine = ours(analysis)
    if any(v is None for v in mine.values()) or not analysis.network.input.concrete:
        return [CheckRow(analysis.network.name, name, None, None) for name in mine]
    theirs = measure_network(analysis.network)
    return [CheckRow(analysis.network.name, name, m, theirs.get(name)) for name, m in mine.items()]


def check_spec(loaded: LoadedSpec) -> list[CheckRow]:
    rows: list[CheckRow] = []
    for problem in loaded.problems:
        for analysis in problem.context.analyses.values():
            rows.extend(compare(analysis))
    return rows


def format_report(rows: list[CheckRow]) -> str:
    """A fixed-width table: ours against PyTorch for shape, weights, biases and MACs."""
    head = (
        f"{'network':<28} {'layer':<20} {'shape (C,H,W)':<18} {'weights':>12} "
        f"{'biases':>8} {'MACs':>14}  verdict"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        if r.ours is None:
            lines.append(f"{r.network[:28]:<28} {r.layer[:20]:<20} symbolic: not compared")
            continue
        m = r.ours
        verdict = "ok" if r.ok else f"DIFFERS: torch {r.torch}"
        lines.append(
            f"{r.network[:28]:<28} {r.layer[:20]:<20} {m.shape!s:<18} {m.weights:>12} "
            f"{m.biases:>8} {m.macs:>14}  {verdict}"
        )
    return "\n".join(lines)
