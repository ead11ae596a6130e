"""The prior authorization list in Chromium: readable at desktop and phone widths, no serious axe violations,
and its links land on the policy's criterion (the bariatric fixture with codes needing authorization)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_browser import AXE, WIDTHS, serious_violations, serve
from test_browser import browser as browser  # the same Chromium fixture
from test_prior_authorization import site as site  # the fixture's site with codes needing authorization

playwright = pytest.importorskip("playwright.sync_api")

PAGE = "prior-authorization-list/"


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    with serve(site) as url:
        yield url


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", [PAGE, "policies/oh-cp-mp-37/"])  # the list, and a page with the column
def test_no_serious_accessibility_violations(browser: Any, base_url: str, path: str, width: str) -> None:
    assert AXE.exists(), "axe-core is not installed: run `make test`"
    assert serious_violations(browser, base_url + path, viewport=WIDTHS[width]) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_criterion_link_opens_the_criterion(browser: Any, base_url: str, width: str) -> None:
    context = browser.new_context(viewport=WIDTHS[width])
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(base_url + PAGE)
        first = page.locator("article tbody tr").first
        assert first.locator("td.code").inner_text() == "43644"
        link = first.locator("a", has_text="Criteria for 43644")
        assert link.is_visible()
        link.click()
        page.wait_for_url("**/policies/oh-cp-mp-37/#criterion-I")
        assert page.locator("#criterion-I").is_visible()
        assert page.locator("nav a[href$='prior-authorization-list/']").count() >= 1
    finally:
        context.close()
    assert errors == [], "console errors (a CSP violation shows here)"
    assert all(url.startswith(base_url) for url in requests), "no third-party requests"
