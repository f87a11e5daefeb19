"""Spec → answers: every part of every problem, derived.

The result is plain data (:class:`KeyedProblem`, :class:`KeyedPart`) holding the spec's text
and the derivations' :class:`~derivations.answers.Answer` objects; the JSON writer and the
templates read it, nothing here writes files or LaTeX.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from answerkey.spec import LoadedProblem, LoadedSpec, PartSpec
from derivations.answers import Answer
from derivations.shapes import DerivationError


@dataclass(frozen=True)
class KeyedPart:
    spec: PartSpec
    label: str
    answers: tuple[Answer, ...]  # one per question of ``spec.ask``, then the instructor's
    subparts: tuple[KeyedPart, ...]

    def asked(self) -> Iterator[tuple[Any, Answer]]:
        """Each question of ``spec.ask`` with the answer derived from it, in order. The
        instructor's own ``answer:`` (prose, asked by no question) follows these in
        ``answers`` and is left out."""
        derived = self.answers[: len(self.spec.ask)]
        return zip(self.spec.ask, derived, strict=True)


@dataclass(frozen=True)
class KeyedProblem:
    number: int
    loaded: LoadedProblem
    parts: tuple[KeyedPart, ...]

    @property
    def points(self) -> int | None:
        spec = self.loaded.spec
        if spec.points is not None:
            return spec.points
        pts = [p.spec.total_points for p in self.parts]
        return sum(p for p in pts if p) if any(pts) else None


@dataclass(frozen=True)
class Key:
    loaded: LoadedSpec
    problems: tuple[KeyedProblem, ...]

    def parts(self) -> Iterator[KeyedPart]:
        """Every part and sub-part, in document order."""

        def walk(parts: tuple[KeyedPart, ...]) -> Iterator[KeyedPart]:
            for part in parts:
                yield part
                yield from walk(part.subparts)

        for problem in self.problems:
            yield from walk(problem.parts)


def _part(
    loaded: LoadedSpec,
    problem: LoadedProblem,
    part: PartSpec,
    label: str,
    loc: tuple[str | int, ...],
) -> KeyedPart:
    answers = []
    for k, question in enumerate(part.ask):
        try:
            answers.append(question.derive(problem.context))
        except DerivationError as err:
            raise loaded.error((*loc, "ask", k), err) from None
    if part.answer:
        answers.append(Answer("answer", None, "", "", headline=False, prose=part.answer))
    subs = tuple(
        _part(loaded, problem, sub, f"{label}.{j + 1}", (*loc, "subparts", j))
        for j, sub in enumerate(part.subparts)
    )
    return KeyedPart(part, label, tuple(answers), subs)


def derive(loaded: LoadedSpec) -> Key:
    """Answer every question of the spec."""
    problems = []
    for i, problem in enumerate(loaded.problems):
        parts = tuple(
            _part(loaded, problem, part, f"{i + 1}({part.id})", ("problems", i, "parts", j))
            for j, part in enumerate(problem.spec.parts)
        )
        problems.append(KeyedProblem(i + 1, problem, parts))
    return Key(loaded, tuple(problems))
