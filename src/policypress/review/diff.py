"""Semantic diff of two loaded projects: what changed for providers, policy by policy.

Pure functions over the model (no files, no git). Policies are matched by ``id``
(a policy whose id changed but whose title stayed is a rename); criteria as a tree by
their words (``review.criteria``: insertions, deletions, moves and renumberings told
apart); codes by code system and code (a removed and an added code of one table with
the same description are a replacement); references by BibTeX key (so a key whose
position moved is *renumbered*); definitions by term; table rows, list items,
paragraphs and revision-log entries by content. Changed text carries a word-level
redline computed on the text providers read (emphasis dropped, citations as the
numbers each side's page prints); an edit that only touches emphasis is flagged as such.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from policypress.bibliography.bibtex import Bibliography
from policypress.errors import Path_
from policypress.model.inline import iter_citations, parse_inline
from policypress.model.numbering import criterion_label
from policypress.model.policy import (
    Block,
    Boilerplate,
    BulletList,
    CodeTable,
    Policy,
    Revision,
    Section,
    Subheading,
    Table,
)
from policypress.model.prose import iter_prose
from policypress.model.rules import worded_meaning
from policypress.project import Project
from policypress.review.criteria import AnchorShift, CriteriaDiff, CriterionChange, diff_criteria
from policypress.review.text import (
    PLAIN,
    Segment,
    TextChange,
    Texts,
    normalize,
    pair_by_content,
    redline,
    similarity,
    source_text,
)

__all__ = ["AnchorShift", "CriterionChange", "Segment", "TextChange", "diff_criteria", "pair_by_content", "redline"]

Status = Literal["added", "removed", "changed", "unchanged"]

SUPPORTS = "supports_coverage"
DOES_NOT_SUPPORT = "does_not_support_coverage"

REPLACEMENT_RATIO = 0.8
"""A removed and an added code of one table whose descriptions are at least this similar: a replacement."""


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FieldChange:
    """A metadata field (title, plan, effective date, …) with its old and new value."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class TableChange:
    """A code table added, removed or given a new heading."""

    change: Literal["added", "removed", "renamed"]
    code_system: str
    old_heading: str | None
    new_heading: str | None


@dataclass(frozen=True)
class CodeChange:
    """A code added, removed, replaced by another, moved to another table, or with a changed description."""

    code_system: str
    code: str
    change: Literal["added", "removed", "replaced", "moved", "changed"]
    old_table: str | None
    new_table: str | None
    description: TextChange | None
    """The description (added/removed), or its redline when it changed (also for a moved or replaced code)."""
    old_code: str | None = None
    """The code it replaced (for ``replaced``)."""
    old_meaning: str | None = None
    new_meaning: str | None = None
    """What the code's table says about coverage, before and after (``supports_coverage`` …)."""

    @property
    def name(self) -> str:
        return f"{self.code_system} {self.code}"

    @property
    def direction(self) -> str | None:
        """``coverage expanded`` / ``coverage restricted`` when a code moves across the line."""
        if self.change != "moved":
            return None
        if self.old_meaning == DOES_NOT_SUPPORT and self.new_meaning == SUPPORTS:
            return "coverage expanded"
        if self.old_meaning == SUPPORTS and self.new_meaning == DOES_NOT_SUPPORT:
            return "coverage restricted"
        return None


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
    old_key: str | None = None
    """The key the same work had before (a key renamed; ``change`` is ``changed``)."""


@dataclass(frozen=True)
class RevisionChange:
    """A revision-log entry added, removed or edited; ``index`` is its position on its side."""

    change: Literal["added", "removed", "changed"]
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
    anchor_shifts: tuple[AnchorShift, ...] = ()
    """Old criterion numbers that now land on another criterion (or on none)."""
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
            if criterion.change in ("added", "removed", "moved"):
                found.append(f"criterion {criterion.number} {criterion.change}")
            if criterion.change != "changed":
                continue
            if criterion.moved:
                found.append(f"criterion {criterion.number} moved")
            if criterion.determination_changed:
                found.append(f"criterion {criterion.number} determination")
            if criterion.requires_changed:
                found.append(f"criterion {criterion.number} logic")
            if criterion.text is not None:
                found.append(f"criterion {criterion.number} text")
        found.extend(change.field for change in self.metadata if change.field.startswith(AUTHORIZATION_CHANGE))
        for code in self.codes:
            if code.change == "replaced":
                found.append(f"{code.code_system} {code.old_code} replaced by {code.code}")
            else:
                found.append(f"{code.name} {code.change}")
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
    """What providers read, compared as the source says it: emphasis dropped, citations as ``[@key]``."""
    return source_text(text)


