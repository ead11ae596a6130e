"""The published versions of every policy: each version's project as of its commit, for its own page.

A version page is built from the sources of its commit — the policy, the bibliography
and the shared legal text as they were — so rewriting today's policy never changes an
older version's page. Status (future, current, superseded) is stated as of the build's
source date (the latest commit), so the same sources give the same pages. A project
outside git, or in a shallow clone, has no published versions: only its current pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from policypress.build.history import PolicyVersion, Status, read_history
from policypress.build.revisions import LayoutFor, Loader, load_revision
from policypress.errors import ReviewError
from policypress.load.loader import load_project
from policypress.project import PolicySource, Project, ProjectLayout


@dataclass(frozen=True)
class PublishedVersion:
    """One version as its page shows it."""

    version: PolicyVersion
    total: int
    status: Status
    project: Project
    """The project as of the version's commit."""
    source: PolicySource

    @property
    def number(self) -> int:
        return self.version.number


def published_versions(
    config_file: Path, layout: ProjectLayout, layout_for: LayoutFor, today: dt.date, load: Loader = load_project
) -> dict[str, tuple[PublishedVersion, ...]]:
    """Policy id -> its versions with their projects; empty when the project has no git history."""
    try:
        history = read_history(config_file, layout)
    except ReviewError:
        return {}
    projects: dict[str, Project] = {}
    published: dict[str, tuple[PublishedVersion, ...]] = {}
    for policy_id, versions in history.items():
        found = []
        for version in versions:
            if version.commit not in projects:
                try:
                    projects[version.commit] = load_revision(
                        config_file, version.commit, "version", layout_for, load
                    ).project
                except ReviewError:
                    continue  # a commit whose other sources did not validate publishes no page
            project = projects[version.commit]
            source = next((s for s in project.policies if s.policy.id == policy_id), None)
            if source is not None:
                found.append((version, project, source))
        published[policy_id] = tuple(
            PublishedVersion(version, len(found), version.status(today), project, source)
            for version, project, source in found
        )
    return published
