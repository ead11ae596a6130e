"""Run deeply recursive code without CPython mapping and unmapping its frame stack all the while.

Since 3.11 CPython keeps Python frames on a per-thread stack made of 16 KiB chunks. A chunk
is mapped (``mmap``) when a call does not fit in the current one and unmapped as soon as that
call returns, so code whose call depth keeps rising and falling across a chunk's end maps and
unmaps a chunk, and takes fresh page faults, on every crossing (CPython issue gh-142183: fixed
in 3.13 and 3.14 patch releases of 2026 by keeping one spare chunk; 3.11 and 3.12 keep the
behaviour). WeasyPrint's layout was such code: about 900 crossings per policy PDF, a tenth of
its rendering time; Typst lays out in Rust, so for PDFs this is now only a harmless habit.

``call_with_deep_frame_stack`` calls a function from a frame that declares a value stack of
2 MiB (it uses two slots of it). CPython gives such a frame a fresh chunk of twice that size,
and every call made inside the function fits in the rest of that chunk: one mapping per call
instead of hundreds. Where CPython already keeps a spare chunk this changes nothing. One cost:
should CPython ever make a frame *object* for that calling frame (a traceback passing through
it, a profiler), the object has room for the whole declared stack, 2 MiB, for as long as it lives.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")

RESERVED_WORDS = 2 * 1024 * 1024 // 8
"""Slots the calling frame declares (8 bytes each); the chunk holding it is twice as large,
the other half is room for the calls inside (thousands of frames deep)."""


def _call(function, /, *args, **kwargs):  # type: ignore[no-untyped-def]
    return function(*args, **kwargs)


_call_with_reserve = types.FunctionType(
    _call.__code__.replace(co_stacksize=RESERVED_WORDS), _call.__globals__, "_call_with_reserve"
)


def call_with_deep_frame_stack(function: Callable[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
    """``function(*args, **kwargs)``, its calls all on one frame-stack chunk mapped once for it."""
    return _call_with_reserve(function, *args, **kwargs)  # type: ignore[no-any-return]
