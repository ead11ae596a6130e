"""Policy rules beyond types: what makes a well-typed policy still wrong.

The model guarantees shapes (a date is a date, a code is text); these rules check
meaning across fields: a code's format for its code system, a code listed twice in
one table, a revision log out of order or approved before it was revised, an
effective date before the policy was even developed. Each finding names the exact
field, so it can be mapped back to a line of the YAML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from policypress.errors import Path_, Severity, field_name
from policypress.model.numbering import NUMBERED_ANCHOR, PAGE_ANCHORS, code_anchor, slugify
from policypress.model.policy import Policy
from policypress.model.prose import iter_prose

CODE_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "CPT": (re.compile(r"\d{4}[0-9FTU]"), "five characters: four digits then a digit, F, T or U (e.g. 64451, 0232T)"),
    "HCPCS": (re.compile(r"[A-V]\d{4}"), "a letter A-V then four digits (e.g. L8699)"),
    "ICD-10-CM": (
        re.compile(r"[A-TV-Z]\d[0-9AB](\.[0-9A-TV-Z]{1,4})?"),
        "a letter, a digit, a digit or A/B, then optionally a dot and 1-4 characters (e.g. M46.1)",
    ),
}
"""Accepted shape of a code, by code system, with the wording an author sees."""

EARLIEST_YEAR = 1980
LATEST_YEAR = 2100


@dataclass(frozen=True)
class Finding:
    """A rule broken at ``path`` of a policy; warnings publish, but fail ``check --strict``."""

    path: Path_
    code: str
    message: str
    severity: Severity = "error"


def check_policy_rules(policy: Policy) -> list[Finding]:
    """Every rule a policy breaks, in document order."""
    return [*_dates(policy), *_codes(policy), *_revision_log(policy), *_literal_markup(policy), *_anchors(policy)]


def _anchors(policy: Policy) -> Iterator[Finding]:
    """Headings and code rows become link targets (ids); two with the same id break links and the PDF."""
    claimed: dict[str, str] = dict.fromkeys(PAGE_ANCHORS, "a section of every policy page")
    headings: list[tuple[Path_, str]] = [
        (("background", s, "heading"), section.heading)
        for s, section in enumerate(policy.background)
        if section.heading is not None
    ]
    headings += [(("code_tables", t, "heading"), table.heading) for t, table in enumerate(policy.code_tables)]
    for path, heading in headings:
        anchor = slugify(heading)
        where = field_name(path)
        if anchor in claimed or NUMBERED_ANCHOR.fullmatch(anchor):
            owner = claimed.get(anchor, "a numbered item of the page")
            yield Finding(
                path,
                "anchor.duplicate",
                f"{where}: its link id #{anchor} is already used by {owner}; reword the heading",
            )
            continue
        claimed[anchor] = where
    for t, table in enumerate(policy.code_tables):
        for r, row in enumerate(table.rows):
            anchor = code_anchor(table.code_system, row.code)
            owner = claimed.get(anchor)
            if owner is not None and not owner.startswith(f"code_tables[{t}]."):
                yield Finding(
                    ("code_tables", t, "rows", r, "code"),
                    "anchor.duplicate",
                    f"code_tables[{t}].rows[{r}].code: {table.code_system} {row.code} is already listed in {owner}",
                )
            claimed.setdefault(anchor, f"code_tables[{t}].rows[{r}]")


_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")
_MARKDOWN_LINK = re.compile(r"\[[^\]@][^\]]*\]\([^)\s]+\)")


def _literal_markup(policy: Policy) -> Iterator[Finding]:
    """Text that looks like HTML or a Markdown link: it will be shown literally, which is rarely meant."""
    for path, text in iter_prose(policy):
        match = _HTML_TAG.search(text) or _MARKDOWN_LINK.search(text)
        if match:
            yield Finding(
                path,
                "text.literal_markup",
                f"{field_name(path)}: {match.group(0)!r} will be shown as typed; policy text allows only "
                "*italic*, **bold**, [@citations] and bare https:// links",
                "warning",
            )


def _dates(policy: Policy) -> Iterator[Finding]:
    for name in ("effective_date", "last_review_date"):
        value = getattr(policy, name)
        if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            yield Finding(
                (name,),
                "policy.date_range",
                f"{name}: {value.isoformat()} is not between {EARLIEST_YEAR} and {LATEST_YEAR}",
            )
    first_revision = min((r.revision_date for r in policy.revision_log), default=None)
    if first_revision is not None and policy.effective_date.strftime("%Y-%m") < first_revision:
        yield Finding(
            ("effective_date",),
            "policy.effective_before_developed",
            f"effective_date: {policy.effective_date.isoformat()} is before the first revision ({first_revision})",
        )
    if policy.last_review_date is not None and policy.last_review_date.strftime("%Y-%m") < (first_revision or ""):
        yield Finding(
            ("last_review_date",),
            "policy.review_before_developed",
            f"last_review_date: {policy.last_review_date.isoformat()} is before the first revision ({first_revision})",
        )


def _codes(policy: Policy) -> Iterator[Finding]:
    for t, table in enumerate(policy.code_tables):
        pattern, shape = CODE_FORMATS[table.code_system]
        seen: dict[str, int] = {}
        for r, row in enumerate(table.rows):
            path: Path_ = ("code_tables", t, "rows", r, "code")
            where = f"code_tables[{t}].rows[{r}].code"
            if not pattern.fullmatch(row.code):
                yield Finding(
                    path, "code.format", f"{where}: {row.code!r} is not a {table.code_system} code; expected {shape}"
                )
            if row.code in seen:
                yield Finding(
                    path,
                    "code.duplicate",
                    f"{where}: {row.code} is already listed in this table (rows[{seen[row.code]}])",
                )
            seen.setdefault(row.code, r)


def _revision_log(policy: Policy) -> Iterator[Finding]:
    previous: str | None = None
    for i, revision in enumerate(policy.revision_log):
        if revision.approval_date < revision.revision_date:
            yield Finding(
                ("revision_log", i, "approval_date"),
                "revision.approved_before_revised",
                f"revision_log[{i}].approval_date: {revision.approval_date} is before its revision_date "
                f"{revision.revision_date}",
            )
        if previous is not None and revision.revision_date < previous:
            yield Finding(
                ("revision_log", i, "revision_date"),
                "revision.out_of_order",
                f"revision_log[{i}].revision_date: {revision.revision_date} is earlier than the entry above it "
                f"({previous}); list revisions oldest first",
            )
        previous = revision.revision_date if previous is None else max(previous, revision.revision_date)
