"""What a policy page says about versions: the banner of a version page, the list on the current page and
``versions.json``. Built from plain values, so the page layer knows nothing of git."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from policypress.model.codes import parse_code, sort_key
from policypress.model.inline import plain_text
from policypress.model.numbering import code_anchor
from policypress.model.policy import Policy
from policypress.project import PolicySource
from policypress.render.urls import page_path

VersionStatus = Literal["future", "current", "superseded", "retired"]
VERSIONS_SCHEMA = "policypress.versions/1"
VERSION_CODES_SCHEMA = "policypress.version-codes/1"


@dataclass(frozen=True)
class Window:
    """The policy version the resources describe: its number, when it is in effect, its page."""

    number: int | None
    """The version's number (``None`` for sources not yet committed as a version)."""
    start: dt.date
    end: dt.date | None
    page: str
    """The version's page relative to the site root (``policies/wa-cp-mp-166/v2/``)."""

    @property
    def version(self) -> str:
        return str(self.number) if self.number is not None else self.start.isoformat()

    def period(self) -> dict[str, str]:
        period = {"start": self.start.isoformat()}
        if self.end is not None:
            period["end"] = (self.end - dt.timedelta(days=1)).isoformat()  # the next version starts on ``end``
        return period


@dataclass(frozen=True)
class VersionEntry:
    """One version of a policy as the site shows it."""

    number: int
    total: int
    status: VersionStatus
    effective: dt.date
    until: dt.date | None
    posted: dt.date
    commit: str
    change: str
    page: str
    """The version page, relative to the site root."""
    url: str
    """The version page, relative to the page that links it."""
    current_url: str = ""
    """From the version page: the policy's current page."""
    next_url: str = ""
    """From the version page: the version that replaced it (empty for the latest)."""
    pdf: str = ""
    """The version's PDF, relative to the site root (``pdf/<stem>/v<N>.pdf``, for ever)."""
    pdf_url: str = ""
    """The version's PDF, relative to the page that links it."""
    retired: dt.date | None = None
    """The last version of a policy removed from the sources: the day it was removed (its ``until`` too)."""
    title: str = ""
    """The policy's title in this version (plain text), for the feed."""


def current_window(source: PolicySource, pages_dir: str, windows: Mapping[str, Window]) -> Window:
    """The window of a policy's current sources: its latest committed version's (``windows``, by stem), else
    from its effective date on, on its current page."""
    return windows.get(source.stem) or Window(None, source.policy.effective_date, None, page_path(source, pages_dir))


def versions_document(policy_id: str, entries: list[VersionEntry]) -> str:
    """``api/policies/<stem>/versions.json``: every version with its window, status, commit, page and PDF."""
    versions = []
    for entry in entries:
        data = asdict(entry)
        for name in ("url", "current_url", "next_url", "pdf_url", "total", "title"):
            data.pop(name)
        data.update(
            effective=entry.effective.isoformat(),
            until=entry.until.isoformat() if entry.until else None,
            posted=entry.posted.isoformat(),
            retired=entry.retired.isoformat() if entry.retired else None,
        )
        versions.append(data)
    document = {"schema": VERSIONS_SCHEMA, "id": policy_id, "versions": versions}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def version_codes_document(versions: Sequence[tuple[VersionEntry, Policy]]) -> str:
    """``api/version-codes.json``: every version of every policy with its window and the code rows it
    listed, for the code index's date-of-service field (a code and a date -> the versions in effect that
    day listing it). ``first``/``last`` are the rows' codes as they compare (no dot, upper case)."""
    listed = []
    for entry, policy in versions:
        rows = []
        for table in policy.code_tables:
            for row in table.rows:
                span = parse_code(row.code)
                rows.append(
                    {
                        "code": row.code,
                        "code_system": table.code_system,
                        "first": sort_key(span.first),
                        "last": sort_key(span.last),
                        "meaning": table.meaning,
                        "table": plain_text(table.heading),
                        "link": f"{entry.page}#{code_anchor(table.code_system, row.code)}",
                    }
                )
        listed.append(
            {
                "id": policy.id,
                "title": plain_text(policy.title),
                "number": entry.number,
                "status": entry.status,
                "effective": entry.effective.isoformat(),
                "until": entry.until.isoformat() if entry.until else None,
                "page": entry.page,
                "rows": rows,
            }
        )
    document = {"schema": VERSION_CODES_SCHEMA, "versions": listed}
    # compact: fetched whole, once, the first time the field is used
    return json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"


class _Schema(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExportedVersion(_Schema):
    """One version of ``versions.json``."""

    number: int = Field(ge=1, description="1 for the first version, counting up in commit order")
    status: VersionStatus = Field(description="as of the build's source date (the latest commit), not the clock")
    effective: dt.date = Field(description="the first day the version is in effect")
    until: dt.date | None = Field(description="the day the next version took effect (excluded); null: no later one")
    posted: dt.date = Field(description="the day the version was committed")
    commit: str = Field(pattern="^[0-9a-f]{40}$", description="the commit the version's sources are taken from")
    change: str = Field(description="the revision-log entries the version added")
    page: str = Field(description="its permanent page, relative to the site root: policies/<stem>/v<N>/")
    pdf: str = Field(description="its permanent PDF, relative to the site root: pdf/<stem>/v<N>.pdf")
    retired: dt.date | None = Field(
        description="on the last version of a policy removed from the sources: the day it was removed; else null"
    )


class VersionsExport(_Schema):
    """``api/policies/<stem>/versions.json``: every version of one policy, from the git history."""

    schema_: Literal["policypress.versions/1"] = Field(alias="schema")
    id: str
    versions: tuple[ExportedVersion, ...]


class ExportedVersionRow(_Schema):
    """A code row of a version, as the code index's date-of-service field reads it."""

    code: str = Field(description="as written: a code or a range")
    code_system: str
    first: str = Field(description="the first code as codes compare: no dot, upper case")
    last: str = Field(description="the last code, the same way (a code lies in the row when first <= it <= last)")
    meaning: str | None = Field(description="what the table means for coverage")
    table: str
    link: str = Field(description="the row on the version's page, relative to the site root")


class ExportedVersionCodes(_Schema):
    """One version of one policy with its window and code rows."""

    id: str
    title: str
    number: int = Field(ge=1)
    status: VersionStatus
    effective: dt.date
    until: dt.date | None
    page: str
    rows: tuple[ExportedVersionRow, ...]


class VersionCodesExport(_Schema):
    """``api/version-codes.json``: every version of every policy, with its window and code rows."""

    schema_: Literal["policypress.version-codes/1"] = Field(alias="schema")
    versions: tuple[ExportedVersionCodes, ...]
