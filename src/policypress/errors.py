"""Errors a user can act on, and where in their sources each one is.

A problem in a user's sources (bad YAML, an unknown citation key, a missing BibTeX
field) is a ``Diagnostic`` that names the file, line and column, printed like a
compiler message. Every error a user can act on is a ``PolicyPressError``: the command
line has one handler for them, which prints their ``lines()`` and exits 1. Anything
else that goes wrong is a bug in policypress and is reported as such, never as the
user's fault.
"""

from __future__ import annotations

import signal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Literal

Severity = Literal["error", "warning", "info"]
Path_ = tuple[str | int, ...]
"""Where a value sits in a parsed document: mapping keys and sequence indexes from the root,
``("criteria", 1, "text")``."""


def printable(text: str) -> str:
    """``text`` safe to show on a terminal: every character that is not printable (an escape that
    starts a terminal control sequence, other control characters, bidirectional overrides, a
    non-UTF-8 byte of a file name) written as its Python escape, ``\\x1b``, ``\\u202e``, ``\\udcff``.

    Every message the command line shows passes through here (``Diagnostic.format`` and
    ``PolicyPressError.lines``): paths and values in them come from file names and file
    contents, which an author, or a pull request, chose."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text)


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
        return printable(f"{self.file}:{self.line}:{self.col}: {prefix}{self.message} [{self.code}]")


class PolicyPressError(Exception):
    """Base of every error the user can act on; the command line prints ``lines()`` and exits 1."""

    def lines(self) -> list[str]:
        """What the command line prints, one line each, on standard error (non-printable characters escaped)."""
        return [printable(line) for line in f"error: {self}".split("\n")]


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
        return [printable(line) for message in self.messages for line in message.split("\n")]


class PdfError(PolicyPressError):
    """A PDF could not be made as promised (e.g. the page refers to something outside the project)."""


SIGNALS_RECEIVED: list[str] = []
"""The names of the signals this process received, in order (recorded by ``entry`` and ``build.publish``):
once one has come, the command reports the interruption and nothing else."""

INTERRUPTS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""The signals that stop a command with a message (Ctrl-C, ``kill``, a closed terminal)."""


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold ``INTERRUPTS`` back while the block runs; one that came meanwhile is answered as it ends.

    For steps that must not be cut in two: the swap and the record that it happened (else an
    interrupt between them would report the old site while the new one is published), and the
    removal of the staging folder (else a second Ctrl-C would leave half of it behind). The
    handlers are swapped, not the signal mask: a mask holds back only the calling thread, and a
    signal to the process then comes through another one (the PDF pool's) all the same.
    Main thread only, as every ``signal.signal``."""
    held: list[int] = []

    def hold(signum: int, _frame: FrameType | None) -> None:
        held.append(signum)

    previous = {sent: signal.signal(sent, hold) for sent in INTERRUPTS}
    try:
        yield
    finally:
        for sent, handler in previous.items():
            signal.signal(sent, handler)
        if held:
            handler = previous[signal.Signals(held[0])]
            if callable(handler):
                handler(held[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(held[0])


class BuildInterrupted(PolicyPressError):
    """The command received SIGINT, SIGTERM or SIGHUP; reported as what it was doing and where ``site/`` stands."""

    published = False
    """Set once the new site was swapped in: an interrupt after that leaves the new site, not the old."""
    during = "starting"
    """What the command was doing (``doing``), named in the message: "while making the PDFs"."""

    @classmethod
    def received(cls) -> BuildInterrupted:
        """The interruption by the first signal received (SIGINT when a Ctrl-C came as ``KeyboardInterrupt``)."""
        name = SIGNALS_RECEIVED[0] if SIGNALS_RECEIVED else "SIGINT"
        return cls(f"stopped by {name}" + (" (Ctrl-C)" if name == "SIGINT" else ""))

    @staticmethod
    def doing(what: str) -> None:
        """Record the step the command is entering, for the message of an interrupt that comes during it."""
        BuildInterrupted.during = what

    def lines(self) -> list[str]:
        where = (
            "the new site/ was already published, complete"
            if BuildInterrupted.published
            else "site/ was left as it was"
        )
        return [printable(f"error: {str(self) or 'interrupted'} while {BuildInterrupted.during}; {where}")]


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as the user should see it: relative to the project root when inside it."""
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()