BlockKind = Literal["paragraph", "item", "row", "header", "subheading"]


@dataclass(frozen=True)
class Unit:
    """One thing a reviewer compares in a body of blocks: a paragraph, a list item, a table row, a sub-heading."""

    kind: BlockKind
    text: str
    """As compared and shown: a row's cells joined by `` | ``."""
    key: str = ""
    """A table row's first cell (what the row is about: an abbreviation, a code, a term)."""
    cells: tuple[str, ...] = ()
    """A table row's or header's cells."""


def block_units(blocks: Sequence[Block]) -> list[Unit]:
    """A body of blocks as the units a reviewer compares, in page order."""
    units: list[Unit] = []
    for block in blocks:
        if isinstance(block, str):
            units.append(Unit("paragraph", block))
        elif isinstance(block, BulletList):
            units.extend(Unit("item", item) for item in block.bullets)
        elif isinstance(block, Table):
            units.append(Unit("header", " | ".join(block.columns), cells=tuple(block.columns)))
            units.extend(Unit("row", " | ".join(row), row[0] if row else "", tuple(row)) for row in block.rows)
        elif isinstance(block, Subheading):
            units.append(Unit("subheading", block.subheading))
    return units


def block_texts(blocks: Sequence[Block]) -> list[str]:
    """A body of blocks as plain texts in page order (list items marked ``•``)."""
    return [f"• {u.text}" if u.kind == "item" else u.text for u in block_units(blocks)]


def _unit_name(unit: Unit, number: int) -> str:
    """``¶2``, ``list item 3``, ``table row “TBWL”``, ``table header``, ``sub-heading``."""
    if unit.kind == "row":
        return f"table row “{plain_text(unit.key)}”" if unit.key.strip() else f"table row {number}"
    return {"paragraph": f"¶{number}", "item": f"list item {number}", "header": "table header"}.get(
        unit.kind, "sub-heading"
    )


def diff_blocks(texts: Texts, place: str, old: Sequence[Block], new: Sequence[Block]) -> list[TextChange]:
    """Changes of a body of blocks, named by kind: paragraphs, list items, table rows (paired by their first
    cell, then by content), sub-headings."""
    was, now = block_units(old), block_units(new)
    changes: list[TextChange] = []
    counters: dict[tuple[str, BlockKind], int] = {}

    def numbered(side: str, units: list[Unit]) -> list[int]:
        out = []
        for unit in units:
            counters[(side, unit.kind)] = counters.get((side, unit.kind), 0) + 1
            out.append(counters[(side, unit.kind)])
        return out

    old_numbers, new_numbers = numbered("old", was), numbered("new", now)
    for i, j in pair_units(was, now):
        unit = now[j] if j is not None else was[i or 0]
        number = new_numbers[j] if j is not None else old_numbers[i or 0]
        change = texts.change(
            f"{place} › {_unit_name(unit, number)}",
            None if i is None else was[i].text,
            None if j is None else now[j].text,
        )
        if change is not None:
            changes.append(change)
    return changes


def pair_units(old: list[Unit], new: list[Unit]) -> list[tuple[int | None, int | None]]:
    """Units paired by content in order; a table row whose first cell is unique on both sides keeps its pair."""
    pairs = list(pair_by_content([f"{u.kind}\0{u.text}" for u in old], [f"{u.kind}\0{u.text}" for u in new]))
    keyed_old = _unique_keys(old)
    keyed_new = _unique_keys(new)
    lonely_old = {i for i, j in pairs if j is None and i is not None}
    lonely_new = {j for i, j in pairs if i is None and j is not None}
    rejoined: dict[int, int] = {}
    for key, i in keyed_old.items():
        j = keyed_new.get(key)
        if j is not None and i in lonely_old and j in lonely_new:
            rejoined[i] = j
    if not rejoined:
        return pairs
    kept = [(i, j) for i, j in pairs if i not in rejoined and j not in rejoined.values()]
    kept.extend(rejoined.items())
    return sorted(kept, key=lambda pair: (pair[1] if pair[1] is not None else _before(pair[0], kept), pair[0] or 0))


def _before(index: int | None, pairs: list[tuple[int | None, int | None]]) -> float:
    """Where a removed unit sorts among head positions: just after the head pair of the unit before it."""
    earlier = [j for i, j in pairs if i is not None and j is not None and index is not None and i < index]
    return max(earlier, default=-1) + 0.5


