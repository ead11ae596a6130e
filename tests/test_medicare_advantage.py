"""Medicare Advantage internal coverage criteria: ``policypress check`` holds a policy to 42 CFR 422.101(b)(6).

A policy that declares itself internal coverage criteria must give its Medicare basis, its rationale
and an evidence summary whose claims cite the policy's references by number; the benefit-over-harm
statement is a warning when missing (it applies to most, not all, criteria).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from conftest import build_with_the_command, copy_project
from policypress.cli import main
from test_bad_inputs import GOLDEN, MA_BLOCK, MA_WITHOUT_RATIONALE, NESTED, POLICY, apply, edit


def _project(tmp_path: Path, block: str) -> Path:
    root = copy_project(tmp_path / "project", NESTED)
    apply(root, edit(POLICY, "references:\n  - alpha\n", block + "references:\n  - alpha\n"))
    return root


def _check(root: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["-f", str(root / "mkdocs.yml"), "check", *flags])
    output = capsys.readouterr()
    assert "Traceback" not in output.err
    return code, output.err


def test_check_refuses_internal_criteria_without_a_rationale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _check(_project(tmp_path, MA_WITHOUT_RATIONALE), capsys)
    assert code == 1
    golden = (GOLDEN / "ma-missing-rationale.txt").read_text(encoding="utf-8").splitlines()[0]
    assert golden.startswith("policy/xx-cp-mp-1.yaml:38:3: medicare_advantage.rationale: required")
    assert golden in err.splitlines()


def test_a_complete_block_passes_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _check(_project(tmp_path, MA_BLOCK), capsys, "-v")
    assert code == 0
    assert "medicare_advantage" not in err  # the fixture's own warnings are the only ones


def test_a_missing_benefit_over_harm_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    block = "\n".join(line for line in MA_BLOCK.splitlines() if "benefit_over_harm" not in line) + "\n"
    root = _project(tmp_path, block)
    code, err = _check(root, capsys, "-v")
    assert code == 0
    assert "warning: medicare_advantage.benefit_over_harm: not given" in err


def test_a_plan_using_medicares_criteria_needs_none_of_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, "medicare_advantage:\n  internal_coverage_criteria: false\n")
    code, err = _check(root, capsys, "-v")
    assert code == 0
    assert "medicare_advantage" not in err


MA_CITING = MA_BLOCK.replace("Two trials found a lasting benefit.", "Two trials found a lasting benefit [@gamma].")


@pytest.fixture(scope="module")
def ma_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The nested fixture declared Medicare Advantage internal coverage criteria (a claim citing too), built."""
    root = _project(tmp_path_factory.mktemp("medicare"), MA_CITING)
    site = root.parent / "site"
    build_with_the_command(root, site)
    return site


def test_the_page_and_the_pdf_show_the_block(ma_site: Path) -> None:
    """What the rule asks a plan to publish is on the policy page (and so in its PDF), each claim linking its
    references; a citation in the block is checked and numbered like any other."""
    site = ma_site
    soup = BeautifulSoup((site / "policies" / "xx-cp-mp-1" / "index.html").read_text(encoding="utf-8"), "html.parser")
    heading = soup.select_one("h2#medicare-advantage")
    assert heading is not None and heading.get_text(strip=True).startswith("Medicare Advantage Internal Coverage")
    claim = soup.select_one("ul.evidence-summary li")
    assert claim is not None
    assert [a["href"] for a in claim.select("a[href^='#ref-']")] == ["#ref-3", "#ref-1", "#ref-2"]
    for a in claim.select("a[href^='#ref-']"):
        assert soup.select_one(str(a["href"])) is not None
    text = soup.get_text(" ", strip=True)
    for words in ("Medicare basis:", "Rationale:", "Summary of evidence:", "Benefits and harms:"):
        assert words in text
    pdf = " ".join(page.extract_text() for page in PdfReader(site / "pdf" / "xx-cp-mp-1.pdf").pages)
    assert "Medicare Advantage Internal Coverage Criteria" in " ".join(pdf.split())


def test_an_index_of_internal_criteria_is_linked_from_every_footer(ma_site: Path, built_site: Path) -> None:
    index = BeautifulSoup(
        (ma_site / "medicare-advantage-criteria" / "index.html").read_text(encoding="utf-8"), "html.parser"
    )
    (row,) = index.select("article tbody tr")
    assert [a["href"] for a in row.select("a")] == [
        "../policies/xx-cp-mp-1/",
        "../policies/xx-cp-mp-1/#medicare-advantage",
    ]
    for page, link in [
        ("index.html", "medicare-advantage-criteria/"),
        ("codes/index.html", "../medicare-advantage-criteria/"),
        ("policies/xx-cp-mp-1/index.html", "../../medicare-advantage-criteria/"),
    ]:
        soup = BeautifulSoup((ma_site / page).read_text(encoding="utf-8"), "html.parser")
        assert soup.select_one(f"footer a[href='{link}']") is not None, page
    # a site without such criteria has neither the page nor the link
    assert not (built_site / "medicare-advantage-criteria").exists()
    assert "medicare-advantage-criteria" not in (built_site / "index.html").read_text(encoding="utf-8")
