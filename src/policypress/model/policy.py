"""The policy model: what a clinical policy is, independent of files, YAML or HTML.

Models are frozen pydantic classes with no I/O. Unknown keys are refused so a typo
(``efective_date``) is an error instead of a silently missing field, and text
fields accept only text, so YAML 1.1 surprises (``NO`` read as false, ``0755``
read as 493) are caught here rather than published.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, StringConstraints

NonEmptyText = Annotated[StrictStr, StringConstraints(min_length=1)]
"""Policy prose in the inline mini-syntax (see ``model.inline``)."""

YEAR_MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
POLICY_ID_PATTERN = r"^[A-Z0-9]+(\.[A-Z0-9]+)+$"

YearMonth = Annotated[StrictStr, StringConstraints(pattern=YEAR_MONTH_PATTERN)]
"""A month, ``YYYY-MM``: revision logs record months, not days."""

PolicyId = Annotated[StrictStr, StringConstraints(pattern=POLICY_ID_PATTERN)]
"""A reference number such as ``WA.CP.MP.166``."""

Determination = Literal["medically_necessary", "not_medically_necessary", "investigational"]
"""What a criterion decides; ``None`` on a criterion that only states a condition."""

CodeSystem = Literal["CPT", "HCPCS", "ICD-10-CM"]

CODE_SYSTEM_COLUMN = {"CPT": "CPT® Codes", "HCPCS": "HCPCS Codes", "ICD-10-CM": "ICD-10-CM Codes"}
"""Column heading of a code table, by code system."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Criterion(_Model):
    """One numbered clause of Policy/Criteria (I, II, … with nested A, 1, a, i)."""

    text: NonEmptyText
    determination: Determination | None = None
    criteria: tuple[Criterion, ...] = ()


class Section(_Model):
    """A Background section: an optional heading and its paragraphs."""

    heading: NonEmptyText | None = None
    paragraphs: tuple[NonEmptyText, ...] = Field(min_length=1)


class CodeRow(_Model):
    """One code and its official description."""

    code: NonEmptyText
    description: NonEmptyText


class CodeTable(_Model):
    """A coding table, e.g. "CPT code that does not support coverage criteria"."""

    heading: NonEmptyText
    code_system: CodeSystem
    rows: tuple[CodeRow, ...] = Field(min_length=1)


class Revision(_Model):
    """One row of the Reviews, Revisions, and Approvals log."""

    description: NonEmptyText
    revision_date: YearMonth
    approval_date: YearMonth


class Policy(_Model):
    """A clinical policy as its author writes it (``policy/<id>.yaml``)."""

    id: PolicyId
    title: NonEmptyText
    plan: NonEmptyText
    effective_date: dt.date
    last_review_date: dt.date | None = None
    description: tuple[NonEmptyText, ...] = Field(min_length=1)
    notes: tuple[NonEmptyText, ...] = ()
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    background: tuple[Section, ...] = ()
    code_tables: tuple[CodeTable, ...] = ()
    revision_log: tuple[Revision, ...] = Field(min_length=1)
    references: tuple[NonEmptyText, ...] = ()

    @property
    def code_systems(self) -> frozenset[str]:
        """The code systems this policy's tables use (decides which coding notices apply)."""
        return frozenset(table.code_system for table in self.code_tables)


class ImportantReminder(_Model):
    """The legal text appended to every policy (``policy/boilerplate/important-reminder.yaml``)."""

    title: NonEmptyText
    paragraphs: tuple[NonEmptyText, ...] = Field(min_length=1)
    copyright: NonEmptyText


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
