"""What every layer kind is: a spec model holding its own rules, and the registry of kinds.

A layer kind is one class (in one family module of this package) that is at once

- the **spec schema**: a pydantic model whose fields are the YAML fields, validated, with
  defaults and a docs example;
- the **rules**: ``forward`` gives the output shape and a mapping of named counts
  (:class:`Count`: weights, biases, MACs, ...) as :class:`~derivations.formula.Formula` objects;
- the **prose**: its name in sentences, why it has the parameters it has, a phrase for the
  network's description, its diagram label;
- the **referee's model**: ``torch_module`` builds the ``torch.nn`` module from the *raw* YAML
  fields, not from this object, so that PyTorch checks the rules independently.

``@layer_kind`` files the class in :data:`LAYER_KINDS` under its ``kind`` literal.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

import sympy as sp
from pydantic import PrivateAttr

from derivations.fields import ActivationName, Strict, Text
from derivations.formula import Formula
from derivations.registry import Registry
from derivations.shapes import Shape, ShapeError


class Count(StrEnum):
    """A named quantity a layer has: stored numbers (parameters, buffers) or operations.

    Which of them make up "the parameters" and "the operations" of an answer is the
    conventions' choice (:class:`~derivations.conventions.Conventions`), not the layer's.
    """

    WEIGHTS = "weights"
    BIASES = "biases"
    RECURRENT_BIASES = "recurrent biases"
    """The second bias vector of a recurrent layer (PyTorch's ``b_hh``), which Keras's
    SimpleRNN and LSTM do not have: counted as the ``recurrent_bias`` convention says."""
    BUFFERS = "buffers"
    """State a layer keeps but does not train (batch normalisation's running statistics)."""
    SCALES = "scales"
    """A normalisation's trainable scale γ (PyTorch's ``weight`` of a norm layer)."""
    SHIFTS = "shifts"
    """A normalisation's trainable shift β (PyTorch's ``bias`` of a norm layer)."""
    RUNNING_MEANS = "running means"
    """A normalisation's running mean (a buffer in PyTorch, non-trainable in Keras)."""
    RUNNING_VARS = "running variances"
    MACS = "MACs"
    WINDOW_OPS = "window operations"
    BIAS_OPS = "bias additions"
    NORM_OPS = "normalisation operations"
    ACTIVATION_OPS = "activation operations"
    JOIN_OPS = "join operations"

    @property
    def stored(self) -> bool:
        """Numbers the layer keeps (parameters and buffers), as opposed to operations."""
        return self in STORED

    @property
    def buffer(self) -> bool:
        """Numbers PyTorch keeps as buffers, not parameters (running statistics)."""
        return self in (Count.BUFFERS, Count.RUNNING_MEANS, Count.RUNNING_VARS)

    @property
    def is_bias(self) -> bool:
        """A layer's bias count: what PyTorch names ``*bias*`` in a linear, convolution,
        recurrent or attention layer, and a layer's ``bias: false`` drops (a normalisation's
        shift is :attr:`SHIFTS`)."""
        return self in (Count.BIASES, Count.RECURRENT_BIASES)


STORED = frozenset(
    {
        Count.WEIGHTS,
        Count.BIASES,
        Count.RECURRENT_BIASES,
        Count.BUFFERS,
        Count.SCALES,
        Count.SHIFTS,
        Count.RUNNING_MEANS,
        Count.RUNNING_VARS,
    }
)


@dataclass(frozen=True)
class SizeRule:
    """The output size along one spatial axis (``axis``: L, D, H or W), with the remainder the
    floor drops (when concrete and non-zero) and a note where the rounding needs one (a
    ceiling, a window PyTorch drops)."""

    formula: Formula
    remainder: sp.Expr | None
    axis: str = ""
    note: str | None = None


@dataclass(frozen=True)
class LayerResult:
    """What one layer does to the shape that reaches it, and what it has and costs.

    ``counts`` maps each named quantity the layer has to its formula (a layer without biases
    has no :attr:`Count.BIASES` entry); ``kernel`` is what the shape table prints in its
    kernel column (K_h × K_w × C_in/G for a convolution, K_h × K_w for a pool).
    """

    layer: LayerKind
    in_shape: Shape
    out_shape: Shape
    sizes: tuple[SizeRule, ...] = ()
    counts: Mapping[Count, Formula] = field(default_factory=dict)
    kernel: tuple[sp.Expr, ...] | None = None

    def formula(self, count: Count) -> Formula | None:
        return self.counts.get(count)

    def count(self, count: Count) -> sp.Expr:
        """The value of ``count`` (0 when the layer has no such quantity)."""
        f = self.counts.get(count)
        return f.value if f is not None else sp.Integer(0)

    @property
    def floored(self) -> bool:
        return any(s.remainder for s in self.sizes)


class LayerKind(Strict):
    """Fields every kind shares, and the faces every kind has (see the module docstring).

    Subclasses declare ``kind: Literal["<name>"] = "<name>"`` and their own fields, set
    ``title`` (the kind in a sentence) and ``example`` (a spec line for the docs), and
    implement :meth:`forward` and :meth:`torch_module`.
    """

    name: Text | None = None
    activation: ActivationName = "identity"

    title: ClassVar[str] = ""
    """The kind in prose: ``convolution``, ``max pooling``."""
    example: ClassVar[Mapping[str, Any]] = {}
    """A spec mapping of this kind, for the docs and the generic tests."""
    example_input: ClassVar[Any] = [16, 16, 4]
    """The network ``input`` the docs and the generic tests put ``example`` after."""
    size_fields: ClassVar[tuple[str, ...]] = ()
    """Fields that may hold a size symbol (the referee substitutes numbers into these)."""

    _path: tuple[str | int, ...] = PrivateAttr(default=())

    @property
    def kind_name(self) -> str:
        return str(getattr(self, "kind", ""))

    @property
    def label(self) -> str:
        """The layer's name (the network gives every layer one before analysis)."""
        return self.name or self.kind_name

    @property
    def path(self) -> tuple[str | int, ...]:
        """Where the layer is in its spec, for error messages."""
        return self._path

    def placed(self, name: str, path: tuple[str | int, ...]) -> LayerKind:
        """This layer with its (default) name and its place in the spec."""
        out = self.model_copy(update={"name": name})
        out._path = path
        return out

    @property
    def applied(self) -> str:
        """The activation the layer applies to its output (an ``activation`` layer's is its
        ``function``)."""
        return self.activation

    def forward(self, shape: Shape) -> LayerResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def under(self, conventions: Any) -> LayerKind:
        """This layer with whatever it takes from the conventions filled in (a pool's
        rounding, say); most kinds take nothing and return themselves."""
        return self

    @classmethod
    def sample(cls, rng: random.Random, shape: Shape) -> dict[str, Any] | None:
        """A random spec mapping of this kind that takes ``shape``, or None if it cannot:
        the random-architecture tests draw their networks from these (each kind extends the
        generator by implementing this; the default takes no part)."""
        return None

    def counts_bias(self, default: bool) -> bool:
        """Whether this layer's biases are counted: its own ``bias`` field, else ``default``
        (the convention)."""
        own = getattr(self, "bias", None)
        return default if own is None else bool(own)

    def param_reason(self, result: LayerResult, bias: bool) -> str:
        """Why the layer has the parameters it has (one or two sentences of the key)."""
        return f"{self.label} ({self.title}) has no parameters."

    def phrase(self, result: LayerResult) -> str:
        """The layer in the network's description: ``a 3×3 convolution with 64 filters → ...``."""
        return f"{self.title} → {dims_text(result.out_shape)}"

    def ops_reason(self, result: LayerResult) -> str | None:
        """Why the layer costs the operations it does, where the operations question's
        general sentence (a convolution's window dot products) does not say it."""
        return None

    def diagram_label(self) -> str:
        """The first line of the layer's box in a module graph (plain text)."""
        return self.label

    torch_types: ClassVar[tuple[str, ...]] = ()
    """The ``torch.nn`` module classes (by name) ``answerkey import`` reads as this kind."""

    @classmethod
    def from_torch(cls, module: Any) -> dict[str, Any] | str | None:
        """The spec fields of this kind read from a ``torch.nn`` module of one of
        :attr:`torch_types` (the inverse of :meth:`torch_module`), or None when this kind
        cannot express that module's settings (a string when it can say which)."""
        return None

    @classmethod
    def torch_module(cls, raw: Mapping[str, Any], in_shape: tuple[int, ...], nn: Any) -> Any:
        """The ``torch.nn`` module of this kind built from the spec's own fields ``raw`` (the
        YAML mapping, numbers substituted) for an input of ``in_shape`` (C, H, W or N,
        without the batch axis). Biases are always on, so that both counts can be compared."""
        raise NotImplementedError  # pragma: no cover - abstract

    def bias_counts(self, conventions: Any) -> tuple[Count, ...]:
        """The bias counts summed into the parameters when biases are counted (under
        ``conventions``, a :class:`~derivations.conventions.Conventions`): every bias count
        the layer has, unless a kind says otherwise (Keras's one recurrent bias vector)."""
        return (Count.BIASES, Count.RECURRENT_BIASES)

    @classmethod
    def torch_form(cls, raw: Mapping[str, Any], in_form: str, rank: int) -> str:
        """The referee's reading of this kind's PyTorch output of ``rank`` axes (batch
        excluded), from an input of form ``in_form``: one axis is a vector, a sequence stays
        one while it keeps two axes, anything else is a map. An embedding says otherwise (a
        vector of token indices becomes a sequence)."""
        if rank == 1:
            return "vector"
        return "sequence" if in_form == "sequence" and rank == 2 else "map"

    @classmethod
    def keras_absent(cls, raw: Mapping[str, Any]) -> tuple[str, ...]:
        """Prefixes of PyTorch parameter names this kind has that Keras's layer does not
        (the referee drops them from the counted parameters under the ``keras`` recurrent
        bias convention)."""
        return ()


def dims_text(shape: Shape) -> str:
    """``128 × 128 × 64`` (H × W × C; maps channels last), ``10 × 512`` (T × d) or ``1200``
    for a vector."""
    return " × ".join(str(d) for d in shape.hwc())


def require_feature_map(shape: Shape, kind: str) -> None:
    """Raise :class:`ShapeError` unless ``shape`` is an H×W×C feature map."""
    require_map(shape, kind, 2)


_MAP_NAMES = {1: "an L×C (1-D)", 2: "an H×W×C", 3: "a D×H×W×C (3-D)"}


def require_map(shape: Shape, kind: str, rank: int) -> None:
    """Raise :class:`ShapeError` unless ``shape`` is a feature map of ``rank`` spatial axes."""
    if shape.spatial_rank == rank:
        return
    if shape.is_vector:
        got = f"a vector of {shape.dims[0]}: put it before any flatten or linear layer"
    elif shape.is_sequence:
        got = f"a sequence of {dims_text(shape)} (T × d)"
    else:
        got = f"a {shape.spatial_rank}-D map of {dims_text(shape)}"
    raise ShapeError(None, f"{kind} needs {_MAP_NAMES[rank]} feature map, but its input is {got}")


_TUPLE = re.compile(r"^\s*\d+(?:\s*[x×]\s*\d+)*\s*$")


def raw_tuple(value: Any, n: int) -> tuple[int, ...]:
    """An n-axis field as the YAML wrote it (``3``, ``[3, 5]``, ``"3x5"``, ``"3x3x3"``), as n
    ints: the referee's own reading, independent of :mod:`derivations.fields`."""
    if isinstance(value, str):
        if _TUPLE.match(value) is None:
            raise ValueError(f"not {n} sizes: {value!r}")
        parts = tuple(int(p) for p in re.split(r"[x×]", value))
        return parts if len(parts) == n else (parts[0],) * n
    if isinstance(value, list | tuple):
        return tuple(int(v) for v in value)
    return (int(value),) * n


def raw_pair(value: Any) -> tuple[int, int]:
    """A pair field as the YAML wrote it (``3``, ``[3, 5]``, ``"3x5"``), as two ints."""
    a, b = raw_tuple(value, 2)
    return a, b


def plain(value: Any) -> Any:
    """A PyTorch size field as a spec writes it: ``3`` for ``(3, 3)``, ``[3, 5]`` otherwise."""
    if isinstance(value, tuple | list):
        return int(value[0]) if len(set(value)) == 1 else [int(v) for v in value]
    return int(value)


LAYER_KINDS: Registry[LayerKind] = Registry("derivations.layers", "layer")
"""Every layer kind, by the name a spec uses for it (filled by the family modules as they
load; a lookup loads the module of the kind it names, see :mod:`derivations.registry`)."""

K = TypeVar("K", bound=LayerKind)


def layer_kind(cls: type[K]) -> type[K]:
    """Class decorator: file ``cls`` in :data:`LAYER_KINDS` under its ``kind`` literal."""
    LAYER_KINDS.file(cls)
    return cls
