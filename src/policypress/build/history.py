"""Every version of every policy, from the repository's own history.

A version is a policy's source as of the commit that gave it a new revision-log entry or
a new effective date; commits between two versions (a typo fixed, a comment) belong to
no version of their own. A version is in effect from its effective date until the next
version's. Read in one ``git log`` over the policy folder and one ``git cat-file
--batch``; each file is validated as the loader validates it, and a commit whose policy
did not validate made no version. Nothing is checked out.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from policypress.build.revisions import Repository, _inside, _read_blobs, open_repository
from policypress.errors import ReviewError
from policypress.load.policyfile import read_policy
from policypress.model.policy import Policy, Revision
from policypress.project import ProjectLayout

Status = Literal["future", "current", "superseded", "retired"]


@dataclass(frozen=True)
class PolicyVersion:
    """One version of one policy: what it said, when it was posted and when it was in effect."""

    policy_id: str
    number: int
    """1 for the first version, counting up in the order the versions were committed."""
    file: str
    """The policy file, relative to the project root, at that commit."""
    commit: str
    posted: dt.datetime
    """When the version was committed (posted: it may take effect later)."""
    effective: dt.date
    until: dt.date | None
    """The next version's effective date (``None``: no later version)."""
    change: str
    """The revision-log entries this version added, as the log words them."""
    policy: Policy
    retired: dt.date | None = None
    """On the last version of a policy whose file was removed: the day of that commit (also its ``until``)."""

    def in_effect_on(self, day: dt.date) -> bool:
        return self.effective <= day and (self.until is None or day < self.until)

    def status(self, today: dt.date) -> Status:
        """``future`` (posted, not yet effective), ``current``, ``superseded`` or ``retired`` (the policy was
        removed), as of ``today``."""
        if self.retired is not None and today >= self.retired:
            return "retired"
        if today < self.effective:
            return "future"
        return "current" if self.until is None or today < self.until else "superseded"


@dataclass(frozen=True)
class _Seen:
    commit: str
    posted: dt.datetime
    file: str
    blob: str
    """The file's new blob; empty when the commit removed the file."""


def read_history(config_file: Path, layout: ProjectLayout) -> dict[str, tuple[PolicyVersion, ...]]:
    """Policy id -> its versions in order; ``ReviewError`` when the project is not in a git repository."""
    repo = open_repository(config_file)
    folder = _inside(repo.prefix, layout.policy_dir)
    if folder is None:
        raise ReviewError([f"error: {layout.policy_dir!r} lies outside the repository"])
    seen = _policy_commits(repo, folder)
    blobs = sorted({s.blob for s in seen if s.blob})
    contents = dict(zip(blobs, _read_blobs(repo, blobs), strict=True))
    versions: dict[str, list[PolicyVersion]] = {}
    previous: dict[str, tuple[tuple[Revision, ...], dt.date]] = {}
    holder: dict[str, str] = {}  # policy file -> the policy id it last held
    retired: dict[str, dt.date] = {}
    for commit, entries in itertools.groupby(seen, key=lambda s: s.commit):
        removed: set[str] = set()
        for entry in entries:
            relative = PurePosixPath(entry.file).relative_to(PurePosixPath(repo.prefix)) if repo.prefix else entry.file
            if not entry.blob:
                if str(relative) in holder:
                    removed.add(holder.pop(str(relative)))
                continue
            _document, policy, problems = read_policy(Path(str(relative)), str(relative), contents[entry.blob])
            if policy is None or any(p.severity == "error" for p in problems):
                continue
            holder[str(relative)] = policy.id
            retired.pop(policy.id, None)  # back (or renamed): not retired
            log, effective = policy.revision_log, policy.effective_date
            before = previous.get(policy.id)
            added = [r for r in log if before is None or r not in before[0]]
            previous[policy.id] = (log, effective)
            if before is not None and not added and effective == before[1]:
                continue  # an edit within a version
            changes = " ".join(r.description for r in added) or f"Effective date {effective.isoformat()}."
            found = versions.setdefault(policy.id, [])
            number = len(found) + 1
            found.append(
                PolicyVersion(policy.id, number, str(relative), commit, entry.posted, effective, None, changes, policy)
            )
        for policy_id in removed - set(holder.values()):  # removed, and no other file holds it: retired
            if policy_id in versions:
                retired[policy_id] = _posted_of(seen, commit)
    return {policy_id: _windows(found, retired.get(policy_id)) for policy_id, found in sorted(versions.items())}


def _posted_of(seen: list[_Seen], commit: str) -> dt.date:
    return next(s.posted for s in seen if s.commit == commit).date()


def _windows(versions: list[PolicyVersion], retired: dt.date | None = None) -> tuple[PolicyVersion, ...]:
    """Each version in effect until the next one's effective date; the last of a retired policy until its
    retirement."""
    last = len(versions) - 1
    return tuple(
        PolicyVersion(
            v.policy_id,
            v.number,
            v.file,
            v.commit,
            v.posted,
            v.effective,
            versions[k + 1].effective if k < last else retired,
            v.change,
            v.policy,
            retired if k == last else None,
        )
        for k, v in enumerate(versions)
    )


def _policy_commits(repo: Repository, folder: str) -> list[_Seen]:
    """Every commit (oldest first, first parents only) that wrote a policy file of ``folder``, and the blob."""
    result = repo.git(
        "log",
        "--reverse",
        "--first-parent",
        "--no-renames",
        "--raw",
        "--no-abbrev",
        "--format=%x01%H %cI",
        "--",
        folder,
    )
    if result.returncode != 0:
        raise ReviewError([f"error: git log failed: {result.stderr.decode(errors='replace').strip()}"])
    seen: list[_Seen] = []
    for chunk in result.stdout.decode("utf-8", "replace").split("\x01")[1:]:
        header, *lines = chunk.strip("\n").split("\n")
        commit, posted = header.split(" ", 1)
        when = dt.datetime.fromisoformat(posted)
        for line in lines:
            if not line.startswith(":") or "\t" not in line:
                continue
            meta, path = line.split("\t", 1)
            fields = meta.split()
            new_mode, new_blob, status = fields[1], fields[3], fields[4]
            parent = PurePosixPath(path).parent
            inside = str(parent) == folder or (folder == "" and str(parent) == ".")
            if not inside or not path.endswith(".yaml"):
                continue
            if status in ("A", "M") and new_mode in ("100644", "100755"):
                seen.append(_Seen(commit, when, path, new_blob))
            elif status == "D":
                seen.append(_Seen(commit, when, path, ""))
    return seen


def version_on(versions: tuple[PolicyVersion, ...], day: dt.date) -> PolicyVersion | None:
    """The version in effect on ``day`` (the latest committed one, if windows overlap)."""
    return next((v for v in reversed(versions) if v.in_effect_on(day)), None)
