"""Field types of the spec, each with one clear error message.

Sizes (input dimensions, filters, units, kernels, strides, paddings) may be numbers, symbol
names or expressions of them (``2*c_in``); dilations and groups must be numbers. Fields with
one value per axis may be written ``3``, ``[3, 5]`` or ``"3x5"``.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from typing import Annotated, Any

import sympy as sp
from pydantic import BaseModel, ConfigDict, PlainValidator, model_validator
from pydantic_core import PydanticCustomError

from derivations.activations import ACTIVATIONS
from derivations.expressions import ExpressionError, parse_size, size_problem

SYMBOL = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")
"""What looks like a symbol name (for hints); :func:`symbol_name` says which ones are valid."""
PRINTABLE_SYMBOL = re.compile(r"^[A-Za-z]+(?:[0-9]+|_[A-Za-z0-9]+)?$")
"""Names the key's printer typesets as one symbol: letters, then digits or ``_`` and a
subscript (``n``, ``n1``, ``n_in``, ``alpha_2``); ``n1_in`` would be a double subscript."""
PAIR_TEXT = re.compile(r"^\s*(\d{1,12})\s*[x×]\s*(\d{1,12})\s*$")
TUPLE_TEXT = re.compile(r"^\s*\d{1,12}(?:\s*[x×]\s*\d{1,12}){1,2}\s*$")
"""``3x5`` or ``3x3x3``: a kernel per axis, written as text."""
EXPRESSION_CHARS = re.compile(r"^[A-Za-z0-9_+\-*/() ]+$")
"""What a size expression may be made of (the parser then decides)."""
RESERVED = {"same", "valid"}


def fail(message: str) -> PydanticCustomError:
    """A validation error whose message is exactly ``message``."""
    return PydanticCustomError("answerkey", message)


MAX_SIZE = 10**9
"""The largest number a size, stride or count field takes: a billion channels or pixels is
beyond any network, and keeps every product PyTorch forms within 64 bits."""
MAX_NUMBER = 10**18
"""The largest magnitude of a drawn value or a constraint bound (within 64 bits)."""


def _int_or_fail(value: Any, minimum: int, what: str, maximum: int = MAX_SIZE) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        hint = ""
        if isinstance(value, str) and SYMBOL.match(value):
            hint = (
                " (a symbol is allowed only for sizes: input, filters, units, kernel, stride, "
                "padding)"
            )
        raise fail(f"expected {what}, got {value!r}{hint}"[:300])
    if value < minimum:
        raise fail(f"expected {what}, got {value}"[:300])
    if value > maximum:
        shown = str(value) if len(str(value)) < 25 else f"a number of {len(str(value))} digits"
        raise fail(f"expected {what} of at most {maximum:,}, got {shown}")
    return value


def integer(value: Any) -> int:
    """A whole number (not a boolean, text or float) of magnitude at most :data:`MAX_NUMBER`."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return -_int_or_fail(-value, 0, "an integer", MAX_NUMBER)
    return _int_or_fail(value, 0, "an integer", MAX_NUMBER)


def positive(value: Any) -> int:
    return _int_or_fail(value, 1, "a positive integer")


def non_negative(value: Any) -> int:
    return _int_or_fail(value, 0, "a non-negative integer")


@cache
def symbol_problem(name: str) -> str | None:
    """Why ``name`` cannot be a size symbol, or None.

    A name must print as one symbol (:data:`PRINTABLE_SYMBOL`), must not end in a SymPy name
    modifier whose macro no preamble loads (``xscr`` → ``\\mathscr``), and must read back
    from the JSON's SymPy text as a symbol of that name: ``I``, ``E``, ``pi``, ``oo``, ``S``,
    ``N``, ``gamma`` ... are SymPy's constants and functions, ``lambda`` a Python keyword.
    """
    if not PRINTABLE_SYMBOL.match(name) or len(name) > 31:
        return "a symbol is letters, then digits or _ and a subscript (n, n1, n_in)"
    head = name.split("_", 1)[0].rstrip("0123456789")
    if head.lower().endswith("scr") and len(head) > 3:
        return "a name ending in 'scr' prints with \\mathscr, which the key does not load"
    try:
        back = sp.sympify(name)
    except (SyntaxError, TypeError, ValueError, AttributeError, sp.SympifyError):
        return "it is not a name SymPy can read back"
    if not (isinstance(back, sp.Symbol) and back.name == name):
        return f"SymPy reads {name!r} as {type(back).__name__} {back}, not as a symbol"
    return None


