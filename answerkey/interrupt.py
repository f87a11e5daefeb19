"""SIGTERM and SIGINT as an exception, so that every ``with`` block cleans up on the way out.

Python's default turns SIGINT into ``KeyboardInterrupt`` (a traceback) and lets SIGTERM kill
the process where it stands, leaving staging folders and half-written files behind. Inside
:func:`handled`, the first SIGTERM or SIGINT raises :class:`Interrupted` in the main thread:
temporary folders are removed by their context managers and the CLI prints one line and
exits with 128 + the signal number (143 for SIGTERM, 130 for SIGINT), as a shell expects.

- :data:`stopping` is set as soon as a signal arrives; code running in worker threads (TeX
  runs) can poll it, and :func:`on_interrupt` registers a callback run from the handler (to
  kill a TeX process group, say).
- :func:`deferred` holds a signal back while a few files are moved into place, so that an
  output folder is never left with half of a run's files; the exception comes right after.
- A second signal while cleaning up takes the default action (the process ends at once).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType

from answerkey.errors import AnswerkeyError

SIGNALS = (signal.SIGTERM, signal.SIGINT)

stopping = threading.Event()
"""Set when a handled signal has arrived."""

_callbacks: list[Callable[[], None]] = []
_deferring = 0
_pending: int | None = None


class Interrupted(AnswerkeyError):
    """SIGTERM or SIGINT arrived; temporary files were removed, nothing half-written kept."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(
            f"stopped by {signal.Signals(signum).name}; temporary files removed, "
            "earlier outputs left as they were"
        )


def on_interrupt(callback: Callable[[], None]) -> Callable[[], None]:
    """Run ``callback`` (from the signal handler, in the main thread) when a signal arrives;
    returns a function that unregisters it."""
    _callbacks.append(callback)
    return lambda: _callbacks.remove(callback) if callback in _callbacks else None


def _handler(signum: int, frame: FrameType | None) -> None:
    global _pending
    stopping.set()
    for callback in list(_callbacks):
        with suppress(Exception):
            callback()
    for sig in SIGNALS:  # a second signal ends the process at once
        signal.signal(sig, signal.SIG_DFL)
    if _deferring:
        _pending = signum
        return
    raise Interrupted(signum)


@contextmanager
def handled() -> Iterator[None]:
    """Turn SIGTERM/SIGINT into :class:`Interrupted` for the duration (main thread only;
    elsewhere, a no-op)."""
    global _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    stopping.clear()
    _pending = None
    for sig in SIGNALS:
        signal.signal(sig, _handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold a signal back until the block ends, then raise :class:`Interrupted`."""
    global _deferring, _pending
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending is not None:
            signum, _pending = _pending, None
            raise Interrupted(signum)
