"""Second processes: which way to start them, and that they end when the process that started them does.

The command line forks (instant: nothing is imported again, the loaded sources are shared);
where other threads run (the live preview's web server) a fork could copy a held lock and
deadlock, so processes are spawned instead. A parent killed outright (``SIGKILL`` leaves it no
chance to stop its workers) must not leave them running: on Linux each asks the kernel to end
it with its parent.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
from multiprocessing.context import BaseContext

_PR_SET_PDEATHSIG = 1


def fork_is_safe() -> bool:
    """Whether this process may fork: it runs a single thread, on a system that forks."""
    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


def second_process_context() -> BaseContext:
    """Fork where that is safe, else spawn."""
    return multiprocessing.get_context("fork" if fork_is_safe() else "spawn")


def exit_with_parent() -> None:
    """Worker start-up (``initializer=``): end this process when its parent ends (Linux only)."""
    started_by = multiprocessing.parent_process()
    parent = started_by.pid if started_by is not None else os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the worker stops when its queue closes, as usual
        return
    if os.getppid() != parent:  # the parent ended before the request was made (while this one started)
        os._exit(1)
