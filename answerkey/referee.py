"""PyTorch as an independent referee: rebuild each network from the spec's own fields and
compare, layer by layer, with what the derivations say.

The PyTorch model is built from the YAML mapping (after a variant's ``${name}`` values are
put in), through each kind's ``torch_module(raw, ...)``, never from the objects the
derivations read: ``padding: same`` reaches PyTorch as ``same``, an absent stride is
PyTorch's default. A wrong rule in the derivations therefore shows as a difference.

Per layer it compares the output shape (a forward pass on the ``meta`` device), each named
count PyTorch can measure (weights and biases from ``named_parameters``, every parameter
named ``*bias*`` a bias; buffers from the floating-point ``buffers`` such as running
statistics (a step counter is bookkeeping); MACs from ``FlopCounterMode``, which counts 2
FLOPs per multiply-accumulate), and the parameters the key sums under its bias conventions
(read here from the raw spec: ``bias``, and ``recurrent_bias``, under which Keras's layers
lack what each kind's ``keras_absent`` names).

Where ``FlopCounterMode`` is blind, the referee does not go: on the CPU an LSTM runs as one
oneDNN kernel (``aten.mkldnn_rnn_layer``) and ``nn.MultiheadAttention`` and
``nn.TransformerEncoderLayer`` in eval mode without autograd take fused fast paths, all
counted as zero MACs. Modules here are built on ``meta`` and run with autograd on (their
parameters require gradients): there a recurrent layer decomposes into one ``addmm`` per
step and direction, and attention, even in eval mode, into its projections and ``bmm``
products, which ``FlopCounterMode`` counts. A recorder runs beside it
and turns any fused kernel of :data:`UNCOUNTED_KERNELS` into a difference, never a silent
zero. ``tests/test_sequences.py`` shows the blind spots and checks this method against an
independent count of every matrix product PyTorch runs. A network with symbolic
sizes is checked at :data:`SAMPLES` random draws of positive values for its symbols, the
key's formulas evaluated at each. A check that compares nothing is an error.
"""

from __future__ import annotations

import ast
import random
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy as sp

from answerkey.blocks import expanded_network
from answerkey.errors import CheckFailed, ToolMissing
from derivations.activations import ACTIVATIONS
from derivations.formula import int_value, size_symbol
from derivations.layers import LAYER_KINDS, Count, LayerResult
from derivations.network import Analysis

if TYPE_CHECKING:
    from answerkey.spec import LoadedSpec

BATCH = 2
"""The batch the referee runs (a batch of one has no batch statistics to normalise with);
MACs are per sample: PyTorch's count divided by the batch."""

SAMPLES = 3
"""Random draws of values for a symbolic network's sizes."""

SAMPLE_RANGE = (6, 40)
"""The values drawn for a size symbol (large enough for the kernels of a lecture spec)."""

COLUMNS = ("weights", "biases", "buffers", "MACs", "params")
"""What each row compares: weights (PyTorch's parameters not named ``bias``: a layer's
weights, a normalisation's scale γ), biases (named ``bias``: a layer's biases, a
normalisation's shift β), buffers (running statistics, without PyTorch's
``num_batches_tracked`` counter), MACs, and the parameters the key sums under its
conventions."""
_PAIR_TEXT = re.compile(r"^\s*\d+(?:\s*[x×]\s*\d+)+\s*$")


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ToolMissing(
            "PyTorch is not installed: pip install 'answerkey[check]' (the CPU build: "
            "pip install torch==2.13.0)"
        ) from None
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
                r.count(Count.WEIGHTS) + r.count(Count.SCALES),
                sum((r.count(c) for c in r.counts if c.is_bias), sp.Integer(0))
                + r.count(Count.SHIFTS),
                sum((r.count(c) for c in r.counts if c.buffer), sp.Integer(0)),
                r.count(Count.MACS),
                analysis.params(r),
            )
            counts = tuple(_int(v, at) for v in values)
        else:
            counts = (0,) * len(COLUMNS)
        out.append((row.label, Measured(shape, counts)))
    return out


