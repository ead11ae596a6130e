"""Checks of the FHIR files: they parse with ``fhir.resources`` (R4B models) and satisfy the DTR and CRD invariants.

The invariants are FHIRPath, evaluated with ``fhirpathpy``: the guides' own where they state one
(CRD's ``crd-ci-q1`` … ``q3``, FHIR's ``que-*``), and policypress's reading of the guides' profiles
where they state it in words. This is not the official HL7 validator, which also checks terminology
and every profile's element rules.

The only module of policypress that loads the FHIR libraries (heavy: imported when a check runs).
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.valueset import ValueSet
from fhirpathpy import evaluate
from fhirpathpy.models import models

from policypress.fhir.resources import CALCULATED, COVERAGE_INFORMATION, DTR_PACKAGE, DTR_QUESTIONNAIRE

R4 = models["r4"]

QUESTIONNAIRE_INVARIANTS: dict[str, str] = {
    "dtr-profile": f"meta.profile contains '{DTR_QUESTIONNAIRE}'",
    "dtr-canonical": "url.exists() and version.exists() and name.exists() and status = 'active'",
    "dtr-period": "effectivePeriod.start.exists()",
    "dtr-items": "item.exists()",
    "linkid-unique": "repeat(item).linkId.isDistinct()",
    "item-text": "repeat(item).all(text.exists() and prefix.exists())",
    "support-link": "repeat(item).all(extension.where(url = "
    "'http://hl7.org/fhir/StructureDefinition/questionnaire-supportLink').value.exists())",
    "que-1a": "repeat(item).where(type = 'group').all(item.exists())",
    "que-1c": "repeat(item).where(type = 'display').all(item.empty())",
    "calculated-read-only": f"repeat(item).where(extension.url = '{CALCULATED}').all(readOnly = true)",
    "calculated-fhirpath": f"repeat(item).extension.where(url = '{CALCULATED}')"
    ".all(value.language = 'text/fhirpath' and value.expression.exists())",
}
"""What a DTR questionnaire of policypress satisfies (DTR 2.0.1 ``dtr-std-questionnaire``, read by policypress)."""

BUNDLE_INVARIANTS: dict[str, str] = {
    "dtr-package-profile": f"meta.profile contains '{DTR_PACKAGE}'",
    "dtr-package-collection": "type = 'collection'",
    "dtr-package-first": "entry.first().resource is Questionnaire",
    "dtr-package-one-questionnaire": "entry.resource.where(resourceType = 'Questionnaire').count() = 1",
    "bdl-7": "entry.where(fullUrl.exists()).select(fullUrl).isDistinct()",
    "full-url-canonical": "entry.all(fullUrl = resource.url)",
}
"""What the DTR questionnaire package satisfies (DTR 2.0.1 ``DTR-QPackageBundle``, read by policypress)."""

COVERAGE_INVARIANTS: dict[str, str] = {
    "crd-ci-q1": "extension.where(url='questionnaire').exists() implies extension.where(url = 'doc-needed').exists()",
    "crd-ci-q2": "extension.where(url = 'covered' and value = 'not-covered').exists() "
    "implies extension.where(url = 'pa-needed').exists().not()",
    "crd-ci-q3": "extension.where((url = 'covered' or url = 'pa-needed' or url = 'doc-needed') "
    "and value = 'conditional').count() >= 1 implies extension.where(url = 'info-needed').exists()",
    "crd-required": "extension.where(url = 'coverage').exists() and extension.where(url = 'covered').exists() "
    "and extension.where(url = 'date').exists() and extension.where(url = 'coverage-assertion-id').exists()",
    "crd-one-each": "extension.url.isDistinct()",
}
"""What a coverage-information extension satisfies (CRD 2.x ``ext-coverage-information``)."""


def failed(resource: dict[str, Any], invariants: dict[str, str]) -> list[str]:
    """The names of the invariants ``resource`` does not satisfy (FHIRPath over its JSON, R4 model)."""
    return [
        name
        for name, expression in invariants.items()
        if evaluate(resource, expression, {"resource": resource}, R4) != [True]
    ]


def check_questionnaire(resource: dict[str, Any]) -> list[str]:
    """Parse with the R4B model (raises on an invalid resource) and list the invariants it breaks."""
    Questionnaire.model_validate(resource)
    return failed(resource, QUESTIONNAIRE_INVARIANTS)


def check_bundle(resource: dict[str, Any]) -> list[str]:
    Bundle.model_validate(resource)
    return failed(resource, BUNDLE_INVARIANTS)


def check_valueset(resource: dict[str, Any]) -> list[str]:
    ValueSet.model_validate(resource)
    return failed(resource, {"canonical": "url.exists() and version.exists() and compose.include.exists()"})


def check_coverage_information(extension: dict[str, Any]) -> list[str]:
    """Parse the extension and check it where CRD puts it: on an order (a ServiceRequest) it annotates."""
    Extension.model_validate(extension)
    order = {"resourceType": "ServiceRequest", "extension": [extension]}
    wrapped = {
        f"{name}": f"extension.where(url = '{COVERAGE_INFORMATION}').all({expression})"
        for name, expression in COVERAGE_INVARIANTS.items()
    }
    return failed(order, wrapped)


def group_answer(expression: str, answers: dict[str, bool]) -> bool:
    """Evaluate a group's FHIRPath over a QuestionnaireResponse answering each ``linkId`` as given."""
    response = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [{"linkId": link_id, "answer": [{"valueBoolean": value}]} for link_id, value in answers.items()],
    }
    result = evaluate(response, expression, {"resource": response}, R4)
    if result not in ([True], [False]):
        raise ValueError(f"not a boolean: {expression} gave {result!r}")
    return result == [True]
