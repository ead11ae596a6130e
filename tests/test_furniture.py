"""The site's furniture from mkdocs.yml: the footer (plan, contact, legal links) and the edit pencil."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import copy_seed_project
from policypress.render.furniture import footer_problems

PAGE = "policies/wa-cp-mp-166/index.html"


def _build(project: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(project / "mkdocs.yml")]
    return subprocess.run(command, capture_output=True, text=True, cwd=project, check=False)


def _configure(project: Path, old: str, new: str) -> None:
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def authors_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy with its own plan, contact and edit_uri, as a plan configures an authors' preview."""
    project = copy_seed_project(tmp_path_factory.mktemp("furniture") / "project")
    _configure(
        project,
        "site_url: https://policies.example.org/\n",
        "site_url: https://policies.example.org/\nedit_uri: https://git.example.org/plan/policies/edit/main/\n",
    )
    _configure(project, "plan: Coordinated Care Corporation", "plan: Example Health Plan of Ohio")
    _configure(project, '"Provider Services: 1-800-555-0100"', '"Provider Services <24/7>: 1-800-555-0199"')
    result = _build(project)
    assert result.returncode == 0, result.stderr
    return project / "site"


def test_every_page_names_the_plan_its_contact_and_legal_links(built_site: Path) -> None:
    for page in ("index.html", "codes/index.html", PAGE, "404.html"):
        footer = BeautifulSoup((built_site / page).read_text(encoding="utf-8"), "html.parser").select_one("footer")
        assert footer is not None
        assert footer.select_one(".site-plan").get_text(strip=True) == "Coordinated Care Corporation"
        contact = footer.select_one(".site-contact a")
        assert contact["href"] == "tel:+18005550100" and contact.get_text() == "Provider Services: 1-800-555-0100"
        legal = [(a.get_text(), a["href"]) for a in footer.select("nav[aria-label='Legal'] a")]
        assert legal[0] == ("Privacy Policy", "https://policies.example.org/privacy/") and len(legal) == 3
        assert "Material for MkDocs" not in footer.get_text()


def test_the_footer_is_configuration_written_as_text(authors_site: Path) -> None:
    html = (authors_site / PAGE).read_text(encoding="utf-8")
    footer = BeautifulSoup(html, "html.parser").select_one("footer")
    assert footer is not None and footer.select_one(".site-plan").get_text(strip=True) == "Example Health Plan of Ohio"
    assert "Provider Services &lt;24/7&gt;: 1-800-555-0199" in html


def test_the_edit_pencil_shows_only_when_edit_uri_is_set(authors_site: Path) -> None:
    soup = BeautifulSoup((authors_site / PAGE).read_text(encoding="utf-8"), "html.parser")
    edit = soup.select_one("a.md-content__button")
    assert (
        edit is not None and edit["href"] == "https://git.example.org/plan/policies/edit/main/policy/wa-cp-mp-166.yaml"
    )


def test_a_footer_link_that_could_run_script_stops_the_build(tmp_path: Path) -> None:
    project = copy_seed_project(tmp_path / "project")
    _configure(project, "url: https://policies.example.org/terms/", "url: javascript:alert(1)")
    result = _build(project)
    assert result.returncode != 0
    expected = (
        "mkdocs.yml: extra.footer.links[1].url: links may use https:, http:, mailto:, tel: or be a path of the site"
    )
    assert f"{expected}, got 'javascript:alert(1)'" in result.stderr, result.stderr
    assert not (project / "site").exists()


@pytest.mark.parametrize(
    ("footer", "problems"),
    [
        (None, []),
        ({"plan": "P", "links": [{"title": "Privacy", "url": "/privacy/"}]}, []),
        ("ACME", ["extra.footer: expected a mapping with plan, contact and links, got 'ACME'"]),
        ({"plan": 3}, ["extra.footer.plan: expected text"]),
        ({"phone": "1"}, ["extra.footer.phone: unknown field; the footer takes plan, contact, links"]),
        (
            {"contact": {"url": "mailto:a@b"}},
            ["extra.footer.contact.text: expected text, such as 'Provider Services: 1-800-555-0100'"],
        ),
        (
            {"links": [{"title": "T"}]},
            ["extra.footer.links[0].url: expected a link (https://…, mailto:…, tel:… or a path of the site), got None"],
        ),
        ({"links": ["Privacy"]}, ["extra.footer.links[0]: expected a title (text) and a url"]),
    ],
)
def test_footer_problems_name_the_field(footer: object, problems: list[str]) -> None:
    assert footer_problems(footer) == problems
