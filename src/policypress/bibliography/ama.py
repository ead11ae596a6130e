"""AMA reference style for pybtex, as clinical policies print their references.

Registered as the pybtex plugin ``ama`` (group ``pybtex.style.formatting``). The
style reproduces the references of a policy exactly, so it knows only the fields
below and fails loudly (``EntryError``) rather than printing a reference that
silently lacks something: a required field missing or unreadable
(``bib.missing_field``, ``bib.invalid_field``), a field it does not know for the
entry's type (``bib.unknown_field``, with a did-you-mean), or a known field that
this combination of fields leaves out of the reference (``bib.unused_field``, e.g. a
``url`` beside a ``doi``, or both ``year`` and ``date``). Every field an entry has
therefore appears in its reference. ``FIELDS`` is the vocabulary as data.

Field vocabulary (BibTeX/biblatex names; values are Unicode, no LaTeX macros):

- every type: ``author`` (``and others`` renders "et al"), ``collaboration`` (group
  author rendered "; Group", or alone when there is no ``author``), ``title``,
  ``titleaddon`` (bracketed note after the title: "[abstract]", "[published
  correction appears in ...]"), ``doi`` (bare, linked to https://doi.org/), ``url``
  with optional ``urltext`` (link text) and ``urldate`` ("Accessed ..."), ``pmid``.
  Outside web pages and web articles, a URL is printed only when there is no DOI
  (AMA gives the DOI instead), so an entry with both is an error.
- ``@article``: ``journal``, ``year`` (or ``date``), ``volume``, ``number``,
  ``pages`` (``--`` for ranges), ``epubdate`` ("Published 2015 Oct 23"). An article
  without volume, number and pages is a web article: journal, URL, "Published"
  ``date`` (or ``year``), ``updated``, accessed date (``epubdate`` is then an error).
- ``@online``: ``series`` (document series and number after the title, "Clinical
  guideline CG189"), ``organization`` (web site name), ``date`` or ``year``
  ("Published ..."), ``updated`` ("Updated ..."); ``url`` and ``urldate`` required.
- ``@book`` / ``@report``: ``editor`` (without ``author`` and ``collaboration`` the
  editors lead, "A, B, eds."; otherwise "A, ed." follows the title), ``edition``
  (a number renders "2nd ed.", other text as written), ``series``, ``note``,
  ``type`` + ``number`` ("AHRQ Publication No. 21-EHC030"; ``number`` alone
  "Report No. ...", ``type`` alone as written), ``address``, ``publisher`` or
  ``institution`` (one of them), ``date`` or ``year`` (one of them).
- ``@incollection``: ``updated`` (NLM date after the chapter title), ``editor``,
  ``booktitle``, ``edition``, ``address``, ``publisher`` or ``institution``,
  ``date`` or ``year`` (``2023-01/`` renders "2023 Jan-"), ``pages`` ("2019:100-120").

Dates are ISO 8601 (``2022``, ``2022-12``, ``2022-12-06``, ranges ``start/end`` or
open ``start/``).
"""

from __future__ import annotations

import datetime
import difflib
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pybtex.database import Entry, Person
from pybtex.exceptions import PybtexError
from pybtex.richtext import BaseText, HRef, Tag, Text
from pybtex.style import FormattedEntry
from pybtex.style.formatting import BaseStyle

MAX_LISTED_AUTHORS = 6
"""AMA lists up to six authors; with more, the first three and "et al"."""
AUTHORS_BEFORE_ET_AL = 3

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_COMMON_FIELDS = ("author", "collaboration", "title", "titleaddon", "url", "urltext", "urldate", "pmid", "doi")
_BOOK_FIELDS = (
    *_COMMON_FIELDS,
    "editor",
    "edition",
    "series",
    "note",
    "type",
    "number",
    "address",
    "publisher",
    "institution",
    "date",
    "year",
)
FIELDS: Mapping[str, tuple[str, ...]] = {
    "article": (
        *_COMMON_FIELDS,
        "journal",
        "year",
        "date",
        "volume",
        "number",
        "pages",
        "epubdate",
        "updated",
    ),
    "online": (*_COMMON_FIELDS, "series", "organization", "date", "year", "updated"),
    "book": _BOOK_FIELDS,
    "report": _BOOK_FIELDS,
    "incollection": (
        *_COMMON_FIELDS,
        "updated",
        "editor",
        "booktitle",
        "edition",
        "address",
        "publisher",
        "institution",
        "date",
        "year",
        "pages",
    ),
}
"""The entry types the style formats and, for each, every field it accepts (see the module docstring).

A field outside its type's list is ``bib.unknown_field``; one inside that a particular
entry cannot print (a ``url`` beside a ``doi``) is ``bib.unused_field``."""

