"""The bibliography: parse ``references.bib`` once and format each key at most once per build.

Formatting goes through the AMA pybtex style (``bibliography.ama``). Every reference
comes out twice, as inline HTML (text escaped with ``model.inline.escape_text``
so it is inert as both HTML and Markdown) and as plain text with the same wording.
Problems in the ``.bib`` file become ``SourceError`` diagnostics naming its line.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pybtex.errors
from pybtex.backends.html import Backend as PybtexHtmlBackend
from pybtex.backends.plaintext import Backend as PlaintextBackend
from pybtex.database import BibliographyData
from pybtex.database.input.bibtex import LowLevelParser, Parser
from pybtex.exceptions import PybtexError
from pybtex.scanner import PybtexSyntaxError
from pybtex.style.formatting import BaseStyle

from policypress.bibliography.ama import AmaStyle, EntryError
from policypress.errors import Diagnostic, SourceError
from policypress.model.inline import escape_text


class HtmlBackend(PybtexHtmlBackend):
    """pybtex HTML that is also inert Markdown: policypress escaping, no ``bibtex-protected`` spans."""

    def format_str(self, text: str) -> str:
        return escape_text(text)

    def format_protected(self, text: str) -> str:
        return text

    @staticmethod
    def format_href(url: str, text: str, external: bool = False) -> str:
        return f'<a href="{escape_text(url)}">{text}</a>' if text else ""


@dataclass(frozen=True)
class FormattedReference:
    """One reference as inline HTML (``<em>``, ``<a href>``) and as plain text with the same wording."""

    key: str
    html: str
    text: str


@dataclass(frozen=True)
class _Span:
    """Where an entry sits in the ``.bib`` text (0-based offsets), for diagnostics."""

    start: int
    end: int


class Bibliography:
    """Parsed entries in file order; ``format`` caches, so each key is formatted at most once."""

    def __init__(
        self,
        data: BibliographyData | None,
        keys: tuple[str, ...],
        display: str,
        text: str,
        spans: dict[str, _Span],
        style: BaseStyle | None = None,
    ) -> None:
        self._data = data
        self._keys = keys
        self._key_set = frozenset(keys)
        self._display = display
        self._text = text
        self._spans = spans
        self._style = style if style is not None else AmaStyle()
        self._html = HtmlBackend()
        self._plain = PlaintextBackend()
        self._cache: dict[str, FormattedReference] = {}

    @property
    def keys(self) -> tuple[str, ...]:
        """Entry keys in file order."""
        return self._keys

    def __contains__(self, key: object) -> bool:
        """Exact, case-sensitive key match (pybtex itself ignores case)."""
        return key in self._key_set

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    @property
    def parsed(self) -> bool:
        """Whether this bibliography was parsed from its text (not taken whole from the cache)."""
        return self._data is not None

    @property
    def text(self) -> str:
        """The ``.bib`` file's text, as read."""
        return self._text

    def format_all(self) -> list[Diagnostic]:
        """Format every entry (each once), returning the problems instead of stopping at the first."""
        diagnostics: list[Diagnostic] = []
        for key in self._keys:
            try:
                self.format(key)
            except SourceError as exc:
                diagnostics.extend(exc.diagnostics)
        return diagnostics

    def formatted(self) -> dict[str, FormattedReference]:
        """Every reference formatted so far, by key."""
        return dict(self._cache)

    def spans(self) -> dict[str, tuple[int, int]]:
        """Where each entry sits in the text (start and end offsets), by key."""
        return {key: (span.start, span.end) for key, span in self._spans.items()}

    @classmethod
    def from_formatted(
        cls,
        keys: tuple[str, ...],
        references: dict[str, FormattedReference],
        spans: dict[str, tuple[int, int]],
        display: str,
        text: str,
    ) -> Bibliography:
        """A bibliography whose every entry is already formatted (from the cache): nothing left to parse."""
        bibliography = cls(None, keys, display, text, {key: _Span(*span) for key, span in spans.items()})
        bibliography._cache = dict(references)
        return bibliography

    def format(self, key: str) -> FormattedReference:
        """The formatted reference for ``key``; raises ``KeyError`` for an unknown key."""
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if key not in self._key_set or self._data is None:
            raise KeyError(key)
        entry = self._data.entries[key]
        try:
            rich = self._style.format_entry("", entry).text
        except EntryError as error:
            raise SourceError(self._entry_diagnostics(key, error)) from error
        reference = FormattedReference(key, rich.render(self._html), rich.render(self._plain))
        self._cache[key] = reference
        return reference

    def _entry_diagnostics(self, key: str, error: EntryError) -> list[Diagnostic]:
        """Every problem the style found in one entry, each at its field's line, in file order."""
        diagnostics = []
        for problem in error.problems():
            line, col = self._field_position(key, problem.field)
            diagnostics.append(Diagnostic(self._display, line, col, problem.code, f"{key}: {problem.detail}"))
        return sorted(diagnostics, key=lambda d: (d.line, d.col))

    def source(self, key: str) -> str:
        """The entry ``key`` verbatim as written in the ``.bib`` file (e.g. to attach it to a PDF)."""
        span = self._spans[key]
        entry = self._text[span.start : span.end]
        return entry[: max(entry.rfind("}"), entry.rfind(")")) + 1] or entry.rstrip()

    def _field_position(self, key: str, field: str | None) -> tuple[int, int]:
        """Line and column of ``field`` inside the entry, else of the entry itself."""
        span = self._spans[key]
        if field is None:
            return _line_col(self._text, span.start)
        return _field_line_col(self._text, span, field)


