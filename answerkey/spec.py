"""The spec: exam metadata, conventions, problems with networks and parts.

:func:`validate` turns a spec's values into typed models and analyses every network once;
any error becomes one :class:`SpecError` that names file, line, column and field. Reading the
file, and drawing a variant's values first, is :mod:`answerkey.load`'s job.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from answerkey.blocks import BlockError, expanded_spec, original
from answerkey.errors import SpecError, SpecWarning
from answerkey.layer_table import expand_tables
from answerkey.locate import clean, from_validation
from answerkey.prose import Span, split
from answerkey.spec_network import NetworkSpec
from answerkey.spec_questions import AnyQuestion, Context
from answerkey.spec_rubric import Criterion, Rubric, check_total
from answerkey.spec_sheet import FigureSpec, SpaceSpec
from answerkey.yamlpos import Loc, Located, dotted
from derivations.conventions import Conventions
from derivations.fields import Paragraph, Positive, Strict, Text, fail, paragraph
from derivations.network import Analysis, analyze
from derivations.shapes import DerivationError


class ConventionsSpec(Strict):
    """Counting conventions; any field left out keeps the enclosing (or default) value."""

    bias: bool | None = None
    ops: Literal["mac", "flop"] | None = None
    pool_ops: Literal["window", "none"] | None = None
    rounding: Literal["floor", "ceil"] | None = None
    norm: Literal["pytorch", "keras"] | None = None
    bias_ops: bool | None = None
    norm_ops: bool | None = None
    activation_ops: bool | None = None
    join_ops: bool | None = None
    ecf_credit: float | None = Field(default=None, ge=0, le=1)  # answerkey grade
    recurrent_bias: Literal["pytorch", "keras"] | None = None

    def apply(self, base: Conventions) -> Conventions:
        return base.override(**self.model_dump())


Prose = Annotated[tuple[Span, ...], PlainValidator(lambda value: split(paragraph(value)))]
"""An instructor's answer: text with inline math in ``$...$`` (the safe subset of
:mod:`answerkey.prose`), split into text and math spans."""


class PartSpec(Strict):
    """One lettered part. ``ask`` is a question kind, a mapping, or a list of them; ``space``
    the room the question sheet leaves (:class:`~answerkey.spec_sheet.SpaceSpec`); ``bonus``
    makes its points bonus points; ``graduate`` marks it for graduate students only."""

    id: Text
    points: Positive | None = None
    text: Paragraph
    note: Paragraph | None = None
    ask: list[AnyQuestion] = Field(default_factory=list)
    subparts: list[PartSpec] = Field(default_factory=list)
    rubric: Rubric | None = None  # criteria with points: printed, and marked by answerkey grade
    answer: Prose | None = None  # the instructor's answer, printed in the key (answerkey.prose)
    space: SpaceSpec | None = None
    figures: list[FigureSpec] = Field(default_factory=list)
    bonus: bool = False
    graduate: bool = False

    @field_validator("ask", mode="before")
    @classmethod
    def _ask_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [{"kind": value}]
        if isinstance(value, dict):
            return [value]
        return value

    @field_validator("rubric")
    @classmethod
    def _rubric_total(cls, value: list[Criterion] | None, info: ValidationInfo) -> Any:
        check_total(value, info.data.get("points"))
        return value

    @property
    def total_points(self) -> int | None:
        """The part's points, bonus points not included (None if it has none)."""
        if self.bonus:
            return None
        if self.points is not None:
            return self.points
        sub = [p.total_points for p in self.subparts]
        return sum(p for p in sub if p) if any(sub) else None

    @property
    def bonus_points(self) -> int:
        """The bonus points in this part (all of its points if it is a bonus part)."""
        if self.bonus:
            if self.points is not None:
                return self.points
            return sum((p.points or 0) + p.bonus_points for p in self.subparts)
        return sum(p.bonus_points for p in self.subparts)


class ProblemSpec(Strict):
    id: Text
    title: Text
    text: Paragraph = ""
    note: Paragraph | None = None
    points: Positive | None = None
    conventions: ConventionsSpec | None = None
    networks: dict[str, NetworkSpec] = Field(default_factory=dict)
    parts: list[PartSpec] = Field(min_length=1, max_length=26)  # the exam class letters a-z
    figures: list[FigureSpec] = Field(default_factory=list)
    bonus: bool = False
    graduate: bool = False

    @model_validator(mode="after")
    def _points_add_up(self) -> ProblemSpec:
        parts = [p.total_points for p in self.parts]  # a bonus problem's parts are its points
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
    instructions: Paragraph | None = None
    note: Paragraph | None = None
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
    data: Any = None
    """The spec's values as read (after a variant's ``${name}`` substitution): the referee
    builds its PyTorch models from these, not from the validated models."""
    conventions: Conventions = field(default_factory=Conventions)
    """The spec's own conventions (its top-level ``conventions:`` over the defaults); a
    problem may override them (:attr:`LoadedProblem.conventions`)."""

    origin: Mapping[Loc, Loc] = field(default_factory=dict)
    """Where each layer that a block use expanded into is written (:mod:`answerkey.blocks`)."""

    def error(self, loc: Loc, err: DerivationError) -> SpecError:
        """A derivation error, placed at ``loc`` plus the field the error names."""
        loc = original(loc, self.origin)
        full = clean(self.located.data, (*loc, err.field) if err.field else loc)
        return SpecError(self.located.where(full), dotted(full) or None, err.message)


