"""The exceptions answerkey raises, and when to use each.

The CLI maps them to exit codes and one line of text; a traceback only with ``--debug``.
Shape and unsupported errors come from :mod:`derivations` (which knows no files); the
orchestrator gives them a location and re-raises them as :class:`SpecError`.
"""

from __future__ import annotations


class AnswerkeyError(Exception):
    """Base class: an error the user can act on. ``exit_code`` is what the CLI returns."""

    exit_code = 1


class SpecError(AnswerkeyError):
    """A spec that cannot be read or does not describe a valid problem set.

    ``location`` is ``file:line:column`` (or just the file), ``field`` the dotted path of the
    field at fault, e.g. ``problems[1].networks.cnn.layers[3].stride``.
    """

    exit_code = 2

    def __init__(self, location: str, field: str | None, message: str) -> None:
        self.location = location
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.location} {self.field}:" if self.field else f"{self.location}:"
        # e.g. "specs/x.yaml:14:7 problems[1].layers[3].stride: expected ..."
        return f"{where} {self.message}"


class SpecWarning(UserWarning):
    """A spec that can be used but where something the author wrote would not reach the key
    as they may expect (a part with no question and no answer). The message is located like a
    :class:`SpecError`; the CLI prints it as ``answerkey: warning: ...`` and goes on."""


class UsageError(AnswerkeyError):
    """A command-line value that cannot be used (an unknown format, a count that does not
    match the roster)."""

    exit_code = 2


class OutputError(AnswerkeyError):
    """The output folder cannot be used as asked: it is a file, it holds files answerkey did
    not write (without ``--force``), or writing failed (no space, no permission)."""

    exit_code = 2


class CompileError(AnswerkeyError):
    """LaTeX failed: carries the first TeX error and the generated line it points at."""

    exit_code = 3


class ToolMissing(AnswerkeyError):
    """An external program (pdflatex, pdftoppm, PyTorch) is not installed; says how to get it."""

    exit_code = 4


class CheckFailed(AnswerkeyError):
    """``answerkey check`` found a difference between our numbers and PyTorch's."""

    exit_code = 5
