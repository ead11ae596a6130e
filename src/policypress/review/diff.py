"""Semantic diff of two loaded projects: what changed for providers, policy by policy.

Pure functions over the model (no files, no git). Policies are matched by ``id``
(a policy whose id changed but whose title stayed is a rename); criteria by their
number (I, I.A, I.A.1, …, as the page shows them); codes by code system and code;
references by BibTeX key (so a key whose position moved is *renumbered*);
paragraphs and revision-log entries by content. Changed text carries a word-level
redline computed on the text providers read (emphasis markers dropped, citations
kept as ``[@key]``); an edit that only touches emphasis is flagged as such.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from policypress.bibliography.bibtex import Bibliography
from policypress.errors import Path_
from policypress.model.inline import Citation, iter_citations, parse_inline, render_plain
from policypress.model.numbering import criterion_label
from policypress.model.policy import (
    Block,
    Boilerplate,
    BulletList,
    CodeTable,
    Criterion,
    Policy,
    Revision,
    Section,
    Subheading,
    Table,
)
from policypress.model.prose import iter_prose
from policypress.project import Project

Op = Literal["equal", "delete", "insert"]
Change = Literal["added", "removed", "changed"]
Status = Literal["added", "removed", "changed", "unchanged"]

COVERED = frozenset({"medically_necessary"})
NOT_COVERED = frozenset({"not_medically_necessary", "investigational"})

PARAGRAPH_MATCH_RATIO = 0.5
"""Below this word similarity, an old and a new paragraph are a removal plus an addition, not an edit."""


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Segment:
    """A run of words of a redline: kept (``equal``), struck (``delete``) or new (``insert``)."""

    op: Op
    text: str


@dataclass(frozen=True)
class TextChange:
    """A paragraph, heading or description that was added, removed or edited."""

    where: str
    change: Change
    old: str | None
    new: str | None
    redline: tuple[Segment, ...] = ()
    formatting_only: bool = False
    """Only emphasis (``*``/``**``) changed; the words providers read are the same."""


@dataclass(frozen=True)
class FieldChange:
    """A metadata field (title, plan, effective date, …) with its old and new value."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class CriterionChange:
    """A numbered criterion added, removed, or changed in text and/or determination."""

    number: str
    change: Change
    old_determination: str | None
    new_determination: str | None
    text: TextChange | None
    """The text as added/removed, or its redline; ``None`` when only the determination changed."""
    old_requires: str | int | None = None
    new_requires: str | int | None = None
    """How the sub-criteria combine (``all``, ``one``, ``each``, or at least N), before and after."""

    @property
    def requires_changed(self) -> bool:
        return self.change == "changed" and self.old_requires != self.new_requires

    @property
    def determination_changed(self) -> bool:
        return self.change == "changed" and self.old_determination != self.new_determination

    @property
    def direction(self) -> str | None:
        """``coverage expanded`` / ``coverage restricted`` when the determination crosses the line."""
        if not self.determination_changed:
            return None
        if self.old_determination in NOT_COVERED and self.new_determination in COVERED:
            return "coverage expanded"
        if self.old_determination in COVERED and self.new_determination in NOT_COVERED:
            return "coverage restricted"
        return None


@dataclass(frozen=True)
class TableChange:
    """A code table added, removed or given a new heading."""

    change: Literal["added", "removed", "renamed"]
    code_system: str
    old_heading: str | None
    new_heading: str | None


@dataclass(frozen=True)
class CodeChange:
    """A code added, removed, moved to another table, or with a changed description."""

    code_system: str
    code: str
    change: Literal["added", "removed", "moved", "changed"]
    old_table: str | None
    new_table: str | None
    description: TextChange | None
    """The description (added/removed), or its redline when it changed (also for a moved code)."""

    @property
    def name(self) -> str:
        return f"{self.code_system} {self.code}"


