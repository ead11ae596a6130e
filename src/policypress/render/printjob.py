"""Assemble what one policy's archival PDF is made of (``PdfJob``), without loading the PDF engine.

The PDF cannot drift from the web page because its body *is* the web page: the same
Markdown that ``PageRenderer.render_policy`` gives MkDocs, converted by python-markdown
with the site's own extensions (heading permalinks off) when the PDF is rendered, wrapped by
``templates/pdf.html.j2`` with the document metadata and the running header, and laid
out by the print stylesheet ``templates/pdf.typ`` (``pdf.engine`` turns the HTML into
Typst). Everything a PDF depends on is gathered in a ``PdfJob``
(plain data, picklable, so worker processes can render it with ``pdf.engine``) whose
``cache_key`` hashes all of it together with the rendering engine.

This module does not import the PDF engine (Typst): the process that assembles the jobs and
finds most of them in the cache never pays for loading it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import Any

import markdown
from markupsafe import Markup

from policypress.project import PolicySource, Project, ProjectLayout
from policypress.render.pages import PageRenderer
from policypress.render.rawblocks import hold_raw_blocks, restore_raw_blocks
from policypress.sources.digest import tree_digest

PDF_VARIANT = "pdf/a-3a+pdf/ua-1"
"""PDF/A-3, conformance A (archival, tagged, attachments allowed), and PDF/UA-1 (accessible)."""
PRINT_TEMPLATE = "pdf.html.j2"
PRINT_STYLESHEET = "pdf.typ"
BODY_PLACEHOLDER = "<!-- policypress: the policy page -->"
try:
    POLICYPRESS_VERSION = version("policypress")
except PackageNotFoundError:  # running from a source tree that is not installed
    POLICYPRESS_VERSION = "unknown"


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the PDF (PDF/A-3 associated file, relationship ``Source``)."""

    name: str
    description: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class Provenance:
    """Where and when the sources come from; both end up in the PDF's metadata."""

    commit: str
    """The source commit (``<sha>``, ``<sha>-dirty`` or ``unknown``)."""
    date: dt.datetime | None
    """The document date: the commit time (``SOURCE_DATE_EPOCH``), never the clock; ``None``: the
    policy's effective date."""


@dataclass(frozen=True)
class PrintedVersion:
    """What a version's PDF says of itself on every page: facts fixed by its own commit, so its bytes never
    change once published (the window's end, a later version's date, is on its page and in versions.json)."""

    number: int
    effective: dt.date
    posted: dt.date
    commit: str


@dataclass(frozen=True)
class PdfJob:
    """Everything one PDF is made of; the same job always renders to the same bytes.

    The job holds the page as Markdown and the print document around it (``wrapper``); the
    page becomes HTML only when the PDF is rendered (in a worker), so a cache hit costs no
    Markdown conversion.
    """

    stem: str
    page: str
    """The policy page's Markdown, exactly as MkDocs gets it."""
    wrapper: str
    """The print HTML document, with ``BODY_PLACEHOLDER`` where the page goes."""
    css: str
    """The print stylesheet (``templates/pdf.typ``, Typst code that lays the page out)."""
    date: dt.datetime
    markdown_extensions: tuple[str, ...] = ("attr_list", "toc")
    markdown_configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
    asset_dir: str = ""
    """The folder ``ASSET_BASE_URL`` stands for (the project's templates)."""
    asset_digest: str = ""
    """Hash of every file under ``asset_dir``, which the PDF may load."""
    metadata: tuple[tuple[str, str], ...] = ()
    """Extra XMP properties (policy number, effective date, plan, source commit)."""

    def html(self) -> str:
        """The print HTML: the wrapper with the page converted by the site's Markdown settings."""
        body = page_html(self.page, self.markdown_extensions, json.dumps(self.markdown_configs, sort_keys=True))
        return self.wrapper.replace(BODY_PLACEHOLDER, body, 1)

    def cache_key(self, engine: str) -> str:
        """Hash of the job and the rendering ``engine`` (see ``engine_fingerprint``)."""
        return job_key(engine, self.content_digest())

    def content_digest(self) -> str:
        """Hash of everything the job is made of, the engine aside."""
        digest = hashlib.sha256()
        header = {
            "variant": PDF_VARIANT,
            "date": self.date.isoformat(),
            "markdown": [self.markdown_extensions, self.markdown_configs],
            "asset_digest": self.asset_digest,
            "metadata": self.metadata,
            "attachments": [
                (a.name, a.description, a.media_type, hashlib.sha256(a.data).hexdigest()) for a in self.attachments
            ],
        }
        for part in (json.dumps(header, sort_keys=True, default=repr), self.css, self.wrapper, self.page):
            data = part.encode("utf-8")
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)
        return digest.hexdigest()


def job_key(engine: str, content: str) -> str:
    """A PDF's cache key: its job's ``content_digest`` under the rendering ``engine``."""
    digest = hashlib.sha256()
    for part in (engine, content):
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


@dataclass(frozen=True)
class DeferredJob:
    """A PDF job known by its stem and content digest, made (``make()``) only when its PDF must be rendered:
    a version whose PDF is in the cache then costs no load of its commit and no page render."""

    stem: str
    digest: str
    make: Callable[[], PdfJob] = field(compare=False)

    def cache_key(self, engine: str) -> str:
        return job_key(engine, self.digest)


