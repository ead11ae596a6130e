"""The policy model: what a clinical policy is, independent of files, YAML or HTML.

Models are frozen pydantic classes with no I/O. Unknown keys are refused so a typo
(``efective_date``) is an error instead of a silently missing field, and text
fields accept only text, so YAML 1.1 surprises (``NO`` read as false, ``0755``
read as 493) are caught here rather than published.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PositiveInt,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    Tag,
)

NonEmptyText = Annotated[StrictStr, StringConstraints(min_length=1)]
"""Policy prose in the inline mini-syntax (see ``model.inline``)."""

YEAR_MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
POLICY_ID_PATTERN = r"^[A-Z0-9]+(\.[A-Z0-9]+)+$"

YearMonth = Annotated[StrictStr, StringConstraints(pattern=YEAR_MONTH_PATTERN)]
"""A month, ``YYYY-MM``: revision logs record months, not days."""

DayOrMonth = dt.date | YearMonth
"""A date known to the day (``2025-03-01``) or only to the month (``2025-01``), shown as precise as written."""


def first_day(value: dt.date | str) -> dt.date:
    """A ``DayOrMonth`` as a day, for ordering: a month stands for its first day."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(f"{value}-01")


PolicyId = Annotated[StrictStr, StringConstraints(pattern=POLICY_ID_PATTERN)]
"""A reference number such as ``WA.CP.MP.166``."""

Determination = Literal["medically_necessary", "not_medically_necessary", "investigational"]
"""What a criterion decides; ``None`` on a criterion that only states a condition."""

CodeSystem = Literal["CPT", "HCPCS", "ICD-10-CM"]

GroupLogic = Literal["all", "one", "each"] | PositiveInt
"""How the sub-criteria of a criterion combine: ``all`` must hold, ``one`` (at least one) must
hold, at least N must hold, or ``each`` is a separate statement of its own (a list of services
that are each not medically necessary)."""

CodeMeaning = Literal["supports_coverage", "does_not_support_coverage", "informational"]
"""What the codes of a table mean for coverage, as data (the heading says it in words)."""

YEAR_PLACEHOLDER = "{year}"

CODE_SYSTEM_COLUMN = {"CPT": "CPT® Codes", "HCPCS": "HCPCS Codes", "ICD-10-CM": "ICD-10-CM Codes"}
"""Column heading of a code table, by code system."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Criterion(_Model):
    """One numbered clause of Policy/Criteria (I, II, … with nested A, 1, a, i)."""

    text: NonEmptyText
    determination: Determination | None = None
    requires: GroupLogic | None = None
    """How ``criteria`` combine (data for computable criteria; the text says it in words)."""
    criteria: tuple[Criterion, ...] = ()
    notes: tuple[NonEmptyText, ...] = ()
    """Paragraphs that follow the sub-list inside this criterion (``Note: For members of …``)."""


class BulletList(_Model):
    """A bulleted list inside prose; each item is one line of policy text."""

    bullets: tuple[NonEmptyText, ...] = Field(min_length=1)


class Table(_Model):
    """A table of any columns (an abbreviation key, a classification); cells are policy text."""

    columns: tuple[NonEmptyText, ...] = Field(min_length=1)
    rows: tuple[tuple[StrictStr, ...], ...] = Field(min_length=1)


class Subheading(_Model):
    """A heading inside a body of text, one level below the section it is in."""

    subheading: NonEmptyText


BLOCK_KINDS: dict[str, str] = {
    "bullets": "block:list",
    "columns": "block:table",
    "rows": "block:table",
    "subheading": "block:subheading",
}
"""Which field marks which kind of block; a text is a paragraph."""


def block_kind(value: Any) -> str:
    """The kind of a block as written: a text is a paragraph, a mapping is known by its fields."""
    for tag, model in BLOCK_MODELS.items():
        if isinstance(value, model):
            return tag
    if isinstance(value, dict):
        for field, kind in BLOCK_KINDS.items():
            if field in value:
                return kind
        return "block:list"  # an unknown mapping: its fields are reported against the most common block
    return "block:paragraph"


Block = Annotated[
    Annotated[NonEmptyText, Tag("block:paragraph")]
    | Annotated[BulletList, Tag("block:list")]
    | Annotated[Table, Tag("block:table")]
    | Annotated[Subheading, Tag("block:subheading")],
    Discriminator(block_kind),
]
"""One block of a body of text: a paragraph (plain text), a bullet list, a table or a sub-heading."""

BLOCK_MODELS: dict[str, type[BaseModel]] = {
    "block:list": BulletList,
    "block:table": Table,
    "block:subheading": Subheading,
}

BLOCK_TAG_PREFIX = "block:"
"""Pydantic puts a block's tag in an error's location; it is not a field of the source."""


class Section(_Model):
    """A Background section: an optional heading and its blocks (paragraphs, lists, tables, sub-headings)."""

    heading: NonEmptyText | None = None
    content: tuple[Block, ...] = Field(min_length=1, validation_alias=AliasChoices("content", "paragraphs"))
    """``paragraphs`` is the field's earlier name, still read so that older revisions load."""


class Definition(_Model):
    """A term of the Definitions section and what it means in this policy."""

    term: NonEmptyText
    definition: NonEmptyText


class Appendix(_Model):
    """An appendix: its title as printed (``Appendix A: Abbreviation/Acronym Key``) and its blocks."""

    title: NonEmptyText
    content: tuple[Block, ...] = Field(min_length=1)