@dataclass(frozen=True)
class ReferenceChange:
    """A reference added to or removed from a policy's list, renumbered, or whose entry changed."""

    key: str
    change: Literal["added", "removed", "renumbered", "changed"]
    old_number: int | None
    new_number: int | None
    cited_in: tuple[str, ...]
    """Where the policy cites the key (head side; base side for a removed key)."""
    entry: TextChange | None = None
    """The formatted reference (added/removed), or its redline when the BibTeX entry changed."""


@dataclass(frozen=True)
class RevisionChange:
    """A revision-log entry added, removed or edited; ``index`` is its position on its side."""

    change: Change
    index: int
    old: Revision | None
    new: Revision | None


@dataclass(frozen=True)
class PolicyDiff:
    """Everything that changed in one policy between base and head."""

    id: str
    title: str
    status: Status
    base_file: str | None
    head_file: str | None
    metadata: tuple[FieldChange, ...] = ()
    description: tuple[TextChange, ...] = ()
    notes: tuple[TextChange, ...] = ()
    criteria: tuple[CriterionChange, ...] = ()
    background: tuple[TextChange, ...] = ()
    sections: tuple[TextChange, ...] = ()
    """Footnotes, Definitions and Appendices."""
    tables: tuple[TableChange, ...] = ()
    codes: tuple[CodeChange, ...] = ()
    references: tuple[ReferenceChange, ...] = ()
    revision_log: tuple[RevisionChange, ...] = ()

    @property
    def renamed(self) -> bool:
        """The policy's file (and possibly its id) changed."""
        return self.base_file is not None and self.head_file is not None and self.base_file != self.head_file

    @property
    def new_revisions(self) -> tuple[RevisionChange, ...]:
        return tuple(r for r in self.revision_log if r.change == "added")

    def substantive_changes(self) -> tuple[str, ...]:
        """Criteria, determination and code changes: what needs a revision-log entry."""
        found: list[str] = []
        for criterion in self.criteria:
            if criterion.change != "changed":
                found.append(f"criterion {criterion.number} {criterion.change}")
                continue
            if criterion.determination_changed:
                found.append(f"criterion {criterion.number} determination")
            if criterion.text is not None:
                found.append(f"criterion {criterion.number} text")
        found.extend(f"{code.name} {code.change}" for code in self.codes)
        return tuple(found)


@dataclass(frozen=True)
class Review:
    """The semantic diff of two projects: every policy (changed or not) and the shared boilerplate."""

    policies: tuple[PolicyDiff, ...]
    boilerplate: tuple[TextChange, ...]

    @property
    def changed(self) -> tuple[PolicyDiff, ...]:
        return tuple(p for p in self.policies if p.status != "unchanged")

    def count(self, status: Status) -> int:
        return sum(1 for p in self.policies if p.status == status)

    @property
    def renamed(self) -> int:
        return sum(1 for p in self.policies if p.renamed)


# ----------------------------------------------------------------------------- text


def plain_text(text: str) -> str:
    """What providers read: emphasis markers dropped, citations kept as ``[@key]``, spaces collapsed."""
    plain = render_plain(parse_inline(text), _citation_source)
    return " ".join(plain.split())


def _citation_source(citation: Citation) -> str:
    return "[" + "; ".join(f"@{key}" for key in citation.keys) + "]"


def _normalize(text: str) -> str:
    return " ".join(text.split())


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")

REWRITE_RATIO = 0.4
"""Below this token similarity a text counts as rewritten: the redline strikes all of it and inserts the new."""

MAX_COMPARED = 4_000_000
"""Token pairs one comparison may examine (a 1,000-word paragraph against another); beyond it, text
counts as rewritten, so that a pull request with a giant paragraph cannot stall the review."""