_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_PAGE_RANGE = re.compile(r"\s*(?:--|\u2013|-)\s*")


class EntryError(PybtexError):
    """A BibTeX entry the AMA style cannot format; ``field`` names the culprit when there is one."""

    def __init__(
        self, key: str, code: str, message: str, field: str | None = None, also: tuple[EntryError, ...] = ()
    ) -> None:
        self.key = key
        self.code = code
        self.field = field
        self.detail = message
        self.also = also
        """Further problems of the same entry, reported together with this one."""
        super().__init__(f"entry {key!r}: {message}")

    def problems(self) -> tuple[EntryError, ...]:
        """This problem and the others found in the same entry, in field order."""
        return (self, *self.also)

    @classmethod
    def combine(cls, problems: list[EntryError]) -> EntryError:
        """One error standing for several of one entry (the first, carrying the rest)."""
        first, *rest = problems
        return cls(first.key, first.code, first.detail, first.field, (*first.also, *rest))


@dataclass(frozen=True)
class _Date:
    """A calendar date at year, month or day precision (month names are locale independent)."""

    year: int
    month: int | None = None
    day: int | None = None

    def long(self) -> str:
        """Running-text form: "December 6, 2022", "September 2010", "2020"."""
        if self.month is None:
            return str(self.year)
        if self.day is None:
            return f"{_MONTHS[self.month - 1]} {self.year}"
        return f"{_MONTHS[self.month - 1]} {self.day}, {self.year}"

    def nlm(self) -> str:
        """NLM form, used for journal and chapter dates: "2015 Oct 23", "2023 Jan", "2023"."""
        parts = [str(self.year)]
        if self.month is not None:
            parts.append(_MONTHS[self.month - 1][:3])
        if self.day is not None:
            parts.append(str(self.day))
        return " ".join(parts)


@dataclass(frozen=True)
class _DateRange:
    """An ISO date, or a range ``start/end`` whose end may be open (``2023-01/``)."""

    start: _Date
    end: _Date | None = None
    is_range: bool = False

    def render(self, form: Callable[[_Date], str]) -> str:
        """Format with ``_Date.long`` or ``_Date.nlm``; a range as "start-end" or "start-"."""
        text = form(self.start)
        if self.is_range:
            text += "-" + (form(self.end) if self.end is not None else "")
        return text


def _parse_date(value: str) -> _DateRange | None:
    """Parse an ISO date or range; None when the value is not one."""
    start_text, slash, end_text = value.strip().partition("/")
    start = _parse_single_date(start_text)
    if start is None:
        return None
    if not slash:
        return _DateRange(start)
    if not end_text:
        return _DateRange(start, None, is_range=True)
    end = _parse_single_date(end_text)
    return None if end is None else _DateRange(start, end, is_range=True)


def _parse_single_date(value: str) -> _Date | None:
    match = _ISO_DATE.fullmatch(value)
    if match is None:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        datetime.date(year, month or 1, day or 1)
    except ValueError:
        return None
    return _Date(year, month, day)


def unbrace(value: str) -> str:
    """Field text as written, without BibTeX's grouping braces.

    Values are Unicode (LaTeX macros are refused when the file is read), so nothing
    else needs decoding; this is also far cheaper than pybtex's LaTeX decoder, which
    dominated formatting time.
    """
    return value.replace("{", "").replace("}", "")


