"""Render the model into pages with Jinja templates.

Templates hold layout only (loops and ifs); everything they print goes through one
of two doors: the filters here, which turn policy text into safe markup, or the
``finalize`` hook, which escapes any other value for HTML *and* Markdown. So a
template cannot accidentally publish raw data, and ``StrictUndefined`` turns a
misspelt variable into an error instead of an empty string.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from policypress.bibliography.citations import CitationAnchors, NumberedReference, number_references
from policypress.errors import Diagnostic, SourceError, display_path
from policypress.model.codes import parse_code, sort_key
from policypress.model.inline import escape_text, parse_inline, plain_text, render_html
from policypress.model.numbering import (
    appendix_anchor,
    code_anchor,
    criterion_label,
    definition_anchor,
    policy_number_key,
    slugify,
)
from policypress.model.policy import BLOCK_TAG_PREFIX, CODE_SYSTEM_COLUMN, block_kind
from policypress.options import DateFormats, Options
from policypress.project import PolicySource, Project
from policypress.render.authorization import AUTHORIZATION_CSV, AUTHORIZATION_JSON, AUTHORIZATION_PAGE
from policypress.render.changes import recent_changes
from policypress.render.urls import CODES_PAGE, INDEX_PAGE, SiteLinks
from policypress.render.xrefs import CrossReferenceLinks

POLICY_TEMPLATE = "policy.md.j2"
INDEX_TEMPLATE = "index.md.j2"
CODES_TEMPLATE = "codes.md.j2"
AUTHORIZATION_TEMPLATE = "prior-authorization-list.md.j2"
MEDICARE_TEMPLATE = "medicare-advantage-criteria.md.j2"
MEDICARE_PAGE = "medicare-advantage-criteria.md"
RECENT_CHANGES = 10
"""How many revision-log entries the home page shows (the feed carries more)."""


def _finalize(value: Any) -> Any:
    """Escape every printed value that is not already markup produced by a filter."""
    if isinstance(value, Markup):
        return value
    return Markup(escape_text(str(value)))


def make_environment(template_dir: Path, formats: DateFormats) -> jinja2.Environment:
    """The Jinja environment for pages: strict undefined, escaping by default, policypress filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir),
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        date=lambda value: _date(value, formats),
        month=lambda value: _month(value, formats),
        criterion_label=criterion_label,
        code_anchor=code_anchor,
        slug=slugify,
        code_key=sort_key,
        code_spans=_code_spans,
        definition_anchor=definition_anchor,
        appendix_anchor=appendix_anchor,
        block_kind=lambda block: block_kind(block).removeprefix(BLOCK_TAG_PREFIX),
        code_column=lambda system: CODE_SYSTEM_COLUMN[system],
        plain=plain_text,
        css_string=css_string,
    )
    return env


def _code_spans(source: PolicySource) -> str:
    """Every code a policy lists, as ``FIRST LAST`` keys joined by ``;``: what the home page's filter
    matches a typed code against (docs/assets/code-lookup.js), ranges included."""
    spans = []
    for table in source.policy.code_tables:
        for row in table.rows:
            span = parse_code(row.code)
            spans.append(f"{sort_key(span.first)} {sort_key(span.last)}")
    return ";".join(spans)


def _month(value: str, formats: DateFormats) -> str:
    """A ``YYYY-MM`` month as the site prints months (``09/24``)."""
    return dt.date.fromisoformat(f"{value}-01").strftime(formats.month)


def _date(value: dt.date | str | None, formats: DateFormats) -> str:
    """A date as precise as it was written: a day (``11/01/24``) or only a month (``01/25``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _month(value, formats)
    return value.strftime(formats.day)


def css_string(value: Any) -> Markup:
    """``value`` as a quoted CSS string (for ``content:`` in a ``<style>`` element): quotes, backslashes,
    line breaks, control characters and ``<`` (which could end the element) escaped."""
    escaped = "".join(
        f"\\{ord(char):X} " if char in _CSS_UNSAFE or ord(char) < 0x20 or ord(char) == 0x7F else char
        for char in str(value)
    )
    return Markup(f'"{escaped}"')


_CSS_UNSAFE = frozenset('"\\<>&')


@jinja2.pass_context
def _prose(context: jinja2.runtime.Context, text: str) -> Markup:
    """Policy text as inline HTML, its citations rendered by the page's ``anchors`` and its
    cross-references by the page's ``xrefs``."""
    anchors: CitationAnchors = context["anchors"]
    xrefs: CrossReferenceLinks | None = context.get("xrefs")
    if xrefs is None:
        return Markup(render_html(parse_inline(text), anchors.render))
    return Markup(render_html(parse_inline(text), anchors.render, xrefs.render))


@jinja2.pass_context
def _unlinked(context: jinja2.runtime.Context, text: str) -> Markup:
    """Policy text whose cross-references stay words: headings (``Appendix A: …`` is the appendix,
    not a link to it) and the revision log, since ``Added criterion I.B.3`` named what was
    criterion I.B.3 then."""
    anchors: CitationAnchors = context["anchors"]
    return Markup(render_html(parse_inline(text), anchors.render))


@jinja2.pass_context
def _cited_at(context: jinja2.runtime.Context, number: int) -> tuple[str, ...]:
    anchors: CitationAnchors = context["anchors"]
    return anchors.cited_at(number)


