"""The MkDocs plugin: a thin adapter that feeds generated policy pages to MkDocs.

Everything policy-specific happens in the pipeline (load, validate, render), wired up by
``build.workspace``; this module only translates between it and MkDocs: it loads the project when MkDocs reads its
configuration (so invalid sources stop the build before anything is written),
adds the pages as in-memory files (no generated Markdown on disk or in git), points
"edit this page" at the YAML source and tells ``mkdocs serve`` what to watch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.toc import get_toc

from policypress.build.git import git_output
from policypress.build.provenance import source_date_epoch
from policypress.build.versions import PublishedVersion, VersionWork, published_versions, retired_versions
from policypress.build.workspace import Workspace
from policypress.errors import SourceError
from policypress.fhir.files import fhir_files
from policypress.fhir.resources import Site
from policypress.load.loader import links_outside
from policypress.mkdocs_plugin import preview
from policypress.model.inline import plain_text
from policypress.model.policy import Policy
from policypress.options import Options
from policypress.project import PolicySource, Project, ProjectLayout
from policypress.render.authorization import (
    AUTHORIZATION_PAGE,
    AuthorizationList,
    authorization_files,
    authorization_list,
)
from policypress.render.changes import atom_feed
from policypress.render.csp import UnknownInlineScript, add_content_security_policy, known_scripts
from policypress.render.exports import codes_export, export_files
from policypress.render.furniture import footer_problems
from policypress.render.pages import MEDICARE_PAGE, PageRenderer, compiled_templates_cache
from policypress.render.rawblocks import hold_raw_blocks, restore_raw_blocks
from policypress.render.search import SEARCH_INDEX, code_row_entries, with_code_rows
from policypress.render.urls import (
    CODES_PAGE,
    FEED_FILE,
    INDEX_PAGE,
    VERSION_CODES_FILE,
    page_source,
    page_source_of,
    pdf_url,
    relative_url,
    to_root,
    version_page_source,
    version_pdf_path,
    versions_data_path,
)
from policypress.render.versions import VersionEntry, Window, version_codes_document, versions_document


def _toc_urls(toc: Any) -> list[tuple[str, str]]:
    """Every heading of a page's table of contents as (id, url): what Material's parse looks up in it."""
    found: list[tuple[str, str]] = []
    for item in toc or ():
        found.append((str(item.id), str(item.url)))
        found.extend(_toc_urls(item.children))
    return found


def _toc_token(item: Any) -> dict[str, Any]:
    """A contents entry as the token ``get_toc`` builds it from (its title is HTML, kept as it is)."""
    return {"level": item.level, "id": item.id, "name": item.title, "children": [_toc_token(c) for c in item.children]}


def _stable_repr(value: Any) -> str:
    """A setting as text that is the same in every run: a function by its name, not its address."""
    if callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value).__qualname__)}"
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))


class _MessageCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:
            self.count += 1


@contextmanager
def _counting_messages() -> Iterator[list[int]]:
    """While the block runs, count MkDocs' messages (info and above); yields a list that holds the count if any."""
    counter = _MessageCounter()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(counter)
    found: list[int] = []
    try:
        yield found
    finally:
        logger.removeHandler(counter)
        if counter.count:
            found.append(counter.count)


class _DirtyPreviewNotice(logging.Filter):
    """Drops MkDocs' warning that a dirty build may be inaccurate: it would abort a strict preview.

    The warning does not apply here: navigation is fixed, every generated page is
    rewritten when its content changes, and Material's search plugin merges the index.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "'dirty' build is being performed" not in record.getMessage()


class PolicyPressConfig(base.Config):
    """Options under ``plugins: - policypress:`` in mkdocs.yml: those of ``policypress.options.Options``."""

    policy_dir = c.Type(str, default=Options.policy_dir)
    bibliography = c.Type(str, default=Options.bibliography)
    templates = c.Type(str, default=Options.templates)
    date_format = c.Type(str, default=Options.date_format)
    month_format = c.Type(str, default=Options.month_format)
    pages_dir = c.Type(str, default=Options.pages_dir)
    notice_days = c.Type(int, default=Options.notice_days)
    ama_licence_notice = c.Type(str, default=Options.ama_licence_notice)

    def options(self) -> Options:
        """The validated options as the rest of policypress takes them."""
        return Options(**{f.name: self[f.name] for f in dataclasses.fields(Options)})


VERSION_FRONT_MATTER = "---\nsearch:\n  exclude: true\n---\n\n"
"""Version pages stay out of search: a search finds the current policy, which lists its versions."""


def _as_json(value: Any) -> Any:
    """A version entry (and its dates) as JSON, for the inputs of a kept version page."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


