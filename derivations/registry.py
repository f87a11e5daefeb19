"""A registry of kinds (layer kinds, question kinds) that loads a kind's module when a spec
first names it, and the spec field type that validates "any kind of the registry".

Each kind is one class in one module of its package, filed by a class decorator under its
``kind`` literal as the module loads. A spec names a few kinds of the dozens there are, and
building every kind's pydantic model is most of what start-up costs beyond SymPy's import;
so a lookup by name imports only the module that defines it. Which module that is, the
registry reads from the package's sources (the ``kind: Literal["name"]`` a kind declares);
that reading is only a hint: a name it does not find, a module without sources, a class that
writes its literal otherwise, all make the registry import every module, as iterating it
does. Nothing but the module itself names a new kind.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar, Union, get_args

from pydantic import BaseModel, Field, PlainValidator, TypeAdapter

M = TypeVar("M", bound=BaseModel)

KIND_LITERAL = re.compile(r"""kind\s*:\s*Literal\[\s*(["'])([^"'\\]+)\1\s*\]""")
"""How a kind's class declares its name (``kind: Literal["conv2d"] = "conv2d"``). The
pattern starts with its literal text, so that the search skips ahead to each ``kind`` (a
leading ``\\b`` would make it try every position: 3 ms of start-up for the two packages)."""


class Registry(Mapping[str, type[M]], Generic[M]):
    """Kinds by name, in the order of their modules (sorted by name) and of their classes in
    each module. ``registry[name]`` (and ``get``, ``in``) loads the module of ``name`` if it
    has not loaded yet; iterating, ``len`` and the views load every module of the package.
    ``what`` names the kind in errors (``layer``, ``question``)."""

    def __init__(self, package: str, what: str) -> None:
        self.package = package
        self.what = what
        self._kinds: dict[str, type[M]] = {}
        self._complete = False

    def file(self, cls: type[M]) -> type[M]:
        """File ``cls`` under its ``kind`` literal (ValueError if the name is taken)."""
        (name,) = get_args(cls.model_fields["kind"].annotation)
        if name in self._kinds:
            raise ValueError(f"{self.what} kind {name!r} is defined twice")
        self._kinds[name] = cls
        return cls

    def __getitem__(self, name: str) -> type[M]:
        if name not in self._kinds and not self._complete:
            module = _index(self.package).get(name) if isinstance(name, str) else None
            if module is not None:
                importlib.import_module(f"{self.package}.{module}")
            if name not in self._kinds:
                self.load_all()
        return self._kinds[name]

    def __iter__(self) -> Iterator[str]:
        self.load_all()
        return iter(self._kinds)

    def __len__(self) -> int:
        self.load_all()
        return len(self._kinds)

    def load_all(self) -> None:
        """Import every module of the package (sorted by name), then put the kinds in the
        order that importing them all from scratch files them, however they were loaded
        before: a module's kinds after those of the package's modules it imports, each
        module's in the order of its classes (the union's tags and the docs' tables list
        them so)."""
        if self._complete:
            return
        modules = _modules(self.package)
        for module in modules:
            importlib.import_module(f"{self.package}.{module}")
        rank = {module: i for i, module in enumerate(_import_order(self.package, modules))}
        order = sorted(
            enumerate(self._kinds.items()),
            key=lambda item: (rank.get(item[1][1].__module__.rsplit(".", 1)[-1], -1), item[0]),
        )
        self._kinds = {name: cls for _, (name, cls) in order}
        self._complete = True


def _modules(package: str) -> list[str]:
    path = importlib.import_module(package).__path__
    return sorted(m.name for m in pkgutil.iter_modules(path))


def _sources(package: str) -> dict[str, str]:
    """Each module of the package that has a readable source, to that source."""
    out: dict[str, str] = {}
    for folder in importlib.import_module(package).__path__:
        for module in pkgutil.iter_modules([folder]):
            try:
                out.setdefault(module.name, Path(folder, f"{module.name}.py").read_text("utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
    return out


@cache
def _index(package: str) -> dict[str, str]:
    """Each kind name the package's sources declare, to the module that declares it."""
    index: dict[str, str] = {}
    for module, text in _sources(package).items():
        for match in KIND_LITERAL.finditer(text):
            index.setdefault(match[2], module)
    return index


def _import_order(package: str, modules: list[str]) -> list[str]:
    """``modules`` in the order that importing them one by one (sorted) first runs them: each
    after the package's modules it imports at its top level (read from its source)."""
    sources = _sources(package)
    sibling = re.compile(
        rf"^(?:from\s+(?:{re.escape(package)}|)\.(\w+)\s+import|import\s+{re.escape(package)}\.(\w+))",
        re.MULTILINE,
    )
    order: list[str] = []
    seen: set[str] = set()

    def visit(module: str) -> None:
        if module in seen:
            return
        seen.add(module)
        for match in sibling.finditer(sources.get(module, "")):
            dependency = match[1] or match[2]
            if dependency in modules:
                visit(dependency)
        order.append(module)

    for module in modules:
        visit(module)
    return order


def any_kind(registry: Registry[Any], *others: type[BaseModel]) -> Any:
    """The field type "one kind of ``registry`` (or of ``others``, each with its own
    ``kind`` literal), chosen by the mapping's ``kind``".

    A mapping whose ``kind`` names a known kind is validated by that kind's model alone, so
    only the kinds a spec names ever build their schemas; anything else (no ``kind``, an
    unknown one, not a mapping, a model instance) goes to the discriminated union of every
    kind, which gives pydantic's own errors, located as before. Errors inside a kind keep
    their field paths (without the union's tag, which :func:`answerkey.locate.clean` drops
    anyway)."""
    extra = {_literal(cls): cls for cls in others}

    def validate(value: Any) -> Any:
        kind = value.get("kind") if isinstance(value, dict) else None
        if isinstance(kind, str):
            cls = extra.get(kind) or registry.get(kind)
            if cls is not None:
                return cls.model_validate(value)
        return _union(registry, others).validate_python(value)

    return Annotated[Any, PlainValidator(validate)]


def _literal(cls: type[BaseModel]) -> str:
    (name,) = get_args(cls.model_fields["kind"].annotation)
    return str(name)


_unions: dict[tuple[int, tuple[type[BaseModel], ...]], TypeAdapter[Any]] = {}


def _union(registry: Registry[Any], others: tuple[type[BaseModel], ...]) -> TypeAdapter[Any]:
    """The discriminated union of every kind of ``registry`` and ``others`` (built once)."""
    key = (id(registry), others)
    if key not in _unions:
        members = (*registry.values(), *others)
        _unions[key] = TypeAdapter(Annotated[Union[members], Field(discriminator="kind")])
    return _unions[key]