def redline(old: str, new: str) -> tuple[Segment, ...]:
    """Differences of two texts by words and punctuation; equal + delete texts give ``old``, equal + insert ``new``.

    Short unchanged runs squeezed between two changes are folded into them (as in
    diff-match-patch's semantic cleanup) so that a reworded phrase reads as one edit.
    """
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if len(a) * len(b) > MAX_COMPARED or matcher.ratio() < REWRITE_RATIO:
        return tuple(Segment(op, text) for op, text in (("delete", old), ("insert", new)) if text)
    # alternating runs: str = unchanged text, [deleted, inserted] = a change
    runs: list[str | list[str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append("".join(a[i1:i2]))
        elif runs and isinstance(runs[-1], list):
            runs[-1][0] += "".join(a[i1:i2])
            runs[-1][1] += "".join(b[j1:j2])
        else:
            runs.append(["".join(a[i1:i2]), "".join(b[j1:j2])])
    merged = True
    while merged:
        merged = False
        for k in range(1, len(runs) - 1):
            before, equal, after = runs[k - 1], runs[k], runs[k + 1]
            if isinstance(equal, str) and isinstance(before, list) and isinstance(after, list):
                small = not re.search(r"\w", equal) or (
                    len(equal) <= max(map(len, before)) and len(equal) <= max(map(len, after))
                )
                if small:
                    runs[k - 1 : k + 2] = [[before[0] + equal + after[0], before[1] + equal + after[1]]]
                    merged = True
                    break
    segments: list[Segment] = []
    for run in runs:
        if isinstance(run, str):
            segments.append(Segment("equal", run))
            continue
        segments.extend(Segment(op, text) for op, text in (("delete", run[0]), ("insert", run[1])) if text)
    return tuple(segments)


def _text_change(where: str, old: str | None, new: str | None) -> TextChange | None:
    """The change from ``old`` to ``new`` (``None`` = absent), or ``None`` when they read the same."""
    if old is None and new is None:
        return None
    if old is None:
        return TextChange(where, "added", None, plain_text(new or ""))
    if new is None:
        return TextChange(where, "removed", plain_text(old), None)
    if _normalize(old) == _normalize(new):
        return None
    old_plain, new_plain = plain_text(old), plain_text(new)
    if old_plain == new_plain:
        return TextChange(where, "changed", old_plain, new_plain, formatting_only=True)
    return TextChange(where, "changed", old_plain, new_plain, redline(old_plain, new_plain))


def _similarity(old: str, new: str) -> float:
    a, b = old.split(), new.split()
    if len(a) * len(b) > MAX_COMPARED:
        return difflib.SequenceMatcher(None, a, b, autojunk=False).quick_ratio()
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _pair_by_content(
    old: Sequence[str], new: Sequence[str], key: Callable[[str], str] = _normalize
) -> Iterator[tuple[int | None, int | None]]:
    """Pairs of indexes (old, new) in order: equal items, edited items, and unpaired additions/removals.

    Identical items anchor the alignment; inside each block that differs, an old item
    is paired with the most similar new item after the last pairing, if similar enough.
    """
    a, b = [key(x) for x in old], [key(x) for x in new]
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            yield from zip(range(i1, i2), range(j1, j2), strict=True)
            continue
        next_j = j1
        for i in range(i1, i2):
            scored = [(_similarity(a[i], b[j]), -j) for j in range(next_j, j2)]
            best = max(scored, default=(0.0, 0))
            if best[0] < PARAGRAPH_MATCH_RATIO:
                yield i, None
                continue
            j = -best[1]
            for skipped in range(next_j, j):
                yield None, skipped
            yield i, j
            next_j = j + 1
        for j in range(next_j, j2):
            yield None, j


def _diff_paragraphs(label: Callable[[int], str], old: Sequence[str], new: Sequence[str]) -> list[TextChange]:
    """Paragraph changes; ``label(n)`` names paragraph ``n`` (1-based, head numbering when it exists)."""
    changes: list[TextChange] = []
    for i, j in _pair_by_content(old, new):
        where = label((j if j is not None else i or 0) + 1)
        change = _text_change(where, None if i is None else old[i], None if j is None else new[j])
        if change is not None:
            changes.append(change)
    return changes


# ----------------------------------------------------------------------------- policy parts


def _flatten(criteria: tuple[Criterion, ...], prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Criterion]]:
    for index, criterion in enumerate(criteria, start=1):
        number = f"{prefix}{criterion_label(depth, index)}"
        yield number, criterion
        yield from _flatten(criterion.criteria, f"{number}.", depth + 1)


def diff_criteria(old: tuple[Criterion, ...], new: tuple[Criterion, ...]) -> tuple[CriterionChange, ...]:
    """Criteria compared by number: I with I, I.A with I.A (numbers are what providers cite)."""
    base, head = dict(_flatten(old)), dict(_flatten(new))
    numbers = list(head) + [n for n in base if n not in head]
    changes: list[CriterionChange] = []
    for number in numbers:
        was, now = base.get(number), head.get(number)
        where = f"Criterion {number}"
        if was is None and now is not None:
            text = _text_change(where, None, _criterion_words(now))
            changes.append(CriterionChange(number, "added", None, now.determination, text, None, now.requires))
        elif now is None and was is not None:
            text = _text_change(where, _criterion_words(was), None)
            changes.append(CriterionChange(number, "removed", was.determination, None, text, was.requires, None))
        elif was is not None and now is not None:
            text = _text_change(where, _criterion_words(was), _criterion_words(now))
            if text is not None or was.determination != now.determination or was.requires != now.requires:
                changes.append(
                    CriterionChange(
                        number, "changed", was.determination, now.determination, text, was.requires, now.requires
                    )
                )
    return tuple(changes)


def _criterion_words(criterion: Criterion) -> str:
    """A criterion's own text and the notes after its sub-list: what a reviewer reads as the criterion."""
    return " ".join((criterion.text, *criterion.notes))


def block_texts(blocks: Sequence[Block]) -> list[str]:
    """A body of blocks as the units a reviewer compares: paragraphs, list items, table rows (cells
    joined by ``|``) and sub-headings."""
    texts: list[str] = []
    for block in blocks:
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, BulletList):
            texts.extend(f"• {item}" for item in block.bullets)
        elif isinstance(block, Table):
            texts.extend(" | ".join(row) for row in (block.columns, *block.rows))
        elif isinstance(block, Subheading):
            texts.append(f"Sub-heading: {block.subheading}")
    return texts


