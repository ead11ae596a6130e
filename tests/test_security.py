"""Nothing in a policy or the bibliography reaches the published page as markup or script."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, copy_project
from policypress.cli import main

NESTED = ROOT / "tests" / "fixtures" / "nested"
# BibTeX itself gives braces a meaning (grouping), so they are not in this title
HOSTILE_TITLE = "Evil <img src=x onerror=alert(1)> *not italic* <script>alert(2)</script> [x](javascript:alert(3))"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = copy_project(tmp_path_factory.mktemp("hostile") / "project", NESTED)
    bib = root / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("title = {First}", f"title = {{{HOSTILE_TITLE}}}"))
    assert main(["-f", str(root / "mkdocs.yml"), "build"]) == 0
    return (root / "site" / "policies" / "xx-cp-mp-1" / "index.html").read_text(encoding="utf-8")


def content(page: str) -> BeautifulSoup:
    soup = BeautifulSoup(page, "html.parser")
    article = soup.select_one("article")
    assert article is not None
    return article


def test_policy_text_is_shown_literally(page: str) -> None:
    article = content(page)
    description = article.select_one("#description").find_next("p").get_text()
    for literal in (
        "<script>alert(1)</script>",
        "{: onclick=x }",
        "{{ config }}",
        '--8<-- "/etc/passwd"',
        "NIA_CG_305",
    ):
        assert literal in description
    assert article.select("script") == []
    assert not any(tag.has_attr("onclick") for tag in article.find_all(True))


def test_bibliography_text_is_shown_literally(page: str) -> None:
    reference = content(page).select_one("li#ref-1")
    assert reference is not None
    assert HOSTILE_TITLE in reference.get_text()
    assert reference.select("img, em > em") == []
    assert "onerror" not in str(reference).replace("onerror=alert(1)&gt;", "")


def test_no_event_handlers_or_script_urls_anywhere_in_the_article(page: str) -> None:
    html = str(content(page))
    assert not re.search(r"<[^>]+\son[a-z]+=", html)
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*(javascript|data):""", html)
    assert "<script" not in html
