"""The archival PDF of the seed policy, read back: content, page furniture, PDF/A markers, links, sources.

The PDF comes from the session's site builds (the real ``policypress build``), so it is rendered
once for the whole suite: every check runs on the repository's site (``built_site``) and on one where
a second policy stands beside the seed (``built_site_with_two_policies``). Text is extracted with pypdf and split by
position into the running header, the body and the footer of each page.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from pypdf import PageObject, PdfReader
from pypdf.generic import BooleanObject

from conftest import ROOT, seed_of
from policypress.load.loader import load_project
from policypress.project import ProjectLayout
from seedtext import seed_blocks, seed_references

PDF = Path("pdf/wa-cp-mp-166.pdf")
PAGE = Path("policies/wa-cp-mp-166/index.html")
HEADER = (
    "CLINICAL POLICY Sacroiliac Joint Interventions for Pain Management "
    "Reference Number: WA.CP.MP.166 Effective Date: 11/01/24"
)
TOP_MARGIN_PT = 1.05 * 72  # templates/pdf.typ: page margin
BOTTOM_MARGIN_PT = 0.85 * 72
NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "policy": "urn:policypress:ns:policy:1.0:",
}


@dataclass(frozen=True)
class PageText:
    """One page's text by region."""

    header: str
    body: str
    footer: str


def read_pages(reader: PdfReader) -> list[PageText]:
    return [read_page(page) for page in reader.pages]


