"""The one way policypress runs git: reading revisions for a review, and the commit and date of the sources.

Paths are printed unquoted (``core.quotepath=off``) so file names reach messages as
written; git is run with arguments, never through a shell.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitUnavailable(Exception):
    """git could not be started at all (not installed, or not executable)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def run_git(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` in ``cwd``, its output captured; ``GitUnavailable`` if git cannot be started."""
    try:
        return subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise GitUnavailable(exc.strerror or str(exc)) from None


def git_output(cwd: Path, *args: str) -> str:
    """The stripped standard output of ``git ARGS`` in ``cwd``; empty when git fails or is missing."""
    try:
        result = run_git(cwd, *args)
    except GitUnavailable:
        return ""
    return result.stdout.decode("utf-8", "replace").strip() if result.returncode == 0 else ""
