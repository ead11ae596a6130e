"""The Medicare Advantage internal coverage criteria in Chromium: the index and the policy page's block have
no serious axe violations at desktop and phone widths, and the footer link opens the index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_browser import AXE, WIDTHS, serious_violations, serve
from test_browser import browser as browser  # the same Chromium fixture
from test_medicare_advantage import ma_site as ma_site  # the nested fixture declared internal criteria

playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def base_url(ma_site: Path) -> Iterator[str]:
    with serve(ma_site) as url:
        yield url


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", ["medicare-advantage-criteria/", "policies/xx-cp-mp-1/"])
def test_no_serious_accessibility_violations(browser: Any, base_url: str, path: str, width: str) -> None:
    assert AXE.exists(), "axe-core is not installed: run `make test`"
    assert serious_violations(browser, base_url + path, viewport=WIDTHS[width]) == []


def test_the_footer_link_opens_the_index_and_it_opens_the_block(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport=WIDTHS["desktop"])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        page.goto(base_url + "codes/")
        page.locator("footer a", has_text="Medicare Advantage Internal Coverage Criteria").click()
        page.wait_for_url("**/medicare-advantage-criteria/")
        page.locator("article a", has_text="Internal coverage criteria of XX.CP.MP.1").click()
        page.wait_for_url("**/policies/xx-cp-mp-1/#medicare-advantage")
        assert page.locator("#medicare-advantage").is_visible()
    finally:
        context.close()
    assert errors == [], "console errors (a CSP violation shows here)"