def read_bibliography_text(path: Path, display: str | None = None) -> str:
    """The text of a BibTeX file; ``SourceError`` naming the place if it cannot be read or is not UTF-8."""
    shown = display if display is not None else path.as_posix()
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        before = error.object[: error.start].decode("utf-8", "replace")
        line, col = _line_col(before, len(before))
        raise SourceError(
            [Diagnostic(shown, line, col, "bib.encoding", "the bibliography is not valid UTF-8")]
        ) from error
    except OSError as error:
        raise SourceError(
            [Diagnostic(shown, 1, 1, "bib.read", f"cannot read the bibliography: {error.strerror}")]
        ) from error


def load_bibliography(path: Path, display: str | None = None) -> Bibliography:
    """Parse a BibTeX file; ``display`` is the file name diagnostics show (default: ``path``)."""
    shown = display if display is not None else path.as_posix()
    return parse_bibliography(read_bibliography_text(path, shown), shown)


def parse_bibliography(text: str, display: str, style: BaseStyle | None = None) -> Bibliography:
    """Parse BibTeX text, collecting every syntax problem before raising ``SourceError``.

    ``style`` formats the entries (default: a new ``AmaStyle``; one may serve many bibliographies).
    """
    diagnostics: list[Diagnostic] = []

    def syntax_error(error: PybtexSyntaxError) -> None:
        line, col = _line_col(text, _error_offset(error, text))
        diagnostics.append(Diagnostic(display, line, col, "bib.syntax", _message(error)))

    parser = Parser()
    scanner = LowLevelParser(text, macros=parser.macros, handle_error=syntax_error, filename=display)
    keys: list[str] = []
    by_folded_key: dict[str, str] = {}
    starts: dict[str, int] = {}
    raw_fields: dict[str, dict[str, str]] = {}
    reported = 0
    for command, body in scanner:
        start = scanner.command_start
        broken = len(diagnostics) > reported  # a syntax error inside this command: skip its remains
        reported = len(diagnostics)
        kind = command.lower()
        if broken or kind == "string":
            continue
        if kind == "preamble":
            parser.process_preamble(*body)
            continue
        key, fields = body
        line, col = _line_col(text, start)
        previous = by_folded_key.get(key.lower())
        if previous is not None:
            problem = "duplicate entry key" if previous == key else f"entry key differs from {previous!r} only by case:"
            diagnostics.append(Diagnostic(display, line, col, "bib.syntax", f"{problem} {key!r}"))
        else:
            try:
                _process_entry(parser, command, key, fields)
            except PybtexError as error:
                diagnostics.append(Diagnostic(display, line, col, "bib.syntax", f"{key}: {_message(error)}"))
            else:
                by_folded_key[key.lower()] = key
                keys.append(key)
                starts[key] = start
                raw_fields[key] = {name: "".join(parts) for name, parts in fields}
        reported = len(diagnostics)
    spans = _spans(keys, starts, len(text))
    for key in keys:
        for field, code, message in _field_problems(raw_fields[key]):
            line, col = _field_line_col(text, spans[key], field)
            diagnostics.append(Diagnostic(display, line, col, code, f"{key}: {message}"))
    if diagnostics:
        raise SourceError(diagnostics)
    return Bibliography(parser.data, tuple(keys), display, text, spans, style)


