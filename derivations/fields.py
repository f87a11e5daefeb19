"""Field types of the spec, each with one clear error message.

Sizes (input dimensions, filters, units, kernels) may be numbers or symbol names; strides,
dilations and groups must be numbers. Pairs may be written ``3``, ``[3, 5]`` or ``"3x5"``.
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

SYMBOL = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")
"""What looks like a symbol name (for hints); :func:`symbol_name` says which ones are valid."""
PRINTABLE_SYMBOL = re.compile(r"^[A-Za-z]+(?:[0-9]+|_[A-Za-z0-9]+)?$")
"""Names the key's printer typesets as one symbol: letters, then digits or ``_`` and a
subscript (``n``, ``n1``, ``n_in``, ``alpha_2``); ``n1_in`` would be a double subscript."""
PAIR_TEXT = re.compile(r"^\s*(\d{1,12})\s*[x×]\s*(\d{1,12})\s*$")
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
            hint = " (a symbol is allowed only for sizes: input, filters, units, kernel)"
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
    """A positive integer or a symbol name such as ``n_in`` (see :func:`symbol_problem`)."""
    if isinstance(value, str):
        if value in RESERVED or not SYMBOL.match(value):
            raise fail(f"expected a positive integer or a symbol name (like n_in), got {value!r}")
        problem = symbol_problem(value)
        if problem:
            raise fail(f"{value!r} cannot be a size symbol: {problem}")
        return value
    return _int_or_fail(value, 1, "a positive integer or a symbol name")


def _pair(value: Any, item: Any) -> tuple[Any, Any]:
    if isinstance(value, str) and (m := PAIR_TEXT.match(value)):
        return item(int(m.group(1))), item(int(m.group(2)))
    if isinstance(value, list):
        if len(value) != 2:
            raise fail(f"expected one value or two [height, width], got {len(value)} values")
        return item(value[0]), item(value[1])
    one = item(value)
    return one, one


def size_pair(value: Any) -> tuple[int | str, int | str]:
    return _pair(value, size)


def positive_pair(value: Any) -> tuple[int, int]:
    return _pair(value, positive)


def padding(value: Any) -> tuple[int, int] | str:
    if isinstance(value, str) and value in RESERVED:
        return value
    return _pair(value, non_negative)


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
    text = str(value)
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
    nearest known field."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

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
