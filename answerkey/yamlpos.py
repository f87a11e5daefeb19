"""Reading a YAML spec safely, remembering where every value came from.

PyYAML's safe composer gives nodes with line and column marks; we construct plain Python
values from them ourselves, so that every field path (``problems[0].parts[2].points``) has a
``line:column`` for error messages. The walk counts nodes, which defuses alias bombs
("billion laughs": aliases multiply a small document into billions of nodes), and files larger
than :data:`MAX_BYTES` are refused before parsing.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from answerkey.errors import SpecError

MAX_BYTES = 1_000_000
"""A spec is a page of YAML; one megabyte is far beyond any real one."""

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's composer when PyYAML has it (the same nodes and marks, many times faster)."""

MAX_NODES = 50_000
"""Values after alias expansion; a real spec has a few hundred."""

MAX_CHARS = 2_000_000
"""Characters of text after alias expansion: an alias repeats its whole text, so a 100 KB
string named a thousand times would be 100 MB of LaTeX; counted, not nodes alone."""

MAX_DEPTH = 64
"""Nesting of mappings and lists; a spec with parallel branches inside branches is ~20 deep."""

Loc = tuple[str | int, ...]


@dataclass
class Located:
    """A spec's data and, for each field path, the (line, column) of its value and its key."""

    path: Path
    data: Any
    sha256: str = ""  # of the bytes read
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def where(self, loc: Loc, at_key: bool = False) -> str:
        """``file:line:col`` of the deepest known prefix of ``loc``."""
        for end in range(len(loc), -1, -1):
            prefix = loc[:end]
            mark = (self.keys.get(prefix) if at_key else None) or self.values.get(prefix)
            if mark:
                return f"{self.path}:{mark[0]}:{mark[1]}"
        return str(self.path)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Walker:
    def __init__(self, loader: Any, located: Located) -> None:
        self.loader = loader
        self.located = located
        self.count = 0
        self.chars = 0

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise SpecError(
                self.located.where(loc),
                None,
                f"the spec expands to more than {MAX_NODES} values (an alias bomb?)",
            )
        if len(loc) > MAX_DEPTH:
            raise SpecError(
                _where(self.located, node),
                _dotted(loc[:3]) + " ...",
                f"the spec nests more than {MAX_DEPTH} levels deep",
            )
        self.located.values.setdefault(loc, _mark(node))
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise SpecError(
                        _where(self.located, key_node),
                        _dotted(loc) or None,
                        "YAML merge keys (<<) are not supported; repeat the fields",
                    )
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    raise SpecError(
                        _where(self.located, key_node),
                        _dotted(loc) or None,
                        f"keys must be text, got {key!r}",
                    )
                if key in out:
                    raise SpecError(
                        _where(self.located, key_node),
                        _dotted((*loc, key)),
                        "this field is given twice",
                    )
                self.located.keys[(*loc, key)] = _mark(key_node)
                out[key] = self.build(value_node, (*loc, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        self.chars += len(node.value)
        if self.chars > MAX_CHARS:
            raise SpecError(
                _where(self.located, node),
                _dotted(loc) or None,
                f"the spec expands to more than {MAX_CHARS:,} characters of text "
                "(an alias repeated?)",
            )
        try:
            value = self.loader.construct_object(node, deep=True)
        except ValueError as err:  # e.g. an integer beyond Python's 4,300-digit limit
            digits = sum(c.isdigit() for c in node.value)
            why = (
                f"a number of {digits:,} digits is too long to read (at most 4,300 digits)"
                if "digits" in str(err)
                else f"cannot read this value: {str(err).split(':')[0]}"
            )
            raise SpecError(_where(self.located, node), _dotted(loc) or None, why) from None
        return written(value, node.value)


class WrittenInt(int):
    """An integer read from YAML that remembers how it was written (``0x1F``, ``1_000``)."""

    written: str


class WrittenFloat(float):
    """A float read from YAML that remembers how it was written (``1.50``, ``1e3``)."""

    written: str


def written(value: Any, source: str) -> Any:
    """``value`` (a constructed scalar) remembering its ``source`` text if it is a number,
    so that a number used as text (a title, a name) prints as the spec wrote it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    out: WrittenInt | WrittenFloat = (
        WrittenInt(value) if isinstance(value, int) else WrittenFloat(value)
    )
    out.written = source
    return out


def _where(located: Located, node: yaml.Node) -> str:
    line, col = _mark(node)
    return f"{located.path}:{line}:{col}"


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def read_regular(path: Path, limit: int, what: str = "spec") -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes.

    A FIFO, a device (``/dev/zero``), a directory or a socket is refused before it is read,
    so that no input can hang the run or fill the memory; raises :class:`SpecError`.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SpecError(str(path), None, "no such file") from None
    except OSError as err:
        raise SpecError(str(path), None, f"cannot read the {what}: {err.strerror}") from None
    if stat.S_ISDIR(mode):
        raise SpecError(str(path), None, f"is a directory; give the path of the {what} file")
    if not stat.S_ISREG(mode):
        raise SpecError(str(path), None, f"is not a regular file; the {what} must be one")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as err:
        raise SpecError(str(path), None, f"cannot read the {what}: {err.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since the check above
            raise SpecError(str(path), None, f"is not a regular file; the {what} must be one")
        data = f.read(limit + 1)
    if len(data) > limit:
        size = max(path.stat().st_size, len(data))
        raise SpecError(
            str(path), None, f"the file is {size:,} bytes; a {what} may be at most {limit:,}"
        )
    return data


def load_yaml(path: Path) -> Located:
    """Read ``path`` as YAML with positions; raise :class:`SpecError` on any problem."""
    data = read_regular(path, MAX_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        reason = f"not UTF-8 text ({err.reason} at byte {err.start})"
        raise SpecError(str(path), None, reason) from None
    located = Located(path, None, hashlib.sha256(data).hexdigest())
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError(str(path), None, "the file is empty; a spec needs a title and problems")
        located.data = _Walker(loader, located).build(node, ())
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise SpecError(where, None, f"YAML syntax error: {err.problem or err.context}") from None
    except yaml.reader.ReaderError as err:
        char = err.character if isinstance(err.character, int) else ord(err.character or "?")
        line = text.count("\n", 0, err.position) + 1
        col = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
        raise SpecError(
            f"{path}:{line}:{col}",
            None,
            f"YAML does not allow the character U+{char:04X} in a file; write it "
            'as an escape in a double-quoted string ("\\x01")',
        ) from None
    except yaml.YAMLError as err:
        raise SpecError(str(path), None, f"YAML error: {' '.join(str(err).split())}") from None
    finally:
        loader.dispose()
    if not isinstance(located.data, dict):
        kind = type(located.data).__name__
        raise SpecError(
            located.where(()),
            None,
            f"the top level must be a mapping (title:, problems:, ...), got a {kind}",
        )
    return located


dotted = _dotted
