"""The acceptance test: the built page of WA.CP.MP.166 carries every block of the seed, in order.

Every check runs on two sites: the repository's (``built_site``) and one where a second policy stands
beside the seed (``built_site_with_two_policies``): the seed's page does not depend on its neighbours.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from seedtext import seed_blocks, seed_references

PAGE = Path("policies/wa-cp-mp-166/index.html")

# The Background citations as the seed prints them, in reading order.
SEED_BACKGROUND_CITATIONS = ["5", "2", "26", "25", "3", "23", "24", "5", "5,22"]


@pytest.fixture(scope="module", params=["built_site", "built_site_with_two_policies"])
def site(request: pytest.FixtureRequest) -> Path:
    """A built site that holds the seed."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def article(site: Path) -> Tag:
    soup = BeautifulSoup((site / PAGE).read_text(encoding="utf-8"), "html.parser")
    content = soup.select_one("article.md-content__inner")
    assert content is not None
    for backlink in content.select("a.backlink, a.headerlink"):
        backlink.decompose()
    return content


def text_of(element: Tag) -> str:
    return re.sub(r"\s+", " ", element.get_text()).strip()


def test_every_seed_block_is_on_the_page_in_order(article: Tag) -> None:
    page_text = text_of(article)
    position = 0
    for block in seed_blocks():
        found = page_text.find(block.text, position)
        assert found != -1, f"missing or out of order ({block.kind}): {block.text!r}"
        position = found + len(block.text)


def test_title_and_metadata(article: Tag) -> None:
    heading = article.select_one("h1")
    assert heading is not None
    assert text_of(heading) == "Clinical Policy: Sacroiliac Joint Interventions for Pain Management"
    meta = [text_of(li) for li in article.select("ul.policy-meta > li")]
    assert meta == ["Reference Number: WA.CP.MP.166", "Date of Last Review:", "Effective Date: 11/01/24"]


def test_in_page_links_reach_their_sections(article: Tag) -> None:
    links = {text_of(a): a["href"] for a in article.select(".policy-jump a, .policy-reminder-link a")}
    assert links == {
        "Coding Implications": "#coding-implications",
        "Revision Log": "#revision-log",
        "Important Reminder": "#important-reminder",
    }
    for target in links.values():
        assert article.select_one(target) is not None, target


def test_criteria_keep_numbers_italics_and_bold(article: Tag) -> None:
    criteria = article.select("ol.criteria > li.criterion")
    assert [li["id"] for li in criteria] == ["criterion-I", "criterion-II"]
    assert text_of(criteria[0]).startswith("I. It is the policy of Coordinated Care Corporation")
    assert [text_of(em) for em in criteria[0].select("em")] == ["sacroiliac nerve blocks"]
    assert [text_of(b) for b in criteria[0].select("strong")] == ["not medically necessary"]
    assert [text_of(em) for em in criteria[1].select("em")] == [
        "radiofrequency neurotomy (conventional, cooled, and pulsed)"
    ]


def test_code_table(article: Tag) -> None:
    table = article.select_one("div.code-table table")
    assert table is not None
    assert [text_of(th) for th in table.select("th")] == ["CPT® Codes", "Description"]
    rows = [[text_of(td) for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert rows == [
        [
            "64451",
            "Injection(s), anesthetic agent(s) and/or steroid; nerves innervating the sacroiliac joint, "
            "with image guidance (i.e., fluoroscopy or computed tomography)",
        ],
        [
            "64625",
            "Radiofrequency ablation, nerves innervating the sacroiliac joint, with image guidance "
            "(i.e., fluoroscopy or computed tomography)",
        ],
    ]
    assert [tr["id"] for tr in table.select("tbody tr")] == ["code-cpt-64451", "code-cpt-64625"]


def test_revision_log(article: Tag) -> None:
    table = article.select_one("div.revision-log table")
    assert table is not None
    assert [text_of(th) for th in table.select("th")] == [
        "Reviews, Revisions, and Approvals",
        "Revision Date",
        "Approval Date",
    ]
    rows = [[text_of(td) for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert rows == [["Policy developed for services not managed by Evolent.", "09/24", "09/24"]]


def test_references_are_the_seed_strings_numbered_1_to_29(article: Tag) -> None:
    items = article.select("ol.references > li")
    assert [li["id"] for li in items] == [f"ref-{n}" for n in range(1, 30)]
    expected = seed_references()
    assert sorted(expected) == list(range(1, 30))
    for number, li in enumerate(items, start=1):
        assert text_of(li) == expected[number], f"reference {number}"


def test_background_citations_in_seed_order_link_to_their_references(article: Tag) -> None:
    background = article.select_one("#background")
    coding = article.select_one("#coding-implications")
    assert background is not None and coding is not None
    in_background = []
    for element in background.find_all_next(["sup", "h2"]):
        if element is coding:
            break
        if "citation" in (element.get("class") or []):
            in_background.append(element)
    sups = article.select("sup.citation")
    assert sups == in_background, "the seed cites only in its Background"
    assert [text_of(sup) for sup in sups] == SEED_BACKGROUND_CITATIONS
    references = seed_references()
    for sup in sups:
        for link in sup.select("a"):
            number = int(text_of(link))
            assert link["href"] == f"#ref-{number}"
            target = article.select_one(f"li#ref-{number}")
            assert target is not None and text_of(target) == references[number]


def test_each_reference_links_back_to_its_citations(site: Path) -> None:
    soup = BeautifulSoup((site / PAGE).read_text(encoding="utf-8"), "html.parser")
    backlinks = {li["id"]: [a["href"] for a in li.select("a.backlink")] for li in soup.select("ol.references > li")}
    # reference 5 is cited three times (twice alone, once with 22); 22 once; uncited ones have none
    assert backlinks["ref-5"] == ["#cite-1", "#cite-8", "#cite-9"]
    assert backlinks["ref-22"] == ["#cite-9"]
    assert backlinks["ref-1"] == []
    assert sum(1 for links in backlinks.values() if links) == 8
    for links in backlinks.values():
        for href in links:
            assert soup.select_one(href) is not None


def test_important_reminder_ends_with_medicaid_note_and_copyright(article: Tag) -> None:
    heading = article.select_one("#important-reminder")
    assert heading is not None and text_of(heading) == "Important Reminder"
    paragraphs = [text_of(p) for p in heading.find_all_next("p")]
    assert paragraphs[-2].startswith("Note: For Medicaid members/enrollees, when state Medicaid")
    assert paragraphs[-1].startswith("©2018 Centene Corporation. All rights reserved.")
    assert paragraphs[-1].endswith("registered trademarks exclusively owned by Centene Corporation.")


def test_the_published_site_has_no_edit_pencil(site: Path) -> None:
    soup = BeautifulSoup((site / PAGE).read_text(encoding="utf-8"), "html.parser")
    assert soup.select("a.md-content__button") == []  # mkdocs.yml sets no edit_uri (test_furniture sets one)


def test_no_google_fonts_or_third_party_assets(site: Path) -> None:
    html = (site / PAGE).read_text(encoding="utf-8")
    assert "fonts.googleapis" not in html and "fonts.gstatic" not in html
    for src in re.findall(r'(?:src|href)="(https?://[^"]+)"', html):
        assert not re.search(r"\.(js|css|woff2?)(\?|$)", src), src