def read_page(page: PageObject) -> PageText:
    height = float(page.mediabox.height)
    parts: dict[str, list[str]] = {"header": [], "body": [], "footer": []}
    zone = "body"

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, _size: Any) -> None:
        nonlocal zone
        if text.strip():  # line breaks belong to the region of the text before them
            from_top = height - (tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            if from_top < TOP_MARGIN_PT:
                zone = "header"
            elif from_top > height - BOTTOM_MARGIN_PT:
                zone = "footer"
            else:
                zone = "body"
        parts[zone].append(text)

    # the visitor sees exactly the text extract_text returns, piece by piece
    page.extract_text(visitor_text=visit)
    return PageText(
        squash("".join(parts["header"])),
        "".join(parts["body"]),
        squash("".join(parts["footer"])),
    )


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def block_pattern(text: str) -> re.Pattern[str]:
    """A seed block as it may come out of a PDF: a space is any whitespace (line, page break), and a
    line may also wrap inside a word (after a hyphen, or anywhere in a URL or DOI). Nothing else is
    loosened: no character may be missing, added or changed (the PDF has no automatic hyphenation)."""
    return re.compile("".join(r"\s+" if char == " " else re.escape(char) + "\n?" for char in text))


@pytest.fixture(scope="module", params=["built_site", "built_site_with_two_policies"])
def site(request: pytest.FixtureRequest) -> Path:
    """A built site that holds the seed."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def pdf_path(site: Path) -> Path:
    return site / PDF


@pytest.fixture(scope="module")
def reader(pdf_path: Path) -> PdfReader:
    return PdfReader(pdf_path)


@pytest.fixture(scope="module")
def pages(reader: PdfReader) -> list[PageText]:
    return read_pages(reader)


@pytest.fixture(scope="module")
def body(pages: list[PageText]) -> str:
    """The text of every page without its header and footer, back-link arrows (↩) removed."""
    text = "\n".join(page.body for page in pages).replace("↩", "")
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r" ?\n ?", "\n", text)


def test_every_seed_block_is_in_the_pdf_in_order(body: str) -> None:
    position = 0
    for block in seed_blocks():
        match = block_pattern(block.text).search(body, position)
        assert match is not None, f"missing or out of order ({block.kind}): {block.text!r}"
        position = match.end()


def test_no_soft_hyphens_or_replacement_characters(body: str) -> None:
    assert "\u00ad" not in body and "\ufffd" not in body


def test_each_reference_carries_its_number(body: str) -> None:
    for number, text in seed_references().items():
        pattern = block_pattern(f"{number}. {text}")
        assert pattern.search(body), f"reference {number} is not numbered {number}"


def test_running_header_and_page_x_of_y_on_every_page(pages: list[PageText]) -> None:
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert page.header == HEADER, f"page {number}"
        assert page.footer == f"Page {number} of {len(pages)}"


def test_pdfa_identification_and_policy_metadata_in_xmp(reader: PdfReader) -> None:
    xmp = ET.fromstring(reader.trailer["/Root"]["/Metadata"].get_object().get_data())
    descriptions = xmp.findall(".//rdf:Description", NS)
    attributes = {key: value for d in descriptions for key, value in d.attrib.items()}
    assert attributes[f"{{{NS['pdfaid']}}}part"] == "3"
    assert attributes[f"{{{NS['pdfaid']}}}conformance"] == "A"
    title = xmp.find(".//dc:title/rdf:Alt/rdf:li", NS)
    assert title is not None and title.text == "Clinical Policy: Sacroiliac Joint Interventions for Pain Management"

    def policy(name: str) -> str | None:
        element = xmp.find(f".//policy:{name}", NS)
        return None if element is None else element.text

    assert policy("number") == "WA.CP.MP.166"
    assert policy("effectiveDate") == "2024-11-01"
    assert policy("plan") == "Coordinated Care Corporation"
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?|unknown", policy("sourceCommit") or "")
    # the custom properties are declared by a PDF/A extension schema
    assert b"pdfaExtension:schemas" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()


def test_document_information(reader: PdfReader) -> None:
    info = reader.metadata
    assert info is not None
    assert info["/Title"] == "Clinical Policy: Sacroiliac Joint Interventions for Pain Management"
    assert info["/Author"] == "Coordinated Care Corporation"
    assert info["/policynumber"] == "WA.CP.MP.166"
    assert info["/effectivedate"] == "2024-11-01"
    assert info["/plan"] == "Coordinated Care Corporation"
    assert info["/sourcecommit"] in info["/Subject"]
    assert re.fullmatch(r"D:\d{14}Z", info["/CreationDate"]) and info["/ModDate"] == info["/CreationDate"]


def test_tagged_archival_structure(reader: PdfReader) -> None:
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == BooleanObject(True)
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == BooleanObject(True)
    (intent,) = root["/OutputIntents"]
    assert intent.get_object()["/S"] == "/GTS_PDFA1"
    assert reader.pdf_header == "%PDF-1.7"
    assert "/ID" in reader.trailer


def test_every_font_is_embedded(reader: PdfReader) -> None:
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]
            names.add(re.sub(r"^/[A-Z]{6}\+", "", font["/BaseFont"]))
    # the fonts' own PostScript names (WeasyPrint wrote "DejaVu-Sans-Bold-Oblique" for "DejaVuSans-BoldOblique")
    assert names == {"DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique"}


def test_page_content_is_deflated(reader: PdfReader) -> None:
    """Each page's content stream is compressed (Typst's deflate; WeasyPrint's level knob is gone with it)."""
    for page in reader.pages:
        stream = page["/Contents"].get_object()
        assert stream["/Filter"] == "/FlateDecode"
        raw = stream._data  # the bytes as they are in the file
        assert len(raw) < len(zlib.decompress(raw))


def links(reader: PdfReader) -> tuple[list[str], list[str]]:
    """(internal destinations, external URIs) of every link, in page order."""
    internal, external = [], []
    for page in reader.pages:
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            if annotation["/Subtype"] != "/Link":
                continue
            if "/Dest" in annotation:
                internal.append(str(annotation["/Dest"]))
            else:
                external.append(str(annotation["/A"]["/URI"]))
    return internal, external


def test_citations_and_back_links_are_clickable(reader: PdfReader) -> None:
    internal, _external = links(reader)
    citations = [d for d in internal if d.startswith("ref-")]
    assert citations == ["ref-5", "ref-2", "ref-26", "ref-25", "ref-3", "ref-23", "ref-24", "ref-5", "ref-5", "ref-22"]
    # in reference order: 2, 3, 5 (cited three times), 22, 23, 24, 25, 26
    back_links = [d for d in internal if d.startswith("cite-")]
    assert back_links == [
        "cite-2",
        "cite-5",
        "cite-1",
        "cite-8",
        "cite-9",
        "cite-9",
        "cite-6",
        "cite-7",
        "cite-4",
        "cite-3",
    ]
    destinations = set(reader.named_destinations)
    assert {f"ref-{n}" for n in range(1, 30)} <= destinations
    assert {f"cite-{n}" for n in range(1, 10)} <= destinations
    assert {"coding-implications", "revision-log", "important-reminder"} <= set(internal)


def test_dois_and_urls_are_clickable_and_nothing_points_at_a_file(reader: PdfReader) -> None:
    _internal, external = links(reader)
    assert "https://doi.org/10.1007/s00586-013-2833-2" in external
    assert "https://doi.org/10.23970/AHRQEPCCER247" in external
    assert "http://www.hayesinc.com" in external
    assert (
        "https://www.spine.org/Portals/0/assets/downloads/ResearchClinicalCare/Guidelines/LowBackPain.pdf" in external
    )
    assert all(uri.startswith(("https://", "http://")) for uri in external), external


def test_the_sources_are_attached(reader: PdfReader) -> None:
    attachments = reader.attachments
    assert sorted(attachments) == [
        "cpt-notice.yaml",
        "important-reminder.yaml",
        "wa-cp-mp-166.bib",
        "wa-cp-mp-166.yaml",
    ]
    assert attachments["wa-cp-mp-166.yaml"] == [(ROOT / "policy" / "wa-cp-mp-166.yaml").read_bytes()]
    for name in ("cpt-notice.yaml", "important-reminder.yaml"):
        assert attachments[name] == [(ROOT / "policy" / "boilerplate" / name).read_bytes()]
    bib = attachments["wa-cp-mp-166.bib"][0].decode("utf-8")
    keys = re.findall(r"^@\w+\{([^,]+),", bib, flags=re.MULTILINE)
    seed = seed_of(load_project(ProjectLayout(ROOT)))
    assert keys == list(seed.policy.references) and len(keys) == 29
    bib_text = (ROOT / "references.bib").read_text(encoding="utf-8")
    for entry in re.split(r"\n\n(?=@)", bib.split("\n\n", 1)[1].strip()):
        assert entry in bib_text, entry[:60]
    for spec in reader.trailer["/Root"]["/AF"]:
        assert spec.get_object()["/AFRelationship"] == "/Source"


def test_the_page_links_its_pdf(site: Path, pdf_path: Path) -> None:
    soup = BeautifulSoup((site / PAGE).read_text(encoding="utf-8"), "html.parser")
    link = soup.select_one("p.policy-pdf a")
    assert link is not None and link.get_text() == "Download PDF"
    assert link["href"] == "../../pdf/wa-cp-mp-166.pdf"
    assert ((site / PAGE).parent / link["href"]).resolve() == pdf_path.resolve()
    assert pdf_path.read_bytes().startswith(b"%PDF-1.7")


def test_web_only_bits_stay_out_of_the_pdf(body: str) -> None:
    assert "Download PDF" not in body
    assert "¶" not in body
