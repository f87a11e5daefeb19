"""What a key asks a student for, value by value: the items a grader marks.

Every value the variants manifest has a column for is an item here, under the same name
(``1(e)``, ``3(a) Conv-2 Output size``, ``4(b).3 5×5 conv``), plus each matrix size of a
computational graph (``2(b) edge W→z``) and of the backprop working. An item knows its expected
value, how to read an answer (:data:`ItemKind`), how the key worked it out, which earlier
items it is computed from (for error carried forward), and the values that named
misconceptions give (:mod:`answerkey.grading.rules`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import sympy as sp

from answerkey.derive import Key, KeyedPart
from answerkey.grading import rules
from answerkey.grading.asked import asked_elsewhere
from answerkey.grading.asked import head as head_of
from answerkey.grading.recompute import Recomputed, forward, hwc_of, row_values, subscript
from answerkey.latex import step_tex
from derivations.answers import Answer, ComputeGraphFigure, Step, Table
from derivations.formula import Formula, int_value
from derivations.layers.base import Count, LayerResult
from derivations.network import Analysis
from derivations.shapes import Shape

ItemKind = Literal["count", "shape", "real", "symbolic", "symbolic_shape", "text"]
Values = Mapping[str, Any]
Ecf = Callable[[Values], Recomputed | None]
"""From the student's parsed values (by item id), what this item's value follows to."""


@dataclass(frozen=True)
class Item:
    """One value a student gives. ``group`` is the part whose points it shares."""

    id: str
    group: str
    kind: ItemKind
    expected: Any
    working: str = ""
    sources: tuple[str, ...] = ()
    ecf: Ecf | None = field(default=None, compare=False)
    mistakes: tuple[rules.Mistake, ...] = ()
    accept: tuple[Any, ...] = ()  # other forms that are right (a flattened input size)
    points: float = 0.0
    ecf_credit: float = 1.0  # share of ``points`` an ECF value earns (its problem's conventions)


def _kind(value: Any) -> tuple[ItemKind, Any] | None:
    if value is None:
        return None
    if isinstance(value, Shape):
        hwc = hwc_of(value)
        return ("shape", hwc) if hwc is not None else ("symbolic_shape", tuple(value.hwc()))
    if isinstance(value, str):
        return "text", value
    expr = sp.sympify(value)
    if expr.free_symbols:
        return "symbolic", expr
    if int_value(expr) is not None:
        return "count", int_value(expr)
    return "real", sp.Rational(expr) if expr.is_Rational else expr


def _work(formula: Formula | None, label: str = "") -> str:
    return step_tex(Step(label, formula)) if formula is not None else ""


class _Builder:
    """Walks a key in document order, naming items as the variants manifest does."""

    def __init__(self, key: Key) -> None:
        self.key = key
        self.items: list[Item] = []
        self.labels: dict[tuple[str, str], str] = {}  # (family, layer label) → item id
        self.layers: list[tuple[str, Analysis, LayerResult]] = []
        self.credit = 1.0
        self.unmarked: dict[str, str] = {}  # values another question asks for (.asked)

    def add(self, item: Item) -> None:
        names = {i.id for i in self.items}
        name, n = item.id, 2
        while name in names:
            name, n = f"{item.id} #{n}", n + 1
        wrong = tuple(m for m in item.mistakes if m.value != item.expected)  # C_in = 1, say
        self.items.append(replace(item, id=name, ecf_credit=self.credit, mistakes=wrong))

    def run(self) -> list[Item]:
        for problem in self.key.problems:
            self.labels.clear()
            self.credit = problem.loaded.conventions.ecf_credit
            self.unmarked = asked_elsewhere(problem)
            self.layers = [
                (row.label, a, res)
                for a in problem.loaded.context.analyses.values()
                for row, res in a.layers()
            ]
            for part in problem.parts:
                self.part(part, part.label)
        return self.items

    def part(self, part: KeyedPart, group: str) -> None:
        own = part.label if part.spec.points is not None else group
        for k, answer in enumerate(part.answers):
            self.answer(answer, head_of(part, k), own)
        for sub in part.subparts:
            self.part(sub, sub.label if sub.spec.points is not None else own)

    def answer(self, answer: Answer, head: str, group: str) -> None:
        detailed = answer.step_columns
        steps = (
            [self.step_item(s, f"{head} {s.label}", group) for s in answer.steps]
            if (detailed)
            else []
        )
        if answer.table is not None:
            self.table(answer.table, head, group)
        elif answer.value is not None and head not in self.unmarked:
            self.headline(answer, head, group, steps)
        for item in steps:
            if item is not None:
                self.add(item)
        if isinstance(answer.figure, ComputeGraphFigure):
            for a, b, size in answer.figure.edges:
                if size:
                    self.add(self.matrix(f"{head} edge {a}→{b}", tuple(size), group))
        for s in answer.steps:
            if s.shape and "backprop" in answer.kind:
                self.add(self.matrix(f"{head} {s.label} size", tuple(s.shape), group))

    def matrix(self, name: str, size: tuple[int, ...], group: str) -> Item:
        return Item(name, group, "shape", size, mistakes=rules.matrix_mistakes(size))

    def layer_of(self, label: str, value: object = None) -> tuple[Analysis, LayerResult] | None:
        """The layer a step or row names; where two networks share the name, the one whose
        weight or operation count is ``value``."""
        name = label.removesuffix(" weights")
        found = [(a, r) for n, a, r in self.layers if n == name]
        for a, r in found:
            counts = (r.count(Count.WEIGHTS), a.ops(r), r.count(Count.MACS))
            if value is not None and value in counts:
                return a, r
        return found[0] if found else None

    def step_item(self, step: Step, name: str, group: str) -> Item | None:
        kind = _kind(step.formula.value)
        if kind is None:
            return None
        layer = self.layer_of(step.label, step.formula.value)
        family = rules.family(step.formula)
        if family:
            self.labels[(family, step.label.removesuffix(" weights"))] = name
        found = rules.step_mistakes(step.formula, layer, family)
        return Item(name, group, kind[0], kind[1], _work(step.formula), mistakes=found)

    def headline(self, answer: Answer, head: str, group: str, steps: list[Item | None]) -> None:
        kind = _kind(answer.value)
        if kind is None:
            return
        total = next((s.formula for s in reversed(answer.steps) if s.label == "Total"), None)
        sum_expr = answer.sum
        ecf: Ecf | None = None
        sources: tuple[str, ...] = ()
        terms: list[sp.Expr] = []
        formula: Formula | None = None
        if total is not None:
            formula = total
        elif isinstance(sum_expr, sp.Expr) and answer.steps:
            syms = sorted(sum_expr.free_symbols, key=str)
            pairs = tuple((s, self._term_value(s, answer.steps)) for s in syms)
            formula = Formula(sp.Symbol("N"), sum_expr, pairs)
        if formula is not None and formula.values:
            links = {}
            for sym, _ in formula.values:
                fam = rules.family_of_symbol(sym)
                src = self.labels.get((fam, subscript(sym))) if fam else None
                if src is not None:
                    links[sym] = src
            if len(links) == len(formula.values):
                sources = tuple(links.values())
                ecf = _sum_ecf(formula, links)
            terms = [v for _, v in formula.values]
        elif len(answer.steps) == 1 and kind[0] == "count":
            formula = answer.steps[0].formula
            fam = rules.family(formula)
            if fam:
                self.labels[(fam, answer.steps[0].label.removesuffix(" weights"))] = head
        layer = (  # one layer's count: its weights (and biases) step names the layer
            self.layer_of(answer.steps[0].label, answer.steps[0].formula.value)
            if len(answer.steps) == 1 or answer.kind == "layer_params"
            else None
        )
        every = [
            lr
            for sym, term in (formula.values if formula is not None and terms else ())
            if (lr := self.layer_of(subscript(sym), term)) is not None
        ]
        found = rules.headline_mistakes(answer, formula, terms, layer, every)
        self.add(Item(head, group, kind[0], kind[1], _work(formula), sources, ecf, found))

    @staticmethod
    def _term_value(symbol: sp.Symbol, steps: tuple[Step, ...]) -> sp.Expr:
        label = subscript(symbol)
        for s in steps:
            if s.label.removesuffix(" weights") == label:
                return s.formula.value
        return sp.Integer(0)

    def table(self, table: Table, head: str, group: str) -> None:
        cols = table.columns[1:]
        prev_out: str | None = None
        for row in table.rows:
            label = str(row[0])
            layer = self.layer_of(label)
            names = {c: f"{head} {label} {c}".strip() for c in cols}
            for column, cell in zip(cols, row[1:], strict=True):
                kind = _kind(cell)
                if kind is None or names[column] in self.unmarked:
                    continue
                if layer is None:
                    self.add(Item(names[column], group, kind[0], kind[1]))
                    continue
                analysis, result = layer
                if column == "Kernel size" and result.kernel is None:
                    kind = ("text", str(cell))
                elif column == "Kernel size":
                    kernel = row_values(analysis, result)["Kernel size"].value
                    kind = ("shape", kernel)
                self.add(self.cell(names, column, kind, analysis, result, prev_out, group))
            if "Output size" in names:
                prev_out = names["Output size"]

    def cell(
        self,
        names: dict[str, str],
        column: str,
        kind: tuple[ItemKind, Any],
        analysis: Analysis,
        result: LayerResult,
        prev_out: str | None,
        group: str,
    ) -> Item:
        name = names[column]
        accept: tuple[Any, ...] = ()
        if column == "Input size":
            sources = (prev_out,) if prev_out else ()
            ecf = _copy_ecf(prev_out) if prev_out else None
            if kind[0] == "shape" and len(kind[1]) == 3 and result.kernel is None:
                accept = ((kind[1][0] * kind[1][1] * kind[1][2],),)  # flattened for a dense layer
            return Item(name, group, kind[0], kind[1], "", sources, ecf, (), accept)
        source = names.get("Input size")
        known = row_values(analysis, result).get(column)
        working = _work(known.formula) if known and column != "Params (with biases)" else ""
        found = rules.cell_mistakes(column, analysis, result)
        ecf = _row_ecf(analysis, result, column, source) if source else None
        return Item(name, group, kind[0], kind[1], working, (source,) if source else (), ecf, found)


def _copy_ecf(source: str) -> Ecf:
    def ecf(values: Values) -> Recomputed | None:
        given = values.get(source)
        return Recomputed(given, None) if isinstance(given, tuple) else None

    return ecf


def _row_ecf(analysis: Analysis, result: LayerResult, column: str, source: str) -> Ecf:
    def ecf(values: Values) -> Recomputed | None:
        given = values.get(source)
        if not isinstance(given, tuple) or len(given) not in (1, 3):
            return None
        again = forward(result, given)
        return row_values(analysis, again).get(column) if again is not None else None

    return ecf


def _sum_ecf(formula: Formula, links: Mapping[sp.Symbol, str]) -> Ecf:
    def ecf(values: Values) -> Recomputed | None:
        given = {sym: values.get(src) for sym, src in links.items()}
        if any(not isinstance(v, (int, sp.Expr)) for v in given.values()):
            return None  # a blank or unreadable term (a student's formula is an Expr)
        again = Formula(
            formula.lhs, formula.rhs, tuple((s, sp.sympify(given[s])) for s, _ in formula.values)
        )
        value = again.value
        return Recomputed(value if value.free_symbols else int_value(value), again)

    return ecf


def items_of(key: Key) -> list[Item]:
    """Every item of a key, in document order, without points (see :func:`.points.allot`)."""
    return _Builder(key).run()


def iter_groups(items: list[Item]) -> Iterator[tuple[str, list[Item]]]:
    """Items by the part whose points they share, in order."""
    seen: dict[str, list[Item]] = {}
    for item in items:
        seen.setdefault(item.group, []).append(item)
    yield from seen.items()