@dataclass(frozen=True)
class RawConventions:
    """The conventions the referee needs, read from the raw spec itself: the default bias,
    the default pooling rounding, whether running statistics are counted (Keras), and
    whether a recurrent layer's second bias vector is (PyTorch) or not (Keras)."""

    bias: bool = False
    rounding: str = "floor"
    norm: str = "pytorch"
    recurrent_bias: str = "pytorch"


def _counts_bias(raw: Mapping[str, Any], conventions: RawConventions) -> bool:
    """Whether PyTorch's ``bias`` parameters of this layer are in the key's sum: the layer's
    own ``bias``, else the convention for kinds whose ``bias`` defaults to it, else yes (a
    normalisation's shift β is always a parameter)."""
    field = LAYER_KINDS[raw["kind"]].model_fields.get("bias")
    default = conventions.bias if field is not None and field.default is None else True
    return bool(raw.get("bias", default))


UNCOUNTED_KERNELS = frozenset(
    {
        "aten.mkldnn_rnn_layer.default",
        "aten._native_multi_head_attention.default",
        "aten._transformer_encoder_layer_fwd.default",
        "aten.lstm.input",
        "aten.gru.input",
        "aten.rnn_tanh.input",
        "aten.rnn_relu.input",
        "aten._thnn_fused_lstm_cell.default",
        "aten._thnn_fused_gru_cell.default",
    }
)
"""Fused kernels that do multiply-accumulates ``FlopCounterMode`` has no formula for: the CPU
LSTM's oneDNN layer, the fast paths of ``nn.MultiheadAttention`` and
``nn.TransformerEncoderLayer`` (eval mode without autograd), whole recurrent layers. The
referee never takes them (modules run on ``meta``, where a recurrent layer decomposes into one
``addmm`` per step, and with autograd on, which keeps attention off its fast paths); if one
runs all the same, its MACs would be missing, so :func:`_measure` refuses the row instead."""


class TorchShape(tuple[int, ...]):
    """A PyTorch input shape without the batch axis, with the referee's own reading of its
    ``form`` (vector, sequence, map): a kind whose module depends on it (a linear layer
    flattens a map but not a sequence) asks ``in_shape.form``."""

    form: str

    def __new__(cls, dims: Any, form: str) -> TorchShape:
        out = super().__new__(cls, tuple(int(d) for d in dims))
        out.form = form
        return out


def _ops_recorder() -> Any:
    from torch.utils._python_dispatch import TorchDispatchMode

    class OpsSeen(TorchDispatchMode):  # type: ignore[misc]
        """Records the name of every aten operation that runs under it."""

        def __init__(self) -> None:
            super().__init__()
            self.names: set[str] = set()

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None):  # type: ignore[no-untyped-def]
            self.names.add(str(func))
            return func(*args, **(kwargs or {}))

    return OpsSeen()


def _is_bias(name: str) -> bool:
    """A PyTorch parameter that is a bias: ``bias``, ``in_proj_bias``, ``bias_ih_l0``."""
    return "bias" in name.rsplit(".", 1)[-1]


