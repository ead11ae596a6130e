"""The FHIR files of a site, by path under it: ``api/fhir/<stem>/`` for the current version of each policy,
``api/fhir/<stem>/v<N>/`` for each of its versions.

``Questionnaire.json`` (DTR), ``Bundle.json`` (the DTR questionnaire package), ``ValueSet-<n>.json``
(one per code table) and ``coverage-rules.json`` (CRD coverage information per code). JSON with
sorted keys and a final newline, so that the same sources give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from policypress.fhir.resources import (
    Site,
    coverage_rules,
    dtr_package,
    fhir_dir,
    questionnaire,
    valuesets,
)
from policypress.project import PolicySource, Project
from policypress.render.versions import Window, current_window

QUESTIONNAIRE_FILE = "Questionnaire.json"
BUNDLE_FILE = "Bundle.json"
RULES_FILE = "coverage-rules.json"


def to_json(resource: Mapping[str, Any]) -> str:
    return json.dumps(resource, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def policy_files(site: Site, source: PolicySource, window: Window, folder: str) -> dict[str, str]:
    """The FHIR files of one policy version, under ``folder``."""
    files: dict[str, str] = {}
    resource = questionnaire(site, source, window)
    files[f"{folder}/{QUESTIONNAIRE_FILE}"] = to_json(resource)
    files[f"{folder}/{BUNDLE_FILE}"] = to_json(dtr_package(site, source, window, resource))
    for name, valueset in valuesets(site, source, window).items():
        files[f"{folder}/{name}"] = to_json(valueset)
    files[f"{folder}/{RULES_FILE}"] = to_json(coverage_rules(site, source, window))
    return files


Keep = Callable[[PolicySource, Window, str, Callable[[], dict[str, str]]], dict[str, str]]
"""Gives one policy version's files (``source``, ``window``, folder): ``make()``, or the same files kept
from an earlier build (the speed layer's; by default always ``make()``)."""


def _make(source: PolicySource, window: Window, folder: str, make: Callable[[], dict[str, str]]) -> dict[str, str]:
    return make()


def fhir_files(
    project: Project,
    pages_dir: str,
    site: Site,
    windows: Mapping[str, Window],
    versions: Sequence[tuple[PolicySource, Window]] = (),
    keep: Keep = _make,
) -> dict[str, str]:
    """Every FHIR file of the site with its content: ``api/fhir/<stem>/`` for the current sources of each policy
    (``windows``: its latest version, by stem) and ``api/fhir/<stem>/v<N>/`` for each version of ``versions``
    (the version's own sources and window)."""
    files: dict[str, str] = {}
    for source in project.policies:
        window = current_window(source, pages_dir, windows)
        folder = fhir_dir(source.stem)
        files.update(keep(source, window, folder, lambda s=source, w=window, f=folder: policy_files(site, s, w, f)))
    for source, window in versions:
        assert window.number is not None
        folder = f"{fhir_dir(source.stem)}/v{window.number}"
        files.update(keep(source, window, folder, lambda s=source, w=window, f=folder: policy_files(site, s, w, f)))
    return files
