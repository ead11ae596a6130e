"""Policy rules beyond types: what makes a well-typed policy still wrong.

The model guarantees shapes (a date is a date, a code is text); these rules check
meaning across fields: a code's format for its code system, a code listed twice in
one table, a revision log out of order or approved before it was revised, an
effective date before the policy was even developed. Each finding names the exact
field, so it can be mapped back to a line of the YAML.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from policypress.errors import Path_, Severity, field_name
from policypress.model.codes import CODE_FORMATS, parse_code, range_problem
from policypress.model.inline import iter_citations, iter_cross_references, parse_inline
from policypress.model.numbering import (
    NUMBERED_ANCHOR,
    PAGE_ANCHORS,
    appendix_anchor,
    code_anchor,
    definition_anchor,
    slugify,
)
from policypress.model.policy import Block, Policy, Subheading, Table
from policypress.model.prose import HISTORY_FIELDS, iter_prose
from policypress.model.targets import PageTargets, iter_criterion_numbers, iter_numbered_criteria

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
    return [
        *_dates(policy),
        *_codes(policy),
        *_code_meanings(policy),
        *_revision_log(policy),
        *_tables(policy),
        *_literal_markup(policy),
        *_sizes(policy),
        *_anchors(policy),
        *_cross_references(policy),
        *_group_logic(policy),
        *_footnotes(policy),
        *_medicare_advantage(policy),
        *_authorization(policy),
    ]


def _authorization(policy: Policy) -> Iterator[Finding]:
    """Prior authorization asked for codes the policy does not cover: CRD says a service that is not covered
    needs no authorization (``crd-ci-q2``), so the coverage rules leave it out while the list shows it."""
    for t, table in enumerate(policy.code_tables):
        if table.meaning != "does_not_support_coverage":
            continue
        for r, row in enumerate(table.rows):
            if table.needs_authorization(row):
                own = row.prior_authorization is not None
                where: Path_ = ("code_tables", t, *(("rows", r) if own else ()), "prior_authorization")
                which = f"{table.code_system} {row.code} needs" if own else "the table's codes need"
                yield Finding(
                    where,
                    "code.authorization_not_covered",
                    f"{field_name(where)}: {which} prior authorization, but the table does not support coverage "
                    "(a service that is not covered needs no authorization)",
                    "warning",
                )
                if not own:
                    break  # the table's own setting: said once


MA_REQUIRED = ("medicare_basis", "rationale", "evidence_summary")
"""What a Medicare Advantage plan publishes with internal coverage criteria (42 CFR 422.101(b)(6))."""


def _medicare_advantage(policy: Policy) -> Iterator[Finding]:
    """Internal coverage criteria carry a Medicare basis, a rationale and an evidence summary whose claims
    cite the policy's references by number; a benefit-over-harm statement is expected where it applies."""
    block = policy.medicare_advantage
    if block is None or not block.internal_coverage_criteria:
        return
    path: Path_ = ("medicare_advantage",)
    for name in MA_REQUIRED:
        if not getattr(block, name):
            yield Finding(
                (*path, name),
                "medicare_advantage.missing",
                f"{field_name((*path, name))}: required when internal_coverage_criteria is true "
                "(42 CFR 422.101(b)(6): a plan publishes the rationale, evidence and Medicare basis of criteria "
                "of its own)",
            )
    if block.benefit_over_harm is None:
        yield Finding(
            (*path, "internal_coverage_criteria"),
            "medicare_advantage.benefit_over_harm",
            f"{field_name((*path, 'benefit_over_harm'))}: not given; say how the criteria's clinical benefits "
            "outweigh their risks, where that applies",
            "warning",
        )
    count = len(policy.references)
    for c, claim in enumerate(block.evidence_summary):
        for r, number in enumerate(claim.references):
            if number > count:
                where = (*path, "evidence_summary", c, "references", r)
                yield Finding(
                    where,
                    "medicare_advantage.reference",
                    f"{field_name(where)}: the policy lists {count} reference(s); there is no reference {number}",
                )


