"""The hand-off types of the pipeline: where a project's sources are, and the valid project loaded from them.

``load`` makes a ``Project``; ``render``, ``pdf``, ``review`` and ``build`` take it. A
``Project`` exists only when every source is valid, so nothing downstream ever sees a
half-valid policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from policypress.bibliography.bibtex import Bibliography
from policypress.errors import Diagnostic
from policypress.model.policy import Boilerplate, Policy

IMPORTANT_REMINDER_FILE = "important-reminder.yaml"
BOILERPLATE_DIR = "boilerplate"


@dataclass(frozen=True)
class ProjectLayout:
    """Where a project keeps its sources, relative to its root (the folder of mkdocs.yml)."""

    root: Path
    policy_dir: str = "policy"
    bibliography: str = "references.bib"

    @property
    def policy_path(self) -> Path:
        return self.root / self.policy_dir

    @property
    def boilerplate_path(self) -> Path:
        return self.policy_path / BOILERPLATE_DIR

    @property
    def cache_path(self) -> Path:
        """Where builds keep work they can reuse (formatted references, rendered PDFs); git-ignored."""
        return self.root / ".cache"

    @property
    def bibliography_path(self) -> Path:
        return self.root / self.bibliography

    def policy_files(self) -> list[Path]:
        """Policy sources in a stable order: one ``*.yaml`` file per policy."""
        return sorted(path for path in self.policy_path.glob("*.yaml") if path.is_file())

    def watched_paths(self) -> list[Path]:
        """Everything whose change should rebuild the site."""
        return [self.policy_path, self.bibliography_path]


@dataclass(frozen=True)
class PolicySource:
    """A valid policy and where it came from."""

    policy: Policy
    file: str
    """Path shown to users and used for "edit this page", relative to the project root."""
    stem: str
    """File name without ``.yaml``: the page and PDF name."""
    key: str = ""
    """Content key of the file when a stored reader read it (``speed``): equal keys, equal policies; else empty."""


@dataclass(frozen=True)
class Project:
    """All sources of a site, valid and cross-checked."""

    policies: tuple[PolicySource, ...]
    bibliography: Bibliography
    boilerplate: Boilerplate
    notes: tuple[Diagnostic, ...]
    """Warnings and information (e.g. references listed but never cited)."""


def expected_stem(policy_id: str) -> str:
    """The file name a policy id must have: ``WA.CP.MP.166`` -> ``wa-cp-mp-166``."""
    return policy_id.lower().replace(".", "-")
