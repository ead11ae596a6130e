"""What a policy page says about versions: the banner of a version page, the list on the current page and
``versions.json``. Built from plain values, so the page layer knows nothing of git."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Literal

VersionStatus = Literal["future", "current", "superseded"]
VERSIONS_SCHEMA = "policypress.versions/1"


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


def versions_document(policy_id: str, entries: list[VersionEntry]) -> str:
    """``api/policies/<stem>/versions.json``: every version with its window, status, commit and page."""
    versions = []
    for entry in entries:
        data = asdict(entry)
        for name in ("url", "current_url", "next_url", "total"):
            data.pop(name)
        data.update(
            effective=entry.effective.isoformat(),
            until=entry.until.isoformat() if entry.until else None,
            posted=entry.posted.isoformat(),
        )
        versions.append(data)
    document = {"schema": VERSIONS_SCHEMA, "id": policy_id, "versions": versions}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