def _cross_references(policy: Policy) -> Iterator[Finding]:
    """``criterion I.B.2``, ``Appendix C`` and ``[words](#id)`` must name a place of the page."""
    targets = PageTargets.of(policy)
    for path, text in iter_prose(policy):
        if path[0] in HISTORY_FIELDS:
            continue
        for reference in iter_cross_references(parse_inline(text)):
            if reference.kind == "policy" or targets.resolve(reference) is not None:
                continue
            what = {
                "criterion": f"criterion {reference.target}",
                "appendix": f"Appendix {reference.target}",
                "anchor": f"#{reference.target}",
            }[reference.kind]
            known = {
                "criterion": _criteria_known(policy, reference.target),
                "appendix": "it has appendices " + (", ".join(sorted(targets.appendices)) or "(none)"),
                "anchor": "ids of definitions are like "
                + ", ".join(sorted(a for a in targets.anchors if a.startswith("definition-"))[:3] or ["#references"]),
            }[reference.kind]
            yield Finding(
                path,
                "xref.unknown",
                f"{field_name(path)}: {what} does not exist in this policy ({known})",
            )


def _criteria_known(policy: Policy, wanted: str) -> str:
    """What an author needs to fix a criterion number: the range of top-level numbers and the
    closest existing number."""
    numbers = [dotted for dotted, _ in iter_criterion_numbers(policy.criteria)]
    top = [n for n in numbers if "." not in n]
    close = difflib.get_close_matches(wanted, numbers, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"its criteria are numbered {top[0]} to {top[-1]}{hint}"


_WORDED_LOGIC = (
    (re.compile(r"\ball of the following\b", re.IGNORECASE), "all"),
    (re.compile(r"\b(?:at least )?one of the following\b", re.IGNORECASE), "one"),
    (re.compile(r"\b(?:at least )?(two|three|four|five|\d+) of the following\b", re.IGNORECASE), "count"),
)
_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5}


def worded_logic(text: str) -> str | int | None:
    """What the words of a criterion say its sub-criteria require, if they say it."""
    for pattern, logic in _WORDED_LOGIC:
        if match := pattern.search(text):
            if logic == "count":
                word = match.group(1).lower()
                return _COUNTS.get(word) or int(word)
            return logic
    return None


def _group_logic(policy: Policy) -> Iterator[Finding]:
    """A criterion with sub-criteria says, as data, how they combine, and agrees with its own words."""
    for dotted, criterion, path in iter_numbered_criteria(policy.criteria):
        if not criterion.criteria:
            continue
        worded = worded_logic(criterion.text)
        if criterion.requires is None:
            hint = f" (its text says {worded!r})" if worded is not None else ""
            yield Finding(
                (*path, "text"),
                "criteria.logic_missing",
                f"{field_name(path)}: criterion {dotted} has sub-criteria but no 'requires' "
                f"(all, one, each, or a number){hint}",
                "warning",
            )
        elif worded is not None and worded != criterion.requires:
            yield Finding(
                (*path, "requires"),
                "criteria.logic_mismatch",
                f"{field_name((*path, 'requires'))}: criterion {dotted} requires {criterion.requires!r}, "
                f"but its text says {worded!r} of the following",
                "warning",
            )


def _footnotes(policy: Policy) -> Iterator[Finding]:
    """A footnote whose marker no text carries is a note about nothing."""
    texts = [text for path, text in iter_prose(policy) if path[0] != "footnotes"]
    for i, footnote in enumerate(policy.footnotes):
        if not any(footnote.marker in text for text in texts):
            yield Finding(
                ("footnotes", i, "marker"),
                "footnote.unused",
                f"footnotes[{i}].marker: no text of the policy carries the marker {footnote.marker!r}",
                "warning",
            )


def _tables(policy: Policy) -> Iterator[Finding]:
    """Every row of a table has one cell per column."""
    for path, blocks in _bodies(policy):
        for b, block in enumerate(blocks):
            if not isinstance(block, Table):
                continue
            for r, row in enumerate(block.rows):
                if len(row) != len(block.columns):
                    where: Path_ = (*path, b, "rows", r)
                    yield Finding(
                        where,
                        "table.row_length",
                        f"{field_name(where)}: has {len(row)} cells, but the table has {len(block.columns)} columns",
                    )


def _bodies(policy: Policy) -> Iterator[tuple[Path_, tuple[Block, ...]]]:
    yield ("description",), policy.description
    for s, section in enumerate(policy.background):
        yield ("background", s, "content"), section.content
    for a, appendix in enumerate(policy.appendices):
        yield ("appendices", a, "content"), appendix.content


