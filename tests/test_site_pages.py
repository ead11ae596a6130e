"""Home page, code index, feed and navigation: what a provider's office uses to find a policy."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, SEED_ID
from policypress.load.loader import load_project
from policypress.project import Project, ProjectLayout
from policypress.render.changes import atom_feed, recent_changes
from policypress.render.exports import codes_export
from policypress.render.pages import PageRenderer
from policypress.render.urls import SiteLinks
from test_render import check_golden

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
NESTED = ROOT / "tests" / "fixtures" / "nested"


@pytest.fixture(scope="module")
def project(seed_project: Path) -> Project:
    """The repository reduced to the seed: the code index and the feed hold the seed's entries alone."""
    return load_project(ProjectLayout(seed_project))


def test_code_index_page_matches_golden(project: Project, update_golden: bool) -> None:
    page = PageRenderer(ROOT / "templates").render_codes(codes_export(project, "policies").codes)
    check_golden("codes.md", page, update_golden)


def test_recent_changes_are_newest_first(project: Project) -> None:
    nested = load_project(ProjectLayout(NESTED))
    merged = Project(project.policies + nested.policies, project.bibliography, project.boilerplate, ())
    assert [(c.source.policy.id, c.month) for c in recent_changes(merged)] == [
        ("XX.CP.MP.1", "2025-02"),
        ("WA.CP.MP.166", "2024-09"),
    ]


def test_feed_is_well_formed_atom(project: Project) -> None:
    feed = ET.fromstring(atom_feed(project, "Clinical Policies", "https://policies.example.org/", "policies"))
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):  # RFC 4287 4.1.1: exactly one each
        assert len(feed.findall(f"{ATOM}{required}")) == 1, required
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "https://policies.example.org/feed.xml"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{required}")) == 1, required
        assert RFC3339.fullmatch(entry.findtext(f"{ATOM}updated") or "")
        assert entry.find(f"{ATOM}link").get("href") == (
            "https://policies.example.org/policies/wa-cp-mp-166/#revision-1"
        )
    assert RFC3339.fullmatch(feed.findtext(f"{ATOM}updated") or "")
    assert entries[0].findtext(f"{ATOM}title") == (
        "WA.CP.MP.166 Sacroiliac Joint Interventions for Pain Management: "
        "Policy developed for services not managed by Evolent."
    )


SEED_ROW = [
    "WA.CP.MP.166",
    "Sacroiliac Joint Interventions for Pain Management",
    "Coordinated Care Corporation",
    "11/01/24",
    "",
]


def home_page_rows(site: Path) -> list[list[str]]:
    """The cells of each row of the home page's policy list, in order."""
    article = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser").select_one("article")
    return [[td.get_text(strip=True) for td in tr.select("td")] for tr in article.select(".policy-index tbody tr")]


def test_built_home_page_links_everything(built_site: Path) -> None:
    soup = BeautifulSoup((built_site / "index.html").read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article")
    rows = home_page_rows(built_site)
    policies = load_project(ProjectLayout(ROOT)).policies
    assert [row[0] for row in rows] == sorted(source.policy.id for source in policies)  # every policy, by number
    assert next(row for row in rows if row[0] == SEED_ID) == SEED_ROW
    hrefs = {a["href"] for a in article.select("a")}
    assert {"codes/", "feed.xml", "api/policies.json", "api/codes.csv"} <= hrefs
    assert {f"policies/{source.stem}/" for source in policies} <= hrefs
    assert "policies/wa-cp-mp-166/#revision-1" in hrefs
    assert soup.select_one("link[rel='alternate'][type='application/atom+xml']") is not None
    assert (built_site / "feed.xml").exists()


@pytest.mark.parametrize("page", ["index.html", "codes/index.html", "policies/wa-cp-mp-166/index.html"])
def test_every_link_of_a_generated_page_lands_on_a_built_file(built_site: Path, page: str) -> None:
    """Links written by templates and by the exports come from one address scheme (render/urls.py)."""
    links_land_on_built_files(built_site, page)


def links_land_on_built_files(site: Path, page: str) -> None:
    html = site / page
    article = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser").select_one("article")
    links = [a["href"] for a in article.select("a[href]") if not a["href"].startswith(("#", "http", "mailto:"))]
    assert links
    for href in links:
        target = (html.parent / href.split("#")[0]).resolve()
        if href.split("#")[0].endswith("/") or target.is_dir():
            target /= "index.html"
        assert target.is_file(), f"{page}: {href}"


def test_site_links_follow_the_page() -> None:
    home = SiteLinks.from_page("index.md", "policies")
    codes = SiteLinks.from_page("codes.md", "policies")
    assert (home.codes_index, home.feed, home.codes_csv) == ("codes/", "feed.xml", "api/codes.csv")
    assert (codes.codes_json, codes.site("policies/x/#cpt-1")) == ("../api/codes.json", "../policies/x/#cpt-1")


def test_navigation_stays_small(built_site: Path) -> None:
    """Policy pages are not in the navigation, so a thousand policies do not repeat on every page."""
    soup = BeautifulSoup(
        (built_site / "policies" / "wa-cp-mp-166" / "index.html").read_text(encoding="utf-8"), "html.parser"
    )
    labels = [a.get_text(strip=True) for a in soup.select("nav.md-nav--primary a.md-nav__link")]
    assert labels == ["Policies", "Code Index", "Prior Authorization"]
