"""The work behind ``policypress diff``: load both sides from git, compare them, check governance, render.

The review itself is pure (``review``); this reads the two revisions (``build.revisions``)
and hands back the report and the violations. Printing and writing files is the command
line's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from policypress.build.revisions import LayoutFor, Loader, load_revision, load_worktree, open_repository
from policypress.errors import Diagnostic, ReviewError
from policypress.load.loader import load_project
from policypress.review.diff import diff_projects
from policypress.review.governance import check_governance
from policypress.review.report import (
    render_error_json,
    render_error_markdown,
    render_json,
    render_markdown,
    summary,
)
from policypress.review.sides import Snapshot


@dataclass(frozen=True)
class ReviewOutcome:
    """A review made: the report in the asked format, the governance violations and a one-line summary."""

    report: str
    violations: tuple[Diagnostic, ...]
    summary: str


def make_review(
    config_file: Path,
    base: str,
    head: str | None,
    layout_for: LayoutFor,
    *,
    output_format: str = "markdown",
    merge_base: bool = False,
    load: Loader = load_project,
) -> ReviewOutcome:
    """Load both sides (``head`` ``None``: the working tree), diff and check them; ``ReviewError`` if they
    cannot be compared."""
    base_snapshot, head_snapshot = _load_sides(config_file, base, head, layout_for, merge_base, load)
    review = diff_projects(
        base_snapshot.project,
        head_snapshot.project,
        base_snapshot.sources.get(base_snapshot.bibliography_file),
        head_snapshot.sources.get(head_snapshot.bibliography_file),
    )
    violations = check_governance(review, base_snapshot.project, head_snapshot.project, head_snapshot.sources)
    render = render_json if output_format == "json" else render_markdown
    report = render(review, base_snapshot.side, head_snapshot.side, violations)
    return ReviewOutcome(report, tuple(violations), summary(review))


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
