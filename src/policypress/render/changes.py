"""What changed, when: the revision-log entries of every policy, newest first.

The home page's "Recent changes" and the Atom feed both come from here, so a
provider's office sees the same news in a browser and in a feed reader. Dates are
the months of the revision log; nothing depends on the build's own clock, so the
feed is identical for identical sources. The feed also has an entry per version of
the history (``render.versions``), dated by its posting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from policypress.model.inline import plain_text
from policypress.model.policy import Revision
from policypress.project import PolicySource, Project
from policypress.render.urls import FEED_FILE, page_path
from policypress.render.versions import VersionEntry


@dataclass(frozen=True)
class Change:
    """One revision-log entry of one policy."""

    source: PolicySource
    revision: Revision
    position: int
    """Index of the entry in its policy's revision log (tells entries of the same month apart)."""

    @property
    def month(self) -> str:
        """The month the change was approved (``YYYY-MM``), which is when it took effect for readers."""
        return self.revision.approval_date


def recent_changes(project: Project, limit: int | None = None) -> list[Change]:
    """Revision-log entries of all policies, newest approval first (ties: policy id, then log order)."""
    changes = [
        Change(source, revision, position)
        for source in project.policies
        for position, revision in enumerate(source.policy.revision_log)
    ]
    changes.sort(key=lambda c: (c.month, c.revision.revision_date, c.source.policy.id, c.position), reverse=True)
    return changes if limit is None else changes[:limit]


_NOT_YET = "not yet in effect"


def atom_feed(
    project: Project,
    site_name: str,
    site_url: str,
    pages_dir: str,
    limit: int = 100,
    versions: Mapping[str, Sequence[VersionEntry]] | None = None,
) -> str:
    """An Atom 1.0 feed (RFC 4287) of the latest changes; ``site_url`` makes its links absolute.

    Besides the revision-log entries, one entry per version of ``versions`` (policy id -> its versions):
    published when posted, updated when its status last changed (``version_updated``), linking its
    permanent page and PDF; one posted ahead of its effective date is
    marked "not yet in effect" with the date it takes effect (in its title and as a category). The
    status is the build's (as of the sources' date), so the same sources give the same feed.
    """
    base = site_url.rstrip("/") + "/"
    entries: list[tuple[str, tuple[str, str, int, int], list[str]]] = []
    for change in recent_changes(project, limit):
        tie = (change.revision.revision_date, change.source.policy.id, change.position, 0)
        entries.append((f"{change.month}-01T00:00:00Z", tie, _change_entry(change, base, pages_dir)))
    titles = {source.policy.id: plain_text(source.policy.title) for source in project.policies}
    for policy_id, found in sorted((versions or {}).items()):
        for version in found:
            lines = _version_entry(policy_id, titles.get(policy_id, version.title), version, base)
            when = f"{version_updated(version).isoformat()}T00:00:00Z"
            entries.append((when, ("", policy_id, version.number, 1), lines))
    entries.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
    entries = entries[:limit]
    updated = entries[0][0] if entries else "1980-01-01T00:00:00Z"
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <title>{escape(site_name)}: changes</title>",
        f"  <id>{escape(base)}{FEED_FILE}</id>",
        f'  <link rel="self" href={quoteattr(base + FEED_FILE)}/>',
        f'  <link rel="alternate" href={quoteattr(base)}/>',
        f"  <updated>{updated}</updated>",
        f"  <author><name>{escape(site_name)}</name></author>",
    ]
    for entry in entries:
        lines += entry[2]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def version_updated(version: VersionEntry) -> dt.date:
    """When a version's feed entry last changed, as of the build: posted (future), took effect (current),
    was replaced (superseded) or retired. A date of the sources, never of the clock."""
    if version.status == "future":
        return version.posted
    if version.status == "retired" and version.retired is not None:
        return max(version.posted, version.retired)
    if version.status == "current" or version.until is None:
        return max(version.posted, version.effective)
    return max(version.posted, version.until)


def _change_entry(change: Change, base: str, pages_dir: str) -> list[str]:
    """The feed entry of one revision-log entry: it links that row of the policy's revision log."""
    policy = change.source.policy
    page = f"{base}{page_path(change.source, pages_dir)}"
    description = plain_text(change.revision.description)
    return [
        "  <entry>",
        f"    <title>{escape(f'{policy.id} {plain_text(policy.title)}: {description}')}</title>",
        f"    <id>{escape(page)}#revision-{change.position + 1}</id>",
        f"    <link href={quoteattr(f'{page}#revision-{change.position + 1}')}/>",
        f"    <updated>{change.month}-01T00:00:00Z</updated>",
        f"    <summary>{escape(description)} (revised {change.revision.revision_date}, "
        f"approved {change.revision.approval_date}; effective {policy.effective_date.isoformat()})</summary>",
        "  </entry>",
    ]


def _version_entry(policy_id: str, title: str, version: VersionEntry, base: str) -> list[str]:
    """The feed entry of one version: its permanent page and PDF, its window; a future one marked as such."""
    page = f"{base}{version.page}"
    effective = version.effective.isoformat()
    until = f" until {version.until.isoformat()}" if version.until is not None else ""
    if version.status == "future":
        state = f"{_NOT_YET}: takes effect {effective}"
    elif version.status == "current":
        state = f"in effect from {effective}{until}"
    elif version.status == "retired" and version.retired is not None:
        state = f"retired on {version.retired.isoformat()}; in effect from {effective}{until}"
    else:
        state = f"superseded; in effect from {effective}{until}"
    label = {"future": "Not yet in effect", "current": "In effect", "superseded": "Superseded", "retired": "Retired"}[
        version.status
    ]
    posted = f"{version.posted.isoformat()}T00:00:00Z"
    updated = f"{version_updated(version).isoformat()}T00:00:00Z"
    summary = (
        f"Version {version.number} ({state}; posted {version.posted.isoformat()}, source commit {version.commit}): "
        + plain_text(version.change)
    )
    lines = [
        "  <entry>",
        f"    <title>{escape(f'{policy_id} {title}: version {version.number}, {state}')}</title>",
        f"    <id>{escape(page)}</id>",
        f"    <link href={quoteattr(page)}/>",
    ]
    if version.pdf:
        lines.append(f'    <link rel="enclosure" type="application/pdf" href={quoteattr(base + version.pdf)}/>')
    lines += [
        f"    <published>{posted}</published>",
        f"    <updated>{updated}</updated>",
        f"    <category term={quoteattr(version.status)} label={quoteattr(label)}/>",
        f"    <summary>{escape(summary)}</summary>",
        "  </entry>",
    ]
    return lines
