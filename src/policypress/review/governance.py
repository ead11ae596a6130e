"""Governance checks on a policy change: what a reviewer must never have to catch by eye.

- A substantive change — a criterion's text or determination, a code added, removed,
  moved or redescribed — needs a new revision-log entry (``governance.no_revision_entry``).
- A new or edited revision-log entry must not be dated before the latest revision the
  policy already recorded (``governance.revision_date_backwards``).
- No source text of the head side may hide bidirectional-control or zero-width
  characters, which make text read differently than it is stored ("Trojan Source"),
  whether typed raw or as a YAML ``\\u`` escape (``governance.hidden_character``).

Each violation is a ``Diagnostic`` naming the head file, line and column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping

from policypress.errors import Diagnostic, SourceError
from policypress.model.policy import Policy
from policypress.project import Project
from policypress.review.diff import PolicyDiff, Review
from policypress.sources.yamlsource import YamlDocument, parse_yaml

HIDDEN_CHARACTERS: frozenset[str] = frozenset(
    chr(c)
    for c in (
        *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
        *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI
        *range(0x200B, 0x200E),  # zero width space, non-joiner, joiner
        0x2060,  # word joiner
        0xFEFF,  # zero width no-break space (byte order mark)
        0x200E,  # left-to-right mark
        0x200F,  # right-to-left mark
        0x061C,  # arabic letter mark
    )
)
"""Characters that are invisible or reorder text; never needed in a clinical policy."""

_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")
_HIDDEN_OR_ESCAPE = re.compile("[" + "".join(sorted(HIDDEN_CHARACTERS)) + r"]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}")

MAX_LISTED_CHANGES = 6
"""How many substantive changes a no-revision-entry message names before saying "and N more"."""


def character_name(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED')}"


def find_hidden_characters(text: str) -> Iterator[tuple[int, int, str, bool]]:
    """(line, column, character, written as an escape) of each hidden character, 1-based."""
    line_start = 0
    line = 1
    for match in _HIDDEN_OR_ESCAPE.finditer(text):
        found = match.group(0)
        if len(found) > 1:
            escape = _ESCAPE.match(found)
            assert escape is not None
            code = int(escape.group(1) or escape.group(2), 16)
            if code > 0x10FFFF or chr(code) not in HIDDEN_CHARACTERS:
                continue
            char, escaped = chr(code), True
        else:
            char, escaped = found, False
        line += text.count("\n", line_start, match.start())
        line_start = text.rfind("\n", 0, match.start()) + 1
        yield line, match.start() - line_start + 1, char, escaped


def check_hidden_characters(sources: Mapping[str, str]) -> list[Diagnostic]:
    """One diagnostic per hidden character in any source file."""
    found: list[Diagnostic] = []
    for file, text in sorted(sources.items()):
        for line, col, char, escaped in find_hidden_characters(text):
            how = "an escape for " if escaped else ""
            found.append(
                Diagnostic(
                    file,
                    line,
                    col,
                    "governance.hidden_character",
                    f"{how}hidden character {character_name(char)}: invisible or direction-changing characters "
                    "can make text read differently than it is stored; remove it",
                )
            )
    return found


def _document(sources: Mapping[str, str], file: str) -> YamlDocument | None:
    try:
        return parse_yaml(sources[file], file)
    except (KeyError, SourceError):
        return None


def _position(document: YamlDocument | None, path: tuple[str | int, ...], key: bool = False) -> tuple[int, int]:
    if document is None:
        return (1, 1)
    return document.key_position(path) if key else document.position(path)


def _policy(project: Project, file: str | None) -> Policy | None:
    return next((s.policy for s in project.policies if s.file == file), None)


def check_revision_log(
    diff: PolicyDiff, base: Project, head: Project, document: YamlDocument | None
) -> list[Diagnostic]:
    """A substantive change needs a new entry; the log's dates must not go back in time."""
    if diff.status != "changed" or diff.head_file is None:
        return []
    found: list[Diagnostic] = []

    def report(path: tuple[str | int, ...], code: str, message: str) -> None:
        line, col = _position(document, path, key=len(path) == 1)
        found.append(Diagnostic(diff.head_file or "", line, col, code, f"{diff.id}: {message}"))

    substantive = diff.substantive_changes()
    if substantive and not diff.new_revisions:
        listed = "; ".join(substantive[:MAX_LISTED_CHANGES])
        if len(substantive) > MAX_LISTED_CHANGES:
            listed += f"; and {len(substantive) - MAX_LISTED_CHANGES} more"
        report(
            ("revision_log",),
            "governance.no_revision_entry",
            f"criteria or codes changed ({listed}) without a new revision_log entry; add one that describes the change",
        )
    old, new = _policy(base, diff.base_file), _policy(head, diff.head_file)
    if old is None or new is None:
        return found
    latest = max(r.revision_date for r in old.revision_log)
    backwards = [c for c in diff.revision_log if c.new is not None and c.new.revision_date < latest]
    for change in backwards:
        assert change.new is not None
        report(
            ("revision_log", change.index, "revision_date"),
            "governance.revision_date_backwards",
            f"revision_log[{change.index}].revision_date {change.new.revision_date} goes backwards: "
            f"the latest revision recorded before this change is {latest}",
        )
    now = max(r.revision_date for r in new.revision_log)
    if not backwards and now < latest:
        report(
            ("revision_log",),
            "governance.revision_date_backwards",
            f"the revision log goes backwards: its latest revision is now {now}, it was {latest}",
        )
    return found


def check_governance(
    review: Review, base: Project, head: Project, head_sources: Mapping[str, str]
) -> tuple[Diagnostic, ...]:
    """Every governance violation of a change, sorted by file and line."""
    found = check_hidden_characters(head_sources)
    for diff in review.changed:
        document = _document(head_sources, diff.head_file) if diff.head_file else None
        found.extend(check_revision_log(diff, base, head, document))
    return tuple(sorted(found))