_LATEX_MACRO = re.compile(r"\\(?:[A-Za-z]+|[^A-Za-z\s])")
_DOI = re.compile(r"10\.\d{4,9}/\S+")
URL_SCHEMES = ("https://", "http://", "mailto:")
"""The only URL schemes a reference may link to (no javascript:, data:, file: …)."""


MAX_FIELD_LENGTH = 2_000
"""The longest titles of real references run to about 300 characters; a field far beyond that is
a pasting accident, and the PDF engine's line layout slows with the square of a line's length."""


def _field_problems(fields: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """Problems visible in one entry's raw fields: LaTeX macros, malformed DOIs, unsafe URL schemes."""
    for name, value in fields.items():
        field = name.lower()
        if len(value) > MAX_FIELD_LENGTH:
            yield (
                field,
                "bib.field_too_long",
                f"{field}: {len(value):,} characters; a reference's field holds at most {MAX_FIELD_LENGTH:,}",
            )
            continue
        if _LATEX_MACRO.search(value):
            yield (
                field,
                "bib.latex",
                f"{field}: LaTeX macro {_LATEX_MACRO.search(value).group(0)!r}; write the character itself (Unicode)",
            )
        if field == "doi" and not _DOI.fullmatch(value):
            yield field, "bib.doi", f"doi: {value!r} is not a DOI (10.<registrant>/<suffix>, without 'doi:' or a URL)"
        if field == "url" and not value.lower().startswith(URL_SCHEMES):
            yield field, "bib.url_scheme", f"url: {value!r} must start with https://, http:// or mailto:"


def _field_line_col(text: str, span: _Span, field: str) -> tuple[int, int]:
    """Line and column of ``field =`` inside an entry (the entry's own position if not found)."""
    match = re.compile(rf"\b{re.escape(field)}\s*=", re.IGNORECASE).search(text, span.start, span.end)
    return _line_col(text, match.start() if match else span.start)


def _process_entry(parser: Parser, command: str, key: str, fields: list[tuple[str, list[str]]]) -> None:
    """Add one entry through pybtex (names, whitespace), raising its first problem instead of printing it."""
    errors: list[PybtexError] = []
    handle: Callable[[PybtexError], None] = errors.append
    parser.handle_error = handle  # type: ignore[method-assign]
    with pybtex.errors.capture() as captured:  # pybtex reports bad names through a global hook
        parser.process_entry(command, key, fields)
    errors += captured
    if errors:
        raise errors[0]


def _spans(keys: list[str], starts: dict[str, int], length: int) -> dict[str, _Span]:
    """Each entry runs from its ``@`` to the next entry's ``@`` (or the end of the file)."""
    ordered = sorted(starts[key] for key in keys)
    ends = dict(zip(ordered, [*ordered[1:], length][: len(ordered)], strict=True))
    return {key: _Span(starts[key], ends[starts[key]]) for key in keys}


def _error_offset(error: PybtexSyntaxError, text: str) -> int:
    """The character offset pybtex recorded for a syntax error (its context info ends with it)."""
    info = getattr(error, "error_context_info", None)
    if isinstance(info, tuple) and info and isinstance(info[-1], int):
        return min(info[-1], len(text))
    return 0


def _message(error: PybtexError) -> str:
    """pybtex's message without its own "in line N" prefix (the diagnostic carries the position)."""
    if isinstance(error, PybtexSyntaxError):
        return f"{error.error_type}: {PybtexError.__str__(error)}"
    return str(error)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset (a binary search: the bib has thousands of entries)."""
    newlines = _newline_offsets(text)
    line = bisect.bisect_left(newlines, offset)
    line_start = newlines[line - 1] + 1 if line > 0 else 0
    return line + 1, offset - line_start + 1


@functools.lru_cache(maxsize=4)
def _newline_offsets(text: str) -> list[int]:
    """Offsets of every newline in ``text``, computed once per text."""
    return [match.start() for match in re.finditer("\n", text)]
