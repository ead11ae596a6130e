"""Turn the print HTML of a ``PdfJob`` (the policy page, wrapped) into a Typst document.

The PDF keeps the web page's content because it is made from the web page's HTML: every
element of the page becomes a call of a function of the print stylesheet
(``templates/pdf.typ``), and every piece of text becomes a Typst *string literal*
(``typst_string``), never markup. In a string only ``\\`` and ``"`` are special, and both are
escaped, so no policy text (``#import``, ``$``, ``]``, ``@key``, ``<label>``, ``//``, ``*_``)
can ever run as Typst code or change the layout.

Resources the page asks for (``<img src>``, ``<link href>``, ``<script src>`` …) go through a
fetcher: what it refuses fails the PDF, and nothing is ever fetched from the network.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from policypress.errors import PdfError

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
SKIPPED = frozenset(
    {"head", "title", "style", "script", "template", "noscript", "form", "button", "input", "select", "textarea"}
)
"""Elements whose content never reaches the paper (the head is read for metadata only; forms work on the web only)."""
RESOURCE_ATTRIBUTES = {"src", "data", "poster", "srcset", "background"}
"""Attributes whose URL a browser would load (``href`` counts on ``<link>`` only)."""
BLOCKS = frozenset(
    {"p", "div", "ul", "ol", "li", "table", "h1", "h2", "h3", "h4", "h5", "h6", "nav", "main", "section", "article"}
    | {"header", "footer", "aside", "blockquote", "figure", "pre", "hr", "dl", "dt", "dd", "body", "html"}
)
_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]*")
_SPACE = re.compile(r"[ \t\n\r\f]+")


@dataclass
class Element:
    """One element of the parsed print HTML."""

    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def first_class(self) -> str:
        classes = self.classes()
        return classes[0] if classes else ""

    def class_names(self) -> str:
        """The element's classes, one space between each (the stylesheet tests them by name)."""
        return " ".join(self.classes())

    def elements(self) -> Iterator[Element]:
        """Every element below this one, in document order."""
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.elements()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    """Python's HTML tokenizer turned into an ``Element`` tree (the print HTML is well formed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(html: str) -> Element:
    """The element tree of ``html``."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def typst_string(text: str) -> str:
    """``text`` as a Typst string literal: shows exactly these characters, whatever they are."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    if _CONTROL.search(escaped):
        escaped = _CONTROL.sub(lambda m: f"\\u{{{ord(m.group(0)):x}}}", escaped)
    return f'"{escaped}"'


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def typst_text(text: str) -> str:
    """``text`` placed in markup: a string literal, so nothing in it is markup."""
    return f"#{typst_string(text)}" if text else ""


@dataclass(frozen=True)
class TypstDocument:
    """What the converter gives the engine: the document's metadata and its body as Typst markup."""

    title: str
    lang: str
    meta: dict[str, str]
    """``<meta name content>`` of the print HTML, by name as written."""
    header_left: tuple[str, ...]
    header_right: tuple[str, ...]
    body: str
    anchors: tuple[str, ...]
    """Every id of the page, each a Typst label in ``body`` (headings' own, others a ``pp-anchor``)."""
    images: tuple[tuple[str, bytes], ...] = ()
    """Files the body shows, by the name it uses for them."""
    footer_left: tuple[str, ...] = ()
    """Lines beside "Page X of Y" on every page (a version's number, window start and commit); mostly none."""


Fetch = Callable[[str], bytes]
"""Gives the bytes of a URL the page loads, or raises ``ValueError`` if it may not."""


def convert(html: str, fetch: Fetch, *, stem: str = "document") -> TypstDocument:
    """The Typst document of the print HTML ``html``; resources are loaded only through ``fetch``.

    Raises ``PdfError`` naming every URL that ``fetch`` refused.
    """
    root = parse_html(html)
    converter = _Converter(root, fetch)
    refused = converter.check_resources()
    if refused:
        raise PdfError(f"{stem}.pdf: refused to fetch {', '.join(sorted(set(refused)))}")
    head = next((e for e in root.elements() if e.tag == "head"), Element("head", {}))
    html_element = next((e for e in root.elements() if e.tag == "html"), Element("html", {}))
    body = next((e for e in root.elements() if e.tag == "body"), root)
    meta = {
        e.attrs["name"]: e.attrs.get("content", "") for e in head.elements() if e.tag == "meta" and "name" in e.attrs
    }
    title = next((_squash(e.text()).strip() for e in head.elements() if e.tag == "title"), "")
    markup = converter.blocks(body.children)
    return TypstDocument(
        title=title,
        lang=html_element.attrs.get("lang", "en") or "en",
        meta=meta,
        header_left=tuple(meta.get("running-header-left", "").split("\n")),
        header_right=tuple(meta.get("running-header-right", "").split("\n")),
        body=markup,
        anchors=tuple(converter.anchors),
        images=tuple(converter.images),
        footer_left=_footer_lines(meta),
    )


