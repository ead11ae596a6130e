"""One policy file read and validated on its own: everything that does not depend on other files.

The loader reads each file through a reader (``load.reader``); the plain reader calls
``read_policy`` directly, a stored one (``speed``) keeps its result by the file's content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from policypress.errors import Diagnostic, Path_, Severity, SourceError
from policypress.load.validate import validate_document
from policypress.model.policy import Policy
from policypress.model.rules import Finding, check_policy_rules, check_written_codes, criteria_too_deep
from policypress.project import expected_stem
from policypress.sources.yamlsource import YamlDocument, load_yaml


class Locator(Protocol):
    """Where a value of a source file is: a parsed ``YamlDocument`` or the positions a cache kept."""

    def position(self, path: Path_) -> tuple[int, int]: ...

    def position_of(self, path: Path_, needle: str, occurrence: int = 0) -> tuple[int, int]: ...


def located(
    display: str, where: Locator, path: Path_, code: str, message: str, severity: Severity = "error"
) -> Diagnostic:
    """A diagnostic at the line and column of ``path`` in a policy file."""
    line, col = where.position(path)
    return Diagnostic(display, line, col, code, message, severity)


def _from_finding(display: str, where: Locator, finding: Finding) -> Diagnostic:
    return located(display, where, finding.path, finding.code, finding.message, finding.severity)


PolicyRead = tuple[Locator | None, Policy | None, list[Diagnostic], str]
"""Where values are, the policy if valid, the file's own diagnostics, and the file's content key
(empty unless a stored reader made one)."""


def read_policy(
    path: Path, display: str, raw: bytes | None = None
) -> tuple[YamlDocument | None, Policy | None, list[Diagnostic]]:
    """Parse, validate and rule-check one policy file (``raw``: its bytes, if already read)."""
    diagnostics: list[Diagnostic] = []
    try:
        document = load_yaml(path, display, raw)
    except SourceError as exc:
        diagnostics.extend(exc.diagnostics)
        return None, None, diagnostics
    if (too_deep := criteria_too_deep(document.data)) is not None:
        return document, None, [_from_finding(display, document, too_deep)]  # the model would recurse as deep
    policy, problems = validate_document(document, Policy)
    diagnostics.extend(problems)
    if policy is None:
        # the codes are checked anyway, so one round of fixes clears the file
        diagnostics += [_from_finding(display, document, finding) for finding in check_written_codes(document.data)]
        return document, None, sorted(diagnostics)
    if path.stem != expected_stem(policy.id):
        message = f"id: {policy.id!r} must live in {expected_stem(policy.id)}.yaml, not {path.name}"
        diagnostics.append(located(display, document, ("id",), "policy.file_name", message))
    diagnostics += [_from_finding(display, document, finding) for finding in check_policy_rules(policy)]
    return document, policy, diagnostics
