"""The ``policypress`` command's first lines: signals are answered before anything is imported.

A SIGTERM during start-up would otherwise end the process with no word, a Ctrl-C during the
first imports would print a ``KeyboardInterrupt`` traceback, and a Ctrl-C that lands inside a
C extension (pydantic builds its validators in Rust) is "ignored" there and leaves the program
running on with half-built state, printing errors that are not real. So the handlers are
installed first (this module imports only ``signal`` and ``sys`` before), every signal is
remembered, and once one has come the command reports only that it was interrupted, and during
what (``errors.BuildInterrupted``).
"""

from __future__ import annotations

import signal
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # not imported when running: ``typing`` alone takes a tenth of the start-up
    from types import FrameType
    from typing import Any, NoReturn

_INTERRUPTS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""``errors.INTERRUPTS``, before ``errors`` is imported."""

_received: list[str] = []
"""The signals received; once ``errors`` is imported, its ``SIGNALS_RECEIVED`` itself."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    _received.append(signal.Signals(signum).name)
    raise KeyboardInterrupt


def _quiet_unraisable(report: Any) -> None:
    """After a signal, an exception "ignored" inside a C extension is the signal itself: not shown."""
    if _received and isinstance(report.exc_value, KeyboardInterrupt | SystemExit):
        return
    sys.__unraisablehook__(report)


def run() -> NoReturn:
    """Install the signal handlers, then run the command (``cli.run``).

    The command reports an interrupt itself; one that comes while it starts (importing) or before
    its own handler is in place (reading the arguments) is reported here, in the same words."""
    global _received
    try:
        for sent in _INTERRUPTS:
            signal.signal(sent, _on_signal)
        sys.unraisablehook = _quiet_unraisable
        from policypress import errors

        errors.SIGNALS_RECEIVED.extend(_received)
        _received = errors.SIGNALS_RECEIVED
        from policypress.cli import run as run_command

        run_command()
    except KeyboardInterrupt:
        _report_and_exit()


def _report_and_exit() -> NoReturn:
    """The interruption's one line, then an exit with 1 that skips the interpreter's own end.

    That end would turn a ``KeyboardInterrupt`` caught here into death by SIGINT (exit -2) when it
    passed through an ``exec`` of a string on its way (``dataclasses`` makes its methods so)."""
    for sent in _INTERRUPTS:  # a second Ctrl-C must not cut the message short
        signal.signal(sent, signal.SIG_IGN)
    errors = sys.modules.get("policypress.errors")
    if errors is not None and _received is getattr(errors, "SIGNALS_RECEIVED", None):
        lines = errors.BuildInterrupted.received().lines()
    else:  # the signal came while errors itself was imported
        name = _received[0] if _received else "SIGINT"
        how = " (Ctrl-C)" if name == "SIGINT" else ""
        lines = [f"error: stopped by {name}{how} while starting; site/ was left as it was"]
    for line in lines:
        print(line, file=sys.stderr)
    import atexit
    import contextlib
    import os

    atexit._run_exitfuncs()  # the work cache commits what it holds
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed, or a pipe whose reader left
            stream.flush()
    os._exit(1)
