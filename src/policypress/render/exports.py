"""Machine-readable exports: what systems that consume policies download instead of scraping pages.

Everything here is derived from the model and the citation numbering, the same
sources as the pages, so the data and the pages cannot disagree. The shapes are
pydantic models, so each export has a JSON Schema that ships beside it.

Layout under the site (``api/``):

- ``api/policies/<stem>.json`` — one policy: the source model plus page/PDF links,
  criterion anchors and its numbered, formatted references;
- ``api/policies.json`` — every policy's summary;
- ``api/codes.json`` and ``api/codes.csv`` — every code with its policy, table and row link;
- ``api/references.json`` — every listed reference once, as AMA text and HTML;
- ``api/schema/*.schema.json`` — the JSON Schemas of the JSON exports (the versions' too), and of the
  policy source files themselves (``policy.schema.json``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from policypress.bibliography.citations import number_references
from policypress.model.codes import parse_code, sort_key
from policypress.model.inline import plain_text
from policypress.model.numbering import code_anchor, criterion_label
from policypress.model.policy import Criterion, Policy
from policypress.model.schema import SCHEMA_FILE, policy_schema_text
from policypress.project import PolicySource, Project
from policypress.render.urls import (
    CODES_CSV_FILE,
    CODES_JSON_FILE,
    POLICIES_FILE,
    REFERENCES_FILE,
    SCHEMA_DIR,
    api_path,
    page_path,
    pdf_path,
    policy_data_path,
)
from policypress.render.versions import VersionCodesExport, VersionsExport


class _Export(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExportedReference(_Export):
    """Reference ``number`` of a policy, formatted in AMA style (HTML in ``references.json``, by key)."""

    number: int
    key: str
    text: str


class BibliographyEntry(_Export):
    """One reference of ``references.json``: formatted once for every policy that lists it."""

    key: str
    text: str
    html: str


class ReferencesExport(_Export):
    """``api/references.json``: every reference a policy lists, in bibliography order."""

    references: tuple[BibliographyEntry, ...]


class ExportedCriterion(_Export):
    """A criterion with the number and anchor it has on the page."""

    label: str
    anchor: str
    text: str
    determination: str | None
    requires: str | int | None
    """How ``criteria`` combine: ``all``, ``one`` (at least one), at least N, or ``each`` (separate
    statements); ``null`` when the policy does not say (or there are none)."""
    criteria: tuple[ExportedCriterion, ...]
    notes: tuple[str, ...]


class PolicySummary(_Export):
    """One line of ``policies.json``."""

    id: str
    title: str
    plan: str
    effective_date: dt.date
    last_review_date: dt.date | str | None
    """A day (``2025-01-15``) or, when the policy gives only a month, the month (``2025-01``)."""
    latest_revision: str
    page: str
    pdf: str
    data: str


class PolicyExport(_Export):
    """``api/policies/<stem>.json``: the policy as authored, plus what the build resolved."""

    summary: PolicySummary
    policy: Policy
    criteria: tuple[ExportedCriterion, ...]
    references: tuple[ExportedReference, ...]


class CodeEntry(_Export):
    """One row of ``codes.json`` / ``codes.csv``: a code, or a range of codes as the policy writes it."""

    code: str
    """As the policy writes it: ``64451``, or a range ``E66.01 – E66.09``."""
    first: str
    """The code itself, or the first code of the range."""
    last: str
    """The code itself, or the last code of the range: a code lies in the row when it sorts from
    ``first`` to ``last`` without dots (``policypress.model.codes.CodeSpan.contains``)."""
    code_system: str
    meaning: str | None
    """What the table's codes mean for coverage (``supports_coverage``, ``does_not_support_coverage``,
    ``informational``), or ``null`` when the policy does not say."""
    description: str
    notes: str | None
    policy_id: str
    policy_title: str
    table: str
    page: str
    link: str


class PoliciesExport(_Export):
    """``api/policies.json``."""

    policies: tuple[PolicySummary, ...]


class CodesExport(_Export):
    """``api/codes.json``."""

    codes: tuple[CodeEntry, ...]


def _summary(source: PolicySource, pages_dir: str) -> PolicySummary:
    policy = source.policy
    return PolicySummary(
        id=policy.id,
        title=policy.title,
        plan=policy.plan,
        effective_date=policy.effective_date,
        last_review_date=policy.last_review_date,
        latest_revision=max(r.revision_date for r in policy.revision_log),
        page=page_path(source, pages_dir),
        pdf=pdf_path(source.stem),
        data=policy_data_path(source.stem),
    )


def criteria_tree(criteria: tuple[Criterion, ...], depth: int = 0, prefix: str = "") -> tuple[ExportedCriterion, ...]:
    """Criteria numbered and anchored exactly as the page template does (``criterion-I-A``)."""
    exported = []
    for index, criterion in enumerate(criteria, start=1):
        label = criterion_label(depth, index)
        exported.append(
            ExportedCriterion(
                label=label,
                anchor=f"criterion-{prefix}{label}",
                text=criterion.text,
                determination=criterion.determination,
                requires=criterion.requires,
                criteria=criteria_tree(criterion.criteria, depth + 1, f"{prefix}{label}-"),
                notes=criterion.notes,
            )
        )
    return tuple(exported)


def policy_export(project: Project, source: PolicySource, pages_dir: str) -> PolicyExport:
    """The full export of one policy."""
    references = tuple(
        ExportedReference(number=r.number, key=r.key, text=r.text)
        for r in number_references(source.policy, project.bibliography)
    )
    return PolicyExport(
        summary=_summary(source, pages_dir),
        policy=source.policy,
        criteria=criteria_tree(source.policy.criteria),
        references=references,
    )


def policies_export(project: Project, pages_dir: str) -> PoliciesExport:
    """Every policy's summary, ordered by id."""
    return PoliciesExport(
        policies=tuple(_summary(s, pages_dir) for s in sorted(project.policies, key=lambda s: s.policy.id))
    )


