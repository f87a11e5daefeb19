"""PyTorch as an independent referee: rebuild each network from the spec's own fields and
compare, layer by layer, with what the derivations say.

The PyTorch model is built from the YAML mapping (after a variant's ``${name}`` values are
put in), through each kind's ``torch_module(raw, ...)``, never from the objects the
derivations read: ``padding: same`` reaches PyTorch as ``same``, an absent stride is
PyTorch's default. A wrong rule in the derivations therefore shows as a difference.

Per layer it compares the output shape (a forward pass on the ``meta`` device), each named
count PyTorch can measure (weights and biases from ``named_parameters``, buffers from the
floating-point ``buffers`` such as running statistics (a step counter is bookkeeping), MACs from
``FlopCounterMode``, which counts 2 FLOPs per multiply-accumulate), and the parameters the
key sums under its bias convention (read here from the raw spec). A network with symbolic
sizes is checked at :data:`SAMPLES` random draws of positive values for its symbols, the
key's formulas evaluated at each. A check that compares nothing is an error.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy as sp

from answerkey.errors import CheckFailed, ToolMissing
from derivations.formula import int_value, size_symbol
from derivations.layers import LAYER_KINDS, Count, LayerResult
from derivations.network import Analysis

if TYPE_CHECKING:
    from answerkey.spec import LoadedSpec

SAMPLES = 3
"""Random draws of values for a symbolic network's sizes."""

SAMPLE_RANGE = (6, 40)
"""The values drawn for a size symbol (large enough for the kernels of a lecture spec)."""

COLUMNS = ("weights", "biases", "buffers", "MACs", "params")
_PAIR_TEXT = re.compile(r"^\s*\d+\s*[x×]\s*\d+\s*$")


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ToolMissing("PyTorch is not installed: pip install torch==2.13.0") from None
    return torch


@dataclass(frozen=True)
class Measured:
    """One row as numbers: output shape (C, H, W or N) and the counts of :data:`COLUMNS`."""

    shape: tuple[int, ...]
    counts: tuple[int, ...]


@dataclass(frozen=True)
class CheckRow:
    network: str
    layer: str
    ours: Measured | None
    torch: Measured | None
    problem: str | None = None  # why a side could not be measured

    @property
    def ok(self) -> bool:
        return self.problem is None and self.ours is not None and self.ours == self.torch


def _int(value: sp.Expr, at: Mapping[sp.Symbol, int]) -> int:
    out = int_value(sp.sympify(value).subs(at))
    if out is None:
        raise ValueError(f"{value} is not a whole number at {dict(at)}")
    return out


def _ours(analysis: Analysis, at: Mapping[sp.Symbol, int]) -> list[tuple[str, Measured]]:
    """The key's numbers for every row, evaluated at ``at`` (sizes of a symbolic spec)."""
    out = []
    for row in analysis.rows:
        shape = tuple(_int(d, at) for d in row.out_shape.dims)
        r = row.result
        if isinstance(r, LayerResult):
            values = (
                r.count(Count.WEIGHTS),
                r.count(Count.BIASES),
                r.count(Count.BUFFERS),
                r.count(Count.MACS),
                analysis.params(r),
            )
            counts = tuple(_int(v, at) for v in values)
        else:
            counts = (0, 0, 0, 0, 0)
        out.append((row.label, Measured(shape, counts)))
    return out


def _measure(module: Any, x: Any, counts_bias: bool) -> tuple[Any, Measured]:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        y = module(x)
    params = list(module.named_parameters())
    biases = sum(p.numel() for n, p in params if n.endswith("bias"))
    weights = sum(p.numel() for n, p in params if not n.endswith("bias"))
    buffers = sum(b.numel() for b in module.buffers() if b.is_floating_point())
    macs = counter.get_total_flops() // 2
    counted = weights + (biases if counts_bias else 0)
    return y, Measured(tuple(y.shape[1:]), (weights, biases, buffers, macs, counted))


