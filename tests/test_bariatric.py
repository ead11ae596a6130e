"""The second acceptance document: OH.CP.MP.37 (``tests/fixtures/bariatric``) on its page and in its PDF.

It carries what the seed lacks (nested criteria five levels deep, a note after a
sub-list, footnote asterisks, definitions, appendices with tables and lists, code
ranges, a notes column, month-precision dates, 32 references of every AMA type), so
these tests read the built page and PDF back and find every passage of the document,
in order, with each asterisk visible and each citation landing on the right reference.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from pypdf import PdfReader

from seedtext import BARIATRIC, bariatric_blocks, bariatric_references, plain
from test_pdf import block_pattern, read_pages

Build = tuple[Path, subprocess.CompletedProcess[str]]
PAGE = Path("policies/oh-cp-mp-37/index.html")
PDF = Path("pdf/oh-cp-mp-37.pdf")


@pytest.fixture(scope="module")
def project(bariatric_project: Path) -> Path:
    return bariatric_project


@pytest.fixture(scope="module")
def built(
    bariatric_build: tuple[Path, subprocess.CompletedProcess[str]],
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    return bariatric_build


@pytest.fixture(scope="module")
def site(bariatric_site: Path) -> Path:
    return bariatric_site


@pytest.fixture(scope="module")
def article(site: Path) -> Tag:
    soup = BeautifulSoup((site / PAGE).read_text(encoding="utf-8"), "html.parser")
    content = soup.select_one("article.md-content__inner")
    assert content is not None
    for backlink in content.select("a.backlink, a.headerlink"):
        backlink.decompose()
    return content


@pytest.fixture(scope="module")
def pdf_body(site: Path) -> str:
    text = "\n".join(page.body for page in read_pages(PdfReader(site / PDF))).replace("↩", "")
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r" ?\n ?", "\n", text)


def text_of(element: Tag) -> str:
    return re.sub(r"\s+", " ", element.get_text()).strip()


def test_check_is_clean_and_strict(project: Path) -> None:
    """No warning: the two references listed but never cited (16, 26) are information."""
    command = [sys.executable, "-m", "policypress", "-f", str(project / "mkdocs.yml"), "check", "--strict"]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1 policy, 32 references: valid, 0 warning(s), 2 info\n"
    assert result.stderr == "info: 2 x citation.unused (run with -v to list them)\n"


def test_the_build_says_nothing_to_worry_about(built: Build) -> None:
    output = built[1].stdout + built[1].stderr
    assert "WARNING" not in output and "warning" not in output, output


def test_every_block_is_on_the_page_in_order(article: Tag) -> None:
    page_text = text_of(article)
    position = 0
    for block in bariatric_blocks():
        found = page_text.find(block.text, position)
        assert found != -1, f"missing or out of order ({block.kind}): {block.text!r}"
        position = found + len(block.text)


def test_every_block_is_in_the_pdf_in_order(pdf_body: str) -> None:
    position = 0
    for block in bariatric_blocks():
        match = block_pattern(block.text).search(pdf_body, position)
        assert match is not None, f"missing or out of order ({block.kind}): {block.text!r}"
        position = match.end()


def test_metadata_dates_as_precise_as_written(article: Tag) -> None:
    meta = [text_of(li) for li in article.select("ul.policy-meta > li")]
    assert meta == ["Reference Number: OH.CP.MP.37", "Date of Last Review: 01/25", "Effective Date: 03/01/25"]


def test_footnote_asterisks_stay_literal(article: Tag, pdf_body: str) -> None:
    thresholds = [article.select_one(f"#criterion-I-B-{n}") for n in (1, 2, 3)]
    for item in thresholds:
        assert item is not None
        assert "kg/m²*" in text_of(item)
        assert item.select("em") == []
    footnote = article.select_one("p.footnote")
    assert footnote is not None and text_of(footnote).startswith("*BMI should be documented")
    assert block_pattern("*BMI should be documented in the medical record").search(pdf_body)
    assert len(re.findall(r"kg/m²\*", pdf_body)) == 3


def test_note_inside_criterion_after_its_sub_list(article: Tag) -> None:
    item = article.select_one("#criterion-I-B")
    assert item is not None
    children = [child.name for child in item.find_all(recursive=False) if child.name in ("ol", "p")]
    assert children == ["ol", "p"]
    note = item.select_one(":scope > p.criterion-note")
    assert note is not None and text_of(note).startswith("Note: For members of Asian descent")
    siblings = [li["id"] for li in item.find_parent("ol").find_all("li", recursive=False)]
    assert siblings == [f"criterion-I-{letter}" for letter in "ABCDE"]


def test_five_levels_of_numbering(article: Tag) -> None:
    for anchor in ("criterion-II-A-5-b-i", "criterion-II-A-5-b-ii", "criterion-I-B-2-h", "criterion-V-F"):
        assert article.select_one(f"#{anchor}") is not None, anchor
    assert text_of(article.select_one("#criterion-II-A-5-b-ii")) == "ii. Barrett's esophagus;"


def test_cross_references_link_inside_the_page(article: Tag) -> None:
    links = {(text_of(a), a["href"]) for a in article.select("a.xref")}
    assert {
        ("III", "#criterion-III"),
        ("I.B.2", "#criterion-I-B-2"),
        ("I.C", "#criterion-I-C"),
        ("I.D", "#criterion-I-D"),
        ("II", "#criterion-II"),
        ("Appendix C", "#appendix-c"),
        ("I.B", "#criterion-I-B"),
    } <= links
    for _text, href in links:
        assert article.select_one(href) is not None, href
    # a policy outside the library stays text, and the revision log keeps its history unlinked
    assert "OH.CP.MP.31" in text_of(article) and not any(t == "OH.CP.MP.31" for t, _ in links)
    assert article.select("#revision-log a.xref") == []


def test_definitions_and_appendices_are_sections(article: Tag) -> None:
    toc = [text_of(h) for h in article.select("h2")]
    assert toc == [
        "Description",
        "Policy/Criteria",
        "Definitions",
        "Background",
        "Appendices",
        "Coding Implications",
        "Revision Log",
        "References",
        "Important Reminder",
    ]
    terms = [text_of(d) for d in article.select("ul.definitions dfn")]
    assert len(terms) == 7 and terms[0] == "Body mass index (BMI)"
    assert [h["id"] for h in article.select("h3[id^=appendix-]")] == ["appendix-a", "appendix-b", "appendix-c"]
    abbreviations = article.select("#appendix-a ~ div.prose-table")[0]
    assert len(abbreviations.select("tbody tr")) == 12
    classes = article.select("#appendix-b ~ div.prose-table")[0]
    assert [text_of(th) for th in classes.select("th")] == ["Classification", "BMI (kg/m²)", "Risk of comorbidities"]
    assert [text_of(td) for td in classes.select("tbody tr")[0].select("td")] == [
        "Underweight",
        "< 18.5",
        "Low (other clinical problems more likely)",
    ]


def _fixture_tables() -> list[list[list[str]]]:
    """Every tab-separated table of the document, as rows of plain cells."""
    tables: list[list[list[str]]] = []
    previous_was_row = False
    for line in BARIATRIC.read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            if not previous_was_row:
                tables.append([])
            tables[-1].append([plain(cell) for cell in line.split("\t")])
        previous_was_row = "\t" in line
    return tables


def test_every_table_cell_by_cell(article: Tag) -> None:
    """Appendix tables, the four code tables (ranges and notes column included) and the revision log."""
    page_tables = [
        [[text_of(cell) for cell in tr.select("th, td")] for tr in table.select("tr")]
        for table in article.select("div.prose-table table, div.code-table table, div.revision-log table")
    ]
    assert page_tables == _fixture_tables()


def test_references_in_order(article: Tag) -> None:
    items = [text_of(li) for li in article.select("ol.references > li")]
    assert items == [bariatric_references()[n] for n in range(1, 33)]


def _fixture_citations() -> list[str]:
    """The text of every superscript citation of the document, in reading order."""
    return re.findall(r"<sup>([^<]+)</sup>", BARIATRIC.read_text(encoding="utf-8"))


def _numbers(written: str) -> list[int]:
    numbers: list[int] = []
    for part in written.split(","):
        first, _, last = part.partition("-")
        numbers.extend(range(int(first), int(last or first) + 1))
    return numbers


def test_every_citation_lands_on_its_references(article: Tag) -> None:
    citations = article.select("sup.citation")
    assert [text_of(sup) for sup in citations] == _fixture_citations()
    references = {int(li["id"].removeprefix("ref-")): text_of(li) for li in article.select("ol.references > li")}
    expected = bariatric_references()
    for sup in citations:
        linked = [int(a["href"].removeprefix("#ref-")) for a in sup.select("a")]
        shown = _numbers(text_of(sup))
        assert set(linked) <= set(shown) and {min(shown), max(shown)} <= set(linked), text_of(sup)
        for number in shown:
            assert references[number] == expected[number]


def test_pdf_carries_the_copyright_year_and_no_running_header_mid_text(pdf_body: str) -> None:
    assert block_pattern("©2019 Centene Corporation. All rights reserved.").search(pdf_body)
    assert "CLINICAL POLICY" not in pdf_body


def test_export_carries_logic_meaning_and_ranges(site: Path) -> None:
    export = json.loads((site / "api/policies/oh-cp-mp-37.json").read_text(encoding="utf-8"))
    policy = export["policy"]
    assert policy["criteria"][0]["requires"] == "all"
    assert policy["criteria"][3]["requires"] == "each"
    assert [t["meaning"] for t in policy["code_tables"]] == [
        "supports_coverage",
        "does_not_support_coverage",
        "supports_coverage",
        "supports_coverage",
    ]
    assert policy["last_review_date"] == "2025-01"
    resolved = export["criteria"][0]["criteria"][1]
    assert (resolved["anchor"], resolved["requires"]) == ("criterion-I-B", "one")
    assert resolved["notes"][0].startswith("Note: For members of Asian descent")
    assert export["summary"]["last_review_date"] == "2025-01"
    codes = json.loads((site / "api/codes.json").read_text(encoding="utf-8"))["codes"]
    diabetes = next(c for c in codes if c["code"] == "E11.00 – E11.9")
    assert (diabetes["first"], diabetes["last"]) == ("E11.00", "E11.9")
    inside = [c["code"] for c in codes if c["code_system"] == "ICD-10-CM" and _contains(c, "E11.65")]
    assert inside == ["E11.00 – E11.9"]


def _contains(entry: dict[str, str], code: str) -> bool:
    from policypress.model.codes import CodeSpan

    return CodeSpan(entry["first"], entry["last"]).contains(code)


def test_search_index_keeps_table_cells_apart(site: Path) -> None:
    index = json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))
    text = " ".join(doc["text"] for doc in index["docs"])
    assert "E11.00 – E11.9 Type 2 diabetes mellitus" in text
    assert "AGB adjustable gastric banding" in text
    assert "CodeDescription" not in text and "E11.9Type" not in text


def test_page_source_matches_golden(update_golden: bool) -> None:
    """The generated Markdown page, whole: every structure's markup, reviewed as a diff when it changes."""
    from conftest import BARIATRIC_FIXTURE
    from policypress.load.loader import load_project
    from policypress.project import ProjectLayout
    from policypress.render.pages import PageRenderer
    from test_render import check_golden

    project = load_project(ProjectLayout(BARIATRIC_FIXTURE))
    renderer = PageRenderer(BARIATRIC_FIXTURE.parents[2] / "templates")
    check_golden("oh-cp-mp-37.md", renderer.render_policy(project, project.policies[0]), update_golden)
