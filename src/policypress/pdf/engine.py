"""Print one policy's ``PdfJob`` (``render.printjob``) to an archival PDF (PDF/A-3a and PDF/UA-1, tagged) with Typst.

The job's print HTML (the policy page, wrapped) becomes a Typst document
(``pdf.typstmarkup``) laid out by the job's stylesheet (``templates/pdf.typ``); the
in-process Typst compiler (PyPI ``typst``) makes the PDF, and ``pdf.finish`` adds what
Typst cannot write itself (the policy's XMP properties, named destinations).

``engine_fingerprint`` names everything besides the job that decides the bytes (the Typst
version, the font files, the code of this package and of ``printjob``); it is part of every
PDF's cache key.

Typst reaches nothing outside the job: it compiles in an empty folder that holds only the
job's attachments (and any template image the page shows), with the fonts handed to it
and no system fonts; ``AssetFetcher`` serves the page's resources from the project's
template folder and refuses every other URL, and a refused fetch fails the PDF. Dates come
from the job, never from the clock, so the same job always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import unquote, urlsplit

import typst

from policypress.errors import PdfError
from policypress.pdf import finish, fonts
from policypress.pdf.typstmarkup import TypstDocument, convert, typst_string
from policypress.render import printjob
from policypress.render.printjob import POLICYPRESS_VERSION, Attachment, PdfJob

ASSET_BASE_URL = "file:///policypress/templates/"
"""The virtual address of the project's template folder in the print HTML: no machine path reaches the PDF."""
DOCUMENT_STYLESHEET = Path(__file__).with_name("document.typ")
"""The layout of documents that are not policy pages (redlines): the package's own, not the project's."""
PDF_STANDARDS = ("a-3a", "ua-1")
"""PDF/A-3a (archival, tagged, attachments allowed) and PDF/UA-1 (accessible): Typst checks both while writing."""
_ENGINE_PACKAGES = ("typst", "markdown", "fonttools")
_PACKAGE = Path(__file__).resolve().parents[1]
_PACKAGE_IMPORT = re.compile(r"""#?\s*(import|include)\s+"@""")
_STANDARD_META = frozenset(
    {"author", "description", "keywords", "generator", "dcterms.created", "dcterms.modified"}
    | {"running-header-left", "running-header-right", "running-footer-left"}
)
"""Meta names of the print HTML that Typst's own document properties carry (or that are layout)."""
_ANCHOR_QUERY = (
    'query(metadata).filter(m => m.value == "policypress-anchor").map(m => (str(m.label), m.location().position()))'
)


@dataclass(frozen=True)
class FetchedAsset:
    """A file of the project's template folder that the page asked for."""

    url: str
    data: bytes

    def read(self) -> bytes:
        return self.data


class AssetFetcher:
    """The page's only way out: the project's templates and the job's attachments, nothing else."""

    def __init__(self, asset_dir: str, attachments: Iterable[Attachment] = ()) -> None:
        self.asset_dir = Path(asset_dir).resolve() if asset_dir else None
        self.attachments = {f"file:///policypress/attachments/{i}/{a.name}": a for i, a in enumerate(attachments)}
        self.refused: list[str] = []

    def fetch(self, url: str) -> FetchedAsset:
        """The file ``url`` names; ``ValueError`` (and the URL recorded) for anything outside the project."""
        attachment = self.attachments.get(url)
        if attachment is not None:
            return FetchedAsset(url, attachment.data)
        path = self._asset_path(url)
        if path is None:
            self.refused.append(url)
            raise ValueError(f"policypress does not fetch {url!r}: only the project's own templates")
        return FetchedAsset(url, path.read_bytes())

    def fetch_bytes(self, url: str) -> bytes:
        return self.fetch(url).data

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


@cache
def _typst_fonts() -> typst.Fonts:
    """The fonts Typst may use, indexed once per process: the font folders, no system or bundled fonts."""
    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=fonts.font_dirs())