_MEANING_WORDS = (
    (re.compile(r"\bdo(?:es)? not support\b", re.IGNORECASE), "does_not_support_coverage"),
    (re.compile(r"\bsupport", re.IGNORECASE), "supports_coverage"),
)


def worded_meaning(heading: str) -> str | None:
    """What a code table's heading says its codes mean for coverage, if it says it."""
    return next((meaning for pattern, meaning in _MEANING_WORDS if pattern.search(heading)), None)


def _code_meanings(policy: Policy) -> Iterator[Finding]:
    """Each code table says, as data, what its codes mean, and agrees with its heading."""
    for t, table in enumerate(policy.code_tables):
        worded = worded_meaning(table.heading)
        if table.meaning is None:
            hint = f" (its heading says {worded!r})" if worded else ""
            yield Finding(
                ("code_tables", t, "heading"),
                "code.meaning_missing",
                f"code_tables[{t}]: no 'meaning' (supports_coverage, does_not_support_coverage or informational){hint}",
                "warning",
            )
        elif worded is not None and worded != table.meaning:
            yield Finding(
                ("code_tables", t, "meaning"),
                "code.meaning_mismatch",
                f"code_tables[{t}].meaning: is {table.meaning!r}, but its heading says {worded!r}",
                "warning",
            )


def _anchors(policy: Policy) -> Iterator[Finding]:
    """Headings and code rows become link targets (ids); two with the same id break links and the PDF."""
    claimed: dict[str, str] = dict.fromkeys(PAGE_ANCHORS, "a section of every policy page")
    headings: list[tuple[Path_, str]] = [
        (("background", s, "heading"), section.heading)
        for s, section in enumerate(policy.background)
        if section.heading is not None
    ]
    for body_path, blocks in _bodies(policy):
        headings += [
            ((*body_path, b, "subheading"), block.subheading)
            for b, block in enumerate(blocks)
            if isinstance(block, Subheading)
        ]
    headings += [(("code_tables", t, "heading"), table.heading) for t, table in enumerate(policy.code_tables)]
    numbered: list[tuple[Path_, str]] = [
        (("appendices", a, "title"), appendix_anchor(appendix.title)) for a, appendix in enumerate(policy.appendices)
    ]
    numbered += [
        (("definitions", d, "term"), definition_anchor(item.term)) for d, item in enumerate(policy.definitions)
    ]
    for path, anchor in numbered:
        if anchor in claimed:
            yield Finding(
                path,
                "anchor.duplicate",
                f"{field_name(path)}: its link id #{anchor} is already used by {claimed[anchor]}; reword it",
            )
            continue
        claimed[anchor] = field_name(path)
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
_MARKDOWN_LINK = re.compile(r"\[[^\]@][^\]]*\]\((?!#)[^)\s]+\)")


MAX_TEXT_LENGTH = 20_000
"""Characters in one text field: the seed's longest paragraph has 1,900."""
MAX_CITATIONS_PER_TEXT = 50
"""Citations in one text field: real paragraphs cite a handful of times."""


def _sizes(policy: Policy) -> Iterator[Finding]:
    """Limits far beyond any real policy, so an accident fails with its line instead of a build that
    runs for hours (a line's layout in the PDF slows with the square of its length)."""
    for path, text in iter_prose(policy):
        if len(text) > MAX_TEXT_LENGTH:
            yield Finding(
                path,
                "text.too_long",
                f"{field_name(path)}: {len(text):,} characters; one text holds at most {MAX_TEXT_LENGTH:,} "
                "(split it into paragraphs)",
            )
            continue
        cited = sum(1 for _ in iter_citations(parse_inline(text)))
        if cited > MAX_CITATIONS_PER_TEXT:
            yield Finding(
                path,
                "citation.too_many",
                f"{field_name(path)}: cites {cited:,} times; one text cites at most {MAX_CITATIONS_PER_TEXT}",
            )


def _literal_markup(policy: Policy) -> Iterator[Finding]:
    """Text that looks like HTML or a Markdown link: it will be shown literally, which is rarely meant."""
    for path, text in iter_prose(policy):
        match = _HTML_TAG.search(text) or _MARKDOWN_LINK.search(text)
        if match:
            yield Finding(
                path,
                "text.literal_markup",
                f"{field_name(path)}: {match.group(0)!r} will be shown as typed; policy text allows only "
                "*italic*, **bold**, [@citations], bare https:// links and [words](#id)",
                "warning",
            )


