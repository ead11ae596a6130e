"""FHIR R4 resources of one policy version, as plain JSON data: what a payer's Prior Authorization API serves.

- a Da Vinci DTR Questionnaire whose items are the criteria tree: ``linkId`` is the criterion's
  anchor on the page (``criterion-II``), ``prefix`` its number, ``text`` its words, a support link
  (and ``definition``) to the criterion on the version's page, and, where sub-criteria combine
  (``requires: all | one | N``), the group logic as a FHIRPath ``calculatedExpression``;
- the DTR questionnaire package: a collection Bundle holding the Questionnaire (no CQL Library);
- a ValueSet per code table;
- per code, a CRD coverage-information rule: covered or not, prior authorization, the documentation
  needed and the questionnaire that collects it, a link to the policy's criterion, the version window.

Everything is derived from the model; nothing reads the clock, so the same sources give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from policypress.fhir.logic import combines, group_expression
from policypress.model.codes import parse_code
from policypress.model.inline import plain_text
from policypress.model.policy import CodeTable
from policypress.project import PolicySource
from policypress.render.authorization import criterion_anchor_for
from policypress.render.exports import ExportedCriterion, criteria_tree
from policypress.render.versions import Window

DTR_QUESTIONNAIRE = "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/dtr-std-questionnaire"
DTR_PACKAGE = "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/DTR-QPackageBundle"
SUPPORT_LINK = "http://hl7.org/fhir/StructureDefinition/questionnaire-supportLink"
CALCULATED = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
COVERAGE_INFORMATION = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
CODE_SYSTEMS = {
    "CPT": "http://www.ama-assn.org/go/cpt",
    "HCPCS": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm",
}
"""The code systems' canonical URIs (HL7 Terminology)."""

LICENSED_SYSTEMS = frozenset({"CPT"})
"""Code systems whose descriptions are licensed (AMA): left out of public files unless the plan sets the notice."""


@dataclass(frozen=True)
class Site:
    """Where the site is published and what the plan allows in public files."""

    url: str
    """``site_url`` of mkdocs.yml, ending in ``/``: canonical URLs and links start with it."""
    cpt_notice: str = ""
    """The AMA licence notice the plan shows with CPT descriptions; empty: CPT descriptions stay out."""

    def at(self, path: str) -> str:
        return self.url + path


def fhir_dir(stem: str) -> str:
    """The folder of one policy's FHIR files, relative to the site root."""
    return f"api/fhir/{stem}"


def questionnaire_url(site: Site, stem: str) -> str:
    return site.at(f"{fhir_dir(stem)}/Questionnaire.json")


def valueset_name(index: int) -> str:
    return f"ValueSet-{index}.json"


def computable_name(policy_id: str) -> str:
    """A FHIR computable name (``WA_CP_MP_166``): a letter first, then letters, digits and ``_``."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", policy_id)
    return name if name[:1].isalpha() else f"P_{name}"


def _item(criterion: ExportedCriterion, page_url: str) -> dict[str, Any]:
    link = f"{page_url}#{criterion.anchor}"
    text = " ".join([plain_text(criterion.text), *(plain_text(note) for note in criterion.notes)])
    item: dict[str, Any] = {"linkId": criterion.anchor, "prefix": criterion.label, "text": text, "definition": link}
    extensions: list[dict[str, Any]] = [{"url": SUPPORT_LINK, "valueUri": link}]
    if criterion.criteria and combines(criterion.requires):
        assert criterion.requires is not None and criterion.requires != "each"
        expression = group_expression(criterion.requires, tuple(c.anchor for c in criterion.criteria))
        extensions.append(
            {"url": CALCULATED, "valueExpression": {"language": "text/fhirpath", "expression": expression}}
        )
        item.update(type="boolean", readOnly=True)
    elif criterion.criteria:
        item["type"] = "group"  # separate statements (``each``), or the policy does not say how they combine
    else:
        item["type"] = "boolean"
    item["extension"] = extensions
    if criterion.criteria:
        item["item"] = [_item(child, page_url) for child in criterion.criteria]
    return item


def _common(site: Site, source: PolicySource, window: Window, url: str) -> dict[str, Any]:
    policy = source.policy
    return {
        "url": url,
        "identifier": [{"system": site.at(""), "value": policy.id}],
        "version": window.version,
        "status": "active",
        "publisher": policy.plan,
    }


def questionnaire(site: Site, source: PolicySource, window: Window) -> dict[str, Any]:
    """The DTR Questionnaire of a policy version: its criteria tree, linked to the version's page."""
    policy = source.policy
    page_url = site.at(window.page)
    return {
        "resourceType": "Questionnaire",
        "id": source.stem,
        "meta": {"profile": [DTR_QUESTIONNAIRE]},
        **_common(site, source, window, questionnaire_url(site, source.stem)),
        "name": computable_name(policy.id),
        "title": plain_text(policy.title),
        "subjectType": ["Patient"],
        "effectivePeriod": window.period(),
        "item": [_item(criterion, page_url) for criterion in criteria_tree(policy.criteria)],
    }


def dtr_package(site: Site, source: PolicySource, window: Window, resource: dict[str, Any]) -> dict[str, Any]:
    """The DTR questionnaire package: a collection Bundle holding the Questionnaire (no CQL Library yet)."""
    return {
        "resourceType": "Bundle",
        "id": f"{source.stem}-dtr-package",
        "meta": {"profile": [DTR_PACKAGE]},
        "type": "collection",
        "entry": [{"fullUrl": resource["url"], "resource": resource}],
    }


