"""Lists at library scale, in Chromium: the home page in policy-number order, filtered in the page
by code or words, and the code index filtered by words and coverage (docs/assets/code-lookup.js).

A generated library of twelve policies (``scripts/generate_library.py``, numbers 1 to 12, so text
order would put MP.10 before MP.2) is built with MkDocs (pages only, no PDFs) and served.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from test_browser import WIDTHS, serve
from test_browser import browser as browser  # the same Chromium fixture

playwright = pytest.importorskip("playwright.sync_api")

COUNT = 12


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    project = tmp_path_factory.mktemp("library") / "project"
    generate = [sys.executable, str(ROOT / "scripts" / "generate_library.py"), str(COUNT), str(project)]
    subprocess.run(generate, check=True, capture_output=True, cwd=ROOT)
    site = project.parent / "site"
    build = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(project / "mkdocs.yml"), "-d", str(site)]
    result = subprocess.run(build, capture_output=True, text=True, cwd=project, check=False)
    assert result.returncode == 0, result.stderr
    with serve(site) as url:
        yield url, site


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=WIDTHS["desktop"])
    page = context.new_page()
    page.requests = []  # type: ignore[attr-defined]
    page.errors = []  # type: ignore[attr-defined]
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()
    assert page.errors == [], "console errors (a CSP violation shows here)"


def _codes(site: Path) -> list[dict[str, Any]]:
    return json.loads((site / "api" / "codes.json").read_text(encoding="utf-8"))["codes"]


def _shown_numbers(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        ".policy-index tbody tr:not([hidden]) td:first-child", "cells => cells.map(c => c.innerText)"
    )


def _type(page: Any, selector: str, text: str) -> None:
    page.locator(selector).fill("")
    page.locator(selector).press_sequentially(text, delay=15)


def test_the_home_page_lists_policies_by_number(page: Any, library: tuple[str, Path]) -> None:
    url, _ = library
    page.goto(url)
    assert _shown_numbers(page) == [f"XX.CP.MP.{n}" for n in range(1, COUNT + 1)]


def test_the_home_page_filter_finds_a_policy_by_code(page: Any, library: tuple[str, Path]) -> None:
    url, site = library
    codes = _codes(site)
    listed = Counter(entry["code"] for entry in codes)
    entry = next(e for e in codes if listed[e["code"]] == 1 and e["first"] == e["last"])  # one policy's own code
    page.goto(url)
    _type(page, "#policy-filter-input", entry["code"])
    status = f"{entry['code']}: 1 policy matches."
    page.wait_for_function("(s) => document.querySelector('.code-lookup-status').textContent === s", arg=status)
    assert _shown_numbers(page) == [entry["policy_id"]]
    page.locator(".policy-index tbody tr:not([hidden]) a").click()
    page.wait_for_url(f"**/{entry['page']}")
    assert all(request.startswith(url) for request in page.requests)  # filtered in the page: nothing fetched


def test_the_home_page_filter_takes_words_and_clears(page: Any, library: tuple[str, Path]) -> None:
    url, site = library
    policies = json.loads((site / "api" / "policies.json").read_text(encoding="utf-8"))["policies"]
    title = next(p for p in policies if p["id"] == "XX.CP.MP.10")["title"]
    page.goto(url)
    _type(page, "#policy-filter-input", f"({10})")  # each generated title ends with its number
    page.wait_for_function("document.querySelector('.code-lookup-status').textContent !== ''")
    assert _shown_numbers(page) == ["XX.CP.MP.10"], title
    _type(page, "#policy-filter-input", "no such words anywhere")
    page.wait_for_function("document.querySelector('.code-lookup-status').textContent.startsWith('No policy')")
    assert _shown_numbers(page) == []
    page.locator("#policy-filter-input").fill("")
    assert len(_shown_numbers(page)) == COUNT


def test_the_code_index_filters_by_words_and_coverage(page: Any, library: tuple[str, Path]) -> None:
    url, site = library
    codes = _codes(site)
    page.goto(url + "codes/")
    rows = "tr[data-first]:not([hidden])"
    assert page.locator(rows).count() == len(codes)
    page.locator("#code-lookup-meaning").select_option("supports-coverage")
    supporting = [e for e in codes if e["meaning"] == "supports_coverage"]
    assert 0 < len(supporting) < len(codes)
    page.wait_for_function(
        "(n) => document.querySelectorAll('tr[data-first]:not([hidden])').length === n", arg=len(supporting)
    )
    word = "injection"
    expected = [
        e for e in supporting if word in (e["description"] + " " + e["policy_title"] + " " + e["table"]).lower()
    ]
    _type(page, "#code-lookup-input", word)
    page.wait_for_function(
        "(n) => document.querySelectorAll('tr[data-first]:not([hidden])').length === n", arg=len(expected)
    )
    shown = page.eval_on_selector_all(rows, "rows => rows.map(r => r.id)")
    assert len(shown) == len(expected) > 0