def _walk(layers: list[Any], x: Any, bias: bool, out: list[Measured]) -> Any:
    """Build and run each raw layer mapping in order; a parallel block's branches, then its
    join. Appends one :class:`Measured` per row, in the order the analysis lists rows."""
    torch = _torch()
    for raw in layers:
        if raw["kind"] == "parallel":
            ys = [_walk(b["layers"], x, bias, out) for b in raw["branches"]]
            x = torch.cat(ys, dim=1) if raw.get("join", "concat") == "concat" else sum(ys)
            out.append(Measured(tuple(x.shape[1:]), (0, 0, 0, 0, 0)))
            continue
        module = LAYER_KINDS[raw["kind"]].torch_module(raw, tuple(x.shape[1:]), torch.nn)
        x, measured = _measure(module, x, bool(raw.get("bias", bias)))
        out.append(measured)
    return x


def raw_input(raw_input_field: Any) -> tuple[str, list[Any], Any]:
    """The raw ``input`` field as (form, sizes as the course writes them, batch): the
    referee's own reading of ``[N]``, ``[H, W, C]``, ``[D, H, W, C]`` or a mapping
    ``{vector|sequence|map: [...], batch: B}``."""
    if isinstance(raw_input_field, dict):
        for form in ("vector", "sequence", "map"):
            if form in raw_input_field:
                return form, list(raw_input_field[form]), raw_input_field.get("batch")
        raise ValueError(f"no input form in {raw_input_field!r}")
    dims = list(raw_input_field)
    return ("vector" if len(dims) == 1 else "map"), dims, None


def _with_input(raw_input_field: Any, dims: list[Any]) -> Any:
    if isinstance(raw_input_field, dict):
        form, _, _ = raw_input(raw_input_field)
        return {**raw_input_field, form: dims}
    return dims


def measure(raw_network: Mapping[str, Any], bias: bool) -> list[Measured]:
    """PyTorch's numbers for every row of a raw network mapping (batch of one, ``meta``).
    ``input`` is written channels last (H, W, C; L, C; D, H, W, C), a sequence T, d, or N;
    PyTorch wants channels first (C, H, W), and a sequence as (T, d) with ``batch_first``."""
    form, written, _ = raw_input(raw_network["input"])
    dims = [int(d) for d in written]
    torch_dims = [dims[-1], *dims[:-1]] if form == "map" else dims
    x = _torch().empty((1, *torch_dims), device="meta")
    out: list[Measured] = []
    _walk(list(raw_network["layers"]), x, bias, out)
    return out


def _layers(layers: list[Any]) -> list[Mapping[str, Any]]:
    out = []
    for raw in layers:
        if raw["kind"] == "parallel":
            for branch in raw["branches"]:
                out.extend(_layers(branch["layers"]))
        else:
            out.append(raw)
    return out


def _symbol_names(value: Any) -> set[str]:
    if isinstance(value, str) and not _PAIR_TEXT.match(value) and value not in ("same", "valid"):
        return {value}
    if isinstance(value, list):
        return {v for v in value if isinstance(v, str)}
    return set()


def symbols(raw_network: Mapping[str, Any]) -> list[str]:
    """The size symbols a raw network uses: in its input and its kinds' size fields."""
    _, dims, _ = raw_input(raw_network["input"])
    found = set().union(*(_symbol_names(d) for d in dims))
    for raw in _layers(list(raw_network["layers"])):
        for name in LAYER_KINDS[raw["kind"]].size_fields:
            found |= _symbol_names(raw.get(name))
    return sorted(found)