def diff_other_sections(old: Policy | None, new: Policy | None) -> tuple[TextChange, ...]:
    """Footnotes, Definitions and Appendices: items compared by content, appendices by title."""
    changes: list[TextChange] = []

    def footnotes(policy: Policy | None) -> list[str]:
        return [f"{f.marker}{f.text}" for f in policy.footnotes] if policy else []

    def definitions(policy: Policy | None) -> list[str]:
        return [f"{d.term}: {d.definition}" for d in policy.definitions] if policy else []

    changes.extend(_diff_paragraphs(lambda n: f"Footnote {n}", footnotes(old), footnotes(new)))
    changes.extend(_diff_paragraphs(lambda n: f"Definitions ¶{n}", definitions(old), definitions(new)))
    was = {plain_text(a.title): a for a in old.appendices} if old else {}
    now = {plain_text(a.title): a for a in new.appendices} if new else {}
    for title in [*now, *(t for t in was if t not in now)]:
        changes.extend(
            _diff_paragraphs(
                lambda n, title=title: f"{title} ¶{n}",
                block_texts(was[title].content) if title in was else [],
                block_texts(now[title].content) if title in now else [],
            )
        )
    return tuple(changes)


def _section_name(section: Section, number: int) -> str:
    if section.heading is None:
        return f"Background section {number}"
    return f"Background › {plain_text(section.heading)}"


def diff_background(old: tuple[Section, ...], new: tuple[Section, ...]) -> tuple[TextChange, ...]:
    """Sections aligned by heading (positionally where headings differ), then their paragraphs by content."""
    changes: list[TextChange] = []
    headings_old = [plain_text(s.heading or "") for s in old]
    headings_new = [plain_text(s.heading or "") for s in new]
    for _tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, headings_old, headings_new, autojunk=False).get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            was = old[i1 + k] if i1 + k < i2 else None
            now = new[j1 + k] if j1 + k < j2 else None
            shown, number = (now, j1 + k + 1) if now is not None else (was, i1 + k + 1)
            assert shown is not None
            name = _section_name(shown, number)
            if was is not None and now is not None:
                heading = _text_change(f"{name} (heading)", was.heading, now.heading)
                if heading is not None:
                    changes.append(heading)
            changes.extend(
                _diff_paragraphs(
                    lambda n, name=name: f"{name} ¶{n}",
                    block_texts(was.content) if was is not None else (),
                    block_texts(now.content) if now is not None else (),
                )
            )
    return tuple(changes)