class _Fields:
    """Read access to one entry's fields that turns a missing or bad field into ``EntryError``.

    Every field read with a value is recorded in ``used``: the style reads a field only
    to print it, so a field the entry has and ``used`` lacks was left out of the reference.
    """

    def __init__(self, entry: Entry) -> None:
        self.entry = entry
        self.key: str = entry.key or "?"
        self.used: set[str] = set()

    def get(self, name: str) -> str | None:
        """The field's value, or None when it is absent or blank."""
        value = self.entry.fields.get(name)
        if value is None or not value.strip():
            return None
        self.used.add(name)
        return value.strip()

    def persons(self, role: str) -> list[Person]:
        """The names of a person field (``author``, ``editor``), empty when there are none."""
        persons: list[Person] = self.entry.persons.get(role, [])
        if persons:
            self.used.add(role)
        return persons

    def given(self) -> list[str]:
        """The entry's fields with a value and its person fields, lower-case, in the order written."""
        names = [name.lower() for name, value in self.entry.fields.items() if value.strip()]
        return names + [role.lower() for role, persons in self.entry.persons.items() if persons]

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise self.missing(name)
        return value

    def missing(self, name: str) -> EntryError:
        return EntryError(
            self.key,
            "bib.missing_field",
            f"@{self.entry.type} needs a {name!r} field for the AMA style",
            field=name,
        )

    def rich(self, name: str) -> Text | None:
        """The field as rich text: braces protect, nothing else is interpreted."""
        value = self.get(name)
        return None if value is None else Text(unbrace(value))

    def require_rich(self, name: str) -> Text:
        return Text(unbrace(self.require(name)))

    def plain(self, name: str) -> str | None:
        """The field's text with protecting braces removed (for URLs, DOIs, dates)."""
        value = self.get(name)
        return None if value is None else unbrace(value)

    def date(self, name: str) -> _DateRange | None:
        value = self.plain(name)
        if value is None:
            return None
        parsed = _parse_date(value)
        if parsed is None:
            raise EntryError(
                self.key,
                "bib.invalid_field",
                f"{name} = {value!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD, or a range A/B or A/)",
                field=name,
            )
        return parsed

    def published(self) -> _DateRange | None:
        """The publication date: ``date``, else ``year``."""
        date = self.date("date")
        if date is None and self.get("year") is not None:
            date = self.date("year")
        return date

    def year(self) -> str:
        """The publication year as printed: ``year`` verbatim, else the year of ``date``."""
        year = self.plain("year")
        if year is not None:
            return year
        date = self.date("date")
        if date is None:
            raise self.missing("year")
        return str(date.start.year)


def _is_terminated(text: BaseText | str) -> bool:
    """Whether text already ends a sentence: ".", "?", "!" possibly inside a closing parenthesis."""
    value = str(text).rstrip()
    if value.endswith(")"):
        value = value[:-1]
    return value.endswith((".", "?", "!"))


def _sentence(*parts: BaseText | str) -> Text:
    """Parts followed by a period, unless they already end a sentence (no "?." or "..")."""
    text = Text(*parts)
    return text if _is_terminated(text) else Text(text, ".")


def _initials(token: str) -> str:
    """AMA initials of one given name: "Jean-Pierre" -> "JP", "R." -> "R", "RWJG" kept as written."""
    bare = token.replace("{", "").replace("}", "")
    if len(bare) > 1 and bare.isalpha() and bare.isupper():
        return bare
    letters = []
    for piece in re.split(r"[-.\s]+", bare):
        first = next((char for char in piece if char.isalpha()), "")
        letters.append(first.upper())
    return "".join(letters)


def _is_others(person: Person) -> bool:
    return person.last_names == ["others"] and not (
        person.first_names or person.middle_names or person.prelast_names or person.lineage_names
    )


def format_person(person: Person) -> str:
    """Format as "Surname Initials" ("van Tilburg CW", "Ostelo RWJG"); a braced corporate name as written."""
    surname = unbrace(" ".join(person.prelast_names + person.last_names))
    initials = "".join(_initials(name) for name in person.first_names + person.middle_names)
    lineage = unbrace(" ".join(person.lineage_names)).replace(".", "")
    return " ".join(part for part in (surname, initials, lineage) if part)


def format_names(persons: list[Person]) -> str | None:
    """All names up to six, else three and "et al"; an explicit ``others`` also gives "et al"."""
    named = [p for p in persons if not _is_others(p)]
    et_al = len(named) < len(persons)
    if len(named) > MAX_LISTED_AUTHORS:
        named = named[:AUTHORS_BEFORE_ET_AL]
        et_al = True
    names = [format_person(p) for p in named]
    if et_al:
        names.append("et al")
    return ", ".join(names) if names else None