def _dates(policy: Policy) -> Iterator[Finding]:
    for name in ("effective_date", "last_review_date"):
        value = getattr(policy, name)
        if value is not None and not EARLIEST_YEAR <= int(str(value)[:4]) <= LATEST_YEAR:
            yield Finding(
                (name,),
                "policy.date_range",
                f"{name}: {value} is not between {EARLIEST_YEAR} and {LATEST_YEAR}",
            )
    first_revision = min((r.revision_date for r in policy.revision_log), default=None)
    if first_revision is not None and policy.effective_date.strftime("%Y-%m") < first_revision:
        yield Finding(
            ("effective_date",),
            "policy.effective_before_developed",
            f"effective_date: {policy.effective_date.isoformat()} is before the first revision ({first_revision})",
        )
    if policy.last_review_date is not None and str(policy.last_review_date)[:7] < (first_revision or ""):
        yield Finding(
            ("last_review_date",),
            "policy.review_before_developed",
            f"last_review_date: {policy.last_review_date} is before the first revision ({first_revision})",
        )


def _codes(policy: Policy) -> Iterator[Finding]:
    for t, table in enumerate(policy.code_tables):
        seen: dict[str, int] = {}
        for r, row in enumerate(table.rows):
            path: Path_ = ("code_tables", t, "rows", r, "code")
            yield from code_findings(table.code_system, row.code, path)
            if row.code in seen:
                yield Finding(
                    path,
                    "code.duplicate",
                    f"{field_name(path)}: {row.code} is already listed in this table (rows[{seen[row.code]}])",
                )
            seen.setdefault(row.code, r)


MAX_CRITERIA_DEPTH = 10
"""Policies nest criteria five levels deep (I, A, 1, a, i); ten is far beyond any real one and far
below what would exhaust the renderer's recursion."""


def criteria_too_deep(data: object) -> Finding | None:
    """The first criterion nested deeper than ``MAX_CRITERIA_DEPTH``, in a file as written."""
    pending: list[tuple[object, Path_, int]] = [
        (data.get("criteria") if isinstance(data, dict) else None, ("criteria",), 1)
    ]
    while pending:
        criteria, path, depth = pending.pop()
        if not isinstance(criteria, list):
            continue
        for index, criterion in enumerate(criteria):
            here: Path_ = (*path, index)
            if depth > MAX_CRITERIA_DEPTH:
                return Finding(
                    here,
                    "criteria.too_deep",
                    f"{field_name(here)}: criteria are nested more than {MAX_CRITERIA_DEPTH} levels deep here; "
                    "policies use five (I, A, 1, a, i)",
                )
            if isinstance(criterion, dict):
                pending.append((criterion.get("criteria"), (*here, "criteria"), depth + 1))
    return None


def check_written_codes(data: object) -> Iterator[Finding]:
    """The code rules over a file as written, for a file that does not fit the model: its code
    errors are reported in the same run as its schema errors."""
    tables = data.get("code_tables") if isinstance(data, dict) else None
    if not isinstance(tables, list):
        return
    for t, table in enumerate(tables):
        if not isinstance(table, dict) or table.get("code_system") not in CODE_FORMATS:
            continue
        rows = table.get("rows")
        for r, row in enumerate(rows if isinstance(rows, list) else []):
            if isinstance(row, dict) and isinstance(row.get("code"), str) and row["code"]:
                yield from code_findings(table["code_system"], row["code"], ("code_tables", t, "rows", r, "code"))


def code_findings(code_system: str, code: str, path: Path_) -> Iterator[Finding]:
    """What is wrong with one written code or range of ``code_system`` (also run on files that fail the schema)."""
    pattern, shape = CODE_FORMATS[code_system]
    where = field_name(path)
    span = parse_code(code)
    bad = [end for end in dict.fromkeys((span.first, span.last)) if not pattern.fullmatch(end)]
    if bad:
        shown = code if not span.is_range else f"{bad[0]} (in the range {code})"
        article = "an" if code_system[0] in "AEFHILMNORSX" else "a"  # said as letters: an ICD, an HCPCS
        yield Finding(path, "code.format", f"{where}: {shown!r} is not {article} {code_system} code; expected {shape}")
    elif span.is_range and (problem := range_problem(code_system, span)) is not None:
        yield Finding(path, "code.range", f"{where}: {problem}")


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
