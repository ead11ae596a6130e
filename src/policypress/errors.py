"""Diagnostics: the one way policypress reports a problem in a user's sources.

A user error (bad YAML, an unknown citation key, a missing BibTeX field) is a
``Diagnostic`` that names the file, line and column, printed like a compiler
message. Anything else that goes wrong is a bug in policypress and is reported
as such, never as the user's fault.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning", "info"]


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


class SourceError(Exception):
    """Raised when sources are invalid; carries every diagnostic found, not just the first."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sorted(diagnostics))
        super().__init__("\n".join(d.format() for d in self.diagnostics))


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as the user should see it: relative to the project root when inside it."""
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()
