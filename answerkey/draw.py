"""Drawing a randomized spec's variants: values, constraints, and the spec they make.

Variant *i* of master seed *S* draws with its own seed (a hash of *S* and *i*), so any variant
can be rebuilt alone and the same spec and seed always give the same values. A draw that
breaks a constraint — or makes a network impossible — is drawn again, at most
:data:`MAX_TRIES` times; a draw equal to an earlier variant's is drawn again too.

This module sits between validation (:func:`answerkey.spec.validate`) and loading
(:func:`answerkey.load.load_spec`); building and typesetting variants is
:mod:`answerkey.variants`.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from answerkey.errors import SpecError
from answerkey.expr import ExprError
from answerkey.locate import from_validation
from answerkey.spec import LoadedSpec, validate
from answerkey.variables import DrawError, RandomSection, draw, evaluate, names_in, substitute
from answerkey.yamlpos import Located, dotted, load_yaml
from derivations.layers import LayerResult

MAX_TRIES = 300
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,30}$")


@dataclass(frozen=True)
class Variant:
    index: int  # 1-based
    seed: int
    values: dict[str, int]
    loaded: LoadedSpec

    @property
    def id(self) -> str:
        return f"v{self.index:03d}"


def variant_seed(master: int, index: int) -> int:
    """A stable 63-bit seed for variant ``index`` of ``master``."""
    digest = hashlib.sha256(f"answerkey-variant:{master}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def random_section(located: Located) -> RandomSection:
    """The ``variables`` and ``constraints``, validated, every name they use defined."""
    data = {k: located.data[k] for k in ("variables", "constraints") if k in located.data}
    try:
        section = RandomSection.model_validate(data)
    except ValidationError as err:
        raise from_validation(located, err) from None
    _check_names(located, section)
    return section


def _check_names(located: Located, section: RandomSection) -> None:
    """Each variable name an identifier; each name an expression or constraint uses defined."""
    defined = set(section.variables)

    def unknown(loc: tuple[str | int, ...], names: set[str]) -> None:
        missing = sorted(names - defined)
        if missing:
            known = ", ".join(sorted(defined)) or "none"
            raise SpecError(
                located.where(loc),
                dotted(loc),
                f"unknown variable {missing[0]!r} (defined: {known})",
            )

    for name, var in section.variables.items():
        if not NAME.match(name):
            raise SpecError(
                located.where(("variables", name), at_key=True),
                dotted(("variables", name)),
                "a variable name is a letter or _, then letters, digits or _ (at most 31)",
            )
        if var.expr is not None:
            unknown(("variables", name, "expr"), names_in(var.expr))
    for i, c in enumerate(section.constraints):
        if c.kind == "distinct":
            unknown(("constraints", i, "variables"), set(c.variables or []))
        if c.expr is not None:
            unknown(("constraints", i, "expr"), names_in(c.expr))


def _pure_violation(located: Located, section: RandomSection, values: dict[str, int]) -> str | None:
    for i, c in enumerate(section.constraints):
        if c.kind == "distinct":
            picked = [values[v] for v in c.variables or [] if v in values]
            if len(set(picked)) != len(picked):
                return c.describe()
        if c.kind == "check" and c.expr is not None:
            try:
                holds = evaluate(c.expr, values)
            except ExprError as err:
                loc = ("constraints", i, "expr")
                raise SpecError(located.where(loc), dotted(loc), f"{c.expr!r}: {err}") from None
            if not holds:
                return c.describe()
    return None


def _network_violation(located: Located, section: RandomSection, loaded: LoadedSpec) -> str | None:
    analyses = {name: a for p in loaded.problems for name, a in p.context.analyses.items()}

    def number(i: int, value: Any) -> Any:
        """A constraint compares numbers: a size left as a symbol is the author's error."""
        symbols = getattr(value, "free_symbols", None)
        if symbols:
            loc = ("constraints", i)
            raise SpecError(
                located.where(loc),
                dotted(loc),
                f"{section.constraints[i].kind} needs numbers, but the networks have the "
                f"symbol(s) {', '.join(sorted(map(str, symbols)))}; draw them as variables",
            )
        return value

    for i, c in enumerate(section.constraints):
        if c.kind == "exact_strides":
            for name in c.networks or list(analyses):
                if any(r.floored for _, r in analyses[name].layers()):
                    return c.describe()
        elif c.kind == "min_size":
            for a in analyses.values():
                for row in a.rows:
                    s = row.out_shape
                    if s.is_image and (
                        number(i, s.height) < (c.size or 1) or number(i, s.width) < (c.size or 1)
                    ):
                        return c.describe()
        elif c.kind in ("params_between", "ops_between"):
            a = analyses[c.network or ""]
            per: Callable[[LayerResult], Any] = a.params if c.kind == "params_between" else a.ops
            value = number(i, sum(per(r) for _, r in a.layers()))
            if (c.min is not None and value < c.min) or (c.max is not None and value > c.max):
                return c.describe()
    return None


