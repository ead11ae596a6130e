"""Cross-references to other policies of the library: a link where the policy is published, words
where it is not, and a stored page that follows the library (``speed.pages``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bs4 import BeautifulSoup

from conftest import BARIATRIC_FIXTURE, ROOT
from policypress.load.loader import load_project
from policypress.model.policy import Policy
from policypress.project import PolicySource, Project, ProjectLayout
from policypress.render.pages import PageRenderer
from policypress.speed.pages import StoredPageRenderer, page_store

COSMETIC = Policy.model_validate(
    {
        "id": "OH.CP.MP.31",
        "title": "Cosmetic and Reconstructive Surgery",
        "plan": "Example Health Plan of Ohio",
        "effective_date": "2025-03-01",
        "description": ["A stand-in for the policy the bariatric policy names."],
        "criteria": [{"text": "A criterion."}],
        "revision_log": [{"description": "Policy developed.", "revision_date": "2025-01", "approval_date": "2025-01"}],
    }
)


def _bariatric() -> tuple[Project, PolicySource]:
    project = load_project(ProjectLayout(BARIATRIC_FIXTURE))
    return project, project.policies[0]


def _with_cosmetic(project: Project) -> Project:
    cosmetic = PolicySource(COSMETIC, "policy/oh-cp-mp-31.yaml", "oh-cp-mp-31")
    return dataclasses.replace(project, policies=(*project.policies, cosmetic))


def _policy_links(page: str) -> list[tuple[str, str]]:
    html = "\n".join(line for line in page.splitlines() if line.startswith("<"))
    soup = BeautifulSoup(html, "html.parser")
    return [(a.get_text(), a["href"]) for a in soup.select("a.xref") if not a["href"].startswith("#")]


def test_a_policy_of_the_library_is_linked_and_one_outside_stays_words() -> None:
    project, source = _bariatric()
    renderer = PageRenderer(ROOT / "templates")
    assert _policy_links(renderer.render_policy(project, source)) == []
    linked = _policy_links(renderer.render_policy(_with_cosmetic(project), source))
    assert linked == [("OH.CP.MP.31", "../oh-cp-mp-31/"), ("OH.CP.MP.31", "../oh-cp-mp-31/")]  # criterion IV.E, App. C


def test_a_stored_page_follows_the_library(tmp_path: Path) -> None:
    project, source = _bariatric()
    source = dataclasses.replace(source, key="bariatric-content-key")  # as a stored reader files it
    project = dataclasses.replace(project, policies=(source,))
    renderer = StoredPageRenderer(ROOT / "templates", None, page_store(tmp_path / "cache"))
    alone = renderer.render_policy(project, source)
    beside = renderer.render_policy(_with_cosmetic(project), source)
    assert _policy_links(alone) == [] and len(_policy_links(beside)) == 2
    assert renderer.render_policy(project, source) == alone
