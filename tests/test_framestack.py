"""A call through ``call_with_deep_frame_stack`` keeps its whole call tree on one frame-stack chunk."""

from __future__ import annotations

import resource
import sys

import pytest

from policypress.speed.framestack import call_with_deep_frame_stack


def _descend(depth: int) -> int:
    return 0 if depth == 0 else _descend(depth - 1) + 1


def _rise_and_fall(times: int = 300, deepest: int = 400) -> int:
    """Call depth going up to ``deepest`` frames (~40 KiB of frame stack) and back, ``times`` times."""
    total = 0
    for _ in range(times):
        total += _descend(deepest)
    return total


def _page_faults(function, *args) -> int:  # type: ignore[no-untyped-def]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    function(*args)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_returns_what_the_function_returns_and_passes_keywords() -> None:
    assert call_with_deep_frame_stack(_rise_and_fall, times=2, deepest=10) == 20
    assert call_with_deep_frame_stack(sorted, [3, 1, 2], reverse=True) == [3, 2, 1]
    assert call_with_deep_frame_stack(dict, function="a keyword of that name") == {"function": "a keyword of that name"}


def test_exceptions_pass_through() -> None:
    with pytest.raises(ZeroDivisionError):
        call_with_deep_frame_stack(divmod, 1, 0)
    with pytest.raises(RecursionError):
        call_with_deep_frame_stack(_descend, sys.getrecursionlimit() + 10)


def test_recursion_rising_and_falling_maps_no_new_stack_chunks() -> None:
    call_with_deep_frame_stack(_rise_and_fall, 1)  # the first call may fault in its chunk's pages
    assert _page_faults(call_with_deep_frame_stack, _rise_and_fall) < 50


@pytest.mark.skipif(sys.version_info[:2] not in ((3, 11), (3, 12)), reason="CPython 3.11 and 3.12 only")
def test_without_it_the_same_recursion_maps_a_chunk_per_crossing() -> None:
    """The control: on these CPython releases the plain call faults at every chunk crossing."""
    _rise_and_fall(1)
    assert _page_faults(_rise_and_fall) > 250
