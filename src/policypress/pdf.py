"""Print one policy to an archival PDF (PDF/A-3a, tagged) with WeasyPrint.

The PDF cannot drift from the web page because its body *is* the web page: the same
Markdown that ``PageRenderer.render_policy`` gives MkDocs, converted by python-markdown
with the site's own extensions (heading permalinks off) when the PDF is rendered, wrapped by
``templates/pdf.html.j2`` with the document metadata and the running header and laid
out by ``templates/pdf.css``. Everything a PDF depends on is gathered in a ``PdfJob``
(plain data, picklable, so worker processes can render it) whose ``cache_key`` hashes
all of it together with the rendering engine (library versions, system text libraries,
font files, this module's own code).

WeasyPrint reaches nothing outside the job: ``AssetFetcher`` serves the project's
template folder under a fixed virtual URL and the job's attachments, and refuses every
other URL (``file:`` elsewhere on disk, ``http(s):``, ``data:`` …); a refused fetch fails
the PDF. Dates come from the job, never from the clock, and the PDF identifier is a hash
of the content, so the same job always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import subprocess
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import markdown
from markupsafe import Markup

with warnings.catch_warnings():
    # WeasyPrint 70 subsets fonts with fontTools when HarfBuzz's subset library is missing (a fresh
    # Debian image has no libharfbuzz-subset0), and warns that a future version will require it.
    warnings.filterwarnings("ignore", "HarfBuzz-Subset will be required", DeprecationWarning)
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

from policypress.project import PolicySource, Project, ProjectLayout
from policypress.render import PageRenderer

PDF_VARIANT = "pdf/a-3a"
"""PDF/A-3, conformance A: archival, tagged (structure tree for screen readers), attachments allowed."""
PRINT_TEMPLATE = "pdf.html.j2"
PRINT_STYLESHEET = "pdf.css"
ASSET_BASE_URL = "file:///policypress/templates/"
"""The virtual address of the project's template folder inside WeasyPrint: no machine path reaches the PDF."""
ATTACHMENT_BASE_URL = "file:///policypress/attachments/"
BODY_PLACEHOLDER = "<!-- policypress: the policy page -->"
FONT_PATTERNS = (
    "DejaVu Sans",
    "DejaVu Sans:weight=bold",
    "DejaVu Sans:slant=oblique",
    "DejaVu Sans:weight=bold:slant=oblique",
)
"""The fonts pdf.css asks for, as fontconfig patterns: their files are part of every cache key."""
_ENGINE_PACKAGES = (
    "markdown",
    "weasyprint",
    "pydyf",
    "fonttools",
    "tinycss2",
    "tinyhtml5",
    "cssselect2",
    "pyphen",
    "pillow",
)
_TEXT_LIBRARIES = re.compile(r"lib(pango|pangoft2|harfbuzz|harfbuzz-subset|fontconfig|freetype)[-.]")
_XMP_NAMESPACE = "urn:policypress:ns:policy:1.0:"
_WEASYPRINT_LOGGER = logging.getLogger("weasyprint")
try:
    _VERSION = version("policypress")
except PackageNotFoundError:  # running from a source tree that is not installed
    _VERSION = "unknown"


