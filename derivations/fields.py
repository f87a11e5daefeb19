"""Field types of the spec, each with one clear error message.

Sizes (input dimensions, filters, units, kernels) may be numbers or symbol names; strides,
dilations and groups must be numbers. Pairs may be written ``3``, ``[3, 5]`` or ``"3x5"``.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator, model_validator
from pydantic_core import PydanticCustomError

from derivations.activations import ACTIVATIONS

SYMBOL = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")
PAIR_TEXT = re.compile(r"^\s*(\d+)\s*[x×]\s*(\d+)\s*$")
RESERVED = {"same", "valid"}


def fail(message: str) -> PydanticCustomError:
    """A validation error whose message is exactly ``message``."""
    return PydanticCustomError("answerkey", message)


def _int_or_fail(value: Any, minimum: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        hint = ""
        if isinstance(value, str) and SYMBOL.match(value):
            hint = " (a symbol is allowed only for sizes: input, filters, units, kernel)"
        raise fail(f"expected {what}, got {value!r}{hint}")
    if value < minimum:
        raise fail(f"expected {what}, got {value}")
    return value


def positive(value: Any) -> int:
    return _int_or_fail(value, 1, "a positive integer")


def non_negative(value: Any) -> int:
    return _int_or_fail(value, 0, "a non-negative integer")


def size(value: Any) -> int | str:
    """A positive integer or a symbol name such as ``n_in``."""
    if isinstance(value, str):
        if value in RESERVED or not SYMBOL.match(value):
            raise fail(f"expected a positive integer or a symbol name (like n_in), got {value!r}")
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
    if value in RESERVED:
        return str(value)
    return _pair(value, non_negative)


def activation_name(value: Any) -> str:
    """The name of an activation in the table (``relu``, ``tanh``, ...)."""
    if not isinstance(value, str) or value not in ACTIVATIONS:
        near = difflib.get_close_matches(str(value), list(ACTIVATIONS), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise fail(f"expected one of {', '.join(ACTIVATIONS)}, got {value!r}{hint}")
    return value


def text(value: Any) -> str:
    """Plain text from the spec; numbers are accepted and kept as written."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise fail(f"expected text, got {type(value).__name__}")
    return str(value)


Positive = Annotated[int, PlainValidator(positive)]
NonNegative = Annotated[int, PlainValidator(non_negative)]
Size = Annotated[int | str, PlainValidator(size)]
SizePair = Annotated[tuple[int | str, int | str], PlainValidator(size_pair)]
PositivePair = Annotated[tuple[int, int], PlainValidator(positive_pair)]
Padding = Annotated[tuple[int, int] | str, PlainValidator(padding)]
Text = Annotated[str, PlainValidator(text)]
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
