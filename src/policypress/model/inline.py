"""The inline mini-syntax of policy text: parse it, find its citations, render it safely.

Policy text is clinical and legal prose, not Markdown or HTML. It allows exactly
``*italic*``, ``**bold**``, citations ``[@key]`` / ``[@a; @b]`` (pandoc style) and
bare ``https://`` / ``http://`` links. Everything else is literal: the renderer
escapes every character that HTML *or* Markdown would interpret, so text such as
``<script>``, ``{: onclick=x}``, ``--8<--`` or ``{{ x }}`` reaches the reader as typed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Characters that mean something to HTML or to Python-Markdown and its extensions,
# replaced by numeric character references (identical once a browser decodes them).
_ESCAPES: dict[str, str] = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    "\\": "&#92;",
    "`": "&#96;",
    "*": "&#42;",
    "_": "&#95;",
    "[": "&#91;",
    "]": "&#93;",
    "{": "&#123;",
    "}": "&#125;",
    "~": "&#126;",
    "^": "&#94;",
    "=": "&#61;",
    "|": "&#124;",
    "#": "&#35;",
}
_ESCAPE_TABLE = str.maketrans(_ESCAPES)
_NEEDS_ESCAPE = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")
_NEWLINES = re.compile(r"\s*\n\s*")

_KEY = r"[\w:.+/-]+"
_CITATION = re.compile(rf"\[@({_KEY}(?:\s*;\s*@{_KEY})*)\]")
_CITATION_KEY_SEPARATOR = re.compile(r"\s*;\s*@")
_URL = re.compile(r"https?://[^\s<>\"'`]+")
_URL_TRAILING_PUNCTUATION = ".,;:!?)"


def escape_text(text: str) -> str:
    """Escape literal text for HTML and Markdown alike; line breaks become spaces."""
    if "\n" in text:
        text = _NEWLINES.sub(" ", text)
    # most printed values (dates, codes, numbers) have nothing to escape: a search is cheaper than translate
    return text.translate(_ESCAPE_TABLE) if _NEEDS_ESCAPE.search(text) else text


@dataclass(frozen=True)
class Text:
    """Literal text."""

    value: str


@dataclass(frozen=True)
class Emphasis:
    """``*italic*``."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Strong:
    """``**bold**``."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Citation:
    """``[@a; @b]``: one or more BibTeX keys cited at one place; ``offset`` is its index in the text."""

    keys: tuple[str, ...]
    offset: int


@dataclass(frozen=True)
class Link:
    """A bare ``https://`` or ``http://`` URL."""

    url: str


Node = Text | Emphasis | Strong | Citation | Link


@functools.lru_cache(maxsize=65536)
def parse_inline(text: str) -> tuple[Node, ...]:
    """Parse policy text into nodes. Never fails: anything unmatched is literal text.

    Cached: the same text is parsed for checking, rendering and exporting.
    """
    nodes, _ = _parse(text, 0, closer=None)
    return nodes


_SPECIAL = re.compile(r"\*|\[@|https?://")
"""Where markup may start; everything between two such places is literal and copied in one piece."""


def _parse(text: str, start: int, closer: str | None) -> tuple[tuple[Node, ...], int]:
    """Parse from ``start`` until ``closer`` (``*`` or ``**``) or the end; return nodes and end index.

    When ``closer`` is given but never found, returns end index -1 so the caller can
    treat its opening marker as literal.
    """
    nodes: list[Node] = []
    literal_from = start  # start of the literal text not yet emitted
    i = start
    while (match := _SPECIAL.search(text, i)) is not None:
        at = match.start()
        token = match.group()
        node: Node | None = None
        end = -1
        if token == "*":
            double = text.startswith("**", at)
            if closer is not None and text.startswith(closer, at) and not (closer == "*" and double):
                if at > literal_from:
                    nodes.append(Text(text[literal_from:at]))
                return tuple(nodes), at + len(closer)
            inner, end = _parse(text, at + 2, "**") if double else _parse(text, at + 1, "*")
            if end != -1 and inner:
                node = Strong(inner) if double else Emphasis(inner)
        elif token == "[@":
            if citation := _CITATION.match(text, at):
                node, end = Citation(tuple(_CITATION_KEY_SEPARATOR.split(citation.group(1))), at), citation.end()
        else:
            if url := _URL.match(text, at):
                address = url.group(0).rstrip(_URL_TRAILING_PUNCTUATION)
                if address.count("(") > address.count(")") and url.group(0)[len(address) :].startswith(")"):
                    address += ")"
                node, end = Link(address), at + len(address)
        if node is None:
            i = at + 1  # not markup after all: the character stays literal
            continue
        if at > literal_from:
            nodes.append(Text(text[literal_from:at]))
        nodes.append(node)
        i = literal_from = end
    if closer is not None:
        return (), -1
    if len(text) > literal_from:
        nodes.append(Text(text[literal_from:]))
    return tuple(nodes), len(text)


def iter_citations(nodes: tuple[Node, ...]) -> Iterator[Citation]:
    """Every citation in document order, including those inside emphasis."""
    for node in nodes:
        if isinstance(node, Citation):
            yield node
        elif isinstance(node, Emphasis | Strong):
            yield from iter_citations(node.children)


CitationRenderer = Callable[[Citation], str]


def render_html(nodes: tuple[Node, ...], render_citation: CitationRenderer) -> str:
    """Render nodes as inline HTML that is also inert as Markdown."""
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            parts.append(escape_text(node.value))
        elif isinstance(node, Emphasis):
            parts.append(f"<em>{render_html(node.children, render_citation)}</em>")
        elif isinstance(node, Strong):
            parts.append(f"<strong>{render_html(node.children, render_citation)}</strong>")
        elif isinstance(node, Citation):
            parts.append(render_citation(node))
        else:
            url = escape_text(node.url)
            parts.append(f'<a href="{url}">{url}</a>')
    return "".join(parts)


def render_plain(nodes: tuple[Node, ...], render_citation: Callable[[Citation], str]) -> str:
    """Render nodes as plain text (markup dropped), for data exports and diffs."""
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            parts.append(node.value)
        elif isinstance(node, Emphasis | Strong):
            parts.append(render_plain(node.children, render_citation))
        elif isinstance(node, Citation):
            parts.append(render_citation(node))
        else:
            parts.append(node.url)
    return "".join(parts)


def plain_text(text: str) -> str:
    """Policy text without its markup and citations: for titles in feeds, anchors and search."""
    return render_plain(parse_inline(text), lambda _citation: "")
