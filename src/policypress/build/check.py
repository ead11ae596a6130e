"""Everything ``policypress check`` verifies before a build may touch ``site/``.

Sources (policies, bibliography, boilerplate) are loaded and cross-checked by
``load``; this adds the templates: each must compile, and every page must render
with them (a misspelt variable is an error under ``StrictUndefined``). All problems
are collected before failing, so an author fixes everything in one round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policypress.errors import Diagnostic, SourceError
from policypress.project import PolicySource, Project
from policypress.render.pages import PageRenderer

if TYPE_CHECKING:
    from policypress.build.workspace import Workspace


def check_site(workspace: Workspace, *, trial_render: bool = True) -> tuple[Project, PageRenderer]:
    """The valid project and a renderer that renders every page of it; else ``SourceError``.

    ``trial_render=False`` skips rendering the pages, for a caller that renders them next anyway.
    """
    renderer = workspace.renderer()
    template_errors = renderer.check_templates()
    try:
        project = workspace.load()
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
    with workspace.rendered_elsewhere(project, renderer, second_half):
        for source in (None, *first_half):
            _trial_render(project, renderer, source, diagnostics)
    for source in second_half:  # with the speed layer, mostly read back from the page store
        _trial_render(project, renderer, source, diagnostics)
    if diagnostics:
        raise SourceError(diagnostics)
    workspace.pages_checked()
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
