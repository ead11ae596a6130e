"""A pull request that adds a policy: the project stays valid and builds, the seed's page, PDF and exports
stay byte for byte what they were, and the listings (home page, code index, feed, exports) gain exactly
the new policy.

``two_policy_project`` (conftest) is the repository reduced to the seed, with ``SECOND_POLICY``
(tests/fixtures/second-policy/wa-cp-mp-200.yaml) beside it, and ``built_site_with_two_policies`` its site.
The seed's acceptance checks (tests/test_seed_page.py, tests/test_pdf.py) run on that site as well as on
the repository's; this module compares it with a site of the seed alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import FIXED_EPOCH, ROOT, SECOND_POLICY, build_with_the_command, copy_seed_project, seed_of
from policypress.load.loader import load_project
from policypress.project import ProjectLayout
from policypress.render.pages import PageRenderer
from seedtext import seed_references
from test_exports import assert_published
from test_site_pages import ATOM, SEED_ROW, home_page_rows, links_land_on_built_files

SECOND_ROW = ["WA.CP.MP.200", "Lumbar Facet Joint Interventions", "Coordinated Care Corporation", "02/01/25", "01/25"]
SECOND_FILES = [
    "api/fhir/wa-cp-mp-200/Bundle.json",
    "api/fhir/wa-cp-mp-200/Questionnaire.json",
    "api/fhir/wa-cp-mp-200/ValueSet-1.json",
    "api/fhir/wa-cp-mp-200/ValueSet-2.json",
    "api/fhir/wa-cp-mp-200/coverage-rules.json",
    "api/policies/wa-cp-mp-200.json",
    "pdf/wa-cp-mp-200.pdf",
    "policies/wa-cp-mp-200/index.html",
]
"""What the second policy adds: its page, its PDF, its export, its FHIR files."""
LISTINGS = [
    "api/codes.csv",
    "api/codes.json",
    "api/policies.json",
    "codes/index.html",
    "feed.xml",
    "index.html",
    "search/search_index.json",
    "sitemap.xml",
    "sitemap.xml.gz",
]
"""The files of a site that list every policy: the only ones a second policy may change."""


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository reduced to the seed, built with the same command and date as the two-policy site."""
    project = copy_seed_project(tmp_path_factory.mktemp("seed-alone") / "project")
    site = project.parent / "site"
    build_with_the_command(project, site, env={**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH})
    return site


def files_of(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_the_second_policy_is_in_the_project(two_policy_project: Path) -> None:
    project = load_project(ProjectLayout(two_policy_project))
    assert [source.policy.id for source in project.policies] == ["WA.CP.MP.166", "WA.CP.MP.200"]
    assert (two_policy_project / "policy" / "wa-cp-mp-200.yaml").read_bytes() == SECOND_POLICY.read_bytes()


def test_check_strict_passes_and_the_second_policy_adds_no_warning_or_information(two_policy_project: Path) -> None:
    """The seed alone reads ``1 policy, 29 references: valid, 0 warning(s), 21 info`` (tests/test_cli.py)."""
    result = subprocess.run(
        [sys.executable, "-m", "policypress", "-f", str(two_policy_project / "mkdocs.yml"), "check", "--strict"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "2 policies, 29 references: valid, 0 warning(s), 21 info\n",
        "info: 21 x citation.unused (run with -v to list them)\n",
    )


def test_adding_a_policy_adds_its_files_and_changes_only_the_listings(
    seed_site: Path, built_site_with_two_policies: Path
) -> None:
    """The seed's page, PDF and export, the references export, assets and every other page: the same bytes."""
    alone, both = files_of(seed_site), files_of(built_site_with_two_policies)
    assert "pdf/wa-cp-mp-166.pdf" in alone and "policies/wa-cp-mp-166/index.html" in alone
    assert sorted(alone.keys() - both.keys()) == []
    assert sorted(both.keys() - alone.keys()) == SECOND_FILES
    assert sorted(path for path in alone if alone[path] != both[path]) == LISTINGS


def test_the_seed_page_source_is_still_its_golden_file(two_policy_project: Path) -> None:
    project = load_project(ProjectLayout(two_policy_project))
    page = PageRenderer(ROOT / "templates").render_policy(project, seed_of(project))
    assert page == (ROOT / "tests" / "golden" / "wa-cp-mp-166.md").read_text(encoding="utf-8")


def test_the_home_page_lists_both_policies_by_number(built_site_with_two_policies: Path) -> None:
    assert home_page_rows(built_site_with_two_policies) == [SEED_ROW, SECOND_ROW]


def test_the_exports_hold_both_policies(built_site_with_two_policies: Path, two_policy_project: Path) -> None:
    site = built_site_with_two_policies
    assert_published(site, load_project(ProjectLayout(two_policy_project)))
    summaries = json.loads((site / "api" / "policies.json").read_text(encoding="utf-8"))["policies"]
    assert [summary["id"] for summary in summaries] == ["WA.CP.MP.166", "WA.CP.MP.200"]
    codes = json.loads((site / "api" / "codes.json").read_text(encoding="utf-8"))["codes"]
    assert [(code["code"], code["policy_id"], code["link"]) for code in codes] == [
        ("64451", "WA.CP.MP.166", "policies/wa-cp-mp-166/#code-cpt-64451"),
        ("64493", "WA.CP.MP.200", "policies/wa-cp-mp-200/#code-cpt-64493"),
        ("64625", "WA.CP.MP.166", "policies/wa-cp-mp-166/#code-cpt-64625"),
        ("J3490", "WA.CP.MP.200", "policies/wa-cp-mp-200/#code-hcpcs-j3490"),
    ]


def test_the_feed_has_an_entry_for_each_policy_newest_first(built_site_with_two_policies: Path) -> None:
    feed = ET.fromstring((built_site_with_two_policies / "feed.xml").read_bytes())
    assert [entry.find(f"{ATOM}link").get("href") for entry in feed.findall(f"{ATOM}entry")] == [
        "https://policies.example.org/policies/wa-cp-mp-200/#revision-1",
        "https://policies.example.org/policies/wa-cp-mp-166/#revision-1",
    ]


def test_the_second_policy_page_numbers_its_own_references(built_site_with_two_policies: Path) -> None:
    """Its three references are numbered 1 to 3 in its own list, with the texts the seed prints for them."""
    page = built_site_with_two_policies / "policies" / "wa-cp-mp-200" / "index.html"
    article = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select_one("article")
    for link in article.select("a.backlink, a.headerlink"):
        link.decompose()
    assert " ".join(article.select_one("h1").get_text().split()) == "Clinical Policy: Lumbar Facet Joint Interventions"
    assert [li["id"] for li in article.select("li.criterion")] == [
        "criterion-I",
        "criterion-I-A",
        "criterion-I-B",
        "criterion-I-C",
        "criterion-II",
    ]
    seed = seed_references()  # chou2007, staal2008 and chou2009 are the seed's references 9, 19 and 11
    items = [" ".join(li.get_text().split()) for li in article.select("ol.references > li")]
    assert items == [seed[9], seed[19], seed[11]]
    assert [" ".join(sup.get_text().split()) for sup in article.select("sup.citation")] == ["1", "2", "3"]


@pytest.mark.parametrize(
    "page", ["index.html", "codes/index.html", "policies/wa-cp-mp-166/index.html", "policies/wa-cp-mp-200/index.html"]
)
def test_every_link_of_a_generated_page_lands_on_a_built_file(built_site_with_two_policies: Path, page: str) -> None:
    links_land_on_built_files(built_site_with_two_policies, page)
