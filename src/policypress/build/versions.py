"""The published versions of every policy: each version's project as of its commit, for its own page.

A version page is built from the sources of its commit — the policy, the bibliography
and the shared legal text as they were — so rewriting today's policy never changes an
older version's page. Status (future, current, superseded) is stated as of the build's
source date (the latest commit), so the same sources give the same pages. A project
outside git, or in a shallow clone, has no published versions: only its current pages.

A commit's project is loaded (a temporary checkout, a full load) only when something asks
for it: a page or PDF not found in the work kept by the speed layer. Which policies a
commit's project holds is itself work that can be kept (``remember``), filed by the
commit's tree, so a build whose history gained one commit loads only what that commit
changed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from policypress.build.history import PolicyVersion, Status, read_history
from policypress.build.revisions import LayoutFor, Loader, load_revision, open_repository
from policypress.errors import ReviewError
from policypress.load.loader import load_project
from policypress.model.policy import Policy
from policypress.project import PolicySource, Project, ProjectLayout

Remember = Callable[[str, tuple[str, ...], Callable[[], Any]], Any]
"""``remember(kind, inputs, make)``: ``make()``, or (the speed layer) what it gave for the same inputs before."""


def _made(_kind: str, _inputs: tuple[str, ...], make: Callable[[], Any]) -> Any:
    return make()


@dataclass
class VersionWork:
    """What a build did with the versions: commits loaded, version pages rendered or reused."""

    loaded: int = 0
    rendered: int = 0
    reused: int = 0

    def reset(self) -> None:
        self.loaded = self.rendered = self.reused = 0

    def summary(self) -> str:
        return (
            f"versions: {self.rendered + self.reused} version page(s): {self.rendered} rendered, "
            f"{self.reused} reused; {self.loaded} commit(s) loaded"
        )


class CommitSources:
    """A commit's project and the files its versions' PDFs attach, loaded on first use and kept."""

    def __init__(
        self,
        config_file: Path,
        commit: str,
        tree: str,
        layout_for: LayoutFor,
        load: Loader,
        work: VersionWork,
        wanted: frozenset[str] = frozenset(),
    ) -> None:
        self.commit = commit
        self.tree = tree
        self._config_file = config_file
        self._layout_for = layout_for
        self._load = load
        self._work = work
        self._wanted = wanted
        """The policy files of the versions made at this commit: the only ones whose bytes are kept."""
        self._loaded: tuple[Project, dict[str, bytes], dict[str, bytes]] | None = None
        self._error: ReviewError | None = None

    def get(self) -> tuple[Project, dict[str, bytes], dict[str, bytes]]:
        """The project, its policy files' bytes and the shared legal text's; ``ReviewError`` when it does not load."""
        if self._error is not None:
            raise self._error
        if self._loaded is None:
            loading: list[tuple[dict[str, bytes], dict[str, bytes]]] = []

            def load_keeping_files(at: ProjectLayout) -> Project:
                project = self._load(at)
                policies = [at.root / name for name in sorted(self._wanted)]
                boilerplate = sorted(at.boilerplate_path.glob("*.yaml"))
                loading.append((_read(at.root, policies), _read(at.root, boilerplate)))
                return project

            self._work.loaded += 1
            try:
                project = load_revision(
                    self._config_file, self.commit, "version", self._layout_for, load_keeping_files
                ).project
            except ReviewError as exc:
                self._error = exc
                raise
            self._loaded = (project, *loading[0])
        return self._loaded

    def held(self) -> dict[str, str] | None:
        """Policy id -> its file, in the commit's project; ``None`` when it does not load (not kept: the
        failure may be git's, not the sources', so the next build tries again)."""
        try:
            project = self.get()[0]
        except ReviewError:
            return None
        return {source.policy.id: source.file for source in project.policies}


@dataclass(frozen=True)
class PublishedVersion:
    """One version as its page shows it."""

    version: PolicyVersion
    total: int
    status: Status
    sources: CommitSources = field(compare=False)
    file: str = ""
    """The version's policy file in its commit's project, relative to the project root."""
    layout_key: str = ""
    """What, besides the commit's tree, decides its project (the layout's folders), for keys."""

    @property
    def number(self) -> int:
        return self.version.number

    @property
    def stem(self) -> str:
        """The policy's page and PDF name in this version."""
        return PurePosixPath(self.file).stem

    @property
    def policy(self) -> Policy:
        """The policy as the version's commit wrote it (read from the history, without loading the project)."""
        return self.version.policy

    @property
    def project(self) -> Project:
        """The project as of the version's commit (loaded on first use)."""
        return self.sources.get()[0]

    @property
    def source(self) -> PolicySource:
        return next(s for s in self.project.policies if s.file == self.file)

    @property
    def files(self) -> Mapping[str, bytes]:
        """The sources of the version's commit that its PDF carries (its policy file, then the shared legal
        text), by their path relative to the project root."""
        _project, policies, boilerplate = self.sources.get()
        return {self.file: policies[self.file], **boilerplate}

    def key(self) -> tuple[str, ...]:
        """What the version is made of: its commit's tree, the layout, its file, number and window."""
        version = self.version
        return (
            self.sources.tree,
            self.layout_key,
            self.file,
            str(version.number),
            str(self.total),
            self.status,
            version.commit,
            version.posted.isoformat(),
            version.effective.isoformat(),
            version.until.isoformat() if version.until else "",
            version.retired.isoformat() if version.retired else "",
            version.change,
        )


