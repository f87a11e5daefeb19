"""The spec: exam metadata, conventions, problems with networks and parts.

:func:`load_spec` is the one way in: YAML with positions, pydantic validation, every network
analysed once, and any error turned into one :class:`SpecError` that names file, line, column
and field.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from answerkey.errors import SpecError
from answerkey.spec_network import NetworkSpec
from answerkey.spec_questions import AnyQuestion, Context
from answerkey.spec_types import Positive, Strict, Text, fail
from answerkey.yamlpos import Loc, Located, dotted, load_yaml
from derivations.conventions import Conventions
from derivations.network import Analysis, analyze
from derivations.shapes import DerivationError


class ConventionsSpec(Strict):
    """Counting conventions; any field left out keeps the enclosing (or default) value."""

    bias: bool | None = None
    ops: Literal["mac", "flop"] | None = None
    pool_ops: Literal["window", "none"] | None = None
    rounding: Literal["floor"] | None = None

    def apply(self, base: Conventions) -> Conventions:
        return base.override(
            bias=self.bias, ops=self.ops, pool_ops=self.pool_ops, rounding=self.rounding
        )


class PartSpec(Strict):
    """One lettered part. ``ask`` is a question kind, a mapping, or a list of them."""

    id: Text
    points: Positive | None = None
    text: Text
    note: Text | None = None
    ask: list[AnyQuestion] = Field(default_factory=list)
    subparts: list[PartSpec] = Field(default_factory=list)

    @field_validator("ask", mode="before")
    @classmethod
    def _ask_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [{"kind": value}]
        if isinstance(value, dict):
            return [value]
        return value

    @property
    def total_points(self) -> int | None:
        if self.points is not None:
            return self.points
        sub = [p.total_points for p in self.subparts]
        return sum(p for p in sub if p) if any(sub) else None


class ProblemSpec(Strict):
    id: Text
    title: Text
    text: Text = ""
    note: Text | None = None
    points: Positive | None = None
    conventions: ConventionsSpec | None = None
    networks: dict[str, NetworkSpec] = Field(default_factory=dict)
    parts: list[PartSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _points_add_up(self) -> ProblemSpec:
        parts = [p.total_points for p in self.parts]
        known = self.points is not None and all(p is not None for p in parts)
        if known and sum(p for p in parts if p) != self.points:
            raise fail(
                f"the parts' points add up to {sum(p for p in parts if p)}, not {self.points}"
            )
        return self


class Spec(Strict):
    """A problem set: what the question sheet and the answer key are made from."""

    title: Text
    course: Text | None = None
    date: Text | None = None
    instructions: Text | None = None
    conventions: ConventionsSpec = ConventionsSpec()
    problems: list[ProblemSpec] = Field(min_length=1)
    variables: dict[str, Any] = Field(default_factory=dict)  # see answerkey.variables
    constraints: list[Any] = Field(default_factory=list)

    @field_validator("problems")
    @classmethod
    def _unique_ids(cls, problems: list[ProblemSpec]) -> list[ProblemSpec]:
        ids = [p.id for p in problems]
        for i, pid in enumerate(ids):
            if pid in ids[:i]:
                raise fail(f"problem id {pid!r} is used twice")
        return problems


@dataclass(frozen=True)
class LoadedProblem:
    spec: ProblemSpec
    conventions: Conventions
    context: Context


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec with every network analysed; ``located`` maps fields to lines."""

    name: str
    spec: Spec
    problems: tuple[LoadedProblem, ...]
    located: Located

    def error(self, loc: Loc, err: DerivationError) -> SpecError:
        """A derivation error, placed at ``loc`` plus the field the error names."""
        full = _clean(self.located.data, (*loc, err.field) if err.field else loc)
        return SpecError(self.located.where(full), dotted(full) or None, err.message)


def _clean(data: Any, loc: Loc) -> Loc:
    """The loc as the user wrote the field path: union tags, validator names and the index
    of a value the spec gave unlisted (``ask: {...}`` for ``ask: [{...}]``) dropped."""
    shown: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (part.startswith("function-") or "[" in part):
            continue
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        elif (isinstance(data, dict) and data.get("kind") == part) or (
            isinstance(part, int) and not isinstance(data, list)
        ):
            continue
        else:
            data = None
        shown.append(part)
    return tuple(shown)


def _from_validation(located: Located, err: ValidationError) -> SpecError:
    first = err.errors(include_url=False)[0]
    loc: Loc = tuple(first["loc"])
    ctx = first.get("ctx") or {}
    kind, msg = first["type"], first["msg"]
    at_key = False
    if kind == "unknown_field":
        loc, at_key = (*loc, ctx["field"]), True
    elif kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        near = difflib.get_close_matches(str(ctx.get("tag")), tags, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        msg = f"unknown kind {ctx.get('tag')!r}{hint} (known: {', '.join(tags)})"
        loc = (*loc, "kind")
    elif kind == "union_tag_not_found":
        msg = f"missing field 'kind' (one of: {ctx.get('discriminator', 'kind')})"
    elif kind == "missing":
        msg = f"missing required field {loc[-1]!r}"
    elif kind == "literal_error":
        msg = f"expected {ctx.get('expected')}, got {first.get('input')!r}"
    elif kind.endswith("_type") or kind.endswith("_parsing"):
        msg = f"{msg.lower()}, got {first.get('input')!r}"[:300]
    elif kind == "too_short":
        msg = f"expected at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    clean = _clean(located.data, loc)
    return SpecError(located.where(clean, at_key=at_key), dotted(clean) or None, msg)


def validate(located: Located, data: Any, name: str) -> LoadedSpec:
    """Validate ``data`` (the spec's values, positions in ``located``) and analyse every
    network; raise :class:`SpecError` with a location if any step fails."""
    try:
        spec = Spec.model_validate(data)
    except ValidationError as err:
        raise _from_validation(located, err) from None
    base = spec.conventions.apply(Conventions())
    loaded = LoadedSpec(name, spec, (), located)
    problems = []
    for i, problem in enumerate(spec.problems):
        conventions = problem.conventions.apply(base) if problem.conventions else base
        analyses: dict[str, Analysis] = {}
        for net_name, net in problem.networks.items():
            loc: Loc = ("problems", i, "networks", net_name)
            try:
                analyses[net_name] = analyze(net.to_model(net_name, loc), conventions)
            except DerivationError as err:
                raise loaded.error(err.path or loc, err) from None
        problems.append(LoadedProblem(problem, conventions, Context(analyses)))
    return LoadedSpec(name, spec, tuple(problems), located)


def load_spec(path: Path, seed: int = 0) -> LoadedSpec:
    """Read, validate and analyse a spec. A spec with ``variables`` gives its first variant
    for ``seed`` (``answerkey variants`` makes many)."""
    located = load_yaml(path)
    if "variables" in located.data:
        from answerkey.variants import draw_variant  # variants build on this module

        return draw_variant(located, path.stem, seed, 1, set()).loaded
    return validate(located, located.data, path.stem)
