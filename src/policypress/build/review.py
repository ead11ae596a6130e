"""The work behind ``policypress diff``: load both sides from git, compare them, check governance, render.

The review itself is pure (``review``); this reads the two revisions (``build.revisions``)
and hands back the report and the violations. Printing and writing files is the command
line's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from policypress.build.git import git_output
from policypress.build.revisions import LayoutFor, Loader, load_revision, load_worktree, open_repository
from policypress.errors import Diagnostic, ReviewError
from policypress.load.loader import load_project
from policypress.options import read_options
from policypress.review.diff import Review, diff_projects
from policypress.review.governance import check_governance
from policypress.review.redline import RedlineSides, render_redline
from policypress.review.report import (
    render_error_json,
    render_error_markdown,
    render_json,
    render_markdown,
    summary,
)
from policypress.review.sides import Snapshot


@dataclass(frozen=True)
class Redline:
    """One changed policy's redlined document, and the day it is dated (the head version's effective date)."""

    policy_id: str
    html: str
    date: dt.datetime


@dataclass(frozen=True)
class ReviewOutcome:
    """A review made: the report in the asked format, the governance violations and a one-line summary."""

    report: str
    violations: tuple[Diagnostic, ...]
    summary: str
    redlines: dict[str, Redline] = field(default_factory=dict)
    """File stem (``<policy file stem>.redline``) -> the redlined document of one changed policy."""


def make_review(
    config_file: Path,
    base: str,
    head: str | None,
    layout_for: LayoutFor,
    *,
    output_format: str = "markdown",
    merge_base: bool = False,
    load: Loader = load_project,
    redline_folder: str | None = None,
) -> ReviewOutcome:
    """Load both sides (``head`` ``None``: the working tree), diff and check them; ``ReviewError`` if they
    cannot be compared. With ``redline_folder`` (as the report should name it), a redlined document is
    made for every changed policy and the report links it."""
    base_snapshot, head_snapshot = _load_sides(config_file, base, head, layout_for, merge_base, load)
    review = diff_projects(
        base_snapshot.project,
        head_snapshot.project,
        base_snapshot.sources.get(base_snapshot.bibliography_file),
        head_snapshot.sources.get(head_snapshot.bibliography_file),
    )
    violations = check_governance(
        review,
        base_snapshot.project,
        head_snapshot.project,
        head_snapshot.sources,
        posted=_posted(config_file, head_snapshot),
        notice_days=read_options(config_file).notice_days,
    )
    redlines = _redlines(review, base_snapshot, head_snapshot) if redline_folder is not None else {}
    links = {
        redline.policy_id: str(PurePosixPath(redline_folder or ".") / f"{stem}.html")
        for stem, redline in redlines.items()
    }
    render = render_json if output_format == "json" else render_markdown
    report = render(review, base_snapshot.side, head_snapshot.side, violations, links)
    return ReviewOutcome(report, tuple(violations), summary(review), redlines)


def _posted(config_file: Path, head: Snapshot) -> dt.date:
    """When the head side is posted: its commit's date, or today for the working tree."""
    if head.side.commit is None:
        return dt.date.today()
    stamp = git_output(config_file.resolve().parent, "show", "-s", "--format=%cI", head.side.commit)
    return dt.datetime.fromisoformat(stamp).date() if stamp else dt.date.today()


def write_redlines(folder: Path, redlines: dict[str, Redline]) -> None:
    """Each redlined document as ``<stem>.html`` and ``<stem>.pdf`` in ``folder``."""
    from policypress.pdf.engine import render_document_pdf  # the PDF engine only when a redline is asked for

    folder.mkdir(parents=True, exist_ok=True)
    for stem, redline in redlines.items():
        (folder / f"{stem}.html").write_text(redline.html, encoding="utf-8")
        (folder / f"{stem}.pdf").write_bytes(render_document_pdf(f"{stem}.pdf", redline.html, redline.date))


def _redlines(review: Review, base: Snapshot, head: Snapshot) -> dict[str, Redline]:
    """``<policy file stem>.redline`` -> its redlined document, for every changed policy."""
    old_policies = {source.file: source.policy for source in base.project.policies}
    new_policies = {source.file: source.policy for source in head.project.policies}
    documents: dict[str, Redline] = {}
    for diff in review.changed:
        if diff.status != "changed" or diff.base_file is None or diff.head_file is None:
            continue
        sides = RedlineSides(
            old_policies[diff.base_file],
            new_policies[diff.head_file],
            base.project.bibliography,
            head.project.bibliography,
            base.project.boilerplate,
            head.project.boilerplate,
        )
        stem = f"{PurePosixPath(diff.head_file).stem}.redline"
        html = render_redline(sides, base.side.description, head.side.description)
        day = sides.new.effective_date
        documents[stem] = Redline(diff.id, html, dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))
    return documents


def error_report(lines: tuple[str, ...] | list[str], output_format: str) -> str:
    """The report written in place of a review that could not be made."""
    if output_format == "json":
        return render_error_json(lines)
    return render_error_markdown("No review: the sources could not be compared", lines)


def _load_sides(
    config_file: Path, base: str, head: str | None, layout_for: LayoutFor, merge_base: bool, load: Loader
) -> tuple[Snapshot, Snapshot]:
    if merge_base:
        repo = open_repository(config_file)
        head_commit = repo.resolve(head or "HEAD", "head")
        base = repo.merge_base(repo.resolve(base, "base"), head_commit)
    errors: list[str] = []
    snapshots: list[Snapshot] = []
    loaders = [
        lambda: load_revision(config_file, base, "base", layout_for, load),
        (lambda: load_worktree(config_file, "head", layout_for, load))
        if head is None
        else (lambda: load_revision(config_file, head, "head", layout_for, load)),
    ]
    for load_side in loaders:  # both sides, so that every error is reported at once
        try:
            snapshots.append(load_side())
        except ReviewError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ReviewError(errors)
    return snapshots[0], snapshots[1]
