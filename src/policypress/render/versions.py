"""What a policy page says about versions: the banner of a version page, the list on the current page and
``versions.json``. Built from plain values, so the page layer knows nothing of git."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from policypress.model.codes import parse_code, sort_key
from policypress.model.inline import plain_text
from policypress.model.numbering import code_anchor
from policypress.model.policy import Policy

VersionStatus = Literal["future", "current", "superseded"]
VERSIONS_SCHEMA = "policypress.versions/1"
VERSION_CODES_SCHEMA = "policypress.version-codes/1"


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


def versions_document(policy_id: str, entries: list[VersionEntry]) -> str:
    """``api/policies/<stem>/versions.json``: every version with its window, status, commit, page and PDF."""
    versions = []
    for entry in entries:
        data = asdict(entry)
        for name in ("url", "current_url", "next_url", "pdf_url", "total"):
            data.pop(name)
        data.update(
            effective=entry.effective.isoformat(),
            until=entry.until.isoformat() if entry.until else None,
            posted=entry.posted.isoformat(),
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