def _unique_keys(units: list[Unit]) -> dict[str, int]:
    seen: dict[str, list[int]] = {}
    for index, unit in enumerate(units):
        if unit.kind == "row" and unit.key.strip():
            seen.setdefault(normalize(unit.key), []).append(index)
    return {key: found[0] for key, found in seen.items() if len(found) == 1}


# ----------------------------------------------------------------------------- policy parts


def diff_other_sections(texts: Texts, old: Policy | None, new: Policy | None) -> tuple[TextChange, ...]:
    """Footnotes (by content), Definitions (by term, then content) and Appendices (by title, then their blocks)."""
    changes: list[TextChange] = []

    def footnotes(policy: Policy | None) -> list[str]:
        return [f"{f.marker}{f.text}" for f in policy.footnotes] if policy else []

    changes.extend(texts.paragraphs(lambda n: f"Footnote {n}", footnotes(old), footnotes(new)))
    changes.extend(texts.paragraphs(lambda n: f"Medicare Advantage ¶{n}", _medicare_texts(old), _medicare_texts(new)))
    changes.extend(_diff_definitions(texts, old, new))
    was = {plain_text(a.title): a for a in old.appendices} if old else {}
    now = {plain_text(a.title): a for a in new.appendices} if new else {}
    for title in [*now, *(t for t in was if t not in now)]:
        changes.extend(
            diff_blocks(
                texts, title, was[title].content if title in was else (), now[title].content if title in now else ()
            )
        )
    return tuple(changes)


def _medicare_texts(policy: Policy | None) -> list[str]:
    """The Medicare Advantage block's texts in page order (basis, rationale, evidence claims, benefits)."""
    block = policy.medicare_advantage if policy is not None else None
    if block is None:
        return []
    claims = [f"{c.claim} ({', '.join(str(n) for n in c.references)})" for c in block.evidence_summary]
    return [t for t in (block.medicare_basis, block.rationale, *claims, block.benefit_over_harm) if t is not None]


def _diff_definitions(texts: Texts, old: Policy | None, new: Policy | None) -> list[TextChange]:
    """A definition is named by its term: the same term pairs, a renamed term pairs by its definition."""
    was = {plain_text(d.term): d.definition for d in old.definitions} if old else {}
    now = {plain_text(d.term): d.definition for d in new.definitions} if new else {}
    changes: list[TextChange] = []
    gone = [term for term in was if term not in now]
    arrived = [term for term in now if term not in was]
    renamed = dict(
        (gone[i], arrived[j])
        for i, j in pair_by_content([was[t] for t in gone], [now[t] for t in arrived])
        if i is not None and j is not None
    )
    for term in now:
        if term in was:
            change = texts.change(f"Definition › {term}", was[term], now[term])
        elif term in renamed.values():
            continue
        else:
            change = texts.change(f"Definition › {term}", None, f"{term}: {now[term]}")
        if change is not None:
            changes.append(change)
    for old_term, new_term in renamed.items():
        change = texts.change(
            f"Definition › {new_term} (was {old_term})", f"{old_term}: {was[old_term]}", f"{new_term}: {now[new_term]}"
        )
        if change is not None:
            changes.append(change)
    changes.extend(
        change
        for term in gone
        if term not in renamed and (change := texts.change(f"Definition › {term}", f"{term}: {was[term]}", None))
    )
    return changes


def _section_name(section: Section, number: int) -> str:
    if section.heading is None:
        return f"Background section {number}"
    return f"Background › {plain_text(section.heading)}"


def diff_background(texts: Texts, old: tuple[Section, ...], new: tuple[Section, ...]) -> tuple[TextChange, ...]:
    """Sections aligned by heading (positionally where headings differ), then their blocks by content."""
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
                heading = texts.change(f"{name} (heading)", was.heading, now.heading)
                if heading is not None:
                    changes.append(heading)
            changes.extend(
                diff_blocks(texts, name, was.content if was is not None else (), now.content if now is not None else ())
            )
    return tuple(changes)


@dataclass(frozen=True)
class _Row:
    heading: str
    description: str
    meaning: str | None


def _code_rows(tables: tuple[CodeTable, ...]) -> dict[tuple[str, str], _Row]:
    """(code system, code) -> its table and description; the first table wins for a repeated code."""
    rows: dict[tuple[str, str], _Row] = {}
    for table in tables:
        meaning = table.meaning or worded_meaning(table.heading)
        for row in table.rows:
            words = row.description if row.notes is None else f"{row.description} (Notes: {row.notes})"
            rows.setdefault((table.code_system, row.code), _Row(table.heading, words, meaning))
    return rows