class PolicyPressPlugin(BasePlugin[PolicyPressConfig]):
    """Generates the home page and one page per policy from ``policy/*.yaml`` and ``references.bib``."""

    def __init__(self) -> None:
        self.project: Project | None = None
        self.layout: ProjectLayout | None = None
        self.renderer: PageRenderer | None = None
        # kept across the rebuilds of a live preview (see on_startup): its reader remembers the files read
        self.workspace: Workspace | None = None
        self._preview_dir: Path | None = None
        self._live_dirty = False
        self._checked: tuple[Workspace, Project, PageRenderer] | None = None
        self._written: dict[Path, str] = {}
        self._held: dict[str, dict[str, str]] = {}
        self._scripts: tuple[tuple[str, ...], tuple[re.Pattern[str], ...]] | None = None
        self._versions_json: dict[str, str] = {}
        self._version_entries: dict[str, list[VersionEntry]] = {}
        self._version_policies: list[tuple[VersionEntry, Policy]] = []
        self._published_for: tuple[tuple[str, dt.date], dict[str, tuple[PublishedVersion, ...]]] | None = None
        self._render_for: tuple[Files, tuple[str, str]] | None = None
        self._authorization: AuthorizationList | None = None
        self.version_work = VersionWork()
        """What this build did with the versions (pages rendered or reused, commits loaded)."""
        self._templates_digest: tuple[tuple[tuple[str, int], ...], str] | None = None
        self._windows: dict[str, Window] = {}
        self._version_windows: list[tuple[PolicySource, Window]] = []
        self.fhir_summary = ""
        """What the last build did with the FHIR files (``api/fhir/``), for the command to print."""

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Having this hook keeps one plugin instance for all rebuilds of ``mkdocs serve``.

        So a rebuild re-reads only the files that changed and re-renders only the pages
        they affect. Under ``serve --dirty`` pages are also backed by files whose time
        changes only with their content, so MkDocs rebuilds just those pages.
        """
        self._live_dirty = command == "serve" and dirty
        if self._live_dirty:
            logging.getLogger("mkdocs.commands.build").addFilter(_DirtyPreviewNotice())

    def use_checked(self, workspace: Workspace, project: Project, renderer: PageRenderer) -> None:
        """Take sources the ``policypress`` command has already loaded and checked (in ``workspace``),
        instead of loading again.

        Source errors found while rendering then reach the command as they are, so it
        prints them like any other diagnostic.
        """
        self._checked = (workspace, project, renderer)

    @contextmanager
    def _as_plugin_error(self) -> Iterator[None]:
        """Report invalid sources to MkDocs as one clean error listing every diagnostic."""
        try:
            yield
        except SourceError as exc:
            if self._checked is not None:
                raise
            raise PluginError(f"invalid policy sources:\n{exc}") from None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Load and validate every source; refuse to build anything if one is invalid."""
        root = Path(config.config_file_path).resolve().parent
        if self._checked is not None:
            self.workspace, self.project, self.renderer = self._checked
        else:
            options = self.config.options()
            wanted = (options.layout(root), options.template_dir(root), options.formats())
            if (
                self.workspace is None
                or (
                    self.workspace.layout,
                    self.workspace.template_dir,
                    self.workspace.formats,
                )
                != wanted
            ):
                self.workspace = Workspace.for_options(options, root)
        self.layout = self.workspace.layout
        problems = footer_problems(config.extra.get("footer"))
        if problems:
            raise PluginError("mkdocs.yml: " + "\nmkdocs.yml: ".join(problems))
        if self._live_dirty:
            self._preview_dir = self.layout.cache_path / "preview"
        if self._checked is not None:
            return config
        self.renderer = self.workspace.renderer()
        with self._as_plugin_error():
            theme = [Path(config.docs_dir), *([Path(config.theme.custom_dir)] if config.theme.custom_dir else [])]
            if linked := links_outside(root, [self.workspace.template_dir, *theme]):
                raise SourceError(linked)
            template_errors = self.renderer.check_templates()
            if template_errors:
                raise SourceError(template_errors)
            self.project = self.workspace.load()
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """Let Material's search plugin read back the entries of unchanged generated pages."""
        for plugin in config.plugins.values():
            index = getattr(plugin, "search_index", None)
            if index is not None and callable(getattr(index, "add_entry_from_context", None)):
                self._keep_search_entries(index)

    def _keep_search_entries(self, index: Any) -> None:
        """Wrap the search index's ``add_entry_from_context`` (its parse of a page's HTML into entries):
        for a generated page, the entries come from the workspace, kept by the inputs of the parse."""
        parse_page = index.add_entry_from_context
        if getattr(parse_page, "policypress_kept", False):
            return
        workspace = self.workspace
        assert workspace is not None

        def add_entries(page: Any) -> None:
            if page.file.generated_by != "policypress":
                parse_page(page)
                return

            def parse() -> list[dict[str, Any]] | None:
                before = len(index.entries)
                parse_page(page)
                entries = index.entries[before:]
                del index.entries[before:]
                return list(entries) or None  # none: a page left out of search costs nothing to parse

            inputs = (
                page.url,
                str(page.title),
                json.dumps(page.meta, sort_keys=True, default=str),
                json.dumps(_toc_urls(page.toc)),
                page.content or "",
            )
            index.entries.extend(workspace.kept("search", inputs, parse) or ())

        add_entries.policypress_kept = True  # type: ignore[attr-defined]
        index.add_entry_from_context = add_entries

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Add the generated pages: ``index.md`` (unless docs/ has one) and one page per policy."""
        assert self.project is not None and self.renderer is not None
        with self._as_plugin_error():
            self._add_pages(files, config)
        return files

    def _add_pages(self, files: Files, config: MkDocsConfig) -> None:
        project, renderer = self.project, self.renderer
        assert project is not None and renderer is not None
        # what every page depends on besides its policy: templates (with includes), date formats, URLs
        templates = (self._template_signature(), renderer.formats, self.config.pages_dir)
        policies = tuple(source.policy for source in project.policies)
        assert self.workspace is not None
        memo = self.workspace.memo
        if files.get_file_from_path(INDEX_PAGE) is None:
            index = memo(
                INDEX_PAGE,
                (*policies, templates),
                lambda: renderer.render_index(project, pages_dir=self.config.pages_dir),
            )
            files.append(self._generated(config, INDEX_PAGE, index))
        self.version_work.reset()  # counted per build (one plugin may serve several)
        published = self._published(config, project)
        with_versions = any(published.get(source.policy.id) for source in project.policies)
        codes = memo(
            CODES_PAGE,
            (*policies, templates, with_versions),
            lambda: renderer.render_codes(
                codes_export(project, self.config.pages_dir).codes,
                self.config.pages_dir,
                version_codes=VERSION_CODES_FILE if with_versions else "",
            ),
        )
        files.append(self._generated(config, CODES_PAGE, codes))
        self._versions_json = {}
        self._version_entries = {}
        self._version_policies = []
        self._windows = {}
        self._version_windows = []
        for source in project.policies:
            self._windows.update(self._window(source, published.get(source.policy.id, ())))
        self._authorization = authorization_list(project, self.config.pages_dir, self._windows)
        page = renderer.render_authorization_list(self._authorization.codes, self.config.pages_dir)
        files.append(self._generated(config, AUTHORIZATION_PAGE, page, InclusionLevel.NOT_IN_NAV))
        internal = [
            s
            for s in project.policies
            if s.policy.medicare_advantage and s.policy.medicare_advantage.internal_coverage_criteria
        ]
        config.extra["medicare_advantage_index"] = bool(internal)  # the footer links the index when there is one
        if internal:
            index = renderer.render_medicare_index(project, self.config.pages_dir)
            files.append(self._generated(config, MEDICARE_PAGE, index, InclusionLevel.NOT_IN_NAV))
        for source in project.policies:
            src_uri = page_source(source, self.config.pages_dir)
            link = pdf_url(src_uri, source.stem, config.use_directory_urls)
            versions = tuple(
                self._entry(config, source.stem, version, src_uri) for version in published.get(source.policy.id, ())
            )
            # unchanged files give back the very same objects, so an unchanged page is found by identity
            content = memo(
                src_uri,
                (source.policy, source.file, project.bibliography, project.boilerplate, templates, link, versions),
                lambda source=source, link=link, versions=versions: renderer.render_policy(
                    project, source, pdf_url=link, versions=versions
                ),
            )
            # listed on the home page and found by search, not in the navigation: a thousand
            # policies would otherwise repeat a thousand links on every page
            page_file = self._generated(config, src_uri, content, InclusionLevel.NOT_IN_NAV)
            page_file.edit_uri = source.file
            files.append(page_file)
            self._add_version_pages(
                files, config, source.stem, source.policy.id, src_uri, published.get(source.policy.id, ())
            )
        for versions in retired_versions(project, published).values():
            self._add_retired(files, config, versions)

    def _window(self, source: PolicySource, versions: tuple[PublishedVersion, ...]) -> dict[str, Window]:
        """The latest committed version of a policy (its number and window) for the current sources; links go
        to its version page when the current sources are that version's own (else to the current page)."""
        if not versions:
            return {}
        latest = versions[-1]
        page = page_source(source, self.config.pages_dir).removesuffix(".md") + "/"
        if latest.policy == source.policy:  # the policy as its commit wrote it: the commit stays unloaded
            page = version_page_source(source.stem, latest.number, self.config.pages_dir).removesuffix(".md") + "/"
        version = latest.version
        return {source.stem: Window(version.number, version.effective, version.until, page)}

    def _published(self, config: MkDocsConfig, project: Project) -> dict[str, tuple[PublishedVersion, ...]]:
        """Every version of every policy from the git history (none outside git), status as of the source date."""
        config_file = Path(config.config_file_path).resolve()
        epoch = os.environ.get("SOURCE_DATE_EPOCH") or source_date_epoch(config_file.parent, project)
        today = dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        options = self.config.options()
        assert self.layout is not None
        key = (git_output(config_file.parent, "rev-parse", "HEAD"), today)
        if self._published_for is None or self._published_for[0] != key:  # a preview rebuild reads history once
            assert self.workspace is not None
            found = published_versions(
                config_file,
                self.layout,
                lambda path: options.layout(path.resolve().parent),
                today,
                remember=self.workspace.kept,
                work=self.version_work,
            )
            self._published_for = (key, found)
        return self._published_for[1]

    def published(self) -> dict[str, tuple[PublishedVersion, ...]]:
        """The versions this build read from the history (policy id -> versions), for their PDFs."""
        return {} if self._published_for is None else self._published_for[1]

    def _entry(self, config: MkDocsConfig, stem: str, published: PublishedVersion, from_src_uri: str) -> VersionEntry:
        """How a page links and describes one version (``from_src_uri``: the page that shows it)."""
        version, pages_dir = published.version, self.config.pages_dir
        page_src = version_page_source(stem, version.number, pages_dir)
        directory = config.use_directory_urls
        later = version_page_source(stem, version.number + 1, pages_dir) if version.number < published.total else ""
        return VersionEntry(
            number=version.number,
            total=published.total,
            status=published.status,
            effective=version.effective,
            until=version.until,
            posted=version.posted.date(),
            commit=version.commit,
            change=version.change,
            page=page_src.removesuffix(".md") + "/",
            url=relative_url(from_src_uri, page_src, directory),
            current_url=relative_url(from_src_uri, page_source_of(stem, pages_dir), directory),
            next_url=relative_url(from_src_uri, later, directory) if later else "",
            pdf=version_pdf_path(stem, version.number),
            pdf_url=to_root(from_src_uri, directory) + version_pdf_path(stem, version.number),
            retired=version.retired,
            title=plain_text(published.policy.title),
        )

    def _add_version_pages(
        self,
        files: Files,
        config: MkDocsConfig,
        stem: str,
        policy_id: str,
        current_src: str,
        versions: tuple[PublishedVersion, ...],
    ) -> None:
        """One page per version, from the sources of its commit, kept out of search (the current page is found)."""
        assert self.renderer is not None
        entries = []
        for published in versions:
            src_uri = version_page_source(stem, published.number, self.config.pages_dir)
            entry = self._entry(config, stem, published, src_uri)
            entries.append(self._entry(config, stem, published, current_src))
            self._version_policies.append((entries[-1], published.policy))
            content = self._version_page(
                "version-page",
                published,
                entry,
                lambda published=published, entry=entry: self.renderer.render_policy(  # type: ignore[union-attr]
                    published.project, published.source, version=entry, pdf_url=entry.pdf_url
                ),
            )
            window = Window(published.number, published.version.effective, published.version.until, entry.page)
            # the policy as its commit wrote it, read from the history (the version's project stays unloaded),
            # keyed by what the version is made of, so its FHIR files are kept like the current policy's
            key = "\x00".join(published.key())
            version_source = PolicySource(published.policy, published.file, published.stem, key)
            self._version_windows.append((version_source, window))
            page = self._generated(config, src_uri, VERSION_FRONT_MATTER + content, InclusionLevel.NOT_IN_NAV)
            page.edit_uri = None
            files.append(page)
        if versions:
            self._versions_json[versions_data_path(stem)] = versions_document(policy_id, entries)
            self._version_entries[policy_id] = entries

    def _add_retired(self, files: Files, config: MkDocsConfig, versions: tuple[PublishedVersion, ...]) -> None:
        """A policy removed from the sources keeps its version pages and PDFs; its page stays too, showing its
        last version with the banner saying it was retired, and every version (out of search, off the home page)."""
        assert self.renderer is not None
        last = versions[-1]
        src_uri = page_source_of(last.stem, self.config.pages_dir)
        self._add_version_pages(files, config, last.stem, last.policy.id, src_uri, versions)
        entries = self._version_entries[last.policy.id]  # as seen from src_uri, the page shown here
        content = self._version_page(
            "version-retired",
            last,
            entries,
            lambda: self.renderer.render_policy(  # type: ignore[union-attr]
                last.project, last.source, version=entries[-1], versions=tuple(entries), pdf_url=entries[-1].pdf_url
            ),
        )
        page = self._generated(config, src_uri, VERSION_FRONT_MATTER + content, InclusionLevel.NOT_IN_NAV)
        page.edit_uri = None
        files.append(page)

    def _version_page(self, kind: str, published: PublishedVersion, shown: Any, render: Callable[[], str]) -> str:
        """A version page's Markdown: ``render()``, or (fast) what it gave for the same version (its commit's
        tree, window, status), the same links and entries shown, templates, date formats and code."""
        assert self.workspace is not None and self.renderer is not None
        made: list[bool] = []

        def make() -> str:
            made.append(True)
            return render()

        inputs = (
            *published.key(),
            json.dumps(shown, sort_keys=True, default=_as_json),
            self._templates(),
            repr(self.renderer.formats),
            self.config.pages_dir,
        )
        content = str(self.workspace.kept(kind, inputs, make))
        if made:
            self.version_work.rendered += 1
        else:
            self.version_work.reused += 1
        return content

    def _templates(self) -> str:
        """Hash of every template file's path and bytes (read once per plugin instance and template change)."""
        signature = self._template_signature()
        if self._templates_digest is None or self._templates_digest[0] != signature:
            digest = hashlib.sha256()
            for name, _mtime in signature:
                digest.update(f"{name}\n".encode())
                digest.update(Path(name).read_bytes())
            self._templates_digest = (signature, digest.hexdigest())
        return self._templates_digest[1]

    def _template_signature(self) -> tuple[tuple[str, int], ...]:
        """Templates (subfolders too) and their modification times: a changed template re-renders every page."""
        assert self.renderer is not None
        folder = self.renderer.template_dir
        if not folder.is_dir():
            return ()
        return tuple(sorted((str(p), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()))

    def _generated(
        self, config: MkDocsConfig, src_uri: str, content: str, inclusion: InclusionLevel = InclusionLevel.UNDEFINED
    ) -> File:
        """A generated page; in a dirty preview, backed by a file rewritten only when its content changes."""
        if self._preview_dir is None:
            return File.generated(config, src_uri, content=content, inclusion=inclusion)
        path = self._preview_dir / src_uri
        if self._written.get(path) != content or not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            self._written[path] = content
        return File.generated(config, src_uri, abs_src_path=str(path), inclusion=inclusion)

    def on_env(self, env: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
        """The theme's templates are compiled once and kept between runs (``compiled_templates_cache``)."""
        folder = self.workspace.template_cache_dir() if self.workspace is not None else None
        if folder is not None and env.bytecode_cache is None:
            env.bytecode_cache = compiled_templates_cache(folder)
        return env

    def on_pre_page(self, page: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
        """A generated page's conversion by Python-Markdown is kept by its inputs (``_render_kept``)."""
        if page.file.generated_by == "policypress" and self.workspace is not None and self.workspace.fast:
            render = page.render
            page.render = lambda config, files: self._render_kept(page, render, config, files)
        return page

    def _render_kept(self, page: Any, render: Any, config: MkDocsConfig, files: Files) -> None:
        """MkDocs' ``page.render`` (Markdown to HTML, contents, title, anchors), or what it gave for the same
        Markdown, page address, site files and Markdown settings in an earlier run.

        Only a render that logged nothing and links to no other page's anchor is kept (the
        links to its own headings are kept with it and checked as usual), so a kept page has
        no message to repeat."""
        assert self.workspace is not None
        made: list[bool] = []

        def make() -> dict[str, Any] | None:
            made.append(True)
            with _counting_messages() as messages:
                render(config, files)
            links = page.links_to_anchors or {}
            if messages or any(linked is not page.file for linked in links):
                return None
            return {
                "own_links": links.get(page.file, {}),
                "content": page.content,
                "toc": [_toc_token(item) for item in page.toc],
                "title": page._title_from_render,
                "anchors": sorted(page.present_anchor_ids or ()),
            }

        own = (page.markdown or "", page.file.src_uri, page.file.dest_uri, page.file.url)
        inputs = (*own, *self._render_inputs(config, files))
        kept = self.workspace.kept("markdown", inputs, make)
        if made:
            return
        assert kept is not None
        page.content = kept["content"]
        page.toc = get_toc(kept["toc"])
        page._title_from_render = kept["title"]
        page.present_anchor_ids = set(kept["anchors"])
        page.links_to_anchors = {page.file: kept["own_links"]} if kept["own_links"] else {}

    def _render_inputs(self, config: MkDocsConfig, files: Files) -> tuple[str, str]:
        """What every page's conversion depends on besides its own Markdown: the site's files (links resolve
        against them) and the Markdown settings; worked out once per build."""
        if self._render_for is None or self._render_for[0] is not files:
            names = json.dumps(sorted(f.src_uri for f in files))
            settings = json.dumps(
                [config["markdown_extensions"], config["mdx_configs"], config["use_directory_urls"]],
                sort_keys=True,
                default=_stable_repr,
            )
            self._render_for = (files, (names, settings))
        return self._render_for[1]

    def on_page_markdown(self, markdown: str, /, *, page: Any, config: MkDocsConfig, files: Files) -> str:
        """Hand MkDocs only the headings of a generated page; its HTML blocks skip Markdown (see rawblocks)."""
        if page.file.generated_by != "policypress":
            return markdown
        converted, held = hold_raw_blocks(markdown)
        self._held[page.file.src_uri] = held
        return converted

    def on_page_content(self, html: str, /, *, page: Any, config: MkDocsConfig, files: Files) -> str:
        """Put the HTML blocks of a generated page back, exactly as the templates rendered them."""
        return restore_raw_blocks(html, self._held.pop(page.file.src_uri, {}))

    def _theme_scripts(self, config: MkDocsConfig) -> tuple[re.Pattern[str], ...]:
        """The inline scripts the theme's templates (its own and ``custom_dir``'s) can write."""
        dirs = tuple(str(d) for d in config.theme.dirs)
        if self._scripts is None or self._scripts[0] != dirs:
            texts = (path.read_text(encoding="utf-8") for d in dirs for path in sorted(Path(d).rglob("*.html")))
            self._scripts = (dirs, known_scripts(texts))
        return self._scripts[1]

    def on_post_page(self, output: str, /, *, page: Any, config: MkDocsConfig) -> str:
        """Every page carries a Content-Security-Policy allowing only the theme's scripts on it."""
        try:
            return add_content_security_policy(output, self._theme_scripts(config))
        except UnknownInlineScript as exc:
            raise PluginError(f"{page.file.src_uri}: {exc}") from None

    def on_post_template(self, output_content: str, /, *, template_name: str, config: MkDocsConfig) -> str:
        """The same policy on pages built from theme templates (404.html)."""
        if not template_name.endswith(".html"):
            return output_content
        try:
            return add_content_security_policy(output_content, self._theme_scripts(config))
        except UnknownInlineScript as exc:
            raise PluginError(f"{template_name}: {exc}") from None

    @event_priority(-50)  # after the search plugin has written its index (_index_code_rows)
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Write the machine-readable exports (``api/``) beside the pages, from the same model."""
        assert self.project is not None
        assert self.workspace is not None
        self.workspace.pages_written()  # pages rendered by this build, for the next run
        site = Path(config.site_dir)
        files = export_files(self.project, self.config.pages_dir, self.workspace.memo)
        files[FEED_FILE] = atom_feed(
            self.project,
            config.site_name,
            config.site_url or "/",
            self.config.pages_dir,
            versions=self._version_entries,
        )
        files.update(self._versions_json)
        if self._version_policies:
            files[VERSION_CODES_FILE] = version_codes_document(self._version_policies)
        assert self._authorization is not None
        files.update(authorization_files(self._authorization))
        if config.site_url:
            site_url = config.site_url if config.site_url.endswith("/") else config.site_url + "/"
            site_of = Site(site_url, self.config.ama_licence_notice)
            fhir = fhir_files(
                self.project,
                self.config.pages_dir,
                site_of,
                self._windows,
                self._version_windows,
                keep=lambda source, window, folder, make: self._kept_fhir(site_of, source, window, folder, make),
            )
            files.update(fhir)
            count = len(self.project.policies)
            self.fhir_summary = (
                f"fhir: {len(fhir)} file(s) for {count} {'policy' if count == 1 else 'policies'} in api/fhir/"
            )
        else:
            self.fhir_summary = "fhir: skipped: set site_url in mkdocs.yml (FHIR canonical URLs need it)"
        for relative, content in files.items():
            target = site / relative
            if self._written.get(target) == content and target.is_file():
                continue  # a preview rebuild: this file has not changed
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8", newline="")
            if self._live_dirty:
                self._written[target] = content
        self._index_code_rows(site)

    def _kept_fhir(
        self, site: Site, source: PolicySource, window: Window, folder: str, make: Callable[[], dict[str, str]]
    ) -> dict[str, str]:
        """A policy version's FHIR files, kept in the work cache by the policy file's content, its window,
        the site and the folder (a source read without a content key is made every time)."""
        if not source.key or self.workspace is None:
            return make()
        inputs = (source.key, source.stem, folder, repr(window), repr(site), self.config.pages_dir)
        kept = self.workspace.kept("fhir", inputs, make)
        assert kept is not None
        return kept

    def _index_code_rows(self, site: Path) -> None:
        """Give every code row its own search entry (``render.search``), after the search plugin wrote its index."""
        assert self.project is not None
        index = site / SEARCH_INDEX
        if not index.is_file():
            return  # search is not enabled
        rows = code_row_entries(self.project, self.config.pages_dir)
        index.write_text(with_code_rows(index.read_text(encoding="utf-8"), rows), encoding="utf-8", newline="")

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        """Rebuild the preview when a policy, the bibliography or a template changes.

        The served pages admit MkDocs' reload script and show a failed rebuild's errors (``preview``)."""
        assert self.layout is not None
        preview.install(server)
        for path in [*self.layout.watched_paths(), self.config.options().template_dir(self.layout.root)]:
            if path.exists():
                server.watch(str(path))
        return server