def _load_committed(layout: ProjectLayout) -> Project:
    """A version commit's project: as the build loads sources, but a stray file there is not an error."""
    return load_project(layout, report_unread=False)


def published_versions(
    config_file: Path,
    layout: ProjectLayout,
    layout_for: LayoutFor,
    today: dt.date,
    load: Loader = _load_committed,
    remember: Remember = _made,
    work: VersionWork | None = None,
) -> dict[str, tuple[PublishedVersion, ...]]:
    """Policy id -> its versions with their projects; empty when the project has no git history."""
    try:
        history = read_history(config_file, layout)
    except ReviewError:
        return {}
    work = work if work is not None else VersionWork()
    commits = sorted({version.commit for versions in history.values() for version in versions})
    trees = _trees(config_file, commits)
    layout_key = json.dumps([layout.policy_dir, layout.bibliography])
    wanted: dict[str, set[str]] = {}
    for versions in history.values():
        for version in versions:
            wanted.setdefault(version.commit, set()).add(version.file)
    sources = {
        c: CommitSources(config_file, c, trees.get(c, c), layout_for, load, work, frozenset(wanted[c])) for c in commits
    }
    held: dict[str, dict[str, str]] = {}
    published: dict[str, tuple[PublishedVersion, ...]] = {}
    for policy_id, versions in history.items():
        found = []
        for version in versions:
            commit = sources[version.commit]
            if version.commit not in held:
                # a commit whose other sources did not validate publishes no page (it holds no policy)
                kept = remember("version-commit", (commit.tree, layout_key), lambda commit=commit: commit.held())
                held[version.commit] = dict(kept or {})
            file = held[version.commit].get(policy_id)
            if file is not None:
                found.append((version, file))
        published[policy_id] = tuple(
            PublishedVersion(version, len(found), version.status(today), sources[version.commit], file, layout_key)
            for version, file in found
        )
    return published


def _trees(config_file: Path, commits: list[str]) -> dict[str, str]:
    """Commit -> its tree, in one ``git rev-parse`` (empty when git cannot say)."""
    if not commits:
        return {}
    repo = open_repository(config_file)
    result = repo.git("rev-parse", *(f"{commit}^{{tree}}" for commit in commits))
    trees = result.stdout.decode().split()
    return dict(zip(commits, trees, strict=True)) if result.returncode == 0 and len(trees) == len(commits) else {}


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
        if versions and policy_id not in current and versions[-1].stem not in stems
    }