class PdfError(Exception):
    """A PDF could not be made as promised (e.g. the page refers to something outside the project)."""


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
        """The document WeasyPrint prints: the wrapper with the page converted by the site's Markdown settings."""
        body = page_html(self.page, self.markdown_extensions, json.dumps(self.markdown_configs, sort_keys=True))
        return self.wrapper.replace(BODY_PLACEHOLDER, body, 1)

    def cache_key(self, engine: str) -> str:
        """Hash of the job and the rendering ``engine`` (see ``engine_fingerprint``)."""
        digest = hashlib.sha256()
        header = {
            "engine": engine,
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


@cache
def _markdown(extensions: tuple[str, ...], configs: str) -> markdown.Markdown:
    return markdown.Markdown(extensions=list(extensions), extension_configs=json.loads(configs))


def page_html(page: str, extensions: tuple[str, ...], configs: str) -> str:
    """A page's Markdown as HTML, converted like MkDocs does with these extensions (``configs``: JSON)."""
    converter = _markdown(extensions, configs)
    converter.reset()
    return converter.convert(page)


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
        self.asset_digest = _tree_digest(self.template_dir)

    def wrapper(self, source: PolicySource, provenance: Provenance) -> str:
        """The print document of ``source`` (metadata, running header) with a placeholder for the page."""
        policy = source.policy
        return self.pages.env.get_template(PRINT_TEMPLATE).render(
            policy=policy,
            body=Markup(BODY_PLACEHOLDER),
            commit=provenance.commit,
            created=_w3c_date(document_date(source, provenance)),
            effective_date=policy.effective_date.isoformat(),
            version=_VERSION,
        )

    def job(self, project: Project, source: PolicySource, layout: ProjectLayout, provenance: Provenance) -> PdfJob:
        """Everything needed to render the PDF of ``source``: the very page the website shows, and more."""
        policy = source.policy
        return PdfJob(
            stem=source.stem,
            page=self.pages.render_policy(project, source),
            wrapper=self.wrapper(source, provenance),
            css=self.css,
            date=document_date(source, provenance),
            markdown_extensions=self.markdown_extensions,
            markdown_configs=self.markdown_configs,
            attachments=source_attachments(project, source, layout),
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


def source_attachments(project: Project, source: PolicySource, layout: ProjectLayout) -> tuple[Attachment, ...]:
    """The sources a PDF carries: the policy's YAML, its BibTeX entries and the shared boilerplate."""
    policy = source.policy
    attachments = [
        Attachment(
            PurePosixPath(source.file).name,
            f"Source of policy {policy.id} ({source.file})",
            "application/yaml",
            (layout.root / source.file).read_bytes(),
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
    for path in sorted(layout.boilerplate_path.glob("*.yaml")):
        shown = path.relative_to(layout.root).as_posix()
        attachments.append(Attachment(path.name, f"Shared legal text ({shown})", "application/yaml", path.read_bytes()))
    return tuple(attachments)


class AssetFetcher(URLFetcher):
    """WeasyPrint's only way out: the project's templates and the job's attachments, nothing else."""

    def __init__(self, asset_dir: str, attachments: Iterable[Attachment] = ()) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.asset_dir = Path(asset_dir).resolve() if asset_dir else None
        self.attachments = {_attachment_url(i, a): a for i, a in enumerate(attachments)}
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        attachment = self.attachments.get(url)
        if attachment is not None:
            return URLFetcherResponse(url, attachment.data, {"Content-Type": attachment.media_type})
        path = self._asset_path(url)
        if path is None:
            self.refused.append(url)
            raise ValueError(f"policypress does not fetch {url!r}: only the project's own templates")
        return URLFetcherResponse(url, path.read_bytes())

    def _asset_path(self, url: str) -> Path | None:
        """The file under ``asset_dir`` that ``url`` names, or ``None`` if it names anything else."""
        if self.asset_dir is None or not url.startswith(ASSET_BASE_URL):
            return None
        parts = urlsplit(url)
        relative = unquote(parts.path).removeprefix(urlsplit(ASSET_BASE_URL).path)
        path = (self.asset_dir / relative).resolve()
        if not path.is_relative_to(self.asset_dir) or not path.is_file():
            return None
        return path


@contextmanager
def _source_date(date: dt.datetime) -> Iterator[None]:
    """``SOURCE_DATE_EPOCH`` set to the job's date while rendering: fontTools (which subsets the fonts
    where HarfBuzz's subset library is missing) stamps each font with it instead of the clock."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(date.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _attachment_url(index: int, attachment: Attachment) -> str:
    return f"{ATTACHMENT_BASE_URL}{index}/{attachment.name}"


def render_pdf(job: PdfJob) -> bytes:
    """The PDF/A bytes of ``job``; raises ``PdfError`` if the page asked for anything outside the project."""
    fetcher = AssetFetcher(job.asset_dir, job.attachments)
    attachments = [
        weasyprint.Attachment(
            url=_attachment_url(i, a),
            url_fetcher=fetcher,
            name=a.name,
            description=a.description,
            created=_naive_utc(job.date),
            modified=_naive_utc(job.date),
            relationship="Source",
        )
        for i, a in enumerate(job.attachments)
    ]
    problems = _Problems()
    _WEASYPRINT_LOGGER.addHandler(problems)
    try:
        with warnings.catch_warnings(), _source_date(job.date):
            # WeasyPrint 70 leaves closing its sRGB profile to the garbage collector: harmless, but warned
            warnings.filterwarnings("ignore", r"unclosed file .*sRGB2014\.icc", ResourceWarning)
            html = weasyprint.HTML(string=job.html(), base_url=ASSET_BASE_URL, url_fetcher=fetcher)
            stylesheet = weasyprint.CSS(string=job.css, base_url=ASSET_BASE_URL, url_fetcher=fetcher)
            data = html.write_pdf(
                stylesheets=[stylesheet],
                attachments=attachments,
                pdf_variant=PDF_VARIANT,
                custom_metadata=True,
                finisher=lambda document, pdf: _finish(pdf, job),
            )
    finally:
        _WEASYPRINT_LOGGER.removeHandler(problems)
    if fetcher.refused:
        raise PdfError(f"{job.stem}.pdf: refused to fetch {', '.join(sorted(set(fetcher.refused)))}")
    if problems.messages:
        raise PdfError(f"{job.stem}.pdf: WeasyPrint reported: " + "; ".join(problems.messages))
    assert isinstance(data, bytes)
    return data


class _Problems(logging.Handler):
    """Collects WeasyPrint's warnings and errors (unknown CSS, unloadable resources): each fails the PDF."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(_TOLERATED):
            self.messages.append(message)


_TOLERATED = ("Using fontTools instead of HarfBuzz-Subset",)
"""WeasyPrint messages that do not fail a PDF: without libharfbuzz-subset0 (not on a fresh Debian
image) fonts are subset by fontTools, which is slower but embeds the same glyphs."""


def warm_up() -> None:
    """Worker start-up: load WeasyPrint, Pango and the fonts once, before the first real job."""
    weasyprint.HTML(string="<p>policypress</p>").render()


@cache
def engine_fingerprint() -> str:
    """What, besides the job, decides the bytes: library versions, system text libraries, font files, this code."""
    parts = [f"policypress {_VERSION}", f"pdf.py {hashlib.sha256(Path(__file__).read_bytes()).hexdigest()}"]
    for package in _ENGINE_PACKAGES:
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} -")
    parts.extend(_text_libraries())
    parts.extend(_font_files())
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _text_libraries() -> list[str]:
    """Pango, HarfBuzz, fontconfig and FreeType as loaded in this process: real file name and size."""
    from weasyprint.text.ffi import pango

    found = {f"pango {pango.pango_version()}"}
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8").splitlines()
    except OSError:
        maps = []
    for line in maps:
        path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
        if _TEXT_LIBRARIES.search(os.path.basename(path)) and os.path.exists(path):
            real = os.path.realpath(path)
            found.add(f"{os.path.basename(real)} {os.path.getsize(real)}")
    return sorted(found)


def _font_files() -> list[str]:
    """The font files fontconfig picks for ``FONT_PATTERNS``, by content hash."""
    lines = []
    for pattern in FONT_PATTERNS:
        try:
            result = subprocess.run(
                ["fc-match", "--format=%{file}", pattern], capture_output=True, text=True, check=True
            )
            path = Path(result.stdout.strip())
            lines.append(f"{pattern} {hashlib.sha256(path.read_bytes()).hexdigest()}")
        except (OSError, subprocess.CalledProcessError) as error:
            raise PdfError(f"cannot identify the font for {pattern!r} (is fontconfig installed?): {error}") from None
    return lines


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _w3c_date(date: dt.datetime) -> str:
    return date.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _naive_utc(date: dt.datetime) -> dt.datetime:
    return date.astimezone(dt.UTC).replace(tzinfo=None)


def _finish(pdf: Any, job: PdfJob) -> None:
    """Last touches before the PDF is written: policy metadata in XMP, the title shown by viewers."""
    import pydyf

    pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})
    if not job.metadata:
        return
    reference = pdf.catalog["Metadata"]
    reference = reference.decode("ascii") if isinstance(reference, bytes) else str(reference)
    stream = pdf.objects[int(reference.split()[0])]
    xmp = b"".join(stream.stream)
    closing = b"</rdf:RDF>"
    assert xmp.count(closing) == 1, "unexpected XMP packet from WeasyPrint"
    stream.stream = [xmp.replace(closing, _policy_xmp(job.metadata) + closing)]


def _policy_xmp(properties: Sequence[tuple[str, str]]) -> bytes:
    """XMP properties of the policy, with the PDF/A extension schema that declares them."""
    from xml.sax.saxutils import escape

    declarations = "".join(
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{escape(_PROPERTY_DESCRIPTIONS.get(name, name))}</pdfaProperty:description>"
        "</rdf:li>"
        for name, _value in properties
    )
    values = "".join(f"<policy:{name}>{escape(value)}</policy:{name}>" for name, value in properties)
    return (
        '<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
        'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" '
        'xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
        "<pdfaExtension:schemas><rdf:Bag>"
        '<rdf:li rdf:parseType="Resource">'
        "<pdfaSchema:schema>policypress clinical policy</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{_XMP_NAMESPACE}</pdfaSchema:namespaceURI>"
        "<pdfaSchema:prefix>policy</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{declarations}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
        f'<rdf:Description rdf:about="" xmlns:policy="{_XMP_NAMESPACE}">{values}</rdf:Description>'
    ).encode()


_PROPERTY_DESCRIPTIONS = {
    "number": "Reference number of the clinical policy",
    "effectiveDate": "Effective date of the policy (ISO 8601)",
    "plan": "Health plan that publishes the policy",
    "sourceCommit": "Version-control commit of the sources this PDF was built from",
}
