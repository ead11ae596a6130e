"""What changed, when: the revision-log entries of every policy, newest first.

The home page's "Recent changes" and the Atom feed both come from here, so a
provider's office sees the same news in a browser and in a feed reader. Dates are
the months of the revision log; nothing depends on the build's own clock, so the
feed is identical for identical sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from policypress.model.inline import plain_text
from policypress.model.policy import Revision
from policypress.project import PolicySource, Project
from policypress.render.urls import FEED_FILE, page_path


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


def atom_feed(project: Project, site_name: str, site_url: str, pages_dir: str, limit: int = 100) -> str:
    """An Atom 1.0 feed (RFC 4287) of the latest changes; ``site_url`` makes its links absolute."""
    base = site_url.rstrip("/") + "/"
    changes = recent_changes(project, limit)
    updated = f"{changes[0].month}-01T00:00:00Z" if changes else "1980-01-01T00:00:00Z"
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
    for change in changes:
        policy = change.source.policy
        page = f"{base}{page_path(change.source, pages_dir)}"
        description = plain_text(change.revision.description)
        lines += [
            "  <entry>",
            f"    <title>{escape(f'{policy.id} {plain_text(policy.title)}: {description}')}</title>",
            f"    <id>{escape(page)}#revision-{change.position + 1}</id>",
            f"    <link href={quoteattr(f'{page}#revision-{change.position + 1}')}/>",
            f"    <updated>{change.month}-01T00:00:00Z</updated>",
            f"    <summary>{escape(description)} (revised {change.revision.revision_date}, "
            f"approved {change.revision.approval_date}; effective {policy.effective_date.isoformat()})</summary>",
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"