def _code_rows(tables: tuple[CodeTable, ...]) -> dict[tuple[str, str], tuple[str, str]]:
    """(code system, code) -> (table heading, description); the first table wins for a repeated code."""
    rows: dict[tuple[str, str], tuple[str, str]] = {}
    for table in tables:
        for row in table.rows:
            words = row.description if row.notes is None else f"{row.description} (Notes: {row.notes})"
            rows.setdefault((table.code_system, row.code), (table.heading, words))
    return rows


def diff_codes(
    old: tuple[CodeTable, ...], new: tuple[CodeTable, ...]
) -> tuple[tuple[TableChange, ...], tuple[CodeChange, ...]]:
    """Table changes (added, removed, heading changed) and code changes (added, removed, moved, description)."""
    tables: list[TableChange] = []
    renamed: dict[str, str] = {}
    old_headings = {(t.code_system, t.heading) for t in old}
    new_headings = {(t.code_system, t.heading) for t in new}
    for index, table in enumerate(old):
        if (table.code_system, table.heading) in new_headings:
            continue
        if index < len(new):
            other = new[index]
            if other.code_system == table.code_system and (other.code_system, other.heading) not in old_headings:
                tables.append(TableChange("renamed", table.code_system, table.heading, other.heading))
                renamed[table.heading] = other.heading
                continue
        tables.append(TableChange("removed", table.code_system, table.heading, None))
    renamed_to = set(renamed.values())
    for table in new:
        if (table.code_system, table.heading) not in old_headings and table.heading not in renamed_to:
            tables.append(TableChange("added", table.code_system, None, table.heading))

    codes: list[CodeChange] = []
    base, head = _code_rows(old), _code_rows(new)
    for (system, code), (heading, description) in head.items():
        where = f"{system} {code}"
        if (system, code) not in base:
            text = _text_change(where, None, description)
            codes.append(CodeChange(system, code, "added", None, heading, text))
            continue
        old_heading, old_description = base[(system, code)]
        text = _text_change(where, old_description, description)
        if renamed.get(old_heading, old_heading) != heading:
            codes.append(CodeChange(system, code, "moved", old_heading, heading, text))
        elif text is not None:
            codes.append(CodeChange(system, code, "changed", old_heading, heading, text))
    for (system, code), (heading, description) in base.items():
        if (system, code) not in head:
            text = _text_change(f"{system} {code}", description, None)
            codes.append(CodeChange(system, code, "removed", heading, None, text))
    order = {"removed": 0, "added": 1, "moved": 2, "changed": 3}
    codes.sort(key=lambda c: order[c.change])
    return tuple(tables), tuple(codes)


def prose_place(path: Path_, policy: Policy) -> str:
    """A human name for a text field of a policy: ``Criterion I.A``, ``Background › Heading ¶2``."""
    field = path[0]
    if field == "description":
        return f"Description ¶{int(path[1]) + 1}"
    if field == "notes":
        return f"Notes ¶{int(path[1]) + 1}"
    if field == "criteria":
        indexes = [
            int(p) for p, before in zip(path[1:], path, strict=False) if isinstance(p, int) and before == "criteria"
        ]
        place = "Criterion " + ".".join(criterion_label(depth, i + 1) for depth, i in enumerate(indexes))
        return f"{place} (note)" if "notes" in path else place
    if field == "footnotes":
        return f"Footnote {int(path[1]) + 1}"
    if field == "definitions":
        return f"Definition › {plain_text(policy.definitions[int(path[1])].term)}"
    if field == "appendices":
        title = plain_text(policy.appendices[int(path[1])].title)
        return title if path[2] == "title" else f"{title} ¶{int(path[3]) + 1}"
    if field == "code_tables":
        table = policy.code_tables[int(path[1])]
        if path[2] == "heading":
            return f"{table.code_system} table (heading)"
        return f"{table.code_system} {table.rows[int(path[3])].code}"
    if field == "revision_log":
        return f"Revision log row {int(path[1]) + 1}"
    section_index = int(path[1])
    name = _section_name(policy.background[section_index], section_index + 1)
    if path[2] == "heading":
        return f"{name} (heading)"
    return f"{name} ¶{int(path[3]) + 1}"


