"""Prior authorization: ``prior_authorization`` on a code table (a row may say otherwise) reaches the public
list ``/prior-authorization-list/`` (with its JSON and CSV beside it) and the FHIR coverage rules.

The bariatric fixture is built with its CPT table of covered procedures marked as needing authorization
and one row of it (43645) marked as not needing it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from conftest import BARIATRIC_FIXTURE, build_with_the_command, copy_project
from policypress.fhir import validate
from test_bad_inputs import apply, edit
from test_fhir import read, resolves

POLICY = "policy/oh-cp-mp-37.yaml"
TABLE = "- heading: CPT® codes that support coverage criteria\n  code_system: CPT\n  meaning: supports_coverage\n"
ROW = '  - code: "43645"\n'


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("authorization") / "project", BARIATRIC_FIXTURE)
    apply(project, edit(POLICY, TABLE, TABLE + "  prior_authorization: true\n"))
    apply(project, edit(POLICY, ROW, ROW + "    prior_authorization: false\n"))
    built = project.parent / "site"
    build_with_the_command(project, built)
    return built


def _table_codes() -> list[str]:
    text = (BARIATRIC_FIXTURE / POLICY).read_text(encoding="utf-8")
    table = text.split(TABLE, 1)[1].split("\n- heading:", 1)[0]
    return [line.split('"')[1] for line in table.splitlines() if line.startswith("  - code: ")]


def test_the_list_holds_the_codes_needing_authorization(site: Path) -> None:
    listing = json.loads((site / "prior-authorization-list.json").read_text(encoding="utf-8"))["codes"]
    expected = [code for code in _table_codes() if code != "43645"]
    assert len(expected) >= 3
    assert sorted(entry["code"] for entry in listing) == sorted(expected)
    rows = list(csv.DictReader(io.StringIO((site / "prior-authorization-list.csv").read_text(encoding="utf-8"))))
    assert [row["code"] for row in rows] == [entry["code"] for entry in listing]
    for entry in listing:
        assert entry["policy_id"] == "OH.CP.MP.37"
        for link in (entry["page"], entry["version_page"], entry["criterion"]):
            assert resolves(site, "https://policies.example.org/" + link), link
        assert entry["criterion"].endswith("#criterion-I")  # the criterion the covered procedures follow from


def test_the_page_lists_them_with_policy_version_and_criterion_links(site: Path) -> None:
    soup = BeautifulSoup((site / "prior-authorization-list" / "index.html").read_text(encoding="utf-8"), "html.parser")
    rows = soup.select("article tbody tr")
    listing = json.loads((site / "prior-authorization-list.json").read_text(encoding="utf-8"))["codes"]
    assert [row.select_one("td.code").get_text() for row in rows] == [entry["code"] for entry in listing]
    links = [a["href"] for a in rows[0].select("a")]
    assert links == ["../policies/oh-cp-mp-37/", "../policies/oh-cp-mp-37/", "../policies/oh-cp-mp-37/#criterion-I"]
    assert soup.select_one("a[href='../prior-authorization-list.csv']") is not None
    assert soup.select_one("a[href='../prior-authorization-list.json']") is not None
    codes_page = BeautifulSoup((site / "codes" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert codes_page.select_one("nav a[href='../prior-authorization-list/']") is not None  # in the navigation


def test_the_coverage_rules_say_whether_authorization_is_needed(site: Path) -> None:
    rules = {rule["code"]: rule for rule in read(site, "oh-cp-mp-37", "coverage-rules.json")["rules"]}

    def parts(code: str) -> dict[str, Any]:
        return {part["url"]: part for part in rules[code]["extension"]["extension"]}

    assert parts("43644")["pa-needed"]["valueCode"] == "auth-needed"
    assert parts("43644")["doc-purpose"]["valueCode"] == "withpa"
    assert parts("43645")["pa-needed"]["valueCode"] == "no-auth"
    assert rules["43645"]["prior_authorization"] is False
    for rule in rules.values():
        assert validate.check_coverage_information(rule["extension"]) == [], rule["code"]


def test_without_any_the_page_says_so(built_site: Path) -> None:
    soup = BeautifulSoup(
        (built_site / "prior-authorization-list" / "index.html").read_text(encoding="utf-8"), "html.parser"
    )
    listing = json.loads((built_site / "prior-authorization-list.json").read_text(encoding="utf-8"))["codes"]
    if not listing:
        assert soup.select_one(".authorization-none") is not None


def test_the_policy_page_says_which_codes_need_authorization(site: Path) -> None:
    soup = BeautifulSoup((site / "policies" / "oh-cp-mp-37" / "index.html").read_text(encoding="utf-8"), "html.parser")
    row = soup.select_one("tr#code-cpt-43644")
    table = row.find_parent("table")
    assert [th.get_text() for th in table.select("thead th")][-1] == "Prior authorization"
    assert row.select("td")[-1].get_text() == "Required"
    assert soup.select_one("tr#code-cpt-43645").select("td")[-1].get_text() == "Not required"
    other = soup.select_one("tr#code-hcpcs-s2083").find_parent("table")
    assert "Prior authorization" not in other.get_text()  # a table that says nothing has no such column
