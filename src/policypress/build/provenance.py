"""Where and when the sources come from: the commit they were built from and the date the output claims.

Both are worked out once per command and passed down as values; the PDFs carry them in
their metadata, and MkDocs is given the date as ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from policypress.build.git import git_output
from policypress.model.policy import first_day
from policypress.project import Project, ProjectLayout
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
