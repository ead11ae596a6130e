"""Errors a user can act on, and where in their sources each one is.

A problem in a user's sources (bad YAML, an unknown citation key, a missing BibTeX
field) is a ``Diagnostic`` that names the file, line and column, printed like a
compiler message. Every error a user can act on is a ``PolicyPressError``: the command
line has one handler for them, which prints their ``lines()`` and exits 1. Anything
else that goes wrong is a bug in policypress and is reported as such, never as the
user's fault.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning", "info"]
Path_ = tuple[str | int, ...]
"""Where a value sits in a parsed document: mapping keys and sequence indexes from the root,
``("criteria", 1, "text")``."""


def field_name(path: Path_) -> str:
    """``("criteria", 1, "text")`` as ``criteria[1].text``: how messages name a field."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in a source file, with a stable code for tools and tests."""

    file: str
    line: int
    col: int
    code: str
    message: str
    severity: Severity = "error"

    def fields(self) -> tuple[str, int, int, str, str, str]:
        """The fields in order, for storing (``Diagnostic(*fields)`` makes it again)."""
        return (self.file, self.line, self.col, self.code, self.message, self.severity)

    def format(self) -> str:
        """Render as ``file:line:col: message`` (warnings and infos say so)."""
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.file}:{self.line}:{self.col}: {prefix}{self.message} [{self.code}]"


class PolicyPressError(Exception):
    """Base of every error the user can act on; the command line prints ``lines()`` and exits 1."""

    def lines(self) -> list[str]:
        """What the command line prints, one line each, on standard error."""
        return [f"error: {self}"]


class SourceError(PolicyPressError):
    """Raised when sources are invalid; carries every diagnostic found, not just the first."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sorted(diagnostics))
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    def lines(self) -> list[str]:
        return [
            *(d.format() for d in self.diagnostics),
            f"{len(self.diagnostics)} error(s); nothing was built",
        ]


class ReviewError(PolicyPressError):
    """A user error while preparing a review: each line is printed as is."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.messages: tuple[str, ...] = tuple(lines)
        super().__init__("\n".join(self.messages))

    def lines(self) -> list[str]:
        return list(self.messages)


class PdfError(PolicyPressError):
    """A PDF could not be made as promised (e.g. the page refers to something outside the project)."""


SIGNALS_RECEIVED: list[str] = []
"""The names of the signals this process received, in order (recorded by ``entry`` and ``build.publish``):
once one has come, the command reports the interruption and nothing else."""


class BuildInterrupted(PolicyPressError):
    """The build received SIGINT, SIGTERM or SIGHUP; raised so that cleanup runs as for any failure."""

    published = False
    """Set once the new site was swapped in: an interrupt after that leaves the new site, not the old."""

    def lines(self) -> list[str]:
        where = "the new site/ was already published" if BuildInterrupted.published else "site/ was left as it was"
        return [f"error: {str(self) or 'build interrupted'}; {where}"]


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as the user should see it: relative to the project root when inside it."""
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()