def _measure(
    module: Any, x: Any, counts_bias: bool, keras: bool, keras_absent: tuple[str, ...] = ()
) -> tuple[Any, Measured]:
    """One module's output shape, weights, biases, buffers, MACs (``FlopCounterMode`` ÷ 2,
    per sample) and counted parameters; ``keras`` counts the buffers in (Keras's
    normalisation), ``keras_absent`` names the biases the counted parameters leave out
    (Keras's one recurrent bias vector). Raises ``RuntimeError`` when a kernel of
    :data:`UNCOUNTED_KERNELS` ran."""
    from torch.utils.flop_counter import FlopCounterMode

    module.eval()  # batch statistics of one sample, dropout: inference behaviour
    counter = FlopCounterMode(display=False)
    seen = _ops_recorder()
    with counter, seen:
        y = module(x)
    blind = sorted(seen.names & UNCOUNTED_KERNELS)
    if blind:
        raise RuntimeError(f"{blind[0]} ran, whose MACs FlopCounterMode does not count")
    params = list(module.named_parameters())
    biases = sum(p.numel() for n, p in params if _is_bias(n))
    weights = sum(p.numel() for n, p in params if not _is_bias(n))
    buffers = sum(b.numel() for b in module.buffers() if b.is_floating_point())
    dropped = sum(
        p.numel()
        for n, p in params
        if keras_absent and _is_bias(n) and n.rsplit(".", 1)[-1].startswith(keras_absent)
    )
    macs = counter.get_total_flops() // (2 * BATCH)
    counted = weights + (biases - dropped if counts_bias else 0) + (buffers if keras else 0)
    return y, Measured(tuple(y.shape[1:]), (weights, biases, buffers, macs, counted))


def _join(torch: Any, raw: Mapping[str, Any], ys: list[Any], sequence: bool) -> Any:
    join = raw.get("join", "concat")
    if join == "first":
        return ys[0]
    if join == "concat":
        return torch.cat(ys, dim=-1 if sequence else 1)
    out = ys[0]
    for y in ys[1:]:
        out = out + y if join == "add" else out * y
    return out


def _walk(
    layers: list[Any], x: Any, form: str, conventions: RawConventions, out: list[Measured]
) -> tuple[Any, str]:
    """Build and run each raw layer mapping in order; a parallel block's branches (none:
    the identity), then its join. Appends one :class:`Measured` per row, in the order the
    analysis lists rows. ``form`` is the raw input's form as it flows: a sequence stays one
    while its tensor keeps three axes, until a ``reshape`` says otherwise."""
    torch = _torch()
    for raw in layers:
        if raw["kind"] == "parallel":
            results = [
                _walk(b.get("layers") or [], x, form, conventions, out) for b in raw["branches"]
            ]
            x = _join(torch, raw, [y for y, _ in results], form == "sequence")
            x = ACTIVATIONS[raw.get("activation", "identity")].torch(torch.nn)(x)
            form = results[0][1]
            out.append(Measured(tuple(x.shape[1:]), (0,) * len(COLUMNS)))
            continue
        cls = LAYER_KINDS[raw["kind"]]
        if "rounding" in cls.model_fields and "rounding" not in raw:
            raw = {**raw, "rounding": conventions.rounding}
        module = cls.torch_module(raw, TorchShape(x.shape[1:], form), torch.nn)
        keras = conventions.norm == "keras"
        absent = cls.keras_absent(raw) if conventions.recurrent_bias == "keras" else ()
        x, measured = _measure(module, x, _counts_bias(raw, conventions), keras, absent)
        out.append(measured)
        if isinstance(raw.get("to"), dict):
            form = raw_input(raw["to"])[0]
        else:
            form = cls.torch_form(raw, form, x.dim() - 1)
    return x, form


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


def measure(
    raw_network: Mapping[str, Any], bias: bool, conventions: RawConventions | None = None
) -> list[Measured]:
    """PyTorch's numbers for every row of a raw network mapping (a batch of :data:`BATCH`
    on the ``meta`` device).
    ``input`` is written channels last (H, W, C; L, C; D, H, W, C), a sequence T, d, or N;
    PyTorch wants channels first (C, H, W), and a sequence as (T, d) with ``batch_first``."""
    conventions = replace(conventions or RawConventions(), bias=bias)
    form, written, _ = raw_input(raw_network["input"])
    dims = [int(d) for d in written]
    torch_dims = [dims[-1], *dims[:-1]] if form == "map" else dims
    x = _torch().empty((BATCH, *torch_dims), device="meta")
    out: list[Measured] = []
    _walk(list(raw_network["layers"]), x, form, conventions, out)
    return out