def size(value: Any) -> int | str:
    """A positive integer, a symbol name such as ``n_in`` (see :func:`symbol_problem`), or an
    expression of them such as ``2*c_in`` or ``d_model/heads`` (:mod:`derivations.expressions`;
    a concrete one is kept as its integer value)."""
    return _size_or_expression(value, 1)


def _size_or_expression(value: Any, minimum: int) -> int | str:
    what = "a positive integer" if minimum else "a non-negative integer"
    if isinstance(value, str):
        if value in RESERVED:
            raise fail(f"expected {what} or a symbol name (like n_in), got {value!r}")
        if SYMBOL.match(value):
            problem = symbol_problem(value)
            if problem:
                raise fail(f"{value!r} cannot be a size symbol: {problem}")
            return value
        if not EXPRESSION_CHARS.match(value):
            raise fail(f"expected {what} or a symbol name (like n_in), got {value!r}")
        try:
            expr = parse_size(value)
        except ExpressionError as err:
            raise fail(str(err)) from None
        for name in sorted(str(s) for s in expr.free_symbols):
            problem = symbol_problem(name)
            if problem:
                raise fail(f"{name!r} in {value!r} cannot be a size symbol: {problem}")
        problem = size_problem(expr, minimum)
        if problem:
            raise fail(f"{value!r} must be {what}: {problem}")
        return int(expr) if not expr.free_symbols else value
    return _int_or_fail(value, minimum, f"{what} or a symbol name")


def non_negative_size(value: Any) -> int | str:
    """A non-negative integer, a symbol name or an expression (a padding)."""
    return _size_or_expression(value, 0)


AXES = {1: "[length]", 2: "[height, width]", 3: "[depth, height, width]"}


def _tuple(value: Any, item: Any, n: int) -> tuple[Any, ...]:
    if isinstance(value, str) and TUPLE_TEXT.match(value):
        parts = re.split(r"\s*[x×]\s*", value.strip())
        if len(parts) != n:
            raise fail(f"expected one value or {n} {AXES[n]}, got {value!r}")
        return tuple(item(int(p)) for p in parts)
    if isinstance(value, list):
        if len(value) != n:
            if n == 2:
                raise fail(f"expected one value or two [height, width], got {len(value)} values")
            raise fail(f"expected one value or {n} {AXES[n]}, got {len(value)} values")
        return tuple(item(v) for v in value)
    one = item(value)
    return (one,) * n


def _pair(value: Any, item: Any) -> tuple[Any, Any]:
    a, b = _tuple(value, item, 2)
    return a, b


def size_pair(value: Any) -> tuple[int | str, int | str]:
    return _pair(value, size)


def positive_pair(value: Any) -> tuple[int, int]:
    return _pair(value, positive)


def padding(value: Any) -> tuple[int, int] | str:
    if isinstance(value, str) and value in RESERVED:
        return value
    return _pair(value, non_negative)


def size_tuple(n: int) -> Any:
    """Validator of an n-axis size field (a kernel): one value for every axis, or n."""
    return lambda value: _tuple(value, size, n)


def positive_tuple(n: int) -> Any:
    """Validator of an n-axis field of positive integers (a dilation)."""
    return lambda value: _tuple(value, positive, n)


def non_negative_size_tuple(n: int) -> Any:
    """Validator of an n-axis field of non-negative sizes (a transposed convolution's
    padding): numbers, symbols or expressions."""
    return lambda value: _tuple(value, non_negative_size, n)


def non_negative_tuple(n: int) -> Any:
    """Validator of an n-axis field of non-negative integers (an ``output_padding``)."""
    return lambda value: _tuple(value, non_negative, n)


def padding_tuple(n: int) -> Any:
    """Validator of an n-axis padding: ``same``, ``valid``, or non-negative sizes (numbers,
    symbols or expressions)."""

    def check(value: Any) -> tuple[int | str, ...] | str:
        if isinstance(value, str) and value in RESERVED:
            return value
        return _tuple(value, non_negative_size, n)

    return check


