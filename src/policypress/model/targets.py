"""The places of a policy page that text can refer to, and what a cross-reference lands on.

``criterion I.B.2``, ``Appendix C`` and ``[words](#definition-bmi)`` become links on the
page; ``check`` refuses the ones that name nothing. Both ask this module, so a link that
passes the check is a link that lands.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from policypress.errors import Path_
from policypress.model.inline import CrossReference
from policypress.model.numbering import (
    PAGE_ANCHORS,
    appendix_anchor,
    appendix_letter,
    code_anchor,
    criterion_anchor,
    criterion_label,
    definition_anchor,
    footnote_anchor,
    slugify,
)
from policypress.model.policy import Block, Criterion, Policy, Subheading


@dataclass(frozen=True)
class PageTargets:
    """The link targets of one policy page."""

    criteria: frozenset[str]
    """Criterion numbers as text writes them: ``I``, ``I.B``, ``I.B.2``."""
    appendices: dict[str, str]
    """Appendix letter -> its anchor."""
    anchors: frozenset[str]
    """Every id of the page that ``[words](#id)`` may name."""

    @classmethod
    def of(cls, policy: Policy) -> PageTargets:
        criteria = frozenset(dotted for dotted, _ in iter_criterion_numbers(policy.criteria))
        appendices = {
            letter: appendix_anchor(a.title) for a in policy.appendices if (letter := appendix_letter(a.title))
        }
        return cls(criteria, appendices, frozenset(_anchors(policy, criteria)))

    def resolve(self, reference: CrossReference) -> str | None:
        """The id a cross-reference lands on in this page, or ``None`` when it names nothing here."""
        if reference.kind == "criterion":
            return criterion_anchor(reference.target) if reference.target in self.criteria else None
        if reference.kind == "appendix":
            return self.appendices.get(reference.target)
        if reference.kind == "anchor":
            return reference.target if reference.target in self.anchors else None
        return None  # another policy: the library decides


def iter_criterion_numbers(
    criteria: tuple[Criterion, ...], prefix: str = "", depth: int = 0
) -> Iterator[tuple[str, Criterion]]:
    """Every criterion with its number as text writes it (``I.B.2``), in page order."""
    for dotted, criterion, _path in iter_numbered_criteria(criteria, prefix, depth):
        yield dotted, criterion


def iter_numbered_criteria(
    criteria: tuple[Criterion, ...], prefix: str = "", depth: int = 0, path: Path_ = ("criteria",)
) -> Iterator[tuple[str, Criterion, Path_]]:
    """Every criterion with its number (``I.B.2``) and its path in the source, in page order."""
    for index, criterion in enumerate(criteria, start=1):
        dotted = f"{prefix}{criterion_label(depth, index)}"
        here: Path_ = (*path, index - 1)
        yield dotted, criterion, here
        yield from iter_numbered_criteria(criterion.criteria, f"{dotted}.", depth + 1, (*here, "criteria"))


def block_headings(blocks: tuple[Block, ...]) -> Iterator[str]:
    """The sub-headings of a body of blocks."""
    for block in blocks:
        if isinstance(block, Subheading):
            yield block.subheading


def _anchors(policy: Policy, criteria: frozenset[str]) -> Iterator[str]:
    yield from PAGE_ANCHORS
    yield from (criterion_anchor(dotted) for dotted in criteria)
    yield from (definition_anchor(d.term) for d in policy.definitions)
    yield from (footnote_anchor(n) for n in range(1, len(policy.footnotes) + 1))
    yield from (slugify(h) for h in block_headings(policy.description))
    for section in policy.background:
        if section.heading is not None:
            yield slugify(section.heading)
        yield from (slugify(h) for h in block_headings(section.content))
    for appendix in policy.appendices:
        yield appendix_anchor(appendix.title)
        yield from (slugify(h) for h in block_headings(appendix.content))
    for table in policy.code_tables:
        yield slugify(table.heading)
        yield from (code_anchor(table.code_system, row.code) for row in table.rows)
    yield from (f"revision-{n}" for n in range(1, len(policy.revision_log) + 1))
    yield from (f"ref-{n}" for n in range(1, len(policy.references) + 1))
