"""The JSON Schema of a policy file, generated from the model, for editors and consumers.

Editors that speak the YAML language server read the ``# yaml-language-server:
$schema=../policy.schema.json`` line at the top of a policy and then complete field
names and flag mistakes while the author types. The schema is committed; a test
fails when it no longer matches the model.
"""

from __future__ import annotations

import json
from typing import Any

from policypress.model.policy import Policy

SCHEMA_FILE = "policy.schema.json"


def policy_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``policy/<id>.yaml``."""
    schema = Policy.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "policypress clinical policy",
        "description": "One clinical coverage policy (policy/<reference-number>.yaml).",
        **{key: value for key, value in schema.items() if key not in ("title", "description")},
    }


def policy_schema_text() -> str:
    """The schema as the committed file holds it: stable key order, two-space indent, final newline."""
    return json.dumps(policy_schema(), indent=2, ensure_ascii=False) + "\n"
