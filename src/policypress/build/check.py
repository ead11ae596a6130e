"""Everything ``policypress check`` verifies before a build may touch ``site/``.

Sources (policies, bibliography, boilerplate) are loaded and cross-checked by
``load``; this adds the templates (none a link to outside the project, nor any file of the
theme's overrides or docs folder): each must compile, and every page must render
with them (a misspelt variable is an error under ``StrictUndefined``), and the PDF's
fonts: every character of a source must be one a font of the print stylesheet can show
(Typst would refuse the PDF). All problems are collected before failing, so an author
fixes everything in one round.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from policypress.errors import Diagnostic, PdfError, SourceError, display_path
from policypress.load.loader import links_outside
from policypress.pdf import fonts
from policypress.project import PolicySource, Project, ProjectLayout
from policypress.render.pages import PageRenderer
from policypress.render.printjob import PRINT_STYLESHEET

if TYPE_CHECKING:
    from policypress.build.workspace import Workspace


def check_site(workspace: Workspace, *, trial_render: bool = True) -> tuple[Project, PageRenderer]:
    """The valid project and a renderer that renders every page of it; else ``SourceError``.

    ``trial_render=False`` skips rendering the pages, for a caller that renders them next anyway.
    """
    if linked := links_outside(workspace.layout.root, [workspace.template_dir, *workspace.theme_dirs]):
        raise SourceError(linked)  # read nothing from outside, not even to report on it
    renderer = workspace.renderer()
    template_errors = renderer.check_templates()
    try:
        project = workspace.load()
    except SourceError as exc:
        raise SourceError([*exc.diagnostics, *template_errors]) from None
    if template_errors:
        raise SourceError(template_errors)
    if font_errors := check_fonts(workspace.layout, workspace.template_dir, project):
        raise SourceError(font_errors)
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


def check_fonts(layout: ProjectLayout, template_dir: Path, project: Project) -> list[Diagnostic]:
    """Every character of the sources that reaches a PDF and no font of the print stylesheet covers,
    at its file, line and column (policies, shared boilerplate, the bibliography; comments skipped)."""
    stylesheet = template_dir / PRINT_STYLESHEET
    if not stylesheet.is_file():
        return []
    try:
        families = fonts.stylesheet_families(stylesheet.read_text(encoding="utf-8"))
        for family in families:
            fonts.regular_face(family)
    except fonts.FontSetupError as error:
        raise PdfError(f"the PDF's fonts: {error}") from None
    coverage = fonts.Coverage(families)
    sources = [(layout.root / source.file, "#") for source in project.policies]
    sources += [(path, "#") for path in sorted(layout.boilerplate_path.glob("*.yaml"))]
    sources.append((layout.bibliography_path, "%"))
    diagnostics = []
    for path, comment in sources:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # reported by the loader
        shown = display_path(path, layout.root)
        for found in fonts.first_per_line(fonts.uncovered(text, coverage, comment)):
            message = (
                f"no font of the PDF can show {found.describe()}, so the PDF would be refused "
                f"(the fonts: pp-fonts in templates/{PRINT_STYLESHEET})"
            )
            diagnostics.append(Diagnostic(shown, found.line, found.col, "pdf.font_coverage", message))
    return diagnostics