def citation_places(policy: Policy) -> dict[str, tuple[str, ...]]:
    """Key -> the places citing it, in page order, each place once."""
    places: dict[str, list[str]] = {}
    for path, text in iter_prose(policy):
        for citation in iter_citations(parse_inline(text)):
            for key in citation.keys:
                where = prose_place(path, policy)
                if where not in places.setdefault(key, []):
                    places[key].append(where)
    return {key: tuple(found) for key, found in places.items()}


_BIB_ENTRY_START = re.compile(r"^[ \t]*@[A-Za-z]+[ \t]*[{(][ \t]*([^,\s]+)[ \t]*,", re.MULTILINE)


def _bib_sources(text: str | None) -> dict[str, str]:
    """Key -> the raw text of its entry (a cheap pre-filter: only entries whose text differs get formatted)."""
    if text is None:
        return {}
    starts = [(m.start(), m.group(1)) for m in _BIB_ENTRY_START.finditer(text)]
    ends = [start for start, _ in starts[1:]] + [len(text)]
    return {key: _normalize(text[start:end]) for (start, key), end in zip(starts, ends, strict=True)}


@dataclass(frozen=True)
class BibliographySide:
    """A side's bibliography and its source text (to skip formatting entries whose source is unchanged)."""

    bibliography: Bibliography
    text: str | None = None
    sources: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", _bib_sources(self.text))

    def source(self, key: str) -> str | None:
        return self.sources.get(key)

    def formatted(self, key: str) -> str | None:
        return self.bibliography.format(key).text if key in self.bibliography else None


def diff_references(
    old: Policy | None, new: Policy | None, base_bib: BibliographySide, head_bib: BibliographySide
) -> tuple[ReferenceChange, ...]:
    """Keys added or removed, keys whose number moved (with where they are cited), entries that changed."""
    base_keys = list(old.references) if old is not None else []
    head_keys = list(new.references) if new is not None else []
    base_numbers = {key: n for n, key in reversed(list(enumerate(base_keys, start=1)))}
    head_numbers = {key: n for n, key in reversed(list(enumerate(head_keys, start=1)))}
    head_places = citation_places(new) if new is not None else {}
    base_places = citation_places(old) if old is not None else {}
    same_bib = base_bib.text is not None and base_bib.text == head_bib.text
    changes: list[ReferenceChange] = []
    for key, number in head_numbers.items():
        places = head_places.get(key, ())
        if key not in base_numbers:
            entry = _text_change(f"[{number}] {key}", None, head_bib.formatted(key))
            changes.append(ReferenceChange(key, "added", None, number, places, entry))
            continue
        if base_numbers[key] != number:
            changes.append(ReferenceChange(key, "renumbered", base_numbers[key], number, places))
        if same_bib:
            continue
        old_source, new_source = base_bib.source(key), head_bib.source(key)
        if old_source is not None and old_source == new_source:
            continue
        entry = _text_change(f"[{number}] {key}", base_bib.formatted(key), head_bib.formatted(key))
        if entry is not None:
            changes.append(ReferenceChange(key, "changed", base_numbers[key], number, places, entry))
    for key, number in base_numbers.items():
        if key not in head_numbers:
            entry = _text_change(f"[{number}] {key}", base_bib.formatted(key), None)
            changes.append(ReferenceChange(key, "removed", number, None, base_places.get(key, ()), entry))
    order = {"added": 0, "removed": 1, "renumbered": 2, "changed": 3}
    return tuple(sorted(changes, key=lambda c: (order[c.change], c.new_number or c.old_number or 0, c.key)))