def _put(value: Any, values: Mapping[str, int]) -> Any:
    if isinstance(value, dict):
        return {k: _put(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_put(v, values) for v in value]
    return values.get(value, value) if isinstance(value, str) else value


def _substituted(raw_network: Mapping[str, Any], values: Mapping[str, int]) -> dict[str, Any]:
    """The raw network with each size symbol replaced by its drawn value (sizes only)."""

    def layer(raw: Mapping[str, Any]) -> dict[str, Any]:
        if raw["kind"] == "parallel":
            branches = [{**b, "layers": [layer(x) for x in b["layers"]]} for b in raw["branches"]]
            return {**raw, "branches": branches}
        fields = LAYER_KINDS[raw["kind"]].size_fields
        return {k: (_put(v, values) if k in fields else v) for k, v in raw.items()}

    return {
        **raw_network,
        "input": _with_input(
            raw_network["input"], _put(raw_input(raw_network["input"])[1], values)
        ),
        "layers": [layer(x) for x in raw_network["layers"]],
    }


def check_network(
    analysis: Analysis, raw_network: Mapping[str, Any], bias: bool, samples: int = SAMPLES
) -> list[CheckRow]:
    """Every row of ``analysis`` against PyTorch's model of ``raw_network``; ``bias`` is the
    raw spec's bias convention for this network's problem."""
    names = symbols(raw_network)
    draws: list[dict[str, int]] = [{}]
    if names:
        rng = random.Random(zlib.crc32(analysis.network.name.encode()))
        draws = [{n: rng.randint(*SAMPLE_RANGE) for n in names} for _ in range(samples)]
    rows: list[CheckRow] = []
    for values in draws:
        label = analysis.network.name
        if values:
            label += " [" + ", ".join(f"{k}={v}" for k, v in values.items()) + "]"
        at = {size_symbol(k): v for k, v in values.items()}
        ours = _ours(analysis, at)
        try:
            theirs: list[Measured | None] = list(measure(_substituted(raw_network, values), bias))
            problem = None
        except Exception as err:  # PyTorch refusing the layer is a finding, not a crash
            theirs, problem = [], f"PyTorch could not run it: {str(err).splitlines()[0][:120]}"
        if problem is None and len(theirs) != len(ours):
            problem = f"PyTorch has {len(theirs)} rows, the key {len(ours)}"
        theirs += [None] * (len(ours) - len(theirs))
        for (name, mine), torch_row in zip(ours, theirs, strict=False):
            rows.append(CheckRow(label, name, mine, torch_row, problem))
    return rows


def _bias_convention(data: Mapping[str, Any], problem: Mapping[str, Any]) -> bool:
    """The bias convention as the raw spec states it: the problem's, else the spec's, else
    off (the documented default)."""
    for conventions in (problem.get("conventions"), data.get("conventions")):
        if isinstance(conventions, dict) and conventions.get("bias") is not None:
            return bool(conventions["bias"])
    return False


def check_spec(loaded: LoadedSpec) -> list[CheckRow]:
    """Every network of every problem against PyTorch, from the spec's raw fields."""
    data = loaded.data
    rows: list[CheckRow] = []
    for problem, raw_problem in zip(loaded.problems, data["problems"], strict=True):
        bias = _bias_convention(data, raw_problem)
        for name, analysis in problem.context.analyses.items():
            rows.extend(check_network(analysis, raw_problem["networks"][name], bias))
    return rows


def verdict(rows: list[CheckRow]) -> str:
    """The closing line of ``answerkey check``; raises :class:`CheckFailed` (exit 5) when a
    row differs or when nothing was compared."""
    if not rows:
        raise CheckFailed("nothing compared: the spec has no network to check against PyTorch")
    bad = [r for r in rows if not r.ok]
    if bad:
        raise CheckFailed(f"{len(bad)} of {len(rows)} rows differ from PyTorch")
    return f"all {len(rows)} rows agree with PyTorch"


def format_report(rows: list[CheckRow]) -> str:
    """A fixed-width table: ours against PyTorch for shape and each count."""
    net_w = max([len("network"), *(len(r.network) for r in rows)])
    layer_w = max([len("layer"), *(len(r.layer) for r in rows)])
    head = f"{'network':<{net_w}} {'layer':<{layer_w}} {'shape (C,H,W)':<18} " + " ".join(
        f"{c:>14}" for c in COLUMNS
    )
    lines = [head + "  verdict", "-" * (len(head) + 9)]
    for r in rows:
        m = r.ours
        cells = f"{m.shape!s:<18} " + " ".join(f"{c:>14}" for c in m.counts) if m else " " * 18
        if r.ok:
            verdict_text = "ok"
        elif r.problem:
            verdict_text = f"DIFFERS: {r.problem}"
        else:
            verdict_text = f"DIFFERS: torch {r.torch}"
        lines.append(f"{r.network:<{net_w}} {r.layer:<{layer_w}} {cells}  {verdict_text}")
    return "\n".join(lines)