@dataclass(frozen=True)
class TypstJob:
    """A job as Typst gets it: the main source and the files beside it (attachments, images)."""

    stem: str
    source: str
    files: tuple[tuple[str, bytes], ...]
    document: TypstDocument


def typst_job(job: PdfJob) -> TypstJob:
    """The Typst source of ``job`` (stylesheet, document properties, attachments, the page) and its files;
    raises ``PdfError`` if the page asked for anything outside the project."""
    if _PACKAGE_IMPORT.search(job.css):
        raise PdfError(f"{job.stem}.pdf: the print stylesheet imports a Typst package; only its own code is allowed")
    fetcher = AssetFetcher(job.asset_dir, job.attachments)
    document = convert(job.html(), fetcher.fetch_bytes, stem=job.stem)
    if document.footer_left and "footer-left" not in job.css:
        raise PdfError(
            f"{job.stem}.pdf: templates/pdf.typ: pp-document has no `footer-left` parameter, which prints a "
            "version's number, window and commit on every page; add `footer-left: ()` and lay it out in the "
            "page footer, as policypress's own templates/pdf.typ does"
        )
    source = "\n".join([job.css, _preamble(document, job.date, job.attachments), document.body, ""])
    files = [(f"attachments/{i}", a.data) for i, a in enumerate(job.attachments)] + list(document.images)
    return TypstJob(job.stem, source, tuple(files), document)


def compile_typst(prepared: TypstJob, date: dt.datetime) -> tuple[bytes, list[finish.Anchor]]:
    """Typst's PDF of ``prepared`` and where each anchor of the page landed; ``PdfError`` if Typst refused."""
    with tempfile.TemporaryDirectory(prefix="policypress-pdf-") as folder:
        root = Path(folder)
        for name, data in prepared.files:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        main = root / "policy.typ"
        main.write_text(prepared.source, encoding="utf-8")
        compiler = typst.Compiler(str(main), root=str(root), font_paths=_typst_fonts())
        try:
            data, warnings = compiler.compile_with_warnings(
                format="pdf", pdf_standards=list(PDF_STANDARDS), timestamp=date, pdf_tags=True
            )
            anchors = json.loads(compiler.eval(_ANCHOR_QUERY, format="json"))
        except typst.TypstError as error:
            raise PdfError(f"{prepared.stem}.pdf: Typst could not make the PDF: {_typst_message(error)}") from None
    if warnings:
        raise PdfError(f"{prepared.stem}.pdf: Typst reported: " + "; ".join(_typst_message(w) for w in warnings))
    assert isinstance(data, bytes)
    return data, [finish.Anchor(name, int(at["page"]), _pt(at["x"]), _pt(at["y"])) for name, at in anchors]


def render_pdf(job: PdfJob) -> bytes:
    """The PDF/A bytes of ``job``; raises ``PdfError`` if the page asked for anything outside the project
    or Typst could not make the PDF as promised (e.g. text no font covers)."""
    prepared = typst_job(job)
    data, anchors = compile_typst(prepared, job.date)
    return finish.finish_pdf(data, info=_custom_info(prepared.document), xmp_properties=job.metadata, anchors=anchors)


def _typst_message(error: typst.TypstError | typst.TypstWarning) -> str:
    message = str(getattr(error, "message", "") or error)
    hints = list(getattr(error, "hints", []) or [])
    return message + "".join(f" (hint: {hint})" for hint in hints)


def _pt(length: str) -> float:
    """A Typst length as JSON gives it (``"70.87pt"``) in points."""
    return float(length.removesuffix("pt"))


