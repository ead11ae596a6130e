"""Render a policy change review (``policypress diff``) as Markdown or JSON.

The Markdown is written for a GitHub pull-request comment and treats policy text as
data: every character that can open inline Markdown (backslash, backtick, ``*``,
``_``, brackets, ``~``, ``|``, ``#``, ``$``, and a list marker at the start) is
backslash-escaped; ``&``, ``<`` and ``>`` become entities; and what GitHub links
*after* Markdown — ``@mentions``, ``#123`` issue references, ``GH-123`` — is broken
up with an empty HTML comment (``@<!-- -->name``: no zero-width characters), so a
policy cannot render HTML, ping a person or cross-reference an issue. Invisible and
direction-changing characters are shown as ``⟨U+202E⟩``. Long unchanged runs inside
a redline are shortened to ``…``.

The JSON (``--format json``) is the same review for machines: UTF-8, keys sorted,
two-space indent, nothing elided. Its structure (``"schema": "policypress.review/2"``):

- ``base``, ``head``: ``{"name", "revision", "commit", "description"}`` (``commit`` null = working tree)
- ``summary``: counts ``added``, ``removed``, ``changed``, ``renamed``, ``unchanged`` (policies)
- ``governance``: ``{"passed": bool (no error), "violations": [{"file", "line", "col", "code", "message",
  "severity" (error|warning)}]}``
- ``boilerplate``: list of *text changes*
- ``policies``: the policies that are not unchanged, sorted by id, each ``{"id", "title",
  "status" (added|removed|changed), "renamed", "base_file", "head_file", "redline" (the redlined
  document's path, or null), "metadata": [{"field", "old", "new"}], "description", "notes",
  "background", "sections" (footnotes, definitions, appendices): [text change], "criteria":
  [{"number" (head; base for a removed one), "old_number", "change" (added|removed|changed|moved|
  renumbered), "moved", "old_parent", "new_parent", "after", "swapped_with", "sub_criteria",
  "old_determination", "new_determination", "determination_changed", "direction", "old_requires",
  "new_requires", "requires_changed", "renumbered", "thresholds": [{"old", "new"}], "text": text change |
  null}], "anchor_shifts": [{"number", "anchor", "was", "now_at", "now", "now_was"}], "tables":
  [{"change", "code_system", "old_heading", "new_heading"}], "codes": [{"code_system", "code",
  "old_code", "change" (added|removed|replaced|moved|changed), "old_table", "new_table", "old_meaning",
  "new_meaning", "direction", "description": text change | null}], "references": [{"key", "change"
  (added|removed|renumbered|changed), "old_number", "new_number", "cited_in": [place], "entry": text
  change | null}], "revision_log": [{"change", "index", "old", "new": {"description",
  "revision_date", "approval_date"} | null}]}``

A *text change* is ``{"where", "change" (added|removed|changed), "old", "new",
"formatting_only", "redline": [{"op" (equal|delete|insert), "text"}]}``; the ``equal`` and
``delete`` texts of a redline concatenate to ``old``, the ``equal`` and ``insert`` texts to ``new``
(citations in each as its own side's page numbers them).
When no review could be made (bad revision, invalid sources) the document is
``{"schema", "errors": [line]}``.
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from policypress.errors import Diagnostic
from policypress.review.diff import (
    AUTHORIZATION_CHANGE,
    CodeChange,
    CriterionChange,
    PolicyDiff,
    ReferenceChange,
    Review,
    RevisionChange,
    Segment,
    TextChange,
    plain_text,
    redline,
)
from policypress.review.governance import HIDDEN_CHARACTERS
from policypress.review.quantities import ThresholdChange
from policypress.review.sides import Side

SCHEMA = "policypress.review/2"
MARKER = "<!-- policypress-review -->"
"""Hidden first line of the Markdown report: the CI finds and updates its own comment by it."""

CONTEXT_WORDS = 10
"""Unchanged words kept on each side of a change in a Markdown redline."""

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_BACKSLASHED = frozenset("\\`*_[]~|#$")
"""Inline Markdown openers: code, emphasis, links/images, strikethrough, table cells, headings, math."""
_LIST_MARKER = re.compile(r"^([-+]|\d+(?=[.)]))")
_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")
_ISSUE = re.compile(r"\\#(?=\d)")
_GH_REFERENCE = re.compile(r"\b([Gg][Hh])-(?=\d)")
_BREAK = "<!-- -->"

_DETERMINATIONS = {
    None: "no determination",
    "medically_necessary": "medically necessary",
    "not_medically_necessary": "not medically necessary",
    "investigational": "investigational",
}
_FIELDS = {
    "id": "Policy number",
    "title": "Title",
    "plan": "Plan",
    "effective_date": "Effective date",
    "last_review_date": "Last review date",
    "copyright_year": "Copyright year",
    "medicare_advantage criteria": "Medicare Advantage criteria",
}


def escape_markdown(text: str | None) -> str:
    """Policy text as inert GitHub Markdown: no markup, HTML, mentions or issue links; one line."""
    out: list[str] = []
    for char in " ".join((text or "").split()):
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char in _BACKSLASHED:
            out.append("\\" + char)
        elif char in HIDDEN_CHARACTERS or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(f"⟨U+{ord(char):04X}⟩")
        else:
            out.append(char)
    escaped = _LIST_MARKER.sub(lambda m: "\\" + m.group(0) if m.group(0) in "-+" else m.group(0) + "\\", "".join(out))
    escaped = _MENTION.sub("@" + _BREAK, escaped)
    escaped = _ISSUE.sub("\\#" + _BREAK, escaped)
    return _GH_REFERENCE.sub(r"\1" + _BREAK + "-", escaped)


# ----------------------------------------------------------------------------- Markdown


_WORDS = re.compile(r"\S+")


def _elide(text: str, first: bool, last: bool) -> str:
    """An unchanged run, shortened to ``CONTEXT_WORDS`` words next to each change when long."""
    words = list(_WORDS.finditer(text))
    keep_head = not first  # words after a change
    keep_tail = not last  # words before a change
    if not keep_head and not keep_tail:
        return text
    if keep_head and keep_tail:
        if len(words) <= 2 * CONTEXT_WORDS + 3:
            return text
        head_end = words[CONTEXT_WORDS - 1].end()
        tail_start = words[-CONTEXT_WORDS].start()
        return f"{text[:head_end]} … {text[tail_start:]}"
    if len(words) <= CONTEXT_WORDS:
        return text
    if keep_tail:
        return f"… {text[words[-CONTEXT_WORDS].start() :]}"
    return f"{text[: words[CONTEXT_WORDS - 1].end()]} …"


def _escape_run(text: str, marker: str = "") -> str:
    """One redline run, escaped; white space at its edges stays outside ``marker`` (GFM needs that)."""
    core = text.strip()
    lead = " " if text[:1].isspace() else ""
    trail = " " if text[-1:].isspace() else ""
    if not core:
        return "" if marker == "~~" else lead or trail
    return f"{lead}{marker}{escape_markdown(core)}{marker}{trail}"


def markdown_redline(segments: Sequence[Segment]) -> str:
    """``kept ~~struck~~ **new** kept``, with long unchanged runs shortened to ``…``."""
    parts: list[str] = []
    for index, segment in enumerate(segments):
        if segment.op == "equal":
            kept = _elide(segment.text, index == 0, index == len(segments) - 1)
            parts.append(" … ".join(_escape_run(piece) for piece in kept.split(" … ")))
            continue
        run = _escape_run(segment.text, "~~" if segment.op == "delete" else "**")
        replaces_words = (index >= 2 and segments[index - 2].text[-1:].isspace()) or index == 1
        if segment.op == "insert" and segments[index - 1].op == "delete" and replaces_words and run[:1] != " ":
            run = " " + run  # ~~old words~~ **new words**, but (non-~~surgical~~**operative**) inside a word
        parts.append(run)
    return "".join(parts).strip()


def _quote(text: str | None) -> str:
    return f"“{escape_markdown(text)}”"


def _text_item(change: TextChange, indent: str = "") -> list[str]:
    where = f"{indent}- **{escape_markdown(change.where)}**"
    if change.change == "added":
        return [f"{where} added:", f"{indent}  > {escape_markdown(change.new)}"]
    if change.change == "removed":
        return [f"{where} removed:", f"{indent}  > ~~{escape_markdown(change.old)}~~"]
    if change.formatting_only:
        return [f"{where}: emphasis changed, same words"]
    return [f"{where}:", f"{indent}  > {markdown_redline(change.redline)}"]


def _determination(value: str | None) -> str:
    return f"*{_DETERMINATIONS[value]}*"


def _with_determination(verb: str, value: str | None) -> str:
    """``added (*medically necessary*):``, or just ``added:`` for a criterion that decides nothing."""
    return f"{verb} ({_determination(value)}):" if value else f"{verb}:"


def _requires(value: str | int | None) -> str:
    """How sub-criteria combine, in words: *all*, *one*, *each*, *at least 2*, *unstated*."""
    if value is None:
        return "*unstated*"
    return f"*at least {value}*" if isinstance(value, int) else f"*{value}*"


def _where_placed(change: CriterionChange) -> str:
    """``under I.E.1, after I.E.1.a``, ``first under I.E.1``, ``at the top level, after I``."""
    parent = f"under {change.new_parent}" if change.new_parent else "at the top level"
    if change.after is None:
        return f"first {parent}" if change.new_parent else "first, at the top level"
    return f"{parent}, after {change.after}"


def _was(change: CriterionChange) -> str:
    return f" (was {escape_markdown(change.old_number)})" if change.renumbered else ""


def _sub_criteria(change: CriterionChange) -> str:
    return f" with its {change.sub_criteria} sub-criteria" if change.sub_criteria else ""


def _move(change: CriterionChange) -> str:
    """How a criterion moved: to another parent, or among its siblings."""
    if change.swapped_with:
        return f"swapped places with {escape_markdown(change.swapped_with)}"
    if change.old_parent != change.new_parent:
        before = f"under {change.old_parent}" if change.old_parent else "the top level"
        return f"moved from {escape_markdown(before)} to {escape_markdown(_where_placed(change))}"
    return f"moved to {escape_markdown(_where_placed(change))}"


def _threshold(change: ThresholdChange) -> str:
    if change.old is None:
        return f"new threshold “{escape_markdown(change.new)}”"
    if change.new is None:
        return f"threshold “{escape_markdown(change.old)}” dropped"
    return f"threshold “{escape_markdown(change.old)}” → “{escape_markdown(change.new)}”"


def _criterion_lines(change: CriterionChange, added_parents: frozenset[str] = frozenset()) -> list[str]:
    """One criterion's change: inserted/deleted (where, with how many sub-criteria), moved, or edited, with
    what alters coverage (determination, logic, thresholds) in words before the redline."""
    head = f"- **Criterion {escape_markdown(change.number)}**"
    if change.change == "added":
        placed = "" if change.new_parent in added_parents else f" {escape_markdown(_where_placed(change))}"
        verb = f"inserted{placed}{_sub_criteria(change)}"
        lines = [f"{head} {_with_determination(verb, change.new_determination)}"]
        return [*lines, f"  > {escape_markdown(change.text.new if change.text else '')}"]
    if change.change == "removed":
        lines = [f"{head} {_with_determination('deleted' + _sub_criteria(change), change.old_determination)}"]
        return [*lines, f"  > ~~{escape_markdown(change.text.old if change.text else '')}~~"]
    parts: list[str] = []
    if change.moved:
        parts.append(_move(change) + _sub_criteria(change))
    if change.determination_changed:
        summary = f"{_determination(change.old_determination)} → {_determination(change.new_determination)}"
        if change.direction:
            summary += f" (**{change.direction}**)"
        parts.append(summary)
    if change.requires_changed:
        parts.append(f"requires {_requires(change.old_requires)} → {_requires(change.new_requires)}")
    parts.extend(_threshold(t) for t in change.thresholds)
    if change.text is not None:
        parts.append("emphasis changed, same words" if change.text.formatting_only else "text changed")
    lines = [f"{head}{_was(change)}: {'; '.join(parts)}"]
    if change.text is not None and not change.text.formatting_only:
        lines.append(f"  > {markdown_redline(change.text.redline)}")
    return lines


def _criteria_lines(diff: PolicyDiff) -> list[str]:
    """The criteria changes (a swap told once), then every old number that now names something else."""
    added = frozenset(c.number for c in diff.criteria if c.change == "added")
    lines: list[str] = []
    told: set[str] = set()
    for change in diff.criteria:
        if change.change == "renumbered" or change.number in told:
            continue
        if change.swapped_with and change.change == "moved":
            told.add(change.swapped_with)
            pair = f"{escape_markdown(change.number)} and {escape_markdown(change.swapped_with)}"
            lines.append(f"- **Criteria {pair}** swapped places{_sub_criteria(change)}")
            continue
        lines.extend(_criterion_lines(change, added))
    if diff.anchor_shifts:
        if lines:
            lines.append("")
        lines += [
            f"{len(diff.anchor_shifts)} criterion number(s) now name another criterion; links to them "
            "(`#criterion-…`) and letters that cite them now mean something else:",
            "",
            "| Number | Named before | That criterion is now | The number now names |",
            "| --- | --- | --- | --- |",
        ]
        for shift in diff.anchor_shifts:
            now_at = escape_markdown(shift.now_at) if shift.now_at else "deleted"
            now = "no criterion"
            if shift.now is not None:
                origin = f" (was {escape_markdown(shift.now_was)})" if shift.now_was else " (inserted)"
                now = f"{_quote(shift.now)}{origin}"
            lines.append(f"| {escape_markdown(shift.number)} | {_quote(shift.was)} | {now_at} | {now} |")
    return lines


def _code_lines(change: CodeChange) -> list[str]:
    name = f"- **{escape_markdown(change.name)}**"
    description = change.description
    if change.change == "replaced":
        old = escape_markdown(f"{change.code_system} {change.old_code}")
        lines = [f"- **{old}** replaced by **{escape_markdown(change.code)}** in {_quote(change.new_table)}"]
        if description is None or description.formatting_only:
            return [lines[0] + ", same description"]
        return [lines[0] + f"; description: {markdown_redline(description.redline)}"]
    if change.change == "added":
        return [f"{name} added to {_quote(change.new_table)}: {escape_markdown(description and description.new)}"]
    if change.change == "removed":
        return [f"{name} removed from {_quote(change.old_table)}: {escape_markdown(description and description.old)}"]
    lines = []
    if change.change == "moved":
        direction = f" (**{change.direction}**)" if change.direction else ""
        lines.append(f"{name} moved from {_quote(change.old_table)} to {_quote(change.new_table)}{direction}")
    if description is not None:
        if description.formatting_only:
            lines.append(f"{name} description: emphasis changed, same words")
        else:
            lines.append(f"{name} description: {markdown_redline(description.redline)}")
    return lines


def _number(value: int | None) -> str:
    return "–" if value is None else str(value)


def _places(places: Sequence[str]) -> str:
    return "; ".join(escape_markdown(p) for p in places) if places else "not cited"


def _reference_lines(changes: Sequence[ReferenceChange]) -> list[str]:
    lines: list[str] = []
    renumbered = [c for c in changes if c.change == "renumbered"]
    for change in changes:
        key = escape_markdown(change.key)
        if change.change == "added":
            text = escape_markdown(change.entry.new if change.entry else "")
            lines.append(f"- added **\\[{change.new_number}\\] {key}**: {text}")
        elif change.change == "removed":
            text = escape_markdown(change.entry.old if change.entry else "")
            lines.append(f"- removed **\\[{change.old_number}\\] {key}**: ~~{text}~~")
        elif change.change == "changed" and change.old_key is not None:
            was = escape_markdown(change.old_key)
            if change.entry is None or change.entry.formatting_only:
                lines.append(f"- key of **\\[{change.new_number}\\] {key}** renamed from {was}, same reference")
            else:
                lines.append(f"- key of **\\[{change.new_number}\\] {key}** renamed from {was}; entry changed:")
                lines.append(f"  > {markdown_redline(change.entry.redline)}")
        elif change.change == "changed" and change.entry is not None:
            if change.entry.formatting_only:
                lines.append(f"- entry **\\[{change.new_number}\\] {key}** changed: emphasis only")
            else:
                lines.append(f"- entry **\\[{change.new_number}\\] {key}** changed:")
                lines.append(f"  > {markdown_redline(change.entry.redline)}")
    cited = [c for c in renumbered if c.cited_in]
    uncited = [c for c in renumbered if not c.cited_in]
    if cited:
        if lines:
            lines.append("")
        lines += [
            f"{len(cited)} cited reference(s) renumbered; their citation numbers in the text change:",
            "",
            "| Reference | Before | After | Cited in |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {escape_markdown(c.key)} | {_number(c.old_number)} | {_number(c.new_number)} | {_places(c.cited_in)} |"
            for c in cited
        ]
    if uncited:
        moves = ", ".join(f"{escape_markdown(c.key)} {c.old_number} → {c.new_number}" for c in uncited)
        if lines:
            lines.append("")
        lines.append(f"Also renumbered, not cited in the text: {moves}.")
    return lines


def _revision(entry: BaseModel | None) -> str:
    if entry is None:
        return ""
    data = entry.model_dump()
    return (
        f"{escape_markdown(data['revision_date'])} (approved {escape_markdown(data['approval_date'])}): "
        f"{_quote(data['description'])}"
    )


def _revision_lines(change: RevisionChange) -> list[str]:
    if change.change == "added":
        return [f"- added: {_revision(change.new)}"]
    if change.change == "removed":
        return [f"- removed: ~~{_revision(change.old)}~~"]
    old, new = change.old, change.new
    if (
        old is not None
        and new is not None
        and (old.revision_date, old.approval_date)
        == (
            new.revision_date,
            new.approval_date,
        )
    ):
        dates = f"{escape_markdown(new.revision_date)} (approved {escape_markdown(new.approval_date)})"
        text = markdown_redline(redline(plain_text(old.description), plain_text(new.description)))
        return [f"- changed: {dates}: “{text}”"]
    return [f"- changed: ~~{_revision(old)}~~ → {_revision(new)}"]


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"#### {title}", "", *lines, ""] if lines else []


def _collapsed(title: str, lines: list[str]) -> list[str]:
    """A section folded away (GitHub renders ``<details>``), for the long parts of a new policy."""
    return [f"<details><summary>{title}</summary>", "", *lines, "", "</details>", ""] if lines else []


def _metadata_lines(diff: PolicyDiff) -> list[str]:
    if not diff.metadata:
        return []
    if diff.status == "added":
        rows = [f"| {_field_name(f.field)} | {escape_markdown(f.new) or '–'} |" for f in diff.metadata]
        return ["| Field | Value |", "| --- | --- |", *rows]
    rows = [
        f"| {_field_name(f.field)} | {escape_markdown(f.old) or '–'} | {escape_markdown(f.new) or '–'} |"
        for f in diff.metadata
    ]
    return ["| Field | Before | After |", "| --- | --- | --- |", *rows]


def _field_name(field: str) -> str:
    """A metadata field as a reviewer reads it (a table's meaning is named by its heading)."""
    if field.startswith("meaning of "):
        return f"Meaning of “{escape_markdown(field.removeprefix('meaning of '))}”"
    if field.startswith(AUTHORIZATION_CHANGE):
        return f"Prior authorization of {escape_markdown(field.removeprefix(AUTHORIZATION_CHANGE))}"
    return _FIELDS[field]


def _table_lines(diff: PolicyDiff) -> list[str]:
    lines = []
    for table in diff.tables:
        if table.change == "renamed":
            renamed = f"{_quote(table.old_heading)} renamed {_quote(table.new_heading)}"
            lines.append(f"- {table.code_system} table {renamed}")
        elif diff.status != "added":
            lines.append(f"- {table.code_system} table {_quote(table.new_heading or table.old_heading)} {table.change}")
    return lines


def _policy_markdown(diff: PolicyDiff, redline_link: str | None = None) -> list[str]:
    lines = [f"### {escape_markdown(diff.id)}: {escape_markdown(diff.title)}", ""]
    where = escape_markdown(diff.head_file or diff.base_file)
    if diff.renamed:
        where = f"{escape_markdown(diff.base_file)} → {escape_markdown(diff.head_file)}"
    status = {"added": "new policy", "removed": "policy removed", "changed": "changed"}[diff.status]
    if diff.renamed:
        status += ", renamed"
    lines += [f"*{status}* · {where}", ""]
    if redline_link is not None:
        pdf = redline_link.removesuffix(".html") + ".pdf"
        lines += [f"Redlined document: {escape_markdown(redline_link)} (HTML) and {escape_markdown(pdf)} (PDF)", ""]
    if diff.status == "removed":
        criteria = sum(1 for c in diff.criteria if "." not in c.number)
        codes = ", ".join(c.name for c in diff.codes)
        return [*lines, f"Removed with its {criteria} criteria and codes: {escape_markdown(codes) or 'none'}.", ""]
    lines += _section("Policy details", _metadata_lines(diff))
    lines += _section("Criteria", _criteria_lines(diff))
    lines += _section("Codes", _table_lines(diff) + [line for c in diff.codes for line in _code_lines(c)])
    text = [line for c in (*diff.description, *diff.notes, *diff.background, *diff.sections) for line in _text_item(c)]
    references = _reference_lines(diff.references)
    if diff.status == "added":
        paragraphs = len(diff.description) + len(diff.notes) + len(diff.background) + len(diff.sections)
        lines += _collapsed(f"Text: {paragraphs} paragraph(s)", text)
        lines += _collapsed(f"References: {len(diff.references)}", references)
    else:
        lines += _section("Text", text)
        lines += _section("References", references)
    lines += _section("Revision log", [line for c in diff.revision_log for line in _revision_lines(c)])
    return lines


def summary(review: Review) -> str:
    counts = [
        (review.count("changed"), "changed"),
        (review.count("added"), "added"),
        (review.count("removed"), "removed"),
        (review.renamed, "renamed"),
        (review.count("unchanged"), "unchanged"),
    ]
    return "Policies: " + " · ".join(f"{n} {what}" for n, what in counts)


def _violation(diagnostic: Diagnostic) -> str:
    place = escape_markdown(f"{diagnostic.file}:{diagnostic.line}:{diagnostic.col}")
    return f"- {place}: {escape_markdown(diagnostic.message)} \\[{escape_markdown(diagnostic.code)}\\]"


def render_markdown(
    review: Review,
    base: Side,
    head: Side,
    violations: Sequence[Diagnostic],
    redlines: Mapping[str, str] | None = None,
) -> str:
    """The review as a GitHub-flavoured Markdown comment (starts with the hidden ``MARKER``); ``redlines``:
    policy id -> where its redlined document is, relative to the report."""
    lines = [
        MARKER,
        "## Policy change review",
        "",
        f"**Base:** {escape_markdown(base.description)} · **Head:** {escape_markdown(head.description)}",
        "",
        summary(review),
        "",
    ]
    problems = [v for v in violations if v.severity == "error"]
    warnings = [v for v in violations if v.severity != "error"]
    if problems:
        lines += [f"### ❌ Governance check: {len(problems)} problem(s)", ""]
        lines += [_violation(v) for v in problems]
        lines.append("")
    else:
        lines += ["### ✅ Governance check passed", ""]
    if warnings:
        lines += [f"#### ⚠️ {len(warnings)} warning(s)", ""]
        lines += [_violation(v) for v in warnings]
        lines.append("")
    if not review.changed and not review.boilerplate:
        lines += ["No changes to policies, their references or the shared boilerplate.", ""]
    if review.boilerplate:
        lines += ["### Shared boilerplate (every policy)", ""]
        lines += [line for c in review.boilerplate for line in _text_item(c)]
        lines.append("")
    for diff in review.changed:
        lines += _policy_markdown(diff, (redlines or {}).get(diff.id))
    return "\n".join(lines).rstrip("\n") + "\n"


def render_error_markdown(head: str, lines: Sequence[str]) -> str:
    """A report that says why no review could be made (for the pull-request comment)."""
    body = [MARKER, "## Policy change review", "", f"### ❌ {escape_markdown(head)}", ""]
    body += [f"- {escape_markdown(line)}" for line in lines]
    return "\n".join(body) + "\n"


# ----------------------------------------------------------------------------- JSON


def _jsonable(value: Any) -> Any:
    if isinstance(value, CriterionChange):
        data = _jsonable_fields(value)
        data.update(
            determination_changed=value.determination_changed,
            direction=value.direction,
            requires_changed=value.requires_changed,
            renumbered=value.renumbered,
        )
        return data
    if isinstance(value, CodeChange):
        data = _jsonable_fields(value)
        data.update(direction=value.direction)
        return data
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable_fields(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _jsonable_fields(value: Any) -> dict[str, Any]:
    return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}


def _side(side: Side) -> dict[str, Any]:
    return {
        "name": side.name,
        "revision": side.revision,
        "commit": side.commit,
        "description": side.description,
    }


def render_json(
    review: Review,
    base: Side,
    head: Side,
    violations: Sequence[Diagnostic],
    redlines: Mapping[str, str] | None = None,
) -> str:
    """The review as deterministic JSON (see the module docstring for its structure)."""
    policies = []
    for diff in review.changed:
        data = _jsonable(diff)
        data["renamed"] = diff.renamed
        data["redline"] = (redlines or {}).get(diff.id)
        policies.append(data)
    document = {
        "schema": SCHEMA,
        "base": _side(base),
        "head": _side(head),
        "summary": {
            "added": review.count("added"),
            "removed": review.count("removed"),
            "changed": review.count("changed"),
            "renamed": review.renamed,
            "unchanged": review.count("unchanged"),
        },
        "governance": {
            "passed": all(v.severity != "error" for v in violations),
            "violations": [
                {
                    "file": v.file,
                    "line": v.line,
                    "col": v.col,
                    "code": v.code,
                    "message": v.message,
                    "severity": v.severity,
                }
                for v in violations
            ],
        },
        "boilerplate": _jsonable(review.boilerplate),
        "policies": policies,
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_error_json(lines: Sequence[str]) -> str:
    """The JSON counterpart of ``render_error_markdown``."""
    return json.dumps({"schema": SCHEMA, "errors": list(lines)}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
