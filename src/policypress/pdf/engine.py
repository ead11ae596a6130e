"""Print one policy's ``PdfJob`` (``render.printjob``) to an archival PDF (PDF/A-3a, tagged) with WeasyPrint.

``engine_fingerprint`` names everything besides the job that decides the bytes (library
versions, zlib, system text libraries, font files, the code of this package and of
``printjob``); it is part of every PDF's cache key.

WeasyPrint reaches nothing outside the job: ``AssetFetcher`` serves the project's
template folder under a fixed virtual URL and the job's attachments, and refuses every
other URL (``file:`` elsewhere on disk, ``http(s):``, ``data:`` …); a refused fetch fails
the PDF. Dates come from the job, never from the clock, and the PDF identifier is a hash
of the content, so the same job always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import subprocess
import warnings
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

with warnings.catch_warnings():
    # WeasyPrint 70 subsets fonts with fontTools when HarfBuzz's subset library is missing (a fresh
    # Debian image has no libharfbuzz-subset0), and warns that a future version will require it.
    warnings.filterwarnings("ignore", "HarfBuzz-Subset will be required", DeprecationWarning)
    import pydyf
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

from policypress.errors import PdfError
from policypress.render import printjob
from policypress.render.printjob import PDF_VARIANT, POLICYPRESS_VERSION, Attachment, PdfJob

ASSET_BASE_URL = "file:///policypress/templates/"
"""The virtual address of the project's template folder inside WeasyPrint: no machine path reaches the PDF."""
ATTACHMENT_BASE_URL = "file:///policypress/attachments/"
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
DEFLATE_LEVEL = 7
"""zlib level of the PDF's streams. pydyf asks for 9, whose longer match search spends a tenth
of a render on page content streams (repetitive text operators) to make the PDF 1.2% smaller
than level 7 does (measured on a thousand generated policies: 31 vs 9 ms, 68.2 vs 69.0 kB)."""
_TEXT_LIBRARIES = re.compile(r"lib(pango|pangoft2|harfbuzz|harfbuzz-subset|fontconfig|freetype)[-.]")
_XMP_NAMESPACE = "urn:policypress:ns:policy:1.0:"
_WEASYPRINT_LOGGER = logging.getLogger("weasyprint")
_PACKAGE = Path(__file__).resolve().parents[1]


class _Deflate:
    """pydyf's view of ``zlib``: its streams (``Stream.data``, which asks ``compressobj`` for level 9)
    are compressed at ``DEFLATE_LEVEL``; everything else is zlib's own."""

    def __init__(self, level: int) -> None:
        self.level = level

    def compressobj(self, level: int = -1, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(self.level, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)


pydyf.zlib = _Deflate(DEFLATE_LEVEL)


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


@lru_cache(maxsize=2)
def _font_config(css: str) -> FontConfiguration:
    """One fontconfig set-up (and Pango's font and glyph caches) for every PDF using the stylesheet ``css``."""
    return FontConfiguration()


def render_pdf(job: PdfJob) -> bytes:
    """The PDF/A bytes of ``job``; raises ``PdfError`` if the page asked for anything outside the project."""
    fetcher = AssetFetcher(job.asset_dir, job.attachments)
    fonts = _font_config(job.css)
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
            stylesheet = weasyprint.CSS(string=job.css, base_url=ASSET_BASE_URL, url_fetcher=fetcher, font_config=fonts)
            data = html.write_pdf(
                stylesheets=[stylesheet],
                font_config=fonts,
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


def render_document_pdf(name: str, html: str, date: dt.datetime) -> bytes:
    """A self-contained HTML document (a redline) as a tagged PDF dated ``date``; it may fetch nothing."""
    fetcher = AssetFetcher("")
    problems = _Problems()
    _WEASYPRINT_LOGGER.addHandler(problems)
    try:
        with warnings.catch_warnings(), _source_date(date):
            warnings.filterwarnings("ignore", r"unclosed file .*sRGB2014\.icc", ResourceWarning)
            document = weasyprint.HTML(string=html, base_url=ASSET_BASE_URL, url_fetcher=fetcher)
            data = document.write_pdf(
                pdf_variant=PDF_VARIANT,
                finisher=lambda _document, pdf: _date(pdf, date),
            )
    finally:
        _WEASYPRINT_LOGGER.removeHandler(problems)
    if fetcher.refused or problems.messages:
        raise PdfError(f"{name}: " + "; ".join([*sorted(set(fetcher.refused)), *problems.messages]))
    assert isinstance(data, bytes)
    return data


def _date(pdf: Any, date: dt.datetime) -> None:
    """The document's dates from its sources, never the clock."""
    stamp = _naive_utc(date).strftime("D:%Y%m%d%H%M%SZ")
    pdf.info["CreationDate"] = pydyf.String(stamp)
    pdf.info["ModDate"] = pydyf.String(stamp)
    pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})


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
    """Load WeasyPrint, Pango and the fonts once, before the first real job (a worker's start-up)."""
    weasyprint.HTML(string="<p>policypress</p>").render()


@cache
def engine_fingerprint() -> str:
    """What, besides the job, decides the bytes: library versions, system text libraries, font files, this code."""
    parts = [f"policypress {POLICYPRESS_VERSION}"]
    for module in _engine_modules():
        parts.append(f"{module.relative_to(_PACKAGE).as_posix()} {hashlib.sha256(module.read_bytes()).hexdigest()}")
    for package in _ENGINE_PACKAGES:
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} -")
    parts.append(f"zlib {zlib.ZLIB_RUNTIME_VERSION}")
    parts.extend(_text_libraries())
    parts.extend(_font_files())
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _engine_modules() -> list[Path]:
    """The code that turns a job into bytes: every module of this package (recursively) and the job's own."""
    here = Path(__file__).resolve().parent
    return sorted({*(p for p in here.rglob("*.py") if p.is_file()), Path(printjob.__file__).resolve()})


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


def _naive_utc(date: dt.datetime) -> dt.datetime:
    return date.astimezone(dt.UTC).replace(tzinfo=None)


def _finish(pdf: Any, job: PdfJob) -> None:
    """Last touches before the PDF is written: policy metadata in XMP, the title shown by viewers."""
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
