"""Add to a Typst PDF what Typst cannot write itself, as one incremental update (ISO 32000 7.5.6).

Typst names only the headings' destinations and writes only the standard document
properties. An archival policy PDF also carries:

- a named destination for every id of the page (``ref-5``, ``cite-2``, ``criterion-I-B`` …),
  so ``policy.pdf#ref-5`` opens at reference 5, and links inside the PDF point at these names
  (the test suite and other tools follow them by name);
- the policy's own XMP properties (number, effective date, plan, source commit), declared by a
  PDF/A extension schema, and the same fields in the document information dictionary.

The original bytes stay as Typst wrote them; the update appends the changed objects (the
catalog, the XMP stream, the information dictionary, the link destinations), a cross-reference
section and a trailer pointing back at Typst's. PDF/A allows incremental updates; the file
identifier is kept. The bytes depend only on the input, so rebuilds stay identical.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from policypress.errors import PdfError

XMP_NAMESPACE = "urn:policypress:ns:policy:1.0:"
PROPERTY_DESCRIPTIONS = {
    "number": "Reference number of the clinical policy",
    "effectiveDate": "Effective date of the policy (ISO 8601)",
    "plan": "Health plan that publishes the policy",
    "sourceCommit": "Version-control commit of the sources this PDF was built from",
}
LINK_OFFSET_PT = 10.0
"""Typst points a link 10 pt above its target (so the target line is not at the window's edge)."""
_TOLERANCE_PT = 0.01
_OBJECT = re.compile(rb"(\d+) 0 obj\n")
_REF = re.compile(rb"(\d+) 0 R")
_NAME_ENTRY = re.compile(rb"\(((?:[^()\\]|\\.)*)\)(\d+) 0 R")
_DEST_ARRAY = re.compile(rb"\[(\d+) 0 R/XYZ ([-\d.]+) ([-\d.]+) [-\d.]+\]")


@dataclass(frozen=True)
class Anchor:
    """Where an id of the page landed: its page (from 1) and its position from the page's top left, in points."""

    name: str
    page: int
    x: float
    y: float


class _Pdf:
    """Read access to the objects of a PDF as Typst writes it (one revision, a classic cross-reference table)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        start = int(data[data.rindex(b"startxref") + 9 :].split()[0])
        self.startxref = start
        table = data[start : data.index(b"trailer", start)]
        lines = table.split(b"\n")[1:]
        first, count = (int(x) for x in lines[0].split())
        self.offsets: dict[int, int] = {}
        for number, line in zip(range(first, first + count), lines[1 : count + 1], strict=True):
            fields = line.split()
            if fields[2] == b"n":
                self.offsets[number] = int(fields[0])
        self.trailer = data[data.index(b"trailer", start) : data.index(b"startxref", start)]
        self.size = int(self._trailer_value(rb"/Size (\d+)"))
        self.root = int(self._trailer_value(rb"/Root (\d+) 0 R"))
        self.info = int(self._trailer_value(rb"/Info (\d+) 0 R"))
        match = re.search(rb"/ID\s*(\[[^\]]*\])", self.trailer)
        if match is None:
            raise PdfError("Typst wrote a PDF without a file identifier")
        self.file_id = match.group(1)

    def _trailer_value(self, pattern: bytes) -> bytes:
        match = re.search(pattern, self.trailer)
        if match is None:
            raise PdfError(f"unexpected PDF trailer from Typst: {self.trailer[:200]!r}")
        return match.group(1)

    def body(self, number: int) -> bytes:
        """The object's text between ``N 0 obj`` and ``endobj``."""
        start = self.offsets[number]
        header = _OBJECT.match(self.data, start)
        if header is None or int(header.group(1)) != number:
            raise PdfError(f"object {number} is not where the cross-reference table says")
        end = self.data.index(b"endobj", self._stream_end(header.end()))
        return self.data[header.end() : end].rstrip(b"\n")

    def _stream_end(self, position: int) -> int:
        """Past a stream's data (whose bytes may hold anything), else ``position``."""
        dictionary_end = self.data.find(b"stream\n", position)
        next_object = self.data.find(b"endobj", position)
        if dictionary_end == -1 or dictionary_end > next_object:
            return position
        length = re.search(rb"/Length (\d+)", self.data[position:dictionary_end])
        if length is None:
            return position
        return dictionary_end + len(b"stream\n") + int(length.group(1))

    def pages(self) -> list[int]:
        """The page objects, in order (Typst writes one flat page tree)."""
        catalog = self.body(self.root)
        pages = re.search(rb"/Pages (\d+) 0 R", catalog)
        assert pages is not None
        kids = re.search(rb"/Kids\[([^\]]*)\]", self.body(int(pages.group(1))))
        assert kids is not None
        return [int(n) for n in _REF.findall(kids.group(1))]


def finish_pdf(
    data: bytes,
    *,
    info: Sequence[tuple[str, str]],
    xmp_properties: Sequence[tuple[str, str]],
    anchors: Sequence[Anchor],
) -> bytes:
    """``data`` (a PDF from Typst) with named destinations for ``anchors``, the policy's XMP properties
    and the extra document-information entries ``info``."""
    pdf = _Pdf(data)
    changed: dict[int, bytes] = {}
    next_number = pdf.size
    pages = pdf.pages()
    heights = {page: _page_height(pdf.body(page)) for page in pages}

    # named destinations: one per anchor, beside Typst's (headings)
    catalog = pdf.body(pdf.root)
    dests = re.search(rb"/Dests<</Names\[(.*?)\]>>", catalog, re.DOTALL)
    names: dict[bytes, bytes] = {}
    if dests is not None:
        names = {name: number + b" 0 R" for name, number in _NAME_ENTRY.findall(dests.group(1))}
    targets: dict[tuple[int, float, float], bytes] = {}
    for anchor in anchors:
        key = _pdf_string(anchor.name)
        if key in names or not 1 <= anchor.page <= len(pages):
            continue
        page = pages[anchor.page - 1]
        top = heights[page] - max(anchor.y - LINK_OFFSET_PT, 0.0)
        changed[next_number] = f"[{page} 0 R/XYZ {_number(anchor.x)} {_number(top)} 0]".encode()
        names[key] = f"{next_number} 0 R".encode()
        targets.setdefault((page, round(anchor.x, 1), round(top, 1)), key)
        next_number += 1
    entries = b"".join(b"(" + name + b")" + ref for name, ref in sorted(names.items()))
    new_dests = b"/Dests<</Names[" + entries + b"]>>"
    if dests is not None:
        catalog = catalog[: dests.start()] + new_dests + catalog[dests.end() :]
    elif b"/Names<<" in catalog:
        catalog = catalog.replace(b"/Names<<", b"/Names<<" + new_dests, 1)
    else:
        catalog = catalog[: catalog.rindex(b">>")] + b"/Names<<" + new_dests + b">>>>"
    changed[pdf.root] = catalog

    # links Typst pointed at a position: point them at the name of what is there
    for page in pages:
        annotations = re.search(rb"/Annots\[([^\]]*)\]", pdf.body(page))
        if annotations is None:
            continue
        for number in (int(n) for n in _REF.findall(annotations.group(1))):
            annotation = pdf.body(number)
            dest = re.search(rb"/Dest (\d+) 0 R", annotation)
            if dest is None:
                continue
            target = _DEST_ARRAY.fullmatch(pdf.body(int(dest.group(1))).strip())
            if target is None:
                continue
            where = (int(target.group(1)), float(target.group(2)), float(target.group(3)))
            name = _find_target(targets, where)
            if name is not None:
                changed[int(dest.group(1))] = b"(" + name + b")"

    # the policy's properties: XMP (declared by an extension schema) and the information dictionary
    metadata = re.search(rb"/Metadata (\d+) 0 R", catalog)
    if metadata is None:
        raise PdfError("Typst wrote no XMP metadata")
    changed[int(metadata.group(1))] = _xmp_stream(_stream_data(pdf.body(int(metadata.group(1)))), xmp_properties)
    info_body = pdf.body(pdf.info)
    extra = b"".join(b"/" + _pdf_name(key) + _pdf_text(value) for key, value in info)
    changed[pdf.info] = info_body[: info_body.rindex(b">>")] + extra + b">>"
    return _append_update(pdf, changed, max(next_number, pdf.size))


def _find_target(targets: dict[tuple[int, float, float], bytes], where: tuple[int, float, float]) -> bytes | None:
    page, x, top = where
    for (target_page, target_x, target_top), name in targets.items():
        if target_page == page and abs(target_x - x) <= 0.1 + _TOLERANCE_PT and abs(target_top - top) <= 0.1:
            return name
    return None


def _page_height(page: bytes) -> float:
    box = re.search(rb"/MediaBox\[([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)\]", page)
    if box is None:
        raise PdfError("a page without a media box")
    return float(box.group(4)) - float(box.group(2))


def _stream_data(body: bytes) -> bytes:
    start = body.index(b"stream\n") + len(b"stream\n")
    length = re.search(rb"/Length (\d+)", body[:start])
    assert length is not None
    return body[start : start + int(length.group(1))]


def _identification_as_attributes(xmp: bytes) -> bytes:
    """The PDF/A and PDF/UA identification written as attributes of their own ``rdf:Description`` (the
    same RDF as Typst's elements, in the form WeasyPrint wrote and readers of the old PDFs look for)."""
    found = dict(_IDENTIFICATION.findall(xmp))
    if not found:
        return xmp
    xmp = _IDENTIFICATION.sub(b"", xmp)
    namespaces = {b"pdfaid": b"http://www.aiim.org/pdfa/ns/id/", b"pdfuaid": b"http://www.aiim.org/pdfua/ns/id/"}
    used = sorted({name.split(b":")[0] for name in found})
    declarations = b"".join(b' xmlns:%s="%s"' % (prefix, namespaces[prefix]) for prefix in used)
    attributes = b"".join(b' %s="%s"' % (name, value) for name, value in found.items())
    description = b'<rdf:Description rdf:about=""' + declarations + attributes + b"/>"
    return xmp.replace(b"</rdf:RDF>", description + b"</rdf:RDF>", 1)


_IDENTIFICATION = re.compile(rb"<(pdfu?aid:(?:part|conformance|amd|rev))>([^<]*)</\1>")


def _xmp_stream(xmp: bytes, properties: Sequence[tuple[str, str]]) -> bytes:
    """The XMP packet with the policy's properties, declared in the packet's PDF/A extension schemas."""
    if xmp.count(b"</rdf:RDF>") != 1:
        raise PdfError("unexpected XMP packet from Typst")
    xmp = _identification_as_attributes(xmp)
    if properties:
        declarations = "".join(
            '<rdf:li rdf:parseType="Resource">'
            f"<pdfaProperty:name>{name}</pdfaProperty:name>"
            "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
            "<pdfaProperty:category>external</pdfaProperty:category>"
            f"<pdfaProperty:description>{escape(PROPERTY_DESCRIPTIONS.get(name, name))}</pdfaProperty:description>"
            "</rdf:li>"
            for name, _value in properties
        )
        schema = (
            '<rdf:li rdf:parseType="Resource">'
            "<pdfaSchema:schema>policypress clinical policy</pdfaSchema:schema>"
            f"<pdfaSchema:namespaceURI>{XMP_NAMESPACE}</pdfaSchema:namespaceURI>"
            "<pdfaSchema:prefix>policy</pdfaSchema:prefix>"
            f"<pdfaSchema:property><rdf:Seq>{declarations}</rdf:Seq></pdfaSchema:property>"
            "</rdf:li>"
        ).encode()
        values = "".join(f"<policy:{name}>{escape(value)}</policy:{name}>" for name, value in properties)
        description = f'<rdf:Description rdf:about="" xmlns:policy="{XMP_NAMESPACE}">{values}</rdf:Description>'
        opening = b"<pdfaExtension:schemas><rdf:Bag>"
        if xmp.count(opening) != 1:
            raise PdfError("unexpected XMP packet from Typst")
        xmp = xmp.replace(opening, opening + schema, 1).replace(b"</rdf:RDF>", description.encode() + b"</rdf:RDF>")
    return b"<</Type/Metadata/Subtype/XML/Length %d>>\nstream\n" % len(xmp) + xmp + b"\nendstream"


def _append_update(pdf: _Pdf, changed: dict[int, bytes], size: int) -> bytes:
    """``pdf`` followed by the ``changed`` objects, their cross-reference section and a new trailer."""
    out = bytearray(pdf.data)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets = {}
    for number in sorted(changed):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + changed[number] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n"
    numbers = sorted(offsets)
    run: list[int] = []
    for number in numbers:
        if run and number != run[-1] + 1:
            out += _xref_run(run, offsets)
            run = []
        run.append(number)
    if run:
        out += _xref_run(run, offsets)
    out += b"trailer\n<</Size %d/Root %d 0 R/Info %d 0 R/ID%s/Prev %d>>\n" % (
        size,
        pdf.root,
        pdf.info,
        pdf.file_id,
        pdf.startxref,
    )
    out += b"startxref\n%d\n%%%%EOF" % xref
    return bytes(out)


def _xref_run(run: list[int], offsets: dict[int, int]) -> bytes:
    return b"%d %d\n" % (run[0], len(run)) + b"".join(b"%010d 00000 n\r\n" % offsets[n] for n in run)


def _number(value: float) -> str:
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return text or "0"


def _pdf_string(text: str) -> bytes:
    """A name of the destination tree: the page's ids are ASCII; ``(``, ``)`` and ``\\`` escaped."""
    raw = text.encode("utf-8")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _pdf_name(key: str) -> bytes:
    return re.sub(rb"[^A-Za-z0-9._-]", lambda m: b"#%02X" % m.group(0)[0], key.encode("utf-8"))


def _pdf_text(value: str) -> bytes:
    """A text string: ASCII literally (escaped), anything else as UTF-16 with a byte-order mark."""
    if value.isascii() and value.isprintable():
        return b"(" + _pdf_string(value) + b")"
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"
