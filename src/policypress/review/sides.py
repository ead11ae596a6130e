"""The two sides of a review: which state of the sources each is, and the project loaded from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from policypress.project import Project


@dataclass(frozen=True)
class Side:
    """One side of a review: ``base`` or ``head``, at a commit or (``commit`` None) the working tree."""

    name: str
    revision: str | None
    commit: str | None
    short: str | None

    @property
    def label(self) -> str:
        """``base (1a2b3c4)`` or ``head (working tree)``: how messages name the side."""
        return f"{self.name} ({self.short or 'working tree'})"

    @property
    def description(self) -> str:
        """``origin/main (1a2b3c4)``, ``1a2b3c4`` or ``working tree``: how the report names the state."""
        if self.commit is None or self.short is None:
            return "working tree"
        if self.revision is None or self.commit.startswith(self.revision.lower()):
            return self.short
        return f"{self.revision} ({self.short})"


@dataclass(frozen=True)
class Snapshot:
    """A valid project on one side, with the text of every file it was loaded from."""

    side: Side
    project: Project
    sources: Mapping[str, str]
    """Path relative to the project root -> text: policies, boilerplate and the bibliography."""
    bibliography_file: str