def activation_name(value: Any) -> str:
    """The name of an activation in the table (``relu``, ``tanh``, ...)."""
    if not isinstance(value, str) or value not in ACTIVATIONS:
        near = difflib.get_close_matches(str(value), list(ACTIVATIONS), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise fail(f"expected one of {', '.join(ACTIVATIONS)}, got {value!r}{hint}")
    return value


MAX_LINE = 300
"""Characters in a one-line field (a title, a name); a title is a line, not a page."""
MAX_PARAGRAPH = 20_000
"""Characters in a question's text or note: several pages of prose."""
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 (but tab and line feed), DEL and C1: characters with no glyph."""
LINE_BREAKS = re.compile(r"\s*(?:\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029])\s*")


def _plain(value: Any, limit: int, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise fail(f"expected text, got {type(value).__name__}")
    text = getattr(value, "written", None) or str(value)  # a number as the spec wrote it
    if len(text) > limit:
        raise fail(f"this {what} has {len(text):,} characters; at most {limit:,}")
    return text


def text(value: Any) -> str:
    """A one-line text field (title, name, id); numbers are accepted and kept as written.
    Line breaks become spaces (a blank line would end a TeX argument); control characters
    are kept, and printed visibly (the key's escaping)."""
    return LINE_BREAKS.sub(" ", _plain(value, MAX_LINE, "line")).strip()


def paragraph(value: Any) -> str:
    """Prose (a question's text, a note): line breaks are kept, written as ``\\n``."""
    text = _plain(value, MAX_PARAGRAPH, "text")
    return re.sub(r"\r\n?|[\v\f\x1c-\x1e\x85\u2028\u2029]", "\n", text)


Positive = Annotated[int, PlainValidator(positive)]
Integer = Annotated[int, PlainValidator(integer)]
NonNegativeSize = Annotated[int | str, PlainValidator(non_negative_size)]
SizeT = tuple[int | str, ...]
"""An n-axis size field's value: each item an int, a symbol or an expression."""
Sizes1 = Annotated[SizeT, PlainValidator(size_tuple(1))]
Sizes2 = Annotated[SizeT, PlainValidator(size_tuple(2))]
Sizes3 = Annotated[SizeT, PlainValidator(size_tuple(3))]
Positives1 = Annotated[tuple[int, ...], PlainValidator(positive_tuple(1))]
Positives2 = Annotated[tuple[int, ...], PlainValidator(positive_tuple(2))]
Positives3 = Annotated[tuple[int, ...], PlainValidator(positive_tuple(3))]
Offsets1 = Annotated[SizeT, PlainValidator(non_negative_size_tuple(1))]
Offsets2 = Annotated[SizeT, PlainValidator(non_negative_size_tuple(2))]
Offsets3 = Annotated[SizeT, PlainValidator(non_negative_size_tuple(3))]
NonNegatives1 = Annotated[tuple[int, ...], PlainValidator(non_negative_tuple(1))]
NonNegatives2 = Annotated[tuple[int, ...], PlainValidator(non_negative_tuple(2))]
NonNegatives3 = Annotated[tuple[int, ...], PlainValidator(non_negative_tuple(3))]
Paddings1 = Annotated[SizeT | str, PlainValidator(padding_tuple(1))]
Paddings2 = Annotated[SizeT | str, PlainValidator(padding_tuple(2))]
Paddings3 = Annotated[SizeT | str, PlainValidator(padding_tuple(3))]
NonNegative = Annotated[int, PlainValidator(non_negative)]
Size = Annotated[int | str, PlainValidator(size)]
SizePair = Annotated[tuple[int | str, int | str], PlainValidator(size_pair)]
PositivePair = Annotated[tuple[int, int], PlainValidator(positive_pair)]
Padding = Annotated[tuple[int, int] | str, PlainValidator(padding)]
Text = Annotated[str, PlainValidator(text)]
Paragraph = Annotated[str, PlainValidator(paragraph)]
ActivationName = Annotated[str, PlainValidator(activation_name)]
"""A name in :data:`derivations.activations.ACTIVATIONS`."""


class Strict(BaseModel):
    """Base of every spec model: frozen, and an unknown field is an error that names the
    nearest known field. Each model builds its validator when it first validates (a spec
    names a few of the kinds there are: the others are never built)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            name = cls.__name__.removesuffix("Spec").lower() or "value"
            raise fail(
                f"expected a mapping of fields for this {name}, got {type(data).__name__} {data!r}"[
                    :200
                ]
            )
        known = set(cls.model_fields)
        for key in data:
            if key not in known:
                near = difflib.get_close_matches(str(key), sorted(known), n=1)
                hint = (
                    f"; did you mean {near[0]!r}?"
                    if near
                    else f"; known fields: {', '.join(sorted(known))}"
                )
                raise PydanticCustomError(
                    "unknown_field", "unknown field '{field}'{hint}", {"field": key, "hint": hint}
                )
        return data