def _template_diagnostic(exc: jinja2.TemplateError, template_dir: Path, rendering: str) -> Diagnostic:
    """A template problem as ``templates/x.j2:line:1: message``, the line found in the traceback."""
    filename = getattr(exc, "filename", None)
    line = getattr(exc, "lineno", None)
    if line is None:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith(".j2"):
                filename, line = frame.filename, frame.lineno
                break
    shown = display_path(Path(filename), template_dir.parent) if filename else template_dir.name
    kind = "template.syntax" if isinstance(exc, jinja2.TemplateSyntaxError) else "template.render"
    suffix = f" (while rendering {rendering})" if rendering else ""
    return Diagnostic(shown, line or 1, 1, kind, f"{exc.message or type(exc).__name__}{suffix}")


TEMPLATE_CACHE = "jinja"
"""The folder of ``.cache`` where compiled templates are kept (by the speed layer and the MkDocs adapter)."""


def compiled_templates_cache(folder: Path) -> jinja2.BytecodeCache:
    """Jinja's own cache of compiled templates in ``folder``: each under its name and the checksum of its
    source, so an edited template is compiled afresh and an unreadable entry is ignored. Compiling the
    theme's forty templates and the project's was half a second of every warm build."""
    folder.mkdir(parents=True, exist_ok=True)
    return jinja2.FileSystemBytecodeCache(str(folder))


class PageRenderer:
    """Renders policy pages and the index page of a project from its templates.

    The speed layer offers a stored renderer with the same interface, which keeps each
    policy page between runs (``speed.pages``).
    """

    def __init__(self, template_dir: Path, formats: DateFormats | None = None) -> None:
        self.template_dir = template_dir
        self.formats = formats or DateFormats()
        self.env = make_environment(template_dir, self.formats)
        self.env.filters["prose"] = _prose
        self.env.filters["unlinked"] = _unlinked
        self.env.filters["cited_at"] = _cited_at

    def check_templates(self) -> list[Diagnostic]:
        """Compile every template, reporting each syntax error with its file and line."""
        if not (self.template_dir / POLICY_TEMPLATE).is_file():
            shown = display_path(self.template_dir / POLICY_TEMPLATE, self.template_dir.parent)
            return [Diagnostic(shown, 1, 1, "template.missing", "the policy page template is missing")]
        diagnostics = []
        for name in self.env.list_templates(extensions=["j2"]):
            try:
                self.env.get_template(name)
            except jinja2.TemplateError as exc:
                diagnostics.append(_template_diagnostic(exc, self.template_dir, ""))
        return diagnostics

    @contextmanager
    def _rendering(self, what: str) -> Iterator[None]:
        """Turn a template failure into a ``SourceError`` naming the template line."""
        try:
            yield
        except jinja2.TemplateError as exc:
            raise SourceError([_template_diagnostic(exc, self.template_dir, what)]) from None

    def render_policy(self, project: Project, source: PolicySource, **extra: Any) -> str:
        """The Markdown page of one policy."""
        return self._render_policy(project, source, number_references(source.policy, project.bibliography), extra)

    def _render_policy(
        self, project: Project, source: PolicySource, references: tuple[NumberedReference, ...], extra: dict[str, Any]
    ) -> str:
        policy = source.policy
        with self._rendering(source.file):
            return self.env.get_template(POLICY_TEMPLATE).render(
                policy=policy,
                source=source,
                references=references,
                reminder=project.boilerplate.important_reminder,
                coding_notices=project.boilerplate.notices_for(policy),
                anchors=CitationAnchors.for_policy(policy),
                xrefs=CrossReferenceLinks.for_policy(policy, project),
                **extra,
            )

    def render_index(self, project: Project, pages_dir: str = Options.pages_dir, **extra: Any) -> str:
        """The home page: every policy, and the latest changes from the revision logs."""
        with self._rendering("the index page"):
            return self.env.get_template(INDEX_TEMPLATE).render(
                policies=sorted(project.policies, key=lambda s: policy_number_key(s.policy.id)),
                changes=recent_changes(project, RECENT_CHANGES),
                pages_dir=pages_dir,
                links=SiteLinks.from_page(INDEX_PAGE, pages_dir),
                **extra,
            )

    def render_codes(self, codes: Sequence[Any], pages_dir: str = Options.pages_dir, **extra: Any) -> str:
        """The code index page from ``render.exports.codes_export``: every code, its policy, table and row link."""
        with self._rendering("the code index page"):
            return self.env.get_template(CODES_TEMPLATE).render(
                codes=codes, links=SiteLinks.from_page(CODES_PAGE, pages_dir), **extra
            )

    def render_medicare_index(self, project: Project, pages_dir: str = Options.pages_dir) -> str:
        """The index of the policies applied as Medicare Advantage internal coverage criteria, by number."""
        policies = [
            s
            for s in sorted(project.policies, key=lambda s: policy_number_key(s.policy.id))
            if s.policy.medicare_advantage is not None and s.policy.medicare_advantage.internal_coverage_criteria
        ]
        with self._rendering("the Medicare Advantage criteria page"):
            return self.env.get_template(MEDICARE_TEMPLATE).render(
                policies=policies, links=SiteLinks.from_page(MEDICARE_PAGE, pages_dir)
            )

    def render_authorization_list(self, codes: Sequence[Any], pages_dir: str = Options.pages_dir) -> str:
        """The prior authorization list page from ``render.authorization.authorization_list``."""
        with self._rendering("the prior authorization list page"):
            return self.env.get_template(AUTHORIZATION_TEMPLATE).render(
                codes=codes,
                links=SiteLinks.from_page(AUTHORIZATION_PAGE, pages_dir),
                json=AUTHORIZATION_JSON,
                csv=AUTHORIZATION_CSV,
            )
