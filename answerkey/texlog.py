"""What a TeX run's log says besides errors: overfull boxes, missing characters, warnings.

The generated documents mark where each part begins (a ``% answerkey: 3(a)`` comment line),
so an entry that names a line of the generated ``.tex`` can also name the part it belongs to.
TeX writes the log unwrapped (``max_print_line`` in :func:`answerkey.compile.tex_env`), one
message per line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from answerkey.errors import CompileError

BOX_LIMIT = 1.0
"""Points by which a box may overfill before it counts (TeX's own \\hfuzz is 0.1 pt)."""

MARKER = re.compile(r"^% answerkey: (.+)$")
"""The comment line a template writes where a part (or a slide's frame) begins."""

_BOX = re.compile(
    r"^(?P<kind>Overfull|Underfull) \\(?P<axis>[hv])box \((?P<amount>[\d.]+)pt too "
    r"(?:wide|high)\)|^(?P<under>Underfull) \\[hv]box \(badness \d+\)"
)
_AT_LINES = re.compile(r"at lines? (\d+)")
_MISSING = re.compile(r"^Missing character: There is no (.+?) in font (.+?)!")
_WARNING = re.compile(r"^(?:LaTeX|Package [\w@-]+|Class [\w@-]+|LaTeX Font) Warning: (.*)$")
_INPUT_LINE = re.compile(r"on input line (\d+)")


@dataclass(frozen=True)
class LogEntry:
    """One message of a log: ``kind`` is what it is, ``message`` its first line as TeX wrote
    it, ``line`` the line of the generated ``.tex`` it names (None if it names none) and
    ``points`` how far an overfull box overfills (pt)."""

    kind: Literal["overfull", "underfull", "missing", "warning"]
    message: str
    line: int | None = None
    points: float | None = None


def read_log(text: str) -> list[LogEntry]:
    """Every overfull and underfull box, missing character and LaTeX, class or package
    warning of a log, in order."""
    entries: list[LogEntry] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if box := _BOX.match(line):
            at = _AT_LINES.search(line)
            where = int(at.group(1)) if at else None
            if box["kind"] == "Overfull":
                entries.append(LogEntry("overfull", line, where, float(box["amount"])))
            else:
                entries.append(LogEntry("underfull", line, where))
        elif missing := _MISSING.match(line):
            entries.append(LogEntry("missing", missing.group(0)))
        elif warning := _WARNING.match(line):
            text_ = warning.group(0)
            follow = i + 1
            while follow < len(lines) and lines[follow].startswith("("):
                text_ += " " + lines[follow].split(")", 1)[-1].strip()
                follow += 1
            at = _INPUT_LINE.search(text_)
            entries.append(LogEntry("warning", text_, int(at.group(1)) if at else None))
    return entries


def part_at(source: Sequence[str], line: int) -> str | None:
    """The part of the generated document that line ``line`` (1-based) belongs to: the last
    ``% answerkey:`` marker at or before it."""
    for text in reversed(source[: max(line, 0)]):
        if marker := MARKER.match(text):
            return marker.group(1)
    return None


def located(entry: LogEntry, tex: Path, source: Sequence[str]) -> str:
    """``key.tex:182 (3(a)): Overfull \\hbox (50.7pt too wide) ...`` and the generated line."""
    if entry.line is None:
        return f"{tex.name}: {entry.message}"
    part = part_at(source, entry.line)
    where = f"{tex.name}:{entry.line}" + (f" ({part})" if part else "")
    quoted = ""
    if 0 < entry.line <= len(source):
        quoted = f"\n  {tex.name}:{entry.line}: {source[entry.line - 1].strip()[:160]}"
    return f"{where}: {entry.message}{quoted}"


def overfull(tex: Path, limit: float = BOX_LIMIT) -> list[str]:
    """The overfull boxes of ``tex``'s last run that overfill by more than ``limit`` pt, each
    located (part and generated line); empty when there is no log."""
    log = tex.with_suffix(".log")
    if not log.exists():
        return []
    entries = read_log(log.read_text(encoding="utf-8", errors="replace"))
    boxes = [e for e in entries if e.kind == "overfull" and (e.points or 0) > limit]
    if not boxes:
        return []
    source = tex.read_text(encoding="utf-8", errors="replace").splitlines()
    return [located(e, tex, source) for e in boxes]


def box_report(texs: Sequence[Path], strict: bool = False) -> tuple[str, ...]:
    """The located overfull boxes of the documents ``texs`` (just compiled). With ``strict``
    any of them is a :class:`CompileError` (exit 3), raised before anything is moved into
    place."""
    found = tuple(w for tex in texs for w in overfull(tex))
    if strict and found:
        many = f"{len(found)} overfull boxes" if len(found) > 1 else "an overfull box"
        raise CompileError(f"{many} over {BOX_LIMIT:g} pt (--strict); the first: {found[0]}")
    return found