def codes_export(project: Project, pages_dir: str) -> CodesExport:
    """Every code of every table, ordered by code system, code and policy id."""
    entries = [
        CodeEntry(
            code=row.code,
            first=(span := parse_code(row.code)).first,
            last=span.last,
            code_system=table.code_system,
            meaning=table.meaning,
            description=plain_text(row.description),
            notes=None if row.notes is None else plain_text(row.notes),
            policy_id=source.policy.id,
            policy_title=source.policy.title,
            table=plain_text(table.heading),
            page=page_path(source, pages_dir),
            link=f"{page_path(source, pages_dir)}#{code_anchor(table.code_system, row.code)}",
        )
        for source in project.policies
        for table in source.policy.code_tables
        for row in table.rows
    ]
    entries.sort(key=lambda e: (e.code_system, sort_key(e.first), e.code, e.policy_id, e.table))
    return CodesExport(codes=tuple(entries))


def to_json(export: BaseModel) -> str:
    """Stable, compact JSON text: field order from the model, UTF-8, final newline."""
    return export.model_dump_json() + "\n"


def references_export(project: Project) -> ReferencesExport:
    """Every reference listed by some policy, formatted, in the order of ``references.bib``."""
    listed = {key for source in project.policies for key in source.policy.references}
    entries = []
    for key in project.bibliography.keys:
        if key in listed:
            formatted = project.bibliography.format(key)
            entries.append(BibliographyEntry(key=key, text=formatted.text, html=formatted.html))
    return ReferencesExport(references=tuple(entries))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""How a spreadsheet recognises a formula; such a cell is prefixed with ``'`` so it stays text."""


def _spreadsheet_safe(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def codes_csv(codes: CodesExport) -> str:
    """The code index as CSV (RFC 4180, CRLF line ends), one header row; no cell can run as a formula."""
    return rows_csv(CodeEntry, codes.codes)


def rows_csv(model: type[BaseModel], rows: Sequence[BaseModel]) -> str:
    """Rows of one export model as CSV (RFC 4180, CRLF line ends), a header row of its fields; no cell can
    run as a formula in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(model.model_fields))
    writer.writeheader()
    for entry in rows:
        writer.writerow(
            {
                key: "" if value is None else _spreadsheet_safe(str(value))
                for key, value in entry.model_dump(mode="json").items()
            }
        )
    return buffer.getvalue()


SCHEMAS: dict[str, type[BaseModel]] = {
    "policy.export.schema.json": PolicyExport,
    "policies.schema.json": PoliciesExport,
    "codes.schema.json": CodesExport,
    "references.schema.json": ReferencesExport,
    "versions.schema.json": VersionsExport,
    "version-codes.schema.json": VersionCodesExport,
}


Memo = Callable[[str, tuple[Any, ...], Callable[[], Any]], Any]
"""Reuses a result while its inputs are the same objects (with the speed layer, ``speed.reader.LoadCache.memo``)."""


def _no_memo(_name: str, _inputs: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    return compute()


def export_files(project: Project, pages_dir: str, memo: Memo = _no_memo) -> dict[str, str]:
    """Every export file, by its path under the site, with its content."""
    files: dict[str, str] = {}
    for source in project.policies:
        path = policy_data_path(source.stem)
        files[path] = memo(
            path,
            (source.policy, source.file, project.bibliography, pages_dir),
            lambda source=source: to_json(policy_export(project, source, pages_dir)),
        )
    policies = tuple((source.policy, source.stem) for source in project.policies)
    files.update(memo(api_path("indexes"), (*policies, pages_dir), lambda: _index_files(project, pages_dir)))
    return files


def _index_files(project: Project, pages_dir: str) -> dict[str, str]:
    """The exports that span all policies, and the schemas."""
    files = {
        POLICIES_FILE: to_json(policies_export(project, pages_dir)),
        REFERENCES_FILE: to_json(references_export(project)),
    }
    codes = codes_export(project, pages_dir)
    files[CODES_JSON_FILE] = to_json(codes)
    files[CODES_CSV_FILE] = codes_csv(codes)
    for name, model in SCHEMAS.items():
        schema: dict[str, Any] = model.model_json_schema()
        files[f"{SCHEMA_DIR}/{name}"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    files[f"{SCHEMA_DIR}/{SCHEMA_FILE}"] = policy_schema_text()  # the source format, for authoring tools
    return files
