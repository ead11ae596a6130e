"""The date-of-service field in a real browser: on the current page of a policy with three versions, a
date inside each window opens that version's page; a date before the first says so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from test_browser import AXE, CHROMIUM, CHROMIUM_ARGS, serious_violations, serve
from test_versions import _build, three_versions

playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = _build(three_versions(tmp_path_factory.mktemp("browser-versions") / "repo"))
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
    assert errors == []  # the CSP let the script run, and nothing failed


@pytest.mark.parametrize(("day", "version"), [("2024-12-15", 1), ("2025-03-01", 2), ("2025-12-31", 3)])
def test_a_date_of_service_lands_on_the_version_in_effect(page: Any, base_url: str, day: str, version: int) -> None:
    page.goto(base_url + "policies/wa-cp-mp-166/")
    page.fill("#date-of-service", day)
    page.click("form.date-of-service button")
    page.wait_for_url(f"**/policies/wa-cp-mp-166/v{version}/")
    assert page.locator(".policy-version strong").inner_text() == f"Version {version} of 3"
    assert page.locator("#criterion-II").count() == 1


def test_a_date_before_the_first_version_is_answered(page: Any, base_url: str) -> None:
    page.goto(base_url + "policies/wa-cp-mp-166/")
    page.fill("#date-of-service", "2023-01-01")
    page.click("form.date-of-service button")
    status = page.locator(".date-of-service-status")
    status.wait_for()
    assert status.inner_text() == "No version of this policy was in effect on 2023-01-01."
    assert page.url.endswith("/policies/wa-cp-mp-166/")


@pytest.mark.parametrize("path", ["policies/wa-cp-mp-166/", "policies/wa-cp-mp-166/v1/"])
@pytest.mark.parametrize("width", [1280, 390])
def test_version_pages_pass_axe(browser: Any, base_url: str, path: str, width: int) -> None:
    """The versions table, the date field and the banner add no serious accessibility violation."""
    assert AXE.exists(), "axe-core is not installed: run `make test`"
    assert serious_violations(browser, base_url + path, viewport={"width": width, "height": 900}) == []


def _lookup(page: Any, base_url: str, code: str, day: str) -> Any:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(base_url + "codes/")
    page.fill("#code-date-of-service-code", code)
    page.fill("#code-date-of-service-date", day)
    page.click("form.code-date-of-service button")
    result = page.locator(".code-date-of-service-result p")
    result.wait_for()
    assert all(url.startswith(base_url) for url in requests), requests  # the site's own files, nothing else
    return result


@pytest.mark.parametrize(("day", "version"), [("2024-12-15", 1), ("2025-04-01", 2), ("2025-09-01", 3)])
def test_a_code_and_a_date_of_service_name_the_version_in_effect(
    page: Any, base_url: str, day: str, version: int
) -> None:
    """On the code index: CPT 64451 on a date inside each window names that version, and its link opens the
    code's row on that version's page."""
    result = _lookup(page, base_url, "64451", day)
    assert result.inner_text() == f"In effect on {day}, one row lists code 64451:"
    items = page.locator(".code-date-of-service-result li")
    assert items.count() == 1
    assert items.first.inner_text().startswith(f"WA.CP.MP.166 version {version} (in effect from ")
    assert "CPT 64451 in “CPT code that does not support coverage criteria” (does not support coverage)" in (
        items.first.inner_text()
    )
    items.first.locator("a").click()
    page.wait_for_url(f"**/policies/wa-cp-mp-166/v{version}/#code-cpt-64451")
    assert page.locator(".policy-version strong").inner_text() == f"Version {version} of 3"
    assert page.locator("#code-cpt-64451").count() == 1


@pytest.mark.parametrize(("code", "day"), [("64451", "2023-01-01"), ("99999", "2025-04-01")])
def test_a_code_no_version_listed_that_day_is_answered(page: Any, base_url: str, code: str, day: str) -> None:
    result = _lookup(page, base_url, code, day)
    assert result.inner_text() == f"No policy version in effect on {day} lists code {code}."
    assert page.locator(".code-date-of-service-result li").count() == 0


@pytest.mark.parametrize("width", [1280, 390])
def test_the_code_index_with_its_date_field_passes_axe(browser: Any, base_url: str, width: int) -> None:
    assert AXE.exists(), "axe-core is not installed: run `make test`"
    assert serious_violations(browser, base_url + "codes/", viewport={"width": width, "height": 900}) == []
