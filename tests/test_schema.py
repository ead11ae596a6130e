"""The committed JSON Schema matches the model, and accepts the seed policy."""

from __future__ import annotations

import json

from conftest import ROOT
from policypress.model.schema import SCHEMA_FILE, policy_schema_text
from policypress.sources.yamlsource import load_yaml


def test_committed_schema_is_current() -> None:
    committed = (ROOT / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == policy_schema_text(), f"{SCHEMA_FILE} is stale: run `make schema` and commit it"


def test_policies_point_editors_at_the_schema() -> None:
    for path in sorted((ROOT / "policy").glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# yaml-language-server: $schema=../{SCHEMA_FILE}", path


def test_schema_describes_every_field_of_the_seed() -> None:
    schema = json.loads(policy_schema_text())
    seed = load_yaml(ROOT / "policy" / "wa-cp-mp-166.yaml", "wa-cp-mp-166.yaml").data
    assert set(seed) <= set(schema["properties"])
    assert set(schema["required"]) <= set(seed)
    assert schema["additionalProperties"] is False
    determination = json.dumps(schema["$defs"]["Criterion"]["properties"]["determination"])
    assert "not_medically_necessary" in determination