class Footnote(_Model):
    """A note keyed by a marker that the criteria carry as a literal character (``kg/m²*``)."""

    marker: NonEmptyText
    text: NonEmptyText


class CodeRow(_Model):
    """One code, or a range of codes written as one row (``E66.01 – E66.09``), and its description."""

    code: NonEmptyText
    description: NonEmptyText
    notes: NonEmptyText | None = None
    prior_authorization: StrictBool | None = None
    """Whether this code needs prior authorization, when it differs from its table's ``prior_authorization``."""


class CodeTable(_Model):
    """A coding table, e.g. "CPT code that does not support coverage criteria"."""

    heading: NonEmptyText
    code_system: CodeSystem
    meaning: CodeMeaning | None = None
    code_column: NonEmptyText | None = None
    """The code column's heading when it is not the code system's usual one (``ICD-10-CM Code``)."""
    prior_authorization: StrictBool | None = None
    """Whether the table's codes need prior authorization (a row may say otherwise); unset: not stated."""
    rows: tuple[CodeRow, ...] = Field(min_length=1)

    def needs_authorization(self, row: CodeRow) -> bool | None:
        """Whether a row's code needs prior authorization: the row's own answer, else the table's."""
        return row.prior_authorization if row.prior_authorization is not None else self.prior_authorization

    @property
    def column_heading(self) -> str:
        return self.code_column or CODE_SYSTEM_COLUMN[self.code_system]

    @property
    def states_authorization(self) -> bool:
        """Whether the table shows a Prior authorization column (it or some row says)."""
        return self.prior_authorization is not None or any(row.prior_authorization is not None for row in self.rows)

    @property
    def has_notes(self) -> bool:
        """Whether the table shows a Notes column (some row has notes)."""
        return any(row.notes is not None for row in self.rows)


class Revision(_Model):
    """One row of the Reviews, Revisions, and Approvals log."""

    description: NonEmptyText
    revision_date: YearMonth
    approval_date: YearMonth


class EvidenceClaim(_Model):
    """One claim of a Medicare Advantage evidence summary and the reference numbers that support it."""

    claim: NonEmptyText
    references: tuple[PositiveInt, ...] = Field(min_length=1)
    """Numbers of the policy's references (the n-th key of ``references`` is reference n)."""


class MedicareAdvantage(_Model):
    """What a Medicare Advantage plan must publish with criteria of its own (42 CFR 422.101(b)(6))."""

    internal_coverage_criteria: StrictBool
    """True: the plan applies this policy as internal coverage criteria (Medicare's are not fully established);
    then the Medicare basis, the rationale and the evidence summary are required."""
    medicare_basis: NonEmptyText | None = None
    """Why Medicare coverage criteria are not fully established for these services (NCD/LCD absent or partial)."""
    rationale: NonEmptyText | None = None
    """Why the plan's criteria are what they are, in public words."""
    evidence_summary: tuple[EvidenceClaim, ...] = ()
    benefit_over_harm: NonEmptyText | None = None
    """How the criteria's clinical benefits outweigh their risks, where that applies."""


class Policy(_Model):
    """A clinical policy as its author writes it (``policy/<id>.yaml``)."""

    id: PolicyId
    title: NonEmptyText
    plan: NonEmptyText
    effective_date: dt.date
    last_review_date: DayOrMonth | None = None
    copyright_year: StrictInt | None = None
    """The year of the policy's copyright line; without it, the shared text's own year."""
    description: tuple[Block, ...] = Field(min_length=1)
    notes: tuple[NonEmptyText, ...] = ()
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    footnotes: tuple[Footnote, ...] = ()
    """Shown after the criteria, each starting with its marker."""
    definitions: tuple[Definition, ...] = ()
    background: tuple[Section, ...] = ()
    appendices: tuple[Appendix, ...] = ()
    code_tables: tuple[CodeTable, ...] = ()
    revision_log: tuple[Revision, ...] = Field(min_length=1)
    references: tuple[NonEmptyText, ...] = ()
    medicare_advantage: MedicareAdvantage | None = None

    @property
    def code_systems(self) -> frozenset[str]:
        """The code systems this policy's tables use (decides which coding notices apply)."""
        return frozenset(table.code_system for table in self.code_tables)


class ImportantReminder(_Model):
    """The legal text appended to every policy (``policy/boilerplate/important-reminder.yaml``)."""

    title: NonEmptyText
    paragraphs: tuple[NonEmptyText, ...] = Field(min_length=1)
    copyright: NonEmptyText
    """The copyright line; ``{year}`` in it is replaced by the policy's ``copyright_year``."""
    copyright_year: StrictInt | None = None
    """The year ``{year}`` stands for when a policy does not give its own."""

    def copyright_for(self, policy: Policy) -> str:
        """The copyright line of one policy, with its year."""
        year = policy.copyright_year if policy.copyright_year is not None else self.copyright_year
        return self.copyright.replace(YEAR_PLACEHOLDER, str(year)) if year is not None else self.copyright


class CodingNotice(_Model):
    """A code system's licence notice, shown under Coding Implications (e.g. the CPT notice)."""

    code_system: CodeSystem
    paragraphs: tuple[NonEmptyText, ...] = Field(min_length=1)


class Boilerplate(_Model):
    """Legal text written once and shared by all policies."""

    important_reminder: ImportantReminder
    coding_notices: tuple[CodingNotice, ...] = ()

    def notices_for(self, policy: Policy) -> tuple[CodingNotice, ...]:
        """The coding notices that apply to a policy, in the order they are declared."""
        return tuple(n for n in self.coding_notices if n.code_system in policy.code_systems)