def _footer_lines(meta: dict[str, str]) -> tuple[str, ...]:
    """The lines of ``running-footer-left``, ``running-footer-left-2``, ``-3`` … (one meta per line)."""
    lines = []
    for number in itertools.count(1):
        line = meta.get("running-footer-left" if number == 1 else f"running-footer-left-{number}")
        if line is None:
            return tuple(lines)
        lines.append(line)
    raise AssertionError  # unreachable


def _squash(text: str) -> str:
    """HTML's white-space rule: every run of spaces, tabs and line breaks is one space."""
    return _SPACE.sub(" ", text)


def _label(name: str) -> str:
    if not _LABEL.fullmatch(name):
        raise PdfError(f"the page has an id Typst cannot name: {name!r}")
    return f"label({typst_string(name)})"


class _Converter:
    """Walks the element tree once, writing Typst markup for blocks and inline content."""

    def __init__(self, root: Element, fetch: Fetch) -> None:
        self.root = root
        self.fetch = fetch
        self.ids = {e.attrs["id"] for e in root.elements() if e.attrs.get("id")}
        self.anchors: list[str] = []
        self.images: list[tuple[str, bytes]] = []
        self._fetched: dict[str, bytes] = {}

    def check_resources(self) -> list[str]:
        """Ask the fetcher for every URL the page would load; the URLs it refused."""
        refused = []
        for element in self.root.elements():
            urls = [value for name, value in element.attrs.items() if name in RESOURCE_ATTRIBUTES and value]
            if element.tag == "link" and element.attrs.get("href"):
                urls.append(element.attrs["href"])
            for url in urls:
                try:
                    self._fetched[url] = self.fetch(url)
                except ValueError:
                    refused.append(url)
        return refused

    # blocks

    def blocks(self, nodes: list[Element | str]) -> str:
        """Markup for a sequence of nodes in block context: runs of inline content become paragraphs."""
        out: list[str] = []
        run: list[Element | str] = []

        def flush() -> None:
            text = self.inline(run, trim=True)
            run.clear()
            if text:
                out.append(f"#pp-p({typst_string('')})[{text}]")

        for node in nodes:
            if isinstance(node, Element) and "hidden" in node.attrs:
                continue
            if isinstance(node, Element) and (node.tag in BLOCKS or node.tag in SKIPPED):
                flush()
                markup = self.block(node)
                if markup:
                    out.append(markup)
            else:
                run.append(node)
        flush()
        return "\n".join(out)

    def item(self, nodes: list[Element | str]) -> str:
        """Content of a list item or table cell: inline only, or inline and blocks mixed."""
        if any(isinstance(n, Element) and n.tag in BLOCKS for n in nodes):
            return self.blocks(nodes)
        return self.inline(nodes, trim=True)

    def block(self, element: Element) -> str:
        tag = element.tag
        anchor = self._anchor(element) if not tag.startswith("h") or len(tag) != 2 else ""
        if tag in SKIPPED or tag == "hr":
            return ""
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            label = ""
            if element.attrs.get("id"):
                self.anchors.append(element.attrs["id"])
                label = f"#{_label(element.attrs['id'])}"
            return f"#heading(level: {tag[1]})[{self.inline(element.children, trim=True)}]{label}"
        if tag == "p":
            return f"{anchor}#pp-p({typst_string(element.class_names())})[{self.inline(element.children, trim=True)}]"
        if tag in ("ul", "ol"):
            return anchor + self.list(element)
        if tag == "table":
            return anchor + self.table(element, "")
        if tag == "div" and element.first_class() and (table := self._only_table(element)) is not None:
            return anchor + self.table(table, element.first_class())
        return anchor + self.blocks(element.children)

    def list(self, element: Element) -> str:
        items = [c for c in element.children if isinstance(c, Element) and c.tag == "li"]
        kind = element.first_class()
        if kind == "criteria":
            numbers, bodies = [], []
            for li in items:
                number, rest = self._criterion_number(li.children)
                numbers.append(typst_string(number))
                bodies.append(f"[{self._anchor(li)}{self.item(rest)}]")
            return f"#pp-criteria({_array(numbers)}, {', '.join(bodies)})"
        bodies = [f"[{self._anchor(li)}{self.item(li.children)}]" for li in items]
        if element.tag == "ol":
            return f"#pp-references({', '.join(bodies)})"
        return f"#pp-list({typst_string(kind)}, {', '.join(bodies)})"

    def _criterion_number(self, nodes: list[Element | str]) -> tuple[str, list[Element | str]]:
        """A criterion's own number (``<span class="criterion-number">``) and the rest of its item."""
        for index, node in enumerate(nodes):
            if isinstance(node, Element) and "criterion-number" in node.classes():
                return _squash(node.text()).strip(), nodes[:index] + nodes[index + 1 :]
        return "", nodes

    def _only_table(self, element: Element) -> Element | None:
        children = [c for c in element.children if isinstance(c, Element)]
        text = "".join(c for c in element.children if isinstance(c, str)).strip()
        return children[0] if len(children) == 1 and children[0].tag == "table" and not text else None

    def table(self, table: Element, kind: str) -> str:
        rows = [e for e in table.elements() if e.tag == "tr"]
        header: list[str] = []
        body: list[str] = []
        for row in rows:
            cells = [c for c in row.children if isinstance(c, Element) and c.tag in ("th", "td")]
            if not cells:
                continue
            marks = [f"[{self.item(c.children)}]" for c in cells]
            marks[0] = f"[{self._anchor(row)}{marks[0][1:]}"
            marks = [
                f"table.cell(colspan: {int(c.attrs['colspan'])}){mark}"
                if c.attrs.get("colspan", "").isdigit() and int(c.attrs["colspan"]) > 1
                else mark
                for c, mark in zip(cells, marks, strict=True)
            ]
            if not header and all(c.tag == "th" for c in cells):
                header = marks
            else:
                body.append(_array(marks))
        return f"#pp-table({typst_string(kind)}, {_array(header)}, {', '.join(body)})"

    # inline

    def inline(self, nodes: list[Element | str], *, trim: bool = False) -> str:
        """Inline markup of ``nodes``; ``trim``: without the white space a block starts or ends with."""
        texts: list[Element | str] = [_squash(n) if isinstance(n, str) else n for n in nodes]
        if trim:
            while texts and isinstance(texts[0], str) and not texts[0].strip():
                texts.pop(0)
            while texts and isinstance(texts[-1], str) and not texts[-1].strip():
                texts.pop()
            if texts and isinstance(texts[0], str):
                texts[0] = texts[0].lstrip()
            if texts and isinstance(texts[-1], str):
                texts[-1] = texts[-1].rstrip()
        return "".join(typst_text(n) if isinstance(n, str) else self.inline_element(n) for n in texts)

    def inline_element(self, element: Element) -> str:
        tag = element.tag
        if tag in SKIPPED or "hidden" in element.attrs:
            return ""
        anchor = self._anchor(element)
        inner = self.inline(element.children)
        if tag in SKIPPED:
            return ""
        if tag == "br":
            return "#linebreak()"
        if tag == "img":
            return anchor + self.image(element)
        if tag in ("em", "i", "cite", "var"):
            return f"{anchor}#emph[{inner}]"
        if tag in ("strong", "b"):
            return f"{anchor}#strong[{inner}]"
        if tag == "dfn":
            return f"{anchor}#pp-dfn[{inner}]"
        if tag == "sup":
            return f"{anchor}#super[{inner}]"
        if tag == "sub":
            return f"{anchor}#sub[{inner}]"
        if tag in ("del", "s", "strike"):
            return f"{anchor}#strike[{inner}]"
        if tag in ("ins", "u"):
            return f"{anchor}#underline[{inner}]"
        if tag == "a":
            return anchor + self.link(element, inner)
        if tag == "span" and element.first_class():
            return f"{anchor}#pp-span({typst_string(element.class_names())})[{inner}]"
        return anchor + inner

    def link(self, element: Element, inner: str) -> str:
        """A link the PDF can follow: to a place in this page, or to the web; anything else is text."""
        href = element.attrs.get("href", "")
        if href.startswith("#") and href[1:] in self.ids:
            return f"#link({_label(href[1:])})[{inner}]"
        if href.startswith(("https://", "http://")):
            return f"#link({typst_string(href)})[{inner}]"
        return inner

    def image(self, element: Element) -> str:
        src = element.attrs.get("src", "")
        data = self._fetched.get(src)
        if data is None:
            return ""
        name = f"image-{len(self.images)}{_extension(src)}"
        self.images.append((name, data))
        alt = element.attrs.get("alt", "")
        return f"#box(image({typst_string('/' + name)}, alt: {typst_string(alt)}))"

    def _anchor(self, element: Element) -> str:
        """A Typst label for the element's id, so links and ``file.pdf#id`` reach it."""
        name = element.attrs.get("id", "")
        if not name:
            return ""
        self.anchors.append(name)
        return f"#pp-anchor({typst_string(name)})"


def _array(items: list[str]) -> str:
    """A Typst array of ``items`` (``(a,)`` for one, ``()`` for none)."""
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _extension(url: str) -> str:
    match = re.search(r"\.[A-Za-z0-9]{1,5}$", url.split("?")[0])
    return match.group(0).lower() if match else ""
