"""The prior authorization list: every code a policy says needs prior authorization, for the public page
``/prior-authorization-list/`` and its data beside it (``prior-authorization-list.json`` and ``.csv``).

A code needs authorization when its row says so, or its table does and the row does not say otherwise
(``CodeTable.needs_authorization``). Each entry links its policy, the version in effect and the criterion
its table follows from, so the list, the pages and the FHIR coverage rules cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from policypress.model.codes import parse_code, sort_key
from policypress.model.inline import plain_text
from policypress.model.policy import CodeTable, Policy
from policypress.project import Project
from policypress.render.exports import criteria_tree, rows_csv, to_json
from policypress.render.urls import page_path
from policypress.render.versions import Window, current_window

AUTHORIZATION_PAGE = "prior-authorization-list.md"
AUTHORIZATION_JSON = "prior-authorization-list.json"
AUTHORIZATION_CSV = "prior-authorization-list.csv"

_DECIDES = {
    "supports_coverage": ("medically_necessary",),
    "does_not_support_coverage": ("not_medically_necessary", "investigational"),
}


def criterion_anchor_for(policy: Policy, table: CodeTable) -> str:
    """The criterion a code table's codes follow from: the first top-level criterion whose determination
    matches the table's meaning, else the criteria section."""
    wanted = _DECIDES.get(table.meaning or "", ())
    for criterion in criteria_tree(policy.criteria):
        if criterion.determination in wanted:
            return criterion.anchor
    return "policy-criteria"


class _Export(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AuthorizationEntry(_Export):
    """One code that needs prior authorization, with where its policy, version and criterion are."""

    code: str
    """As the policy writes it: ``43644``, or a range ``E66.01 – E66.09``."""
    first: str
    last: str
    code_system: str
    description: str
    policy_id: str
    policy_title: str
    table: str
    version: str
    """The version's number, or its effective date for sources not yet committed as a version."""
    effective: dt.date
    until: dt.date | None
    page: str
    """The policy's current page, relative to the site root."""
    version_page: str
    """The page of the version in effect (the current page when there is no version page)."""
    criterion: str
    """The criterion the code's table follows from, on the version's page."""


class AuthorizationList(_Export):
    """``prior-authorization-list.json``."""

    codes: tuple[AuthorizationEntry, ...]


def authorization_list(project: Project, pages_dir: str, windows: Mapping[str, Window]) -> AuthorizationList:
    """Every code needing prior authorization, ordered by code system, code and policy id."""
    entries = []
    for source in project.policies:
        window = current_window(source, pages_dir, windows)
        for table in source.policy.code_tables:
            anchor = criterion_anchor_for(source.policy, table)
            for row in table.rows:
                if table.needs_authorization(row) is not True:
                    continue
                span = parse_code(row.code)
                entries.append(
                    AuthorizationEntry(
                        code=row.code,
                        first=span.first,
                        last=span.last,
                        code_system=table.code_system,
                        description=plain_text(row.description),
                        policy_id=source.policy.id,
                        policy_title=source.policy.title,
                        table=plain_text(table.heading),
                        version=window.version,
                        effective=window.start,
                        until=window.end,
                        page=page_path(source, pages_dir),
                        version_page=window.page,
                        criterion=f"{window.page}#{anchor}",
                    )
                )
    entries.sort(key=lambda e: (e.code_system, sort_key(e.first), e.code, e.policy_id, e.table))
    return AuthorizationList(codes=tuple(entries))


def authorization_files(listing: AuthorizationList) -> dict[str, str]:
    """The list's data files, at the site root beside its page."""
    return {AUTHORIZATION_JSON: to_json(listing), AUTHORIZATION_CSV: rows_csv(AuthorizationEntry, listing.codes)}