def _concept(table: CodeTable, code: str, description: str, site: Site) -> dict[str, str]:
    concept = {"code": code}
    if table.code_system not in LICENSED_SYSTEMS or site.cpt_notice:
        concept["display"] = plain_text(description)
    return concept


def valuesets(site: Site, source: PolicySource, window: Window) -> dict[str, dict[str, Any]]:
    """A ValueSet per code table, by file name; a row written as a range is named in the ValueSet's
    description (a ValueSet cannot list a range without its codes)."""
    policy = source.policy
    found: dict[str, dict[str, Any]] = {}
    for index, table in enumerate(policy.code_tables, start=1):
        concepts, ranges = [], []
        for row in table.rows:
            span = parse_code(row.code)
            if span.first == span.last:
                concepts.append(_concept(table, span.first, row.description, site))
            else:
                ranges.append(f"{span.first} to {span.last}")
        name = valueset_name(index)
        resource: dict[str, Any] = {
            "resourceType": "ValueSet",
            "id": f"{source.stem}-{index}",
            **_common(site, source, window, site.at(f"{fhir_dir(source.stem)}/{name}")),
            "name": f"{computable_name(policy.id)}_{index}",
            "title": plain_text(table.heading),
            "description": plain_text(table.heading)
            + (f". Also the code ranges {', '.join(ranges)}." if ranges else "."),
        }
        if table.code_system in LICENSED_SYSTEMS and site.cpt_notice:
            resource["copyright"] = site.cpt_notice
        if concepts:
            resource["compose"] = {"include": [{"system": CODE_SYSTEMS[table.code_system], "concept": concepts}]}
        else:
            resource["compose"] = {"include": [{"system": CODE_SYSTEMS[table.code_system]}]}
            resource["description"] += " The table lists ranges only; the ValueSet includes none of its codes."
        found[name] = resource
    return found


def _ext(url: str, **value: Any) -> dict[str, Any]:
    return {"url": url, **value}


def coverage_information(
    site: Site,
    source: PolicySource,
    window: Window,
    table: CodeTable,
    authorization: bool | None,
    link: str,
    coding: dict[str, str] | None,
) -> dict[str, Any]:
    """The CRD coverage-information extension for a code of ``table``, as a CRD service would return it."""
    parts = [
        _ext("coverage", valueReference={"display": f"Any coverage of {source.policy.plan}"}),
    ]
    if table.meaning == "does_not_support_coverage":
        parts.append(_ext("covered", valueCode="not-covered"))  # crd-ci-q2: no pa-needed
    elif table.meaning == "supports_coverage":
        parts.append(_ext("covered", valueCode="covered"))
        if authorization is not None:
            parts.append(_ext("pa-needed", valueCode="auth-needed" if authorization else "no-auth"))
        parts.append(_ext("doc-needed", valueCode="clinical"))
        parts.append(_ext("doc-purpose", valueCode="withpa" if authorization else "withorder"))
        parts.append(_ext("questionnaire", valueCanonical=f"{questionnaire_url(site, source.stem)}|{window.version}"))
    else:  # the codes inform coverage (diagnoses) without deciding it: it depends on the criteria
        parts.append(_ext("covered", valueCode="conditional"))
        if authorization is not None:
            parts.append(_ext("pa-needed", valueCode="auth-needed" if authorization else "no-auth"))
        parts.append(_ext("info-needed", valueCode="clinical"))  # crd-ci-q3
    if coding is not None:
        parts.append(_ext("billingCode", valueCoding=coding))
    parts.append(
        _ext(
            "detail",
            extension=[
                _ext("code", valueCodeableConcept={"text": "policy"}),
                _ext("value", valueUrl=link),
            ],
        )
    )
    parts.append(_ext("date", valueDate=window.start.isoformat()))
    if window.end is not None:
        parts.append(_ext("expiry-date", valueDate=(window.end - dt.timedelta(days=1)).isoformat()))
    parts.append(_ext("coverage-assertion-id", valueString=f"{source.policy.id}-v{window.version}"))
    return {"url": COVERAGE_INFORMATION, "extension": parts}


def coverage_rules(site: Site, source: PolicySource, window: Window) -> dict[str, Any]:
    """The coverage rules of every code of a policy version (``coverage-rules.json``)."""
    policy = source.policy
    rules = []
    for table in policy.code_tables:
        link = f"{site.at(window.page)}#{criterion_anchor_for(policy, table)}"
        for row in table.rows:
            span = parse_code(row.code)
            authorization = table.needs_authorization(row)
            system = CODE_SYSTEMS[table.code_system]
            coding = {"system": system, "code": span.first} if span.first == span.last else None
            rule: dict[str, Any] = {
                "code": row.code,
                "first": span.first,
                "last": span.last,
                "system": system,
                "table": plain_text(table.heading),
                "prior_authorization": authorization,
                "policy": link,
                "extension": coverage_information(site, source, window, table, authorization, link, coding),
            }
            rules.append(rule)
    return {
        "format": "policypress.coverage-rules/1",
        "policy": policy.id,
        "version": window.version,
        "questionnaire": questionnaire_url(site, source.stem),
        "rules": rules,
    }
