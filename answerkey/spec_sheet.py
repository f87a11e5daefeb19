"""What the question sheet shows besides the questions: answer space and figures.

A part's ``space`` says how much room the student gets: a height (``6cm``), ruled lines
(``{lines: 8}``), ``table`` (the part's table printed empty, its given cells filled) or
``none``. A problem or part lists ``figures`` to show with its question: a network drawn as a
module graph or a layer stack with its layers' names and given settings but no computed size,
on the sheet and in the key alike (a stack with ``answers`` shows them in the key).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, model_validator

from derivations.fields import Positive, Strict, Text, fail

LENGTH = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,2})?)\s*(cm|mm|in|pt)\s*$")
MAX_HEIGHT_CM = 24.0
"""No answer space is taller than a page's text."""
_CM = {"cm": 1.0, "mm": 0.1, "in": 2.54, "pt": 2.54 / 72.27}


def length(value: Any) -> str:
    """A height such as ``6cm``, ``45mm``, ``2in`` or ``120pt``, written back as ``6.0cm``."""
    match = LENGTH.match(value) if isinstance(value, str) else None
    if match is None:
        raise fail(f"expected a height such as 6cm, 45mm or 2in, got {value!r}"[:200])
    cm = float(match.group(1)) * _CM[match.group(2)]
    if not 0 < cm <= MAX_HEIGHT_CM:
        raise fail(f"expected a height above 0 and at most {MAX_HEIGHT_CM:g}cm, got {value!r}")
    return f"{cm:.2f}cm"


Length = Annotated[str, PlainValidator(length)]


class SpaceSpec(Strict):
    """Room to answer in: ``height`` (a box), ``lines`` (ruled lines), ``table`` (the empty
    table) or ``none``; one of them."""

    height: Length | None = None
    lines: Positive | None = None
    table: bool = False
    none: bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if value in ("table", "none"):
            return {value: True}
        if isinstance(value, str):
            return {"height": value}
        if isinstance(value, int) and not isinstance(value, bool):
            raise fail(f"expected a height with its unit (6cm), {{lines: {value}}} or table")
        return value

    @model_validator(mode="after")
    def _one(self) -> SpaceSpec:
        given = [self.height is not None, self.lines is not None, self.table, self.none]
        if sum(given) != 1:
            raise fail("give one of height, lines, table or none")
        if self.lines is not None and self.lines > 40:
            raise fail(f"at most 40 lines fit a page, got {self.lines}")
        return self


FigureStyle = Literal["graph", "stack", "boxes"]


class FigureSpec(Strict):
    """A figure shown with the question: ``network`` (one of the problem's networks) drawn
    without its computed sizes, as a module graph (``style: graph``) or a layer stack
    (``stack``: flat blocks; ``boxes``: 3-D boxes); ``caption`` under it. With ``answers``
    the key's layer stack shows each layer's output size, parameters and operations (the
    sheet never does)."""

    network: Text = Field(description="one of the problem's networks")
    caption: Text | None = Field(default=None, description="a line under the figure")
    style: FigureStyle = Field(
        default="graph",
        description="`graph`: a module graph; `stack`: a layer stack of flat blocks, "
        "top-down, residual arrows and branches side by side; `boxes`: the stack as 3-D boxes",
    )
    answers: bool = Field(
        default=False,
        description="a `stack` or `boxes` figure shows in the key each layer's output size, "
        "parameters and operations (the sheet shows none of them)",
    )

    @model_validator(mode="after")
    def _answers_on_a_stack(self) -> FigureSpec:
        if self.answers and self.style == "graph":
            raise fail("answers: a module graph shows no answers; use style: stack or boxes")
        return self
