"""Where and when the sources come from: the commit they were built from and the date the output claims.

Both are worked out once per command and passed down as values; the PDFs carry them in
their metadata, and MkDocs is given the date as ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from policypress.build.git import git_output, run_git
from policypress.model.policy import first_day
from policypress.project import PolicySource, Project, ProjectLayout
from policypress.render.printjob import Provenance


def source_date_epoch(root: Path, project: Project, given: str | None = None) -> str:
    """The time the output claims to be from, the same for every build of the same sources.

    ``given`` (the ``SOURCE_DATE_EPOCH`` the command was started with) when it is a number;
    else the last commit's time; outside git, the latest date any policy mentions
    (effective, reviewed or approved).
    """
    if given is not None and given.isdigit():
        return given
    committed = git_output(root, "log", "-1", "--format=%ct")
    if committed.isdigit():
        return committed
    latest = max(
        (
            day
            for source in project.policies
            for day in (
                source.policy.effective_date,
                None if source.policy.last_review_date is None else first_day(source.policy.last_review_date),
                *(dt.date.fromisoformat(f"{r.approval_date}-01") for r in source.policy.revision_log),
            )
            if day is not None
        ),
        default=dt.date(1980, 1, 1),
    )
    return str(int(dt.datetime(latest.year, latest.month, latest.day, tzinfo=dt.UTC).timestamp()))


def source_provenance(layout: ProjectLayout, watched: Sequence[str] = (), epoch: str | None = None) -> Provenance:
    """The source commit (``-dirty`` if a source differs from it) and the date of the sources.

    The date is ``epoch`` when given, else the commit time; without git both are unknown
    and each PDF is dated by its policy's effective date.
    """
    root = layout.root
    commit = git_output(root, "rev-parse", "HEAD")
    if commit:
        paths = [layout.policy_dir, layout.bibliography, *watched]
        if git_output(root, "status", "--porcelain", "--", *paths):
            commit += "-dirty"
    epoch = epoch or (git_output(root, "log", "-1", "--format=%ct") if commit else None)
    date = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else None
    return Provenance(commit or "unknown", date)


def policy_provenance(
    layout: ProjectLayout, watched: Sequence[str], epoch: str, *, per_policy: bool, settings: Sequence[str] = ()
) -> Callable[[PolicySource], Provenance]:
    """What each current policy's PDF says it comes from.

    ``per_policy`` (the date comes from git, not from a ``SOURCE_DATE_EPOCH`` given): the last commit
    that changed the policy's own file or anything every PDF is made of (the bibliography, the shared
    legal text under the policy folder, ``watched``: the templates, ``settings``: mkdocs.yml), with
    that commit's time, so a commit that edits one policy re-renders one PDF, not all of them.
    Otherwise, and outside git, every PDF has the sources' provenance (``source_provenance``).
    """
    whole = source_provenance(layout, watched, epoch)
    if not per_policy or whole.commit == "unknown":
        return lambda _source: whole
    root = layout.root
    shared = [os.path.relpath(layout.bibliography_path, root), *watched, *settings]
    policy_dir = os.path.relpath(layout.policy_path, root)
    log = git_output(
        root, "log", "--first-parent", "--diff-merges=first-parent", "--relative", "--name-only",
        "--format=%x01%H %ct", "--", policy_dir, *shared,
    )  # fmt: skip
    changes: list[tuple[str, int, set[str]]] = []  # newest first
    for record in log.split("\x01"):
        head, _, names = record.strip().partition("\n")
        commit, _, seconds = head.partition(" ")
        if commit and seconds.isdigit():
            changes.append((commit, int(seconds), {name for name in names.split("\n") if name}))
    # each line ``XY path``, the path from the repository's top (the log's are from the project's: --relative);
    # not through git_output, whose stripping would eat the first line's status column
    status = run_git(root, "status", "--porcelain", "--", policy_dir, *shared).stdout.decode("utf-8", "replace")
    prefix = git_output(root, "rev-parse", "--show-prefix")
    dirty = {line[3:].removeprefix(prefix) for line in status.split("\n") if len(line) > 3}

    def is_policy(name: str) -> bool:
        return os.path.dirname(name) == policy_dir and name.endswith(".yaml")

    latest: dict[str, int] = {}  # each file's newest change, by its place in ``changes``
    for at, (_commit, _seconds, names) in enumerate(changes):
        for name in names:
            latest.setdefault(name, at)
    shared_at = min((at for name, at in latest.items() if not is_policy(name)), default=None)
    shared_dirty = any(not is_policy(name) for name in dirty)

    def provenance(source: PolicySource) -> Provenance:
        found = [at for at in (latest.get(source.file), shared_at) if at is not None]
        if not found:
            return whole
        commit, seconds, _names = changes[min(found)]
        suffix = "-dirty" if shared_dirty or source.file in dirty else ""
        return Provenance(commit + suffix, dt.datetime.fromtimestamp(seconds, dt.UTC))

    return provenance
