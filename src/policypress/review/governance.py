"""Governance checks on a policy change: what a reviewer must never have to catch by eye.

- A substantive change — a criterion's text or determination, a code added, removed,
  moved or redescribed — needs a new revision-log entry (``governance.no_revision_entry``).
- A new or edited revision-log entry must not be dated before the latest revision the
  policy already recorded (``governance.revision_date_backwards``).
- No source text of the head side may hide bidirectional-control or zero-width
  characters, which make text read differently than it is stored ("Trojan Source"),
  whether typed raw or as a YAML ``\\u`` escape (``governance.hidden_character``).

- With a notice period (``notice_days`` in mkdocs.yml), a change that restricts coverage must take
  effect no sooner than that many days after it is posted (``governance.notice_period``).
- A criterion that stays in force under a new number is a warning
  (``governance.criterion_renumbered``): a denial letter, an appeal or another page that
  cites the old number now means another criterion, which the warning quotes.
- Text left as it was that names a criterion by a number now held by another criterion is
  a warning (``governance.reference_shifted``): the cross-reference lands elsewhere.

Each violation is a ``Diagnostic`` naming the head file, line and column. Errors fail
``diff --check``; warnings are reported and do not.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Mapping

from policypress.errors import Diagnostic, Path_, SourceError
from policypress.model.inline import iter_cross_references, parse_inline
from policypress.model.policy import Policy
from policypress.model.prose import HISTORY_FIELDS, iter_prose
from policypress.model.targets import iter_numbered_criteria
from policypress.project import Project
from policypress.review.diff import AUTHORIZATION_CHANGE, PolicyDiff, Review, prose_place
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


def check_renumbering(
    diff: PolicyDiff, base: Project, head: Project, document: YamlDocument | None
) -> list[Diagnostic]:
    """Warn for each criterion that stays in force under a new number (once per moved subtree), and for
    untouched text whose criterion cross-reference now lands on another criterion."""
    old, new = _policy(base, diff.base_file), _policy(head, diff.head_file)
    if diff.status != "changed" or old is None or new is None or not diff.anchor_shifts:
        return []
    paths = {number: path for number, _criterion, path in iter_numbered_criteria(new.criteria)}
    shifts = {shift.number: shift for shift in diff.anchor_shifts}
    found: list[Diagnostic] = []

    def report(path: Path_, code: str, message: str) -> None:
        line, col = _position(document, path)
        found.append(Diagnostic(diff.head_file or "", line, col, code, f"{diff.id}: {message}", "warning"))

    renumbered = [c for c in diff.criteria if c.renumbered and c.change != "removed"]
    moved_with_parent = {c.number for c in renumbered if any(c.number.startswith(p.number + ".") for p in renumbered)}
    for change in renumbered:
        if change.number in moved_with_parent or change.old_number is None:
            continue
        shift = shifts.get(change.old_number)
        now = (
            f"criterion {change.old_number} is now “{shift.now}”"
            if shift is not None and shift.now is not None
            else f"no criterion is numbered {change.old_number} any more"
        )
        with_sub = f" (with its {change.sub_criteria} sub-criteria)" if change.sub_criteria else ""
        report(
            (*paths[change.number], "text"),
            "governance.criterion_renumbered",
            f"criterion {change.old_number}{with_sub} is now {change.number}; a denial letter or page citing "
            f"criterion {change.old_number} would now mean another text: {now}",
        )
    untouched = {text for _path, text in iter_prose(old)}
    for path, text in iter_prose(new):
        if path[0] in HISTORY_FIELDS or text not in untouched:  # text written now was written for the new numbers
            continue
        for reference in iter_cross_references(parse_inline(text)):
            shift = shifts.get(reference.target) if reference.kind == "criterion" else None
            if shift is None or shift.now_at is None:
                continue
            report(
                path,
                "governance.reference_shifted",
                f"{prose_place(path, new)} names criterion {reference.target}, which was “{shift.was}” and is now "
                f"{shift.now_at}; criterion {reference.target} is now "
                + (f"“{shift.now}”" if shift.now is not None else "no criterion"),
            )
    return found


def restrictions(diff: PolicyDiff) -> list[str]:
    """What in a change narrows coverage: a determination or a code moving across the line, a code taken
    out of a table that supports coverage, a code that now needs prior authorization."""
    found = [f"criterion {c.number} {c.direction}" for c in diff.criteria if c.direction == "coverage restricted"]
    for code in diff.codes:
        if code.direction == "coverage restricted":
            found.append(f"{code.name} moved out of a supporting table")
        elif code.change == "removed" and code.old_meaning == "supports_coverage":
            found.append(f"{code.name} removed from a supporting table")
    for change in diff.metadata:  # a code that now needs prior authorization is harder to get
        if change.field.startswith(AUTHORIZATION_CHANGE) and change.new == "required":
            found.append(f"{change.field.removeprefix(AUTHORIZATION_CHANGE)} now needs prior authorization")
    return found


def check_notice(
    diff: PolicyDiff, head: Project, document: YamlDocument | None, posted: dt.date, notice_days: int
) -> list[Diagnostic]:
    """A change that restricts coverage takes effect no sooner than the plan's notice period after posting."""
    new = _policy(head, diff.head_file)
    if notice_days <= 0 or diff.status != "changed" or new is None:
        return []
    narrowed = restrictions(diff)
    days = (new.effective_date - posted).days
    if not narrowed or days >= notice_days:
        return []
    line, col = _position(document, ("effective_date",))
    earliest = posted + dt.timedelta(days=notice_days)
    message = (
        f"{diff.id}: a change that restricts coverage ({'; '.join(narrowed[:MAX_LISTED_CHANGES])}) takes effect "
        f"{new.effective_date.isoformat()}, {days} day(s) after it is posted on {posted.isoformat()}; the plan's "
        f"notice period is {notice_days} days (plugins.policypress.notice_days): set effective_date to "
        f"{earliest.isoformat()} or later"
    )
    return [Diagnostic(diff.head_file or "", line, col, "governance.notice_period", message)]


def check_governance(
    review: Review,
    base: Project,
    head: Project,
    head_sources: Mapping[str, str],
    posted: dt.date | None = None,
    notice_days: int = 0,
) -> tuple[Diagnostic, ...]:
    """Every governance violation of a change, sorted by file and line (``posted``: when the head side is
    posted, for the notice period)."""
    found = check_hidden_characters(head_sources)
    for diff in review.changed:
        document = _document(head_sources, diff.head_file) if diff.head_file else None
        found.extend(check_revision_log(diff, base, head, document))
        found.extend(check_renumbering(diff, base, head, document))
        if posted is not None:
            found.extend(check_notice(diff, head, document, posted, notice_days))
    return tuple(sorted(found))