def diff_revision_log(old: tuple[Revision, ...], new: tuple[Revision, ...]) -> tuple[RevisionChange, ...]:
    """Entries added, removed or edited (aligned by content, edits paired by position within a block)."""
    changes: list[RevisionChange] = []
    matcher = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            changes.append(RevisionChange("changed", j1 + k, old[i1 + k], new[j1 + k]))
        for i in range(i1 + paired, i2):
            changes.append(RevisionChange("removed", i, old[i], None))
        for j in range(j1 + paired, j2):
            changes.append(RevisionChange("added", j, None, new[j]))
    return tuple(changes)


def _iso(value: dt.date | str | None) -> str | None:
    """A day as ``2025-03-01``; a month-precision date as written (``2025-01``)."""
    return None if value is None else value if isinstance(value, str) else value.isoformat()


def _meanings(policy: Policy | None) -> dict[tuple[str, int], tuple[str, str | None]]:
    """(code system, n-th table of that system) -> (heading, meaning): a renamed table keeps its place."""
    found: dict[tuple[str, int], tuple[str, str | None]] = {}
    for table in policy.code_tables if policy is not None else ():
        nth = sum(1 for system, _ in found if system == table.code_system)
        found[(table.code_system, nth)] = (plain_text(table.heading), table.meaning)
    return found


def diff_meanings(old: Policy | None, new: Policy | None) -> list[FieldChange]:
    """Code tables whose meaning for coverage (supports / does not support …) changed, by table."""
    was, now = _meanings(old), _meanings(new)
    changes = []
    for place in [*now, *(p for p in was if p not in now)]:
        before = was.get(place, ("", None))
        after = now.get(place, ("", None))
        if before[1] != after[1]:
            changes.append(FieldChange(f"meaning of {after[0] or before[0]}", before[1], after[1]))
    return changes


def diff_metadata(old: Policy | None, new: Policy | None) -> tuple[FieldChange, ...]:
    fields: list[tuple[str, Callable[[Policy], str | None]]] = [
        ("id", lambda p: p.id),
        ("title", lambda p: plain_text(p.title)),
        ("plan", lambda p: p.plan),
        ("effective_date", lambda p: _iso(p.effective_date)),
        ("last_review_date", lambda p: _iso(p.last_review_date)),
        ("copyright_year", lambda p: None if p.copyright_year is None else str(p.copyright_year)),
    ]
    changes = []
    for name, get in fields:
        was = get(old) if old is not None else None
        now = get(new) if new is not None else None
        if was != now:
            changes.append(FieldChange(name, was, now))
    return (*changes, *diff_meanings(old, new))


def diff_policy(
    old: Policy | None,
    new: Policy | None,
    base_file: str | None,
    head_file: str | None,
    base_bib: BibliographySide,
    head_bib: BibliographySide,
) -> PolicyDiff:
    """The diff of one policy; ``old`` is ``None`` for an added policy, ``new`` for a removed one."""
    current = new if new is not None else old
    assert current is not None
    tables, codes = diff_codes(old.code_tables if old else (), new.code_tables if new else ())
    result = PolicyDiff(
        id=current.id,
        title=plain_text(current.title),
        status="changed",
        base_file=base_file,
        head_file=head_file,
        metadata=diff_metadata(old, new),
        description=tuple(
            _diff_paragraphs(
                lambda n: f"Description ¶{n}",
                block_texts(old.description) if old else (),
                block_texts(new.description) if new else (),
            )
        ),
        notes=tuple(_diff_paragraphs(lambda n: f"Notes ¶{n}", old.notes if old else (), new.notes if new else ())),
        criteria=diff_criteria(old.criteria if old else (), new.criteria if new else ()),
        background=diff_background(old.background if old else (), new.background if new else ()),
        sections=diff_other_sections(old, new),
        tables=tables,
        codes=codes,
        references=diff_references(old, new, base_bib, head_bib),
        revision_log=diff_revision_log(old.revision_log if old else (), new.revision_log if new else ()),
    )
    status: Status = "added" if old is None else "removed" if new is None else "changed"
    if status == "changed" and not result.renamed and not _has_changes(result):
        status = "unchanged"
    return replace(result, status=status)