def draw_variant(
    located: Located, name: str, master: int, index: int, taken: set[tuple[tuple[str, int], ...]]
) -> Variant:
    """Variant ``index``: the first draw (from its own seed) that meets every constraint and
    differs from the draws in ``taken``."""
    section = random_section(located)
    for c in section.constraints:
        for net in [*(c.networks or []), *([c.network] if c.network else [])]:
            known = {
                n
                for p in located.data.get("problems", [])
                if isinstance(p, dict)
                for n in (p.get("networks") or {})
            }
            if net not in known:
                raise SpecError(
                    located.where(("constraints",)), "constraints", f"no network named {net!r}"
                )
    seed = variant_seed(master, index)
    rng = random.Random(seed)
    failures: Counter[str] = Counter()
    last_error: SpecError | None = None
    for _ in range(MAX_TRIES):
        try:
            values = draw(section.variables, rng)
        except DrawError as err:
            loc: tuple[str | int, ...] = (
                ("variables", err.name, "expr") if err.name else ("variables",)
            )
            raise SpecError(located.where(loc), dotted(loc), str(err)) from None
        if tuple(sorted(values.items())) in taken:
            failures["differs from the earlier variants"] += 1
            continue
        reason = _pure_violation(located, section, values)
        if reason is None:
            try:
                loaded = validate(located, substitute(located, values), name)
            except SpecError as err:
                last_error, reason = err, "the networks must be valid"
            else:
                reason = _network_violation(located, section, loaded)
                if reason is None:
                    return Variant(index, seed, values, loaded)
        failures[reason] += 1
    worst, count = failures.most_common(1)[0]
    if worst == "the networks must be valid" and last_error is not None:
        raise last_error
    if worst == "differs from the earlier variants":
        raise SpecError(
            located.where(("variables",)),
            "variables",
            f"only {index - 1} distinct variants can be drawn; asked for more",
        )
    raise SpecError(
        located.where(("constraints",)),
        "constraints",
        f"variant {index}: no draw in {MAX_TRIES} tries met the constraints; most "
        f"often broken: {worst} ({count} of {MAX_TRIES} draws)",
    )


def iter_variants(spec: Path, count: int, seed: int) -> Iterator[Variant]:
    """Variants 1..count of ``spec`` for master ``seed``, each distinct from the earlier."""
    return iter_located(load_yaml(spec), spec.stem, count, seed)


def iter_located(located: Located, name: str, count: int, seed: int) -> Iterator[Variant]:
    """:func:`iter_variants` of a spec already read; a spec without ``variables:`` is an
    error at once, not at the first draw."""
    if "variables" not in located.data:
        raise SpecError(
            str(located.path),
            "variables",
            "this spec draws nothing: add a 'variables:' section (see docs/variants.md)",
        )
    return _draws(located, name, count, seed)


def _draws(located: Located, name: str, count: int, seed: int) -> Iterator[Variant]:
    taken: set[tuple[tuple[str, int], ...]] = set()
    for i in range(1, count + 1):
        v = draw_variant(located, name, seed, i, taken)
        taken.add(tuple(sorted(v.values.items())))
        yield v


def draw_variants(spec: Path, count: int, seed: int) -> list[Variant]:
    return list(iter_variants(spec, count, seed))
