"""The published versions of every policy: each version's project as of its commit, for its own page.

A version page is built from the sources of its commit — the policy, the bibliography
and the shared legal text as they were — so rewriting today's policy never changes an
older version's page. Status (future, current, superseded) is stated as of the build's
source date (the latest commit), so the same sources give the same pages. A project
outside git, or in a shallow clone, has no published versions: only its current pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    files: Mapping[str, bytes] = field(default_factory=dict)
    """The sources of the version's commit that its PDF carries (its policy file, then the shared legal
    text), by their path relative to the project root."""

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
    # commit -> the bytes its versions' PDFs attach (their policy files, the shared legal text), read
    # from the commit's temporary folder while it exists; only the files of versions made there
    files: dict[str, tuple[dict[str, bytes], dict[str, bytes]]] = {}
    wanted: dict[str, set[str]] = {}
    for versions in history.values():
        for version in versions:
            wanted.setdefault(version.commit, set()).add(version.file)
    loading: list[tuple[dict[str, bytes], dict[str, bytes]]] = []
    committed: list[str] = [""]

    def load_keeping_files(at: ProjectLayout) -> Project:
        project = load(at)
        policies = [at.root / name for name in sorted(wanted.get(committed[0], set()))]
        boilerplate = sorted(at.boilerplate_path.glob("*.yaml"))
        loading.append((_read(at.root, policies), _read(at.root, boilerplate)))
        return project

    published: dict[str, tuple[PublishedVersion, ...]] = {}
    for policy_id, versions in history.items():
        found = []
        for version in versions:
            if version.commit not in projects:
                loading.clear()
                committed[:] = [version.commit]
                try:
                    projects[version.commit] = load_revision(
                        config_file, version.commit, "version", layout_for, load_keeping_files
                    ).project
                except ReviewError:
                    continue  # a commit whose other sources did not validate publishes no page
                files[version.commit] = loading[0]
            project = projects[version.commit]
            source = next((s for s in project.policies if s.policy.id == policy_id), None)
            if source is not None:
                policies, boilerplate = files[version.commit]
                attached = {source.file: policies[source.file], **boilerplate}
                found.append((version, project, source, attached))
        published[policy_id] = tuple(
            PublishedVersion(version, len(found), version.status(today), project, source, attached)
            for version, project, source, attached in found
        )
    return published


def _read(root: Path, paths: list[Path]) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in paths if path.is_file()}


def retired_versions(
    project: Project, published: Mapping[str, tuple[PublishedVersion, ...]]
) -> dict[str, tuple[PublishedVersion, ...]]:
    """Policy id -> the versions of each policy no longer in the sources (its last version ``retired``), whose
    page and PDF name (the stem of its last file) no current policy has taken."""
    current = {source.policy.id for source in project.policies}
    stems = {source.stem for source in project.policies}
    return {
        policy_id: versions
        for policy_id, versions in sorted(published.items())
        if versions and policy_id not in current and versions[-1].source.stem not in stems
    }
