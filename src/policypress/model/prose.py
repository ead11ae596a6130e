"""Every text field of a policy that may hold citations, with its place in the source.

Citations are checked, cross-references found and revisions compared over the same
fields in the same order as the page shows them; this is the one list of them.
"""

from __future__ import annotations

from collections.abc import Iterator

from policypress.errors import Path_
from policypress.model.policy import Criterion, Policy


def iter_prose(policy: Policy) -> Iterator[tuple[Path_, str]]:
    """Every text field of a policy that may hold citations, in the order the page shows them."""
    for i, text in enumerate(policy.description):
        yield ("description", i), text
    for i, text in enumerate(policy.notes):
        yield ("notes", i), text
    yield from _iter_criteria(policy.criteria, ("criteria",))
    for s, section in enumerate(policy.background):
        if section.heading is not None:
            yield ("background", s, "heading"), section.heading
        for p, text in enumerate(section.paragraphs):
            yield ("background", s, "paragraphs", p), text
    for t, table in enumerate(policy.code_tables):
        yield ("code_tables", t, "heading"), table.heading
        for r, row in enumerate(table.rows):
            yield ("code_tables", t, "rows", r, "description"), row.description
    for i, revision in enumerate(policy.revision_log):
        yield ("revision_log", i, "description"), revision.description


def _iter_criteria(criteria: tuple[Criterion, ...], path: Path_) -> Iterator[tuple[Path_, str]]:
    for i, criterion in enumerate(criteria):
        yield (*path, i, "text"), criterion.text
        yield from _iter_criteria(criterion.criteria, (*path, i, "criteria"))
