"""The garbage collector in a CLI process: off while a command loads, never at exit.

SymPy's import, pydantic's models and a spec's analysis make some eighty thousand objects
that live until the process ends. Python's cyclic collector walks them again and again while
they are made (a tenth of a derive's time) and again at exit (another quarter), and finds
almost nothing: they are freed by reference counting, or by the operating system at exit.
So, in a process that runs one command (the console script, ``python -m answerkey.cli``):

- :func:`loading` turns the collector off while a command imports its modules and reads its
  spec, then freezes what was made (no collection walks it again) and turns the collector
  back on for the command's work, so that a long run (many variants) still frees its cycles;
- :func:`process` freezes the heap when the command ends, so that the collections at exit
  walk nothing. Outputs are written and closed in with-blocks, and temporary folders removed
  by their context managers, before that point: nothing needs a finalizer at exit.

Called in-process (the tests' CLI runner), both leave the collector as it is.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_whole = False


@contextmanager
def process(whole: bool) -> Iterator[None]:
    """Run a command; ``whole``: the process ends after it (freeze the heap then)."""
    global _whole
    _whole = whole
    try:
        yield
    finally:
        if whole:
            gc.freeze()


@contextmanager
def loading() -> Iterator[None]:
    """Imports and spec loading with the collector off (in a whole process); afterwards what
    they made is frozen and the collector back on."""
    if not _whole or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
