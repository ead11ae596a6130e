"""The inline mini-syntax of policy text: parse it, find its citations, render it safely.

Policy text is clinical and legal prose, not Markdown or HTML. It allows exactly
``*italic*``, ``**bold**``, citations ``[@key]`` / ``[@a; @b]`` (pandoc style) and
bare ``https://`` / ``http://`` links. Everything else is literal: the renderer
escapes every character that HTML *or* Markdown would interpret, so text such as
``<script>``, ``{: onclick=x}``, ``--8<--`` or ``{{ x }}`` reaches the reader as typed.
"""

from __future__ import annotations

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
_NEWLINES = re.compile(r"\s*\n\s*")

_KEY = r"[A-Za-z0-9_:.+/-]+"
_CITATION = re.compile(rf"\[@({_KEY}(?:\s*;\s*@{_KEY})*)\]")
_CITATION_KEY_SEPARATOR = re.compile(r"\s*;\s*@")
_URL = re.compile(r"https?://[^\s<>\"'`]+")
_URL_TRAILING_PUNCTUATION = ".,;:!?)"


def escape_text(text: str) -> str:
    """Escape literal text for HTML and Markdown alike; line breaks become spaces."""
    return _NEWLINES.sub(" ", text).translate(_ESCAPE_TABLE)


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


def parse_inline(text: str) -> tuple[Node, ...]:
    """Parse policy text into nodes. Never fails: anything unmatched is literal text."""
    nodes, _ = _parse(text, 0, closer=None)
    return nodes


def _parse(text: str, start: int, closer: str | None) -> tuple[tuple[Node, ...], int]:
    """Parse from ``start`` until ``closer`` (``*`` or ``**``) or the end; return nodes and end index.

    When ``closer`` is given but never found, returns end index -1 so the caller can
    treat its opening marker as literal.
    """
    nodes: list[Node] = []
    literal: list[str] = []
    i = start

    def flush() -> None:
        if literal:
            nodes.append(Text("".join(literal)))
            literal.clear()

    while i < len(text):
        if closer is not None and text.startswith(closer, i) and not (closer == "*" and text.startswith("**", i)):
            flush()
            return tuple(nodes), i + len(closer)
        if text.startswith("**", i):
            inner, end = _parse(text, i + 2, "**")
            if end != -1 and inner:
                flush()
                nodes.append(Strong(inner))
                i = end
                continue
        elif text[i] == "*":
            inner, end = _parse(text, i + 1, "*")
            if end != -1 and inner:
                flush()
                nodes.append(Emphasis(inner))
                i = end
                continue
        elif text[i] == "[" and (match := _CITATION.match(text, i)):
            flush()
            keys = tuple(_CITATION_KEY_SEPARATOR.split(match.group(1)))
            nodes.append(Citation(keys, i))
            i = match.end()
            continue
        elif text[i] == "h" and (match := _URL.match(text, i)):
            url = match.group(0).rstrip(_URL_TRAILING_PUNCTUATION)
            if url.count("(") > url.count(")") and match.group(0)[len(url) :].startswith(")"):
                url += ")"
            flush()
            nodes.append(Link(url))
            i += len(url)
            continue
        literal.append(text[i])
        i += 1
    if closer is not None:
        return (), -1
    flush()
    return tuple(nodes), i


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
