r"""The inline mini-syntax of policy text: parse it, find its citations, render it safely.

Policy text is clinical and legal prose, not Markdown or HTML. It allows exactly
``*italic*``, ``**bold**``, citations ``[@key]`` / ``[@a; @b]`` (pandoc style), bare
``https://`` / ``http://`` links, links to a place of the page ``[words](#anchor)`` and a
backslash before punctuation for the character itself (``\*``). Cross-references written
as policies write them (``criterion I.B.2``, ``criteria I.C and I.D``, ``Appendix C``,
``OH.CP.MP.31``) are found in the literal text and become links where the target exists.

Asterisks follow CommonMark's flanking rule: ``*`` opens emphasis only before a word
(``*italic*``) and closes only after one, so a footnote marker such as ``kg/m²*;`` or
``kg/m²* and`` stays a literal asterisk. Everything else is literal: the renderer
escapes every character that HTML *or* Markdown would interpret, so text such as
``<script>``, ``{: onclick=x}``, ``--8<--`` or ``{{ x }}`` reaches the reader as typed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

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


CrossReferenceKind = Literal["criterion", "appendix", "policy", "anchor"]


@dataclass(frozen=True)
class CrossReference:
    """A reference to a place: ``text`` as written, ``target`` what it names.

    ``criterion``: a criterion number (``I.B.2``); ``appendix``: its letter (``C``);
    ``policy``: a reference number (``OH.CP.MP.31``); ``anchor``: an id of the page
    (``definition-bmi``), written ``[words](#anchor)``. Whether the target exists is
    the concern of whoever renders or checks the text.
    """

    text: str
    kind: CrossReferenceKind
    target: str
    offset: int


Node = Text | Emphasis | Strong | Citation | Link | CrossReference


@functools.lru_cache(maxsize=65536)
def parse_inline(text: str) -> tuple[Node, ...]:
    """Parse policy text into nodes. Never fails: anything unmatched is literal text.

    Cached: the same text is parsed for checking, rendering and exporting.
    """
    nodes, _ = _parse(text, 0, closer=None)
    return nodes


_SPECIAL = re.compile(r"\*|\[|https?://|\\")
"""Where markup may start; everything between two such places is literal and copied in one piece."""

_ANCHOR_LINK = re.compile(r"\[([^\[\]\n]+)\]\(#([A-Za-z][A-Za-z0-9_.-]*)\)")
_ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
"""ASCII punctuation: a backslash before one of these stands for the character itself."""

_LABEL = r"[IVXLC]+(?:\.(?:[A-Z]+|\d+|[a-z]+))*"
_CRITERIA_PHRASE = re.compile(
    rf"\b[Cc]riteri(?:on|a)\s+(?P<labels>{_LABEL}(?:(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+){_LABEL})*)(?![\w])"
)
_ONE_LABEL = re.compile(rf"{_LABEL}(?![\w])")
_APPENDIX = re.compile(r"\bAppendix\s+(?P<letter>[A-Z])\b")
_POLICY_NUMBER = re.compile(r"(?<![\w.])[A-Z]{2,}(?:\.[A-Z]{2,})+\.\d+(?![\w]|\.\d)")


def _is_space(char: str) -> bool:
    return char == "" or char.isspace()


def _is_punctuation(char: str) -> bool:
    return char != "" and unicodedata.category(char)[0] in "PS"


def _left_flanking(before: str, after: str) -> bool:
    """CommonMark: a delimiter run that may open emphasis (``before``/``after``: the characters around it)."""
    return not _is_space(after) and (not _is_punctuation(after) or _is_space(before) or _is_punctuation(before))


def _right_flanking(before: str, after: str) -> bool:
    """CommonMark: a delimiter run that may close emphasis."""
    return not _is_space(before) and (not _is_punctuation(before) or _is_space(after) or _is_punctuation(after))


def _char(text: str, index: int) -> str:
    return text[index] if 0 <= index < len(text) else ""


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
            before = _char(text, at - 1)
            if (
                closer is not None
                and text.startswith(closer, at)
                and not (closer == "*" and double)
                and _right_flanking(before, _char(text, at + len(closer)))
            ):
                _add_literal(nodes, text, literal_from, at)
                return tuple(nodes), at + len(closer)
            width = 2 if double else 1
            if _left_flanking(before, _char(text, at + width)):
                inner, end = _parse(text, at + width, "*" * width)
                if end != -1 and inner:
                    node = Strong(inner) if double else Emphasis(inner)
            if node is None and double:
                i = at + 2  # neither run of a literal "**" may start emphasis
                continue
        elif token == "\\":
            if _char(text, at + 1) in _ESCAPABLE and _char(text, at + 1):
                _add_literal(nodes, text, literal_from, at)
                literal_from = at + 1  # the escaped character starts the next literal run
                i = at + 2
                continue
        elif token == "[":
            if citation := _CITATION.match(text, at):
                node, end = Citation(tuple(_CITATION_KEY_SEPARATOR.split(citation.group(1))), at), citation.end()
            elif link := _ANCHOR_LINK.match(text, at):
                node, end = CrossReference(link.group(1), "anchor", link.group(2), at), link.end()
        else:
            if url := _URL.match(text, at):
                address = url.group(0).rstrip(_URL_TRAILING_PUNCTUATION)
                if address.count("(") > address.count(")") and url.group(0)[len(address) :].startswith(")"):
                    address += ")"
                node, end = Link(address), at + len(address)
        if node is None:
            i = at + 1  # not markup after all: the character stays literal
            continue
        _add_literal(nodes, text, literal_from, at)
        nodes.append(node)
        i = literal_from = end
    if closer is not None:
        return (), -1
    _add_literal(nodes, text, literal_from, len(text))
    return tuple(nodes), len(text)


def _add_literal(nodes: list[Node], text: str, start: int, end: int) -> None:
    """Append ``text[start:end]`` as literal text, with the cross-references it contains as nodes."""
    if end <= start:
        return
    found: list[tuple[int, int, Node]] = []
    for phrase in _CRITERIA_PHRASE.finditer(text, start, end):
        for label in _ONE_LABEL.finditer(text, phrase.start("labels"), phrase.end("labels")):
            found.append(
                (label.start(), label.end(), CrossReference(label.group(), "criterion", label.group(), label.start()))
            )
    for appendix in _APPENDIX.finditer(text, start, end):
        found.append(
            (
                appendix.start(),
                appendix.end(),
                CrossReference(appendix.group(), "appendix", appendix["letter"], appendix.start()),
            )
        )
    for number in _POLICY_NUMBER.finditer(text, start, end):
        found.append(
            (number.start(), number.end(), CrossReference(number.group(), "policy", number.group(), number.start()))
        )
    at = start
    for begin, finish, node in sorted(found, key=lambda item: item[0]):
        if begin < at:
            continue
        if begin > at:
            _append_text(nodes, text[at:begin])
        nodes.append(node)
        at = finish
    if end > at:
        _append_text(nodes, text[at:end])


def _append_text(nodes: list[Node], value: str) -> None:
    """Literal text, joined to the literal text before it (an escape splits a run in two)."""
    if nodes and isinstance(nodes[-1], Text):
        nodes[-1] = Text(nodes[-1].value + value)
    else:
        nodes.append(Text(value))


def iter_cross_references(nodes: tuple[Node, ...]) -> Iterator[CrossReference]:
    """Every cross-reference in document order, including those inside emphasis."""
    for node in nodes:
        if isinstance(node, CrossReference):
            yield node
        elif isinstance(node, Emphasis | Strong):
            yield from iter_cross_references(node.children)


def iter_citations(nodes: tuple[Node, ...]) -> Iterator[Citation]:
    """Every citation in document order, including those inside emphasis."""
    for node in nodes:
        if isinstance(node, Citation):
            yield node
        elif isinstance(node, Emphasis | Strong):
            yield from iter_citations(node.children)


CitationRenderer = Callable[[Citation], str]
CrossReferenceRenderer = Callable[[CrossReference], str]


def cross_reference_as_text(reference: CrossReference) -> str:
    """A cross-reference rendered as the words it was written with (no link)."""
    return escape_text(reference.text)


def render_html(
    nodes: tuple[Node, ...],
    render_citation: CitationRenderer,
    render_reference: CrossReferenceRenderer = cross_reference_as_text,
) -> str:
    """Render nodes as inline HTML that is also inert as Markdown."""
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            parts.append(escape_text(node.value))
        elif isinstance(node, Emphasis):
            parts.append(f"<em>{render_html(node.children, render_citation, render_reference)}</em>")
        elif isinstance(node, Strong):
            parts.append(f"<strong>{render_html(node.children, render_citation, render_reference)}</strong>")
        elif isinstance(node, Citation):
            parts.append(render_citation(node))
        elif isinstance(node, CrossReference):
            parts.append(render_reference(node))
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
        elif isinstance(node, CrossReference):
            parts.append(node.text)
        else:
            parts.append(node.url)
    return "".join(parts)


def plain_text(text: str) -> str:
    """Policy text without its markup and citations: for titles in feeds, anchors and search."""
    return render_plain(parse_inline(text), lambda _citation: "")
