"""Output folders: answerkey never deletes or overwrites what it did not write.

Every command writes through :class:`OutputFolder`:

- the folder is created if it is missing, and each folder answerkey creates gets a marker
  file, :data:`MARKER`, which records, per command, the names that command wrote there;
- an existing folder that is not empty and has no marker is refused (``--force`` writes
  beside what is there, never removing it); a path that is a file is refused;
- files are made in a staging folder inside the target and moved into place one by one,
  under a lock (``flock`` on the marker), only once the run has succeeded: a failed or
  interrupted run leaves the folder as it was, and concurrent runs into one folder wait for
  each other instead of racing;
- a command replaces only its own earlier outputs (``build`` never touches the ``slides.tex``
  or ``snippets/`` of the same folder) and removes those of its earlier outputs it did not
  write this time (``slides --no-pdf`` removes the old ``slides.pdf``);
- a name that exists but was not written by answerkey is always refused (``--force`` lets a
  run write beside the user's files, never over one of them), and an input (the spec, the
  roster) is never replaced.

Errors are :class:`~answerkey.errors.OutputError`: one line, exit code 2.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from answerkey.errors import OutputError
from answerkey.interrupt import deferred

MARKER = ".answerkey"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")
"""What an output's name looks like; anything else in a marker is ignored, never deleted."""


def _why(err: OSError) -> str:
    return err.strerror or type(err).__name__


def _mkdirs(target: Path) -> list[Path]:
    """Create ``target`` and its missing parents, each with an empty marker; return them
    (outermost first)."""
    missing = []
    for folder in [target, *target.parents]:
        if folder.exists() or folder.is_symlink():
            break
        missing.append(folder)
    created = []
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue  # another run made it first
        except OSError as err:
            raise OutputError(f"{folder}: cannot create the folder: {_why(err)}") from None
        created.append(folder)
        _init_marker(folder)
    return created


def _init_marker(folder: Path) -> None:
    """Give ``folder`` an empty marker unless it has one: under the marker's lock and only
    while it is empty, so a concurrent run that opened the new folder first and already
    recorded its outputs there never loses its record."""
    fd = os.open(folder / MARKER, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_size == 0:
            os.write(fd, _dump({}).encode())
    finally:
        os.close(fd)  # releases the lock


def _dump(outputs: dict[str, list[str]]) -> str:
    return (
        json.dumps({"written-by": "answerkey", "outputs": outputs}, indent=1, sort_keys=True) + "\n"
    )


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)


class OutputFolder:
    """The folder ``target`` that ``command`` writes into; use as a context manager, write
    into :attr:`stage`, then :meth:`commit` the names to keep.

    Raises :class:`OutputError` when the folder cannot be used; on leaving the block the
    staging folder is removed (and folders this run created, if it failed).
    """

    def __init__(
        self, target: Path, command: str, force: bool = False, inputs: Iterable[Path] = ()
    ) -> None:
        self.target = target
        self.command = command
        self.force = force
        self.inputs = [p for p in inputs if p.exists()]
        self.created: list[Path] = []
        self.fd = -1
        self._stage: Path | None = None

    @property
    def stage(self) -> Path:
        """The staging folder (inside the target) to write into."""
        if self._stage is None:
            raise RuntimeError("use OutputFolder in a with block")
        return self._stage

    def __enter__(self) -> OutputFolder:
        target = self.target
        if target.exists() and not target.is_dir():
            raise OutputError(f"{target}: is a file; -o names a folder to write into")
        try:
            if target.is_dir():
                names = sorted(p.name for p in target.iterdir())
                if names and MARKER not in names and not self.force:
                    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
                    raise OutputError(
                        f"{target}: the folder holds files answerkey did not write ({shown}); "
                        "choose a new or empty folder, or pass --force to write beside them"
                    )
            else:
                self.created = _mkdirs(target)
            self.fd = os.open(target / MARKER, os.O_RDWR | os.O_CREAT, 0o644)
            self._stage = Path(tempfile.mkdtemp(prefix=f".answerkey-{self.command}-", dir=target))
        except OSError as err:
            self._close()
            raise OutputError(f"{target}: cannot write here: {_why(err)}") from None
        return self

    def __exit__(self, kind: type[BaseException] | None, err: Any, tb: Any) -> None:
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
        if kind is not None and self.created and self.fd >= 0:
            with self._locked():
                self._undo_created()
        self._close()
        if isinstance(err, OSError):  # a full disk, a folder made read-only meanwhile
            raise OutputError(f"{self.target}: cannot write the outputs: {_why(err)}") from None

    def _close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    @contextlib.contextmanager
    def _locked(self) -> Any:
        fcntl.flock(self.fd, fcntl.LOCK_EX)  # waits for a concurrent run's commit
        try:
            yield
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def _undo_created(self) -> None:
        """A failed run removes the folders it made, unless something else is in them."""
        for folder in reversed(self.created):
            try:
                if {p.name for p in folder.iterdir()} <= {MARKER}:
                    (folder / MARKER).unlink(missing_ok=True)
                    folder.rmdir()
            except OSError:
                return

    def _read(self) -> dict[str, list[str]]:
        os.lseek(self.fd, 0, os.SEEK_SET)
        raw = b""
        while chunk := os.read(self.fd, 65536):
            raw += chunk
        try:
            outputs = json.loads(raw or b"{}").get("outputs", {})
        except (ValueError, AttributeError):
            return {}
        if not isinstance(outputs, dict):
            return {}
        return {
            str(k): [n for n in v if isinstance(n, str) and NAME.match(n)]
            for k, v in outputs.items()
            if isinstance(v, list)
        }

    def _write(self, outputs: dict[str, list[str]]) -> None:
        data = _dump(outputs).encode()
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)
        os.write(self.fd, data)

    def commit(self, names: Sequence[str]) -> list[Path]:
        """Move ``names`` from the stage into the folder (replacing this command's earlier
        outputs), remove this command's earlier outputs not in ``names``; return the paths."""
        for name in names:
            if not NAME.match(name):
                raise ValueError(f"not an output name: {name!r}")
        try:
            with deferred(), self._locked():
                return self._commit(names)
        except OSError as err:
            raise OutputError(f"{self.target}: cannot write the outputs: {_why(err)}") from None

    def _commit(self, names: Sequence[str]) -> list[Path]:
        record = self._read()
        ours = {n for listed in record.values() for n in listed}
        earlier = record.get(self.command, [])
        for name in names:
            dest = self.target / name
            if any(dest.exists() and dest.samefile(p) for p in self.inputs):
                raise OutputError(f"{dest}: is an input of this run; it is never overwritten")
            exists = dest.exists() or dest.is_symlink()
            if exists and name not in ours:
                raise OutputError(
                    f"{dest}: exists and was not written by answerkey; it is never overwritten "
                    "(move it away or choose another folder)"
                )
        written = []
        for name in names:
            dest = self.target / name
            new = self.stage / name
            if (dest.exists() or dest.is_symlink()) and (new.is_dir() or dest.is_dir()):
                aside = self.stage / f".old-{name}"
                if dest.is_dir() and not dest.is_symlink():
                    dest.rename(aside)
                else:
                    dest.unlink()
            os.replace(new, dest)
            written.append(dest)
        for name in earlier:
            if name not in names and (self.target / name).exists():
                _remove(self.target / name)
        record[self.command] = sorted(names)
        self._write(record)
        return written


def output_name(stem: str) -> str:
    """A spec's file stem as a folder name: ``build/<name>``."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-")
    return name or "spec"