def diff_tables(old: tuple[CodeTable, ...], new: tuple[CodeTable, ...]) -> tuple[list[TableChange], dict[str, str]]:
    """Tables added, removed or given a new heading (a table in the same place and system, newly headed)."""
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
    return tables, renamed


def diff_codes(
    old: tuple[CodeTable, ...], new: tuple[CodeTable, ...]
) -> tuple[tuple[TableChange, ...], tuple[CodeChange, ...]]:
    """Table changes, and code changes: added, removed, replaced (a removed and an added code of one table
    with the same or nearly the same description), moved to another table, description edited."""
    tables, renamed = diff_tables(old, new)
    base, head = _code_rows(old), _code_rows(new)
    added = [key for key in head if key not in base]
    removed = [key for key in base if key not in head]
    replaced: dict[tuple[str, str], tuple[str, str]] = {}
    scored = []
    for gone in removed:
        for arrived in added:
            was, now = base[gone], head[arrived]
            if gone[0] == arrived[0] and renamed.get(was.heading, was.heading) == now.heading:
                score = similarity(plain_text(was.description), plain_text(now.description))
                if score >= REPLACEMENT_RATIO:
                    scored.append((score, gone, arrived))
    for _score, gone, arrived in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if gone not in replaced.values() and arrived not in replaced:
            replaced[arrived] = gone
    codes: list[CodeChange] = []
    for (system, code), row in head.items():
        where = f"{system} {code}"
        if (system, code) in replaced:
            gone = replaced[(system, code)]
            text = PLAIN.change(where, base[gone].description, row.description)
            codes.append(CodeChange(system, code, "replaced", base[gone].heading, row.heading, text, gone[1]))
            continue
        if (system, code) not in base:
            text = PLAIN.change(where, None, row.description)
            codes.append(CodeChange(system, code, "added", None, row.heading, text, new_meaning=row.meaning))
            continue
        was = base[(system, code)]
        text = PLAIN.change(where, was.description, row.description)
        if renamed.get(was.heading, was.heading) != row.heading:
            codes.append(
                CodeChange(system, code, "moved", was.heading, row.heading, text, None, was.meaning, row.meaning)
            )
        elif text is not None:
            codes.append(CodeChange(system, code, "changed", was.heading, row.heading, text))
    for (system, code), row in base.items():
        if (system, code) not in head and (system, code) not in replaced.values():
            text = PLAIN.change(f"{system} {code}", row.description, None)
            codes.append(CodeChange(system, code, "removed", row.heading, None, text, old_meaning=row.meaning))
    order = {"removed": 0, "added": 1, "replaced": 2, "moved": 3, "changed": 4}
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
    return {key: normalize(text[start:end]) for (start, key), end in zip(starts, ends, strict=True)}


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
    renamed = {new_key: old_key for old_key, new_key in renamed_keys(old, new, base_bib, head_bib).items()}
    for key, number in head_numbers.items():
        places = head_places.get(key, ())
        if key in renamed:
            was = renamed[key]
            entry = PLAIN.change(f"[{number}] {key}", base_bib.formatted(was), head_bib.formatted(key))
            changes.append(ReferenceChange(key, "changed", base_numbers[was], number, places, entry, was))
            continue
        if key not in base_numbers:
            entry = PLAIN.change(f"[{number}] {key}", None, head_bib.formatted(key))
            changes.append(ReferenceChange(key, "added", None, number, places, entry))
            continue
        if base_numbers[key] != number:
            changes.append(ReferenceChange(key, "renumbered", base_numbers[key], number, places))
        if same_bib:
            continue
        old_source, new_source = base_bib.source(key), head_bib.source(key)
        if old_source is not None and old_source == new_source:
            continue
        entry = PLAIN.change(f"[{number}] {key}", base_bib.formatted(key), head_bib.formatted(key))
        if entry is not None:
            changes.append(ReferenceChange(key, "changed", base_numbers[key], number, places, entry))
    for key, number in base_numbers.items():
        if key not in head_numbers and key not in renamed.values():
            entry = PLAIN.change(f"[{number}] {key}", base_bib.formatted(key), None)
            changes.append(ReferenceChange(key, "removed", number, None, base_places.get(key, ()), entry))
    order = {"added": 0, "removed": 1, "renumbered": 2, "changed": 3}
    return tuple(sorted(changes, key=lambda c: (order[c.change], c.new_number or c.old_number or 0, c.key)))


