"""The ``policypress`` command's first lines: signals are answered before anything is imported.

A SIGTERM during start-up would otherwise end the process with no word, and a Ctrl-C that
lands inside a C extension (pydantic builds its validators in Rust) is "ignored" there and
leaves the program running on with half-built state, printing errors that are not real.
So the handlers are installed first, every signal is remembered, and once one has come
the command reports only that it was interrupted (``errors.interrupted``).
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Any, NoReturn

from policypress.errors import SIGNALS_RECEIVED as RECEIVED

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    RECEIVED.append(signal.Signals(signum).name)
    raise KeyboardInterrupt


def _quiet_unraisable(report: Any) -> None:
    """After a signal, an exception "ignored" inside a C extension is the signal itself: not shown."""
    if RECEIVED and isinstance(report.exc_value, KeyboardInterrupt | SystemExit):
        return
    sys.__unraisablehook__(report)


def run() -> NoReturn:
    """Install the signal handlers, then run the command (``cli.run``)."""
    for sent in _SIGNALS:
        signal.signal(sent, _on_signal)
    sys.unraisablehook = _quiet_unraisable
    try:
        from policypress.cli import run as run_command
    except KeyboardInterrupt:
        print(
            f"error: stopped by {RECEIVED[-1] if RECEIVED else 'SIGINT'} while starting; site/ was left as it was",
            file=sys.stderr,
        )
        sys.exit(1)
    run_command()
