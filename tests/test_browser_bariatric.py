"""The second acceptance document in a real browser: five levels of criteria on a phone, links
between criteria, search by a diagnosis's name, accessibility (``tests/fixtures/bariatric``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_browser import AXE, serve
from test_browser import browser as browser  # the same Chromium fixture

playwright = pytest.importorskip("playwright.sync_api")

POLICY = "policies/oh-cp-mp-37/"
PHONE = {"width": 390, "height": 844}

_WORDS_BROKEN_ACROSS_LINES = """
(selector) => {
  const broken = [];
  for (const item of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('ol.criteria') !== item.closest('ol.criteria')) continue;
      const re = /[^\\s-]+-?/g;  // a line may break after a hyphen, never inside a word
      let match;
      while ((match = re.exec(node.data)) !== null) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}
"""


@pytest.fixture(scope="module")
def base_url(bariatric_site: Path) -> Iterator[str]:
    with serve(bariatric_site) as url:
        yield url


def _page(browser: Any, viewport: dict[str, int], **options: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=viewport, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def test_five_levels_of_criteria_read_whole_words_on_a_phone(browser: Any, base_url: str) -> None:
    context, page, errors = _page(browser, PHONE)
    page.goto(base_url + POLICY)
    deepest = page.locator("#criterion-II-A-5-b-i")
    assert deepest.is_visible()
    box = deepest.bounding_box()
    assert box is not None and box["width"] >= 200, box  # the fifth level keeps room for its words
    broken = page.evaluate(_WORDS_BROKEN_ACROSS_LINES, "ol.criteria li")
    assert broken == [], f"words broken across lines: {broken[:10]}"
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    assert errors == []
    context.close()


def test_a_cross_reference_lands_on_its_criterion(browser: Any, base_url: str) -> None:
    context, page, errors = _page(browser, {"width": 1280, "height": 800})
    page.goto(base_url + POLICY)
    page.locator("#criterion-III-B-2 a.xref", has_text="I.B.2").click()
    page.wait_for_function("location.hash === '#criterion-I-B-2'")
    target = page.locator("#criterion-I-B-2")
    assert target.is_visible()
    assert page.evaluate("document.querySelector(':target').id") == "criterion-I-B-2"
    assert errors == []
    context.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Benign intracranial hypertension", "Benign intracranial hypertension"),
        ("adjustable gastric banding", "adjustable gastric banding"),
        ("0312T", "0312T"),
    ],
)
def test_search_finds_table_cells_by_their_words(browser: Any, base_url: str, query: str, expected: str) -> None:
    context, page, errors = _page(browser, {"width": 1280, "height": 800})
    page.goto(base_url)
    page.keyboard.press("/")
    page.locator("input.md-search__input").press_sequentially(query, delay=20)
    results = page.locator(f".md-search-result__item a[href*='{POLICY}']")
    results.first.wait_for(timeout=15_000)
    # code rows that share the words rank first (render.search); the rest are a click away, as for a reader
    for more in page.locator(".md-search-result__more summary").all():
        more.click()
    texts = " ".join(results.all_inner_texts())
    assert expected.lower() in texts.lower(), texts[:500]
    assert errors == []
    context.close()


def test_no_serious_accessibility_violations_on_the_bariatric_page(browser: Any, base_url: str) -> None:
    # axe is injected as a script of its own
    context, page, errors = _page(browser, {"width": 1280, "height": 800}, bypass_csp=True)
    page.goto(base_url + POLICY)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.help)"
    )
    assert violations == []
    assert errors == []
    context.close()


@pytest.mark.parametrize(
    ("code", "rows", "status"),
    [
        ("E11.65", ["E11.00 – E11.9"], "E11.65: 1 row lists it."),
        ("z68.42", ["Z68.41 – Z68.45"], "z68.42: 1 row lists it."),
        ("I10", ["I10"], "I10: 1 row lists it."),
        ("43775", ["43775"], "43775: 1 row lists it."),
        ("E12.1", [], "No policy lists E12.1."),
    ],
)
def test_the_code_index_finds_a_code_inside_a_range(
    browser: Any, base_url: str, code: str, rows: list[str], status: str
) -> None:
    context, page, errors = _page(browser, {"width": 1280, "height": 800})
    page.goto(base_url + "codes/")
    page.locator("#code-lookup-input").press_sequentially(code, delay=20)
    page.wait_for_function("(s) => document.querySelector('.code-lookup-status').textContent === s", arg=status)
    shown = page.eval_on_selector_all("tr[data-first]:not([hidden]) td.code", "cells => cells.map(c => c.innerText)")
    assert shown == rows
    page.locator("#code-lookup-input").fill("")
    page.wait_for_function("document.querySelectorAll('tr[data-first][hidden]').length === 0")
    assert errors == []
    context.close()