def _has_changes(diff: PolicyDiff) -> bool:
    return any(
        (
            diff.metadata,
            diff.description,
            diff.notes,
            diff.criteria,
            diff.background,
            diff.sections,
            diff.tables,
            diff.codes,
            diff.references,
            diff.revision_log,
        )
    )


def diff_boilerplate(old: Boilerplate, new: Boilerplate) -> tuple[TextChange, ...]:
    """Changes to the shared legal text: the Important Reminder and each code system's notice."""
    changes: list[TextChange] = []
    was, now = old.important_reminder, new.important_reminder
    for where, a, b in (("Important Reminder (title)", was.title, now.title),):
        change = _text_change(where, a, b)
        if change is not None:
            changes.append(change)
    changes.extend(_diff_paragraphs(lambda n: f"Important Reminder ¶{n}", was.paragraphs, now.paragraphs))
    copyright_change = _text_change("Important Reminder (copyright)", was.copyright, now.copyright)
    if copyright_change is not None:
        changes.append(copyright_change)
    old_notices = {n.code_system: n.paragraphs for n in old.coding_notices}
    new_notices = {n.code_system: n.paragraphs for n in new.coding_notices}
    for system in [*new_notices, *(s for s in old_notices if s not in new_notices)]:
        changes.extend(
            _diff_paragraphs(
                lambda n, system=system: f"{system} notice ¶{n}",
                old_notices.get(system, ()),
                new_notices.get(system, ()),
            )
        )
    return tuple(changes)


def diff_projects(
    base: Project,
    head: Project,
    base_bib_text: str | None = None,
    head_bib_text: str | None = None,
) -> Review:
    """The semantic diff of two valid projects (``*_bib_text``: the BibTeX sources, to skip unchanged entries)."""
    base_bib = BibliographySide(base.bibliography, base_bib_text)
    head_bib = BibliographySide(head.bibliography, head_bib_text)
    old_by_id = {s.policy.id: s for s in base.policies}
    new_by_id = {s.policy.id: s for s in head.policies}
    renames = _renames(
        [s.policy for i, s in old_by_id.items() if i not in new_by_id],
        [s.policy for i, s in new_by_id.items() if i not in old_by_id],
    )
    renamed_from = {new_id: old_id for old_id, new_id in renames.items()}
    diffs: list[PolicyDiff] = []
    for policy_id, source in new_by_id.items():
        old_id = policy_id if policy_id in old_by_id else renamed_from.get(policy_id)
        previous = old_by_id[old_id] if old_id is not None else None
        diffs.append(
            diff_policy(
                previous.policy if previous else None,
                source.policy,
                previous.file if previous else None,
                source.file,
                base_bib,
                head_bib,
            )
        )
    for policy_id, source in old_by_id.items():
        if policy_id not in new_by_id and policy_id not in renames:
            diffs.append(diff_policy(source.policy, None, source.file, None, base_bib, head_bib))
    diffs.sort(key=lambda d: (d.id, d.head_file or d.base_file or ""))
    return Review(tuple(diffs), diff_boilerplate(base.boilerplate, head.boilerplate))


def _renames(removed: list[Policy], added: list[Policy]) -> dict[str, str]:
    """Old id -> new id for removed/added pairs with the same title (only when the title is unambiguous)."""
    by_title_old: dict[str, list[Policy]] = {}
    by_title_new: dict[str, list[Policy]] = {}
    for policy in removed:
        by_title_old.setdefault(_normalize(policy.title), []).append(policy)
    for policy in added:
        by_title_new.setdefault(_normalize(policy.title), []).append(policy)
    return {
        olds[0].id: by_title_new[title][0].id
        for title, olds in by_title_old.items()
        if len(olds) == 1 and len(by_title_new.get(title, [])) == 1
    }