def _layers(layers: list[Any]) -> list[Mapping[str, Any]]:
    out = []
    for raw in layers:
        if raw["kind"] == "parallel":
            for branch in raw["branches"]:
                out.extend(_layers(branch.get("layers") or []))
        else:
            out.append(raw)
    return out


_ARITHMETIC: tuple[type[ast.AST], ...] = (
    *(ast.Expression, ast.BinOp, ast.UnaryOp, ast.USub, ast.UAdd, ast.Name, ast.Load),
    *(ast.Constant, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Pow),
)


def _expression(value: Any) -> ast.Expression | None:
    """A size field's text as an arithmetic tree (the referee's own reading), or None when
    it is no size expression (``same``, ``3x5``, a number)."""
    if not isinstance(value, str) or value in ("same", "valid") or _PAIR_TEXT.match(value):
        return None
    try:
        tree = ast.parse(value, mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, _ARITHMETIC) or (
            isinstance(node, ast.Constant) and type(node.value) is not int
        ):
            return None
    return tree


def _symbol_names(value: Any) -> set[str]:
    if isinstance(value, list):
        return set().union(*(_symbol_names(v) for v in value)) if value else set()
    tree = _expression(value)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} if tree else set()


def _evaluate(tree: ast.AST, values: Mapping[str, int]) -> Fraction:
    if isinstance(tree, ast.Expression):
        return _evaluate(tree.body, values)
    if isinstance(tree, ast.Constant):
        assert type(tree.value) is int
        return Fraction(tree.value)
    if isinstance(tree, ast.Name):
        return Fraction(values[tree.id])
    if isinstance(tree, ast.UnaryOp):
        inner = _evaluate(tree.operand, values)
        return -inner if isinstance(tree.op, ast.USub) else inner
    assert isinstance(tree, ast.BinOp)
    a, b = _evaluate(tree.left, values), _evaluate(tree.right, values)
    ops = {
        ast.Add: lambda: a + b,
        ast.Sub: lambda: a - b,
        ast.Mult: lambda: a * b,
        ast.Div: lambda: a / b,
        ast.FloorDiv: lambda: Fraction(a // b),
        ast.Pow: lambda: a ** int(b),
    }
    return Fraction(ops[type(tree.op)]())


def _put(value: Any, values: Mapping[str, int]) -> Any:
    """A size field with the drawn values put in; ValueError where an expression is not a
    positive whole number there."""
    if isinstance(value, dict):
        return {k: _put(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_put(v, values) for v in value]
    tree = _expression(value)
    if tree is None:
        return value
    result = _evaluate(tree, values)
    if result.denominator != 1 or result < 0:
        raise ValueError(f"{value} is {result} at {dict(values)}")
    return int(result)


def symbols(raw_network: Mapping[str, Any]) -> list[str]:
    """The size symbols a raw network uses: in its input and its kinds' size fields."""
    _, dims, batch = raw_input(raw_network["input"])
    found = set().union(*(_symbol_names(d) for d in dims)) | _symbol_names(batch)
    for raw in _layers(list(raw_network["layers"])):
        for name in LAYER_KINDS[raw["kind"]].size_fields:
            found |= _symbol_names(raw.get(name))
    return sorted(found)


def _substituted(raw_network: Mapping[str, Any], values: Mapping[str, int]) -> dict[str, Any]:
    """The raw network with each size symbol replaced by its drawn value (sizes only)."""

    def layer(raw: Mapping[str, Any]) -> dict[str, Any]:
        if raw["kind"] == "parallel":
            branches = [
                {**b, "layers": [layer(x) for x in b.get("layers") or []]} for b in raw["branches"]
            ]
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


def _draws(raw_network: Mapping[str, Any], seed: str, samples: int) -> list[dict[str, int]]:
    """``samples`` draws of values for the network's symbols at which every size expression
    is a positive whole number (``d_model/heads`` needs heads to divide d_model)."""
    names = symbols(raw_network)
    if not names:
        return [{}]
    rng = random.Random(zlib.crc32(seed.encode()))
    draws: list[dict[str, int]] = []
    for _ in range(200 * samples):
        values = {n: rng.randint(*SAMPLE_RANGE) for n in names}
        try:
            sizes = _substituted(raw_network, values)
        except ValueError:
            continue
        if all(d for d in raw_input(sizes["input"])[1]):
            draws.append(values)
        if len(draws) == samples:
            break
    return draws


def check_network(
    analysis: Analysis,
    raw_network: Mapping[str, Any],
    bias: bool,
    samples: int = SAMPLES,
    conventions: RawConventions | None = None,
) -> list[CheckRow]:
    """Every row of ``analysis`` against PyTorch's model of ``raw_network``; ``bias`` is the
    raw spec's bias convention for this network's problem, ``conventions`` the rest of what
    the referee reads from it (rounding, normalisation counts)."""
    raw_network = expanded_network(raw_network)
    rows: list[CheckRow] = []
    for values in _draws(raw_network, analysis.network.name, samples):
        label = analysis.network.name
        if values:
            label += " [" + ", ".join(f"{k}={v}" for k, v in values.items()) + "]"
        at = {size_symbol(k): v for k, v in values.items()}
        try:
            ours = _ours(analysis, at)
        except ValueError as err:
            rows.append(CheckRow(label, "", None, None, f"the key: {err}"))
            continue
        try:
            raw = _substituted(raw_network, values)
            theirs: list[Measured | None] = list(measure(raw, bias, conventions))
            problem = None
        except ToolMissing:
            raise  # no PyTorch at all: exit 4 with how to install it, not "rows differ"
        except Exception as err:  # PyTorch refusing the layer is a finding, not a crash
            theirs, problem = [], f"PyTorch could not run it: {str(err).splitlines()[0][:120]}"
        if problem is None and len(theirs) != len(ours):
            problem = f"PyTorch has {len(theirs)} rows, the key {len(ours)}"
        theirs += [None] * (len(ours) - len(theirs))
        for (name, mine), torch_row in zip(ours, theirs, strict=False):
            rows.append(CheckRow(label, name, mine, torch_row, problem))
    return rows


def raw_conventions(data: Mapping[str, Any], problem: Mapping[str, Any]) -> RawConventions:
    """The conventions as the raw spec states them: the problem's, else the spec's, else
    the documented defaults."""
    found: dict[str, Any] = {}
    for conventions in (data.get("conventions"), problem.get("conventions")):
        if isinstance(conventions, dict):
            found.update({k: v for k, v in conventions.items() if v is not None})
    return RawConventions(
        bool(found.get("bias", False)),
        str(found.get("rounding", "floor")),
        str(found.get("norm", "pytorch")),
        str(found.get("recurrent_bias", "pytorch")),
    )


def check_spec(loaded: LoadedSpec) -> list[CheckRow]:
    """Every network of every problem against PyTorch, from the spec's raw fields."""
    data = loaded.data
    rows: list[CheckRow] = []
    for problem, raw_problem in zip(loaded.problems, data["problems"], strict=True):
        conventions = raw_conventions(data, raw_problem)
        for name, analysis in problem.context.analyses.items():
            raw = raw_problem["networks"][name]
            rows.extend(check_network(analysis, raw, conventions.bias, conventions=conventions))
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
    """A fixed-width table: ours against PyTorch for shape and each count. Shapes are in
    PyTorch's order without the batch: C×H×W for maps, T×d for sequences, N for vectors."""
    net_w = max([len("network"), *(len(r.network) for r in rows)])
    layer_w = max([len("layer"), *(len(r.layer) for r in rows)])
    head = f"{'network':<{net_w}} {'layer':<{layer_w}} {'shape (PyTorch)':<18} " + " ".join(
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