RENAMED_KEY_RATIO = 0.9
"""A removed and an added key whose formatted references are at least this similar name the same work."""


def renamed_keys(
    old: Policy | None, new: Policy | None, base_bib: BibliographySide, head_bib: BibliographySide
) -> dict[str, str]:
    """Old key -> new key, for references whose key changed but whose work stayed (the most similar first)."""
    before_keys = set(old.references) if old is not None else set()
    after_keys = set(new.references) if new is not None else set()
    gone = sorted(before_keys - after_keys)
    arrived = sorted(after_keys - before_keys)
    scored = []
    for old_key in gone:
        before = base_bib.formatted(old_key)
        for new_key in arrived:
            after = head_bib.formatted(new_key)
            if before is not None and after is not None:
                score = similarity(before, after)
                if score >= RENAMED_KEY_RATIO:
                    scored.append((score, old_key, new_key))
    renamed: dict[str, str] = {}
    for _score, old_key, new_key in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if old_key not in renamed and new_key not in renamed.values():
            renamed[old_key] = new_key
    return renamed


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


AUTHORIZATION_CHANGE = "prior authorization of "
"""How a change of a code's prior authorization is named (``prior authorization of CPT 43644``)."""


def _authorizations(policy: Policy | None) -> dict[tuple[str, str], str | None]:
    found: dict[tuple[str, str], str | None] = {}
    for table in policy.code_tables if policy is not None else ():
        for row in table.rows:
            needed = table.needs_authorization(row)
            found.setdefault(
                (table.code_system, row.code), None if needed is None else "required" if needed else "not required"
            )
    return found


def diff_authorization(old: Policy | None, new: Policy | None) -> list[FieldChange]:
    """Codes listed on both sides whose prior authorization changed (a code added or removed is a code change)."""
    was, now = _authorizations(old), _authorizations(new)
    return [
        FieldChange(f"{AUTHORIZATION_CHANGE}{system} {code}", was[(system, code)], after)
        for (system, code), after in now.items()
        if (system, code) in was and was[(system, code)] != after
    ]


def _medicare_advantage(policy: Policy | None) -> str | None:
    block = policy.medicare_advantage if policy is not None else None
    return None if block is None else "internal coverage criteria" if block.internal_coverage_criteria else "Medicare's"


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
    if old is not None and new is not None and _medicare_advantage(old) != _medicare_advantage(new):
        changes.append(FieldChange("medicare_advantage criteria", _medicare_advantage(old), _medicare_advantage(new)))
    return (*changes, *diff_meanings(old, new), *diff_authorization(old, new))


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
    texts = Texts.of(old, new, renamed_keys(old, new, base_bib, head_bib))
    criteria: CriteriaDiff = diff_criteria(old.criteria if old else (), new.criteria if new else (), texts)
    result = PolicyDiff(
        id=current.id,
        title=plain_text(current.title),
        status="changed",
        base_file=base_file,
        head_file=head_file,
        metadata=diff_metadata(old, new),
        description=tuple(
            diff_blocks(texts, "Description", old.description if old else (), new.description if new else ())
        ),
        notes=tuple(texts.paragraphs(lambda n: f"Notes ¶{n}", old.notes if old else (), new.notes if new else ())),
        criteria=criteria.changes,
        anchor_shifts=criteria.shifts if old is not None and new is not None else (),
        background=diff_background(texts, old.background if old else (), new.background if new else ()),
        sections=diff_other_sections(texts, old, new),
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
        change = PLAIN.change(where, a, b)
        if change is not None:
            changes.append(change)
    changes.extend(PLAIN.paragraphs(lambda n: f"Important Reminder ¶{n}", was.paragraphs, now.paragraphs))
    copyright_change = PLAIN.change("Important Reminder (copyright)", was.copyright, now.copyright)
    if copyright_change is not None:
        changes.append(copyright_change)
    old_notices = {n.code_system: n.paragraphs for n in old.coding_notices}
    new_notices = {n.code_system: n.paragraphs for n in new.coding_notices}
    for system in [*new_notices, *(s for s in old_notices if s not in new_notices)]:
        changes.extend(
            PLAIN.paragraphs(
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
        by_title_old.setdefault(normalize(policy.title), []).append(policy)
    for policy in added:
        by_title_new.setdefault(normalize(policy.title), []).append(policy)
    return {
        olds[0].id: by_title_new[title][0].id
        for title, olds in by_title_old.items()
        if len(olds) == 1 and len(by_title_new.get(title, [])) == 1
    }
