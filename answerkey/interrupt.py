"""SIGTERM and SIGINT as an exception, so that every ``with`` block cleans up on the way out.

Python's default turns SIGINT into ``KeyboardInterrupt`` (a traceback) and lets SIGTERM kill
the process where it stands, leaving staging folders and half-written files behind. Inside
:func:`handled`, the first SIGTERM or SIGINT raises :class:`Interrupted` in the main thread:
temporary folders are removed by their context managers and the CLI prints one line and
exits with 128 + the signal number (143 for SIGTERM, 130 for SIGINT), as a shell expects.

- TeX runs are stopped by :mod:`answerkey.compile`, whose handler kills their process groups
  and then calls this one (it chains to the handler it finds installed).
- :func:`deferred` holds a signal back while a few files are moved into place, so that an
  output folder is never left with half of a run's files; the exception comes right after.
- A second signal while cleaning up takes the default action (the process ends at once).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from answerkey.errors import AnswerkeyError

SIGNALS = (signal.SIGTERM, signal.SIGINT)



class Interrupted(AnswerkeyError):
    """SIGTERM or SIGINT arrived; temporary files were removed, nothing half-written kept."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(
            f"stopped by {signal.Signals(signum).name}; temporary files removed, "
            "earlier outputs left as they were"
        )


def _handler(signum: int, frame: FrameType | None) -> None:
    for sig in SIGNALS:  # a second signal ends the process at once
        signal.signal(sig, signal.SIG_DFL)
    raise Interrupted(signum)


@contextmanager
def handled() -> Iterator[None]:
    """Turn SIGTERM/SIGINT into :class:`Interrupted` for the duration (main thread only;
    elsewhere, a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    for sig in SIGNALS:
        signal.signal(sig, _handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGTERM/SIGINT back until the block ends, then raise :class:`Interrupted` (main
    thread only). Whatever handlers were installed (answerkey's, the TeX runner's) are set
    aside for the block and put back after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    for sig in SIGNALS:
        signal.signal(sig, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
        if held:
            raise Interrupted(held[0])