MAX_DEPTH = 3
"""Parts, sub-parts and sub-sub-parts: the levels the exam class typesets."""


def _check_depth(located: Located, spec: Spec) -> None:
    """A located error where parts nest deeper than :data:`MAX_DEPTH` (the key would derive
    them but the documents could not show them)."""

    def walk(parts: list[PartSpec], loc: Loc, depth: int) -> None:
        for j, part in enumerate(parts):
            here = (*loc, j)
            if part.subparts and depth == MAX_DEPTH:
                where = (*here, "subparts")
                raise SpecError(
                    located.where(where, at_key=True),
                    dotted(where),
                    f"parts nest at most {MAX_DEPTH} deep (part, sub-part, sub-sub-part)",
                )
            walk(part.subparts, (*here, "subparts"), depth + 1)

    for i, problem in enumerate(spec.problems):
        walk(problem.parts, ("problems", i, "parts"), 1)


def _warn_unanswered(located: Located, spec: Spec) -> None:
    """A :class:`SpecWarning` at every part with neither ``ask`` nor ``answer`` (nor parts of
    its own): the key has no solution for it, only its note if it has one."""

    def walk(parts: list[PartSpec], loc: Loc) -> None:
        for j, part in enumerate(parts):
            here = (*loc, j)
            if not (part.ask or part.answer or part.subparts):
                kept = " (its note is printed as the key's interpretation)" if part.note else ""
                message = (
                    f"{located.where(here, at_key=True)} {dotted(here)}: this part has neither "
                    f"ask nor answer, so the key gives no solution for it{kept}; add ask: or "
                    "answer:"
                )
                warnings.warn(SpecWarning(message), stacklevel=4)
            walk(part.subparts, (*here, "subparts"))

    for i, problem in enumerate(spec.problems):
        walk(problem.parts, ("problems", i, "parts"))


def _check_figures(
    loaded: LoadedSpec, node: ProblemSpec | PartSpec, loc: Loc, nets: Iterable[str]
) -> None:
    """Every figure of ``node`` and its parts names one of the problem's networks ``nets``
    (a located :class:`SpecError` otherwise)."""
    names = list(nets)
    for j, figure in enumerate(node.figures):
        if figure.network not in names:
            known = ", ".join(names) or "none"
            message = f"no network named {figure.network!r} in this problem (known: {known})"
            raise loaded.error((*loc, "figures", j), DerivationError("network", message))
    inner, field = (
        (node.parts, "parts") if isinstance(node, ProblemSpec) else (node.subparts, "subparts")
    )
    for k, part in enumerate(inner):
        _check_figures(loaded, part, (*loc, field, k), names)


def validate(located: Located, data: Any, name: str) -> LoadedSpec:
    """Validate ``data`` (the spec's values, positions in ``located``) and analyse every
    network; raise :class:`SpecError` with a location if any step fails."""
    expanded = expand_tables(located, data)
    if expanded is not data:  # errors are placed in the layers the tables stand for
        located, data = replace(located, data=expanded), expanded
    try:
        expanded, origin = expanded_spec(data)
    except BlockError as err:
        where = located.where(err.path, at_key=err.at_key)
        raise SpecError(where, dotted(err.path) or None, err.message) from None
    try:
        spec = Spec.model_validate(expanded)
    except ValidationError as err:
        raise from_validation(
            located, err, lambda loc: original(clean(expanded, loc), origin)
        ) from None
    _check_depth(located, spec)
    _warn_unanswered(located, spec)
    base = spec.conventions.apply(Conventions())
    loaded = LoadedSpec(name, spec, (), located, origin=origin)
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
        _check_figures(loaded, problem, ("problems", i), problem.networks)
        problems.append(LoadedProblem(problem, conventions, Context(analyses)))
    return LoadedSpec(
        name, spec, _stating(problems), located, data, _stating_base(base, problems), origin
    )


def _present(problems: list[LoadedProblem]) -> frozenset[str]:
    """What any network of the spec holds that a convention speaks of."""
    found: frozenset[str] = frozenset()
    for p in problems:
        for a in p.context.analyses.values():
            found |= a.conventions.present
    return found


def _stating_base(base: Conventions, problems: list[LoadedProblem]) -> Conventions:
    """The spec's conventions, stating those that apply to what its networks hold."""
    return replace(base, present=_present(problems))


def _stating(problems: list[LoadedProblem]) -> tuple[LoadedProblem, ...]:
    """Every problem's conventions state what the spec's networks hold (so that a problem
    that overrides nothing prints no conventions box of its own)."""
    present = _present(problems)
    out = []
    for p in problems:
        conventions = replace(p.conventions, present=present)
        analyses = {k: replace(a, conventions=conventions) for k, a in p.context.analyses.items()}
        out.append(
            replace(p, conventions=conventions, context=replace(p.context, analyses=analyses))
        )
    return tuple(out)
