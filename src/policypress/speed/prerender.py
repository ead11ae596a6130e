"""Check's trial render on both cores: a forked process renders half the pages into the page store.

Pages are only ever read back from the store (a page the other process did not render
is rendered by the caller), so the other process cannot change what check reports; it
only saves time. Only the command line forks (a process with one thread); elsewhere the
pages are rendered by the caller alone.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress

from policypress.errors import SourceError
from policypress.project import PolicySource, Project
from policypress.render.pages import PageRenderer
from policypress.speed.pages import StoredPageRenderer
from policypress.speed.processes import exit_with_parent, fork_is_safe

PARALLEL_RENDER_PAGES = 200
"""From this many pages on, a second process renders half of them into the page store."""
_SHARED_WITH_SECOND_PROCESS: tuple[Project, StoredPageRenderer, tuple[PolicySource, ...]] | None = None


@contextmanager
def rendered_elsewhere(project: Project, renderer: PageRenderer, sources: tuple[PolicySource, ...]) -> Iterator[None]:
    """Render ``sources`` in a forked process while the block runs, into the page store."""
    global _SHARED_WITH_SECOND_PROCESS
    if (
        not isinstance(renderer, StoredPageRenderer)
        or len(sources) < PARALLEL_RENDER_PAGES // 2
        or not fork_is_safe()  # the command line: spawning would cost more than it saves
    ):
        yield
        return
    _SHARED_WITH_SECOND_PROCESS = (project, renderer, sources)
    executor = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("fork"), initializer=exit_with_parent
    )
    try:
        future = executor.submit(_render_shared)
        yield
        with suppress(Exception):  # whatever went wrong there, this process renders those pages itself
            renderer.store.put_all(future.result())
    finally:
        _SHARED_WITH_SECOND_PROCESS = None
        executor.shutdown(wait=True, cancel_futures=True)


def _render_shared() -> dict[str, str]:
    """In the forked process: render the pages handed over; give back the page-store entries made."""
    assert _SHARED_WITH_SECOND_PROCESS is not None
    project, renderer, sources = _SHARED_WITH_SECOND_PROCESS
    renderer.store.record()
    for source in sources:
        with suppress(SourceError):
            renderer.render_policy(project, source)
    return renderer.store.recorded or {}
