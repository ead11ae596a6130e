"""Every text field of a policy that may hold citations, with its place in the source.

Citations are checked, cross-references found and revisions compared over the same
fields in the same order as the page shows them; this is the one list of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from policypress.errors import Path_
from policypress.model.policy import Block, BulletList, Criterion, Policy, Subheading, Table


def iter_prose(policy: Policy) -> Iterator[tuple[Path_, str]]:
    """Every text field of a policy that may hold citations, in the order the page shows them."""
    yield from iter_blocks(policy.description, ("description",))
    for i, text in enumerate(policy.notes):
        yield ("notes", i), text
    yield from _iter_criteria(policy.criteria, ("criteria",))
    for i, footnote in enumerate(policy.footnotes):
        yield ("footnotes", i, "text"), footnote.text
    yield from _iter_medicare_advantage(policy)
    for i, definition in enumerate(policy.definitions):
        yield ("definitions", i, "term"), definition.term
        yield ("definitions", i, "definition"), definition.definition
    for s, section in enumerate(policy.background):
        if section.heading is not None:
            yield ("background", s, "heading"), section.heading
        yield from iter_blocks(section.content, ("background", s, "content"))
    for a, appendix in enumerate(policy.appendices):
        yield ("appendices", a, "title"), appendix.title
        yield from iter_blocks(appendix.content, ("appendices", a, "content"))
    for t, table in enumerate(policy.code_tables):
        yield ("code_tables", t, "heading"), table.heading
        for r, row in enumerate(table.rows):
            yield ("code_tables", t, "rows", r, "description"), row.description
            if row.notes is not None:
                yield ("code_tables", t, "rows", r, "notes"), row.notes
    for i, revision in enumerate(policy.revision_log):
        yield ("revision_log", i, "description"), revision.description


HISTORY_FIELDS = frozenset({"revision_log"})
"""Fields that record what was true when they were written: their words are not checked as
cross-references to today's criteria and appendices (``Added criterion I.B.3`` stays history)."""


def iter_blocks(blocks: Sequence[Block], path: Path_) -> Iterator[tuple[Path_, str]]:
    """The texts of a body of blocks: paragraphs, list items, table cells and sub-headings."""
    for b, block in enumerate(blocks):
        if isinstance(block, str):
            yield (*path, b), block
        elif isinstance(block, BulletList):
            for i, item in enumerate(block.bullets):
                yield (*path, b, "bullets", i), item
        elif isinstance(block, Table):
            for c, column in enumerate(block.columns):
                yield (*path, b, "columns", c), column
            for r, row in enumerate(block.rows):
                for c, cell in enumerate(row):
                    yield (*path, b, "rows", r, c), cell
        elif isinstance(block, Subheading):
            yield (*path, b, "subheading"), block.subheading


def _iter_medicare_advantage(policy: Policy) -> Iterator[tuple[Path_, str]]:
    """The Medicare Advantage texts the page shows: only those of internal coverage criteria."""
    block = policy.medicare_advantage
    if block is None or not block.internal_coverage_criteria:
        return
    path = ("medicare_advantage",)
    for name in ("medicare_basis", "rationale"):
        if (text := getattr(block, name)) is not None:
            yield (*path, name), text
    for c, claim in enumerate(block.evidence_summary):
        yield (*path, "evidence_summary", c, "claim"), claim.claim
    if block.benefit_over_harm is not None:
        yield (*path, "benefit_over_harm"), block.benefit_over_harm


def _iter_criteria(criteria: tuple[Criterion, ...], path: Path_) -> Iterator[tuple[Path_, str]]:
    for i, criterion in enumerate(criteria):
        yield (*path, i, "text"), criterion.text
        yield from _iter_criteria(criterion.criteria, (*path, i, "criteria"))
        for n, note in enumerate(criterion.notes):
            yield (*path, i, "notes", n), note
