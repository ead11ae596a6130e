"""Everything ``policypress check`` verifies before a build may touch ``site/``.

Sources (policies, bibliography, boilerplate) are loaded and cross-checked by
``project``; this adds the templates: each must compile, and every page must render
with them (a misspelt variable is an error under ``StrictUndefined``). All problems
are collected before failing, so an author fixes everything in one round.

Rendered pages are kept in the page store (``workcache``), so after an edit only the
edited policy's page is rendered again; on a cold run of the command line, a forked
process renders half of them.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

from policypress.errors import Diagnostic, SourceError
from policypress.processes import exit_with_parent, fork_is_safe
from policypress.project import PolicySource, Project, ProjectLayout, load_project
from policypress.render import DateFormats, PageRenderer
from policypress.workcache import WorkCache

PAGE_DAYS = 30
"""Rendered pages unused for this long are removed (a page is kept in several variants: with and
without its PDF link)."""


def check_site(
    layout: ProjectLayout, template_dir: Path, formats: DateFormats, *, trial_render: bool = True
) -> tuple[Project, PageRenderer]:
    """The valid project and a renderer that renders every page of it; else ``SourceError``.

    ``trial_render=False`` skips rendering the pages, for a caller that renders them next anyway.
    """
    renderer = PageRenderer(template_dir, formats, page_store(layout))
    template_errors = renderer.check_templates()
    try:
        project = load_project(layout)
    except SourceError as exc:
        raise SourceError([*exc.diagnostics, *template_errors]) from None
    if template_errors:
        raise SourceError(template_errors)
    if not trial_render:
        return project, renderer
    diagnostics: list[Diagnostic] = []
    first_half, second_half = (
        project.policies[: len(project.policies) // 2],
        project.policies[len(project.policies) // 2 :],
    )
    with _rendered_elsewhere(project, renderer, second_half):
        for source in (None, *first_half):
            _trial_render(project, renderer, source, diagnostics)
    for source in second_half:  # mostly read back from the page store
        _trial_render(project, renderer, source, diagnostics)
    if diagnostics:
        raise SourceError(diagnostics)
    if renderer.store is not None:
        renderer.store.prune()
    return project, renderer


def _trial_render(
    project: Project, renderer: PageRenderer, source: PolicySource | None, diagnostics: list[Diagnostic]
) -> None:
    """Render one page (``None``: the home page), collecting what fails instead of stopping."""
    try:
        if source is None:
            renderer.render_index(project)
        else:
            renderer.render_policy(project, source)
    except SourceError as exc:
        diagnostics.extend(d for d in exc.diagnostics if d not in diagnostics)


PARALLEL_RENDER_PAGES = 200
"""From this many pages on, a second process renders half of them into the page store."""
_SHARED_WITH_SECOND_PROCESS: tuple[Project, PageRenderer, tuple[PolicySource, ...]] | None = None


@contextmanager
def _rendered_elsewhere(project: Project, renderer: PageRenderer, sources: tuple[PolicySource, ...]) -> Iterator[None]:
    """Render ``sources`` in a forked process while the block runs, into the page store.

    Pages are only ever read back from the store (a page the other process did not render
    is rendered here), so the other process cannot change what check reports; it only saves time.
    """
    global _SHARED_WITH_SECOND_PROCESS
    if (
        renderer.store is None
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
    assert renderer.store is not None
    renderer.store.record()
    for source in sources:
        with suppress(SourceError):
            renderer.render_policy(project, source)
    return renderer.store.recorded or {}


def page_store(layout: ProjectLayout) -> WorkCache | None:
    """Where rendered policy pages are kept between runs (``None``: the layout keeps no cache)."""
    return WorkCache(layout.cache_path, "pages", keep_days=PAGE_DAYS) if layout.use_cache else None