def _preamble(document: TypstDocument, date: dt.datetime, attachments: Sequence[Attachment]) -> str:
    """The document's properties, running header and attachments, as calls of the stylesheet."""
    meta = document.meta
    keywords = [word.strip() for word in meta.get("keywords", "").split(",") if word.strip()]
    date = date.astimezone(dt.UTC)
    lines = [
        "#show: pp-document.with(",
        f"  title: {typst_string(document.title)},",
        f"  author: ({typst_string(meta['author'])},)," if meta.get("author") else "  author: (),",
        f"  description: {typst_string(meta['description'])}," if meta.get("description") else "",
        f"  keywords: ({''.join(typst_string(k) + ', ' for k in keywords)}),",
        f"  date: datetime(year: {date.year}, month: {date.month}, day: {date.day}, "
        f"hour: {date.hour}, minute: {date.minute}, second: {date.second}),",
        f"  lang: {typst_string(document.lang)},",
        f"  header-left: ({''.join(typst_string(line) + ', ' for line in document.header_left)}),",
        f"  header-right: ({''.join(typst_string(line) + ', ' for line in document.header_right)}),",
        # only when there is one, so a stylesheet without the parameter still prints current policies
        f"  footer-left: ({''.join(typst_string(line) + ', ' for line in document.footer_left)}),"
        if document.footer_left
        else "",
        ")",
    ]
    for index, attachment in enumerate(attachments):
        lines.append(
            f"#pdf.attach({typst_string(attachment.name)}, read({typst_string(f'/attachments/{index}')}, "
            f'encoding: none), relationship: "source", mime-type: {typst_string(attachment.media_type)}, '
            f"description: {typst_string(attachment.description)})"
        )
    return "\n".join(line for line in lines if line)


def render_document_pdf(name: str, html: str, date: dt.datetime) -> bytes:
    """A self-contained HTML document (a redline) as a tagged PDF/A-3a and PDF/UA-1 dated ``date``, laid out by
    the package's own stylesheet (``document.typ``); it may fetch nothing."""
    stem = name.removesuffix(".pdf")
    document = convert(html, AssetFetcher("").fetch_bytes, stem=stem)
    stylesheet = DOCUMENT_STYLESHEET.read_text(encoding="utf-8")
    source = "\n".join([stylesheet, _preamble(document, date, ()), document.body, ""])
    data, anchors = compile_typst(TypstJob(stem, source, document.images, document), date)
    return finish.finish_pdf(data, info=_custom_info(document), xmp_properties=(), anchors=anchors)


def _custom_info(document: TypstDocument) -> list[tuple[str, str]]:
    """The print HTML's own ``<meta>`` fields (policy number, effective date …) as document-information keys."""
    return sorted(
        (name.lower(), value)
        for name, value in document.meta.items()
        if name not in _STANDARD_META and not name.startswith("running-footer-left")
    )


def warm_up() -> None:
    """Index the fonts and load the compiler once, before the first real job (a worker's start-up)."""
    typst.compile(
        b'#set document(title: "policypress")\n#set text(font: "DejaVu Sans", fallback: false)\n= policypress',
        font_paths=_typst_fonts(),
        pdf_standards=list(PDF_STANDARDS),
        timestamp=0,
    )


@cache
def engine_fingerprint() -> str:
    """What, besides the job, decides the bytes: the Typst version, the font files, this code."""
    parts = [f"policypress {POLICYPRESS_VERSION}", f"typst-compiler {typst.__version__}", f"standards {PDF_STANDARDS}"]
    for module in _engine_modules():
        parts.append(f"{module.relative_to(_PACKAGE).as_posix()} {hashlib.sha256(module.read_bytes()).hexdigest()}")
    for package in _ENGINE_PACKAGES:
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} -")
    parts.extend(_font_files())
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _engine_modules() -> list[Path]:
    """The code that turns a job into bytes: every module of this package (recursively) and the job's own."""
    here = Path(__file__).resolve().parent
    return sorted({*(p for p in here.rglob("*.py") if p.is_file()), Path(printjob.__file__).resolve()})


def _font_files() -> list[str]:
    """Every font file Typst can see (the stylesheet picks among them), by content hash."""
    lines = fonts.font_fingerprint()
    if not lines:
        raise PdfError(f"no fonts in {', '.join(str(d) for d in fonts.FONT_DIRS)} (the set-up installs them)")
    return lines
