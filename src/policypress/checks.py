"""Everything ``policypress check`` verifies before a build may touch ``site/``.

Sources (policies, bibliography, boilerplate) are loaded and cross-checked by
``project``; this adds the templates: each must compile, and every page must render
with them (a misspelt variable is an error under ``StrictUndefined``). All problems
are collected before failing, so an author fixes everything in one round.
"""

from __future__ import annotations

from pathlib import Path

from policypress.errors import Diagnostic, SourceError
from policypress.project import Project, ProjectLayout, load_project
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
    for source in (None, *project.policies):
        try:
            if source is None:
                renderer.render_index(project)
            else:
                renderer.render_policy(project, source)
        except SourceError as exc:
            diagnostics.extend(d for d in exc.diagnostics if d not in diagnostics)
    if diagnostics:
        raise SourceError(diagnostics)
    if renderer.store is not None:
        renderer.store.prune()
    return project, renderer


def page_store(layout: ProjectLayout) -> WorkCache | None:
    """Where rendered policy pages are kept between runs (``None``: the layout keeps no cache)."""
    return WorkCache(layout.cache_path, "pages", keep_days=PAGE_DAYS) if layout.use_cache else None