@cache
def _markdown(extensions: tuple[str, ...], configs: str) -> markdown.Markdown:
    return markdown.Markdown(extensions=list(extensions), extension_configs=json.loads(configs))


def page_html(page: str, extensions: tuple[str, ...], configs: str) -> str:
    """A page's Markdown as HTML, converted like MkDocs does with these extensions (``configs``: JSON).

    As on the site, the page's HTML blocks are carried past Python-Markdown (``render.rawblocks``): it
    sees only the headings, and the blocks come back exactly as the templates wrote them."""
    converter = _markdown(extensions, configs)
    converter.reset()
    held_page, held = hold_raw_blocks(page)
    return restore_raw_blocks(converter.convert(held_page), held)


class PrintRenderer:
    """Turns a policy into a ``PdfJob``: its web page, wrapped for print, and its sources."""

    def __init__(
        self,
        pages: PageRenderer,
        template_dir: Path,
        markdown_extensions: Sequence[str] = ("attr_list", "toc"),
        extension_configs: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.pages = pages
        self.template_dir = template_dir.resolve()
        self.markdown_extensions = tuple(str(name) for name in markdown_extensions)
        configs = {name: dict(options) for name, options in (extension_configs or {}).items()}
        if "toc" in self.markdown_extensions or "toc" in configs:
            configs.setdefault("toc", {})["permalink"] = False  # the ¶ anchors are web-only
        self.markdown_configs = configs
        self.css = (self.template_dir / PRINT_STYLESHEET).read_text(encoding="utf-8")
        self.asset_digest = tree_digest(self.template_dir)

    def wrapper(self, source: PolicySource, provenance: Provenance, printed: PrintedVersion | None = None) -> str:
        """The print document of ``source`` (metadata, running header; a version's footer line) with a
        placeholder for the page."""
        policy = source.policy
        return self.pages.env.get_template(PRINT_TEMPLATE).render(
            policy=policy,
            body=Markup(BODY_PLACEHOLDER),
            commit=provenance.commit,
            created=_w3c_date(document_date(source, provenance)),
            effective_date=policy.effective_date.isoformat(),
            version=POLICYPRESS_VERSION,
            policy_version=printed,
        )

    def job(
        self,
        project: Project,
        source: PolicySource,
        layout: ProjectLayout,
        provenance: Provenance,
        *,
        printed: PrintedVersion | None = None,
        stem: str = "",
        files: Mapping[str, bytes] | None = None,
    ) -> PdfJob:
        """Everything needed to render the PDF of ``source``: the very page the website shows, and more.

        For a version of the history: ``printed`` is what its pages say of it, ``stem`` the PDF's path
        under the PDF folder without ``.pdf``, and ``files`` the sources it attaches, as committed.
        """
        policy = source.policy
        return PdfJob(
            stem=stem or source.stem,
            page=self.pages.render_policy(project, source),
            wrapper=self.wrapper(source, provenance, printed),
            css=self.css,
            date=document_date(source, provenance),
            markdown_extensions=self.markdown_extensions,
            markdown_configs=self.markdown_configs,
            attachments=source_attachments(project, source, layout, files),
            asset_dir=str(self.template_dir),
            asset_digest=self.asset_digest,
            metadata=(
                ("number", policy.id),
                ("effectiveDate", policy.effective_date.isoformat()),
                ("plan", policy.plan),
                ("sourceCommit", provenance.commit),
            ),
        )


def document_date(source: PolicySource, provenance: Provenance) -> dt.datetime:
    """The date a PDF carries (created, modified, attachments): the sources' date, else the effective date."""
    if provenance.date is not None:
        return provenance.date.astimezone(dt.UTC)
    return dt.datetime.combine(source.policy.effective_date, dt.time(), dt.UTC)


def source_attachments(
    project: Project, source: PolicySource, layout: ProjectLayout, files: Mapping[str, bytes] | None = None
) -> tuple[Attachment, ...]:
    """The sources a PDF carries: the policy's YAML, its BibTeX entries and the shared boilerplate.

    Read from the project's folder, or from ``files`` (path relative to the root -> bytes: the policy
    file, then the shared legal text) for a version whose sources are in the history, not on disk.
    """
    policy = source.policy
    if files is None:
        files = {source.file: (layout.root / source.file).read_bytes()} | {
            path.relative_to(layout.root).as_posix(): path.read_bytes()
            for path in sorted(layout.boilerplate_path.glob("*.yaml"))
        }
    attachments = [
        Attachment(
            PurePosixPath(source.file).name,
            f"Source of policy {policy.id} ({source.file})",
            "application/yaml",
            files[source.file],
        )
    ]
    if policy.references:
        entries = "\n\n".join(project.bibliography.source(key) for key in policy.references)
        header = (
            f"% The BibTeX entries of policy {policy.id}, in reference-number order,\n"
            f"% as they stand in {layout.bibliography}.\n\n"
        )
        attachments.append(
            Attachment(
                f"{source.stem}.bib",
                f"References of policy {policy.id} (entries of {layout.bibliography})",
                "application/x-bibtex",
                (header + entries + "\n").encode("utf-8"),
            )
        )
    for shown, data in sorted(files.items()):
        if shown != source.file:
            name = PurePosixPath(shown).name
            attachments.append(Attachment(name, f"Shared legal text ({shown})", "application/yaml", data))
    return tuple(attachments)


def _w3c_date(date: dt.datetime) -> str:
    return date.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