def _doi_link(doi: str) -> HRef:
    """``doi:10.x/y`` linked to https://doi.org/10.x/y (characters unsafe in a URL percent-encoded)."""
    return HRef("https://doi.org/" + urllib.parse.quote(doi, safe="/:;()"), f"doi:{doi}")


class AmaStyle(BaseStyle):
    """AMA (10th/11th edition) references as clinical policies print them; see the module docstring."""

    default_sorting_style = "none"
    _types: ClassVar[tuple[str, ...]] = tuple(FIELDS)

    def format_entry(self, label: str, entry: Entry, bib_data: Any = None) -> FormattedEntry:
        """Format one entry; any field it has that the reference would not show is an ``EntryError``.

        An unsupported type, a field unknown for the type (all of them at once, with a
        did-you-mean), a missing or unreadable field, or a given field this entry's
        reference leaves out (all of them at once): each is an ``EntryError``, never an
        AttributeError nor a reference silently lacking a field.
        """
        if entry.type not in FIELDS:
            raise EntryError(
                entry.key or "?",
                "bib.entry_type",
                f"@{entry.type} is not supported by the AMA style (use one of "
                + ", ".join(f"@{t}" for t in self._types)
                + ")",
            )
        fields = _Fields(entry)
        unknown = [self._unknown_field(fields, name) for name in fields.given() if name not in FIELDS[entry.type]]
        if unknown:
            raise EntryError.combine(unknown)
        context = {"entry": entry, "style": self, "bib_data": bib_data, "fields": fields}
        text = getattr(self, f"format_{entry.type}")(context)
        unused = [self._unused_field(fields, name) for name in fields.given() if name not in fields.used]
        if unused:
            raise EntryError.combine(unused)
        return FormattedEntry(entry.key, text, label)

    # Entry types -------------------------------------------------------------

    def format_article(self, context: dict[str, Any]) -> Text:
        """Journal article; without volume, number and pages, a web article (AAOS Now)."""
        fields = _fields_of(context)
        blocks = self._authors_and_title(fields)
        blocks.append(_sentence(Tag("em", fields.require_rich("journal"))))
        volume, number, pages = fields.rich("volume"), fields.rich("number"), fields.rich("pages")
        if volume is None and number is None and pages is None:
            blocks += self._web_tail(fields, require_url=True)
            return self._finish(blocks, fields)
        issue = Text(fields.year())
        if volume is not None or number is not None:
            issue = Text(issue, ";", volume or "", Text("(", number, ")") if number is not None else "")
        if pages is not None:
            issue = Text(issue, ":", self._pages(fields))
        blocks.append(_sentence(issue))
        epubdate = fields.date("epubdate")
        if epubdate is not None:
            blocks.append(_sentence("Published ", epubdate.render(_Date.nlm)))
        return self._finish(blocks, fields, url_if_no_doi=True)

    def format_online(self, context: dict[str, Any]) -> Text:
        """Web page: [Authors.] Title. [Series.] [Site.] URL. [Published.] [Updated.] Accessed."""
        fields = _fields_of(context)
        blocks = self._authors_and_title(fields)
        for name in ("series", "organization"):
            value = fields.rich(name)
            if value is not None:
                blocks.append(_sentence(value))
        blocks += self._web_tail(fields, require_url=True)
        return self._finish(blocks, fields)

    def format_book(self, context: dict[str, Any]) -> Text:
        """Book: Authors (or Editors, eds). *Title*. [Editors, eds.] [Edition.] [Series.] [Note.] Imprint."""
        return self._book_or_report(_fields_of(context), publisher_field="publisher")

    def format_report(self, context: dict[str, Any]) -> Text:
        """Report (AHRQ): like a book, with ``type No. number`` and an ``institution``."""
        return self._book_or_report(_fields_of(context), publisher_field="institution")

    def format_incollection(self, context: dict[str, Any]) -> Text:
        """Chapter: Title. [Updated.] In: [Eds.] *Book*. [Edition.] Address: Publisher; Date[:pages]. PMID."""
        fields = _fields_of(context)
        blocks = self._authors_and_title(fields, italic_title=False)
        updated = fields.date("updated")
        if updated is not None:
            blocks.append(_sentence(updated.render(_Date.nlm)))
        editors = self._editors(fields)
        book = Tag("em", fields.require_rich("booktitle"))
        if editors is not None:
            blocks.append(_sentence("In: ", editors, ". ", book))
        else:
            blocks.append(_sentence("In: ", book))
        edition = self._edition(fields)
        if edition is not None:
            blocks.append(edition)
        blocks.append(self._imprint(fields, "publisher", _Date.nlm, with_pages=True))
        return self._finish(blocks, fields, url_if_no_doi=True)

    # Field checks ------------------------------------------------------------

    @staticmethod
    def _unknown_field(fields: _Fields, name: str) -> EntryError:
        """A field the style does not know for the entry's type, with the likeliest intended one."""
        entry_type = fields.entry.type
        known = FIELDS[entry_type]
        message = f"{name}: unknown field for @{entry_type}"
        guesses = difflib.get_close_matches(name, known, n=1)
        message += f"; did you mean {guesses[0]!r}?" if guesses else "; expected one of: " + ", ".join(sorted(known))
        elsewhere = [f"@{t}" for t, names in FIELDS.items() if name in names]
        if elsewhere:
            message += f" ({name!r} is a field of " + ", ".join(elsewhere) + ")"
        return EntryError(fields.key, "bib.unknown_field", message, field=name)

    @staticmethod
    def _unused_field(fields: _Fields, name: str) -> EntryError:
        """A known field the reference leaves out, with the reason (a field it conflicts with)."""
        given = set(fields.given())
        entry_type = fields.entry.type
        pairs = {"year": "date", "date": "year", "publisher": "institution", "institution": "publisher"}
        if name in pairs and pairs[name] in given:
            reason = f"beside {pairs[name]!r}: give one of them"
        elif name in ("url", "urltext", "urldate") and "doi" in given:
            reason = "beside a 'doi' (AMA gives the DOI instead of the URL): remove one of them"
        elif name in ("urltext", "urldate") and "url" not in given:
            reason = "without a 'url'"
        elif name == "updated" and entry_type == "article":
            reason = "in a journal article (only a web article, without volume, number and pages, has one)"
        elif name == "epubdate":
            reason = "in a web article (an @article without volume, number and pages): use 'date'"
        else:
            reason = "with the other fields of this entry"
        message = f"{name}: not printed in this @{entry_type} {reason}"
        return EntryError(fields.key, "bib.unused_field", message, field=name)

    # Building blocks ---------------------------------------------------------

    def _author_block(self, fields: _Fields) -> Text | None:
        """The author block ("A, B, et al; Group."), or None when there is no author of any kind."""
        authors = format_names(fields.persons("author"))
        collaboration = fields.rich("collaboration")
        if authors is not None and collaboration is not None:
            return _sentence(authors, "; ", collaboration)
        if authors is not None or collaboration is not None:
            return _sentence(authors if authors is not None else collaboration or "")
        return None

    def _title_block(self, fields: _Fields, italic_title: bool) -> Text:
        title: BaseText = fields.require_rich("title")
        if italic_title:
            title = Tag("em", title)
        addon = fields.rich("titleaddon")
        return _sentence(title) if addon is None else _sentence(title, " ", addon)

    def _authors_and_title(self, fields: _Fields, italic_title: bool = False) -> list[Text]:
        """The author block when there is one, then the title sentence."""
        author = self._author_block(fields)
        return [*([author] if author is not None else []), self._title_block(fields, italic_title)]

    def _editors(self, fields: _Fields) -> Text | None:
        """Editors as "A, B, eds" (one editor: "A, ed"), without the closing period."""
        persons = fields.persons("editor")
        names = format_names(persons)
        if names is None:
            return None
        return Text(names, ", eds" if len(persons) > 1 else ", ed")

    def _edition(self, fields: _Fields) -> Text | None:
        """The edition sentence: a number as "2nd ed.", any other text as written."""
        edition = fields.plain("edition")
        if edition is None:
            return None
        if re.fullmatch(r"[0-9]+", edition):
            return _sentence(f"{_ordinal(int(edition))} ed")
        return _sentence(edition)

    def _book_or_report(self, fields: _Fields, publisher_field: str) -> Text:
        blocks: list[Text] = []
        author = self._author_block(fields)
        editors = self._editors(fields)
        if author is not None:
            blocks.append(author)
        elif editors is not None:  # an edited book: the editors stand where the authors would
            blocks.append(_sentence(editors))
            editors = None
        blocks.append(self._title_block(fields, italic_title=True))
        if editors is not None:
            blocks.append(_sentence(editors))
        edition = self._edition(fields)
        if edition is not None:
            blocks.append(edition)
        for name in ("series", "note"):
            value = fields.rich(name)
            if value is not None:
                blocks.append(_sentence(value))
        number = fields.rich("number")
        kind = fields.rich("type")
        if number is not None:
            blocks.append(_sentence(kind or Text("Report"), " No. ", number))
        elif kind is not None:
            blocks.append(_sentence(kind))
        blocks.append(self._imprint(fields, publisher_field, _Date.long))
        return self._finish(blocks, fields, url_if_no_doi=True)

    def _imprint(
        self, fields: _Fields, publisher_field: str, form: Callable[[_Date], str], with_pages: bool = False
    ) -> Text:
        """Format "Address: Publisher; Date[:pages]." (``institution`` and ``publisher`` stand in for each other)."""
        other = "institution" if publisher_field == "publisher" else "publisher"
        publisher = fields.rich(publisher_field) or fields.rich(other)
        if publisher is None:
            raise fields.missing(publisher_field)
        date = fields.published()
        if date is None:
            raise fields.missing("date")
        address = fields.rich("address")
        where = Text(address, ": ", publisher) if address is not None else publisher
        when = Text(date.render(form))
        if with_pages and fields.get("pages") is not None:
            when = Text(when, ":", self._pages(fields))
        return _sentence(where, "; ", when)

    def _pages(self, fields: _Fields) -> str:
        """Page ranges with a hyphen: "2310--2317" -> "2310-2317"."""
        return _PAGE_RANGE.sub("-", fields.plain("pages") or "")

    def _url(self, fields: _Fields, required: bool) -> Text | None:
        url = fields.plain("url")
        if url is None:
            if required:
                raise fields.missing("url")
            return None
        if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https", "mailto"):
            raise EntryError(fields.key, "bib.url_scheme", f"url {url!r} is not an http(s) or mailto URL", field="url")
        return _sentence(HRef(url, fields.plain("urltext") or url))

    def _web_tail(self, fields: _Fields, require_url: bool) -> list[Text]:
        """URL. [Published date.] [Updated date.] Accessed date. (dates in running-text form)."""
        blocks: list[Text] = []
        url = self._url(fields, required=require_url)
        if url is not None:
            blocks.append(url)
        published = fields.published()
        if published is not None:
            blocks.append(_sentence("Published ", published.render(_Date.long)))
        updated = fields.date("updated")
        if updated is not None:
            blocks.append(_sentence("Updated ", updated.render(_Date.long)))
        accessed = fields.date("urldate")
        if accessed is None:
            raise fields.missing("urldate")
        blocks.append(_sentence("Accessed ", accessed.render(_Date.long)))
        return blocks

    def _finish(self, blocks: list[Text], fields: _Fields, url_if_no_doi: bool = False) -> Text:
        """Append URL (when there is no DOI and ``url_if_no_doi``), PMID and the DOI, which ends it.

        AMA puts no period after a DOI; a reference without a DOI ends with its last period.
        """
        doi = fields.plain("doi")
        if url_if_no_doi and doi is None:
            url = self._url(fields, required=False)
            if url is not None:
                blocks.append(url)
                accessed = fields.date("urldate")
                if accessed is not None:
                    blocks.append(_sentence("Accessed ", accessed.render(_Date.long)))
        pmid = fields.rich("pmid")
        if pmid is not None:
            blocks.append(_sentence("PMID: ", pmid))
        if doi is not None:
            blocks.append(Text(_doi_link(doi)))
        return Text(" ").join(blocks)


def _fields_of(context: dict[str, Any]) -> _Fields:
    """The entry's field reader: the one ``format_entry`` records reads in, else a fresh one."""
    fields = context.get("fields")
    return fields if isinstance(fields, _Fields) else _Fields(context["entry"])


def _ordinal(number: int) -> str:
    """English ordinal: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 102nd."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
