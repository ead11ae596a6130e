"""The site on a phone (390 px wide), in Chromium: nothing wider than the screen, contents reachable.

Wide tables scroll inside their own box (Material wraps each in a scrolling frame); everything
else must fit. A box pushed past the right edge of a frame that clips it is content a provider
cannot reach, so the check is by element, not only by the page's scroll width.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from test_browser import POLICY, WIDTHS, in_viewport
from test_browser import base_url as base_url  # the built site, served
from test_browser import browser as browser  # the same Chromium fixture

playwright = pytest.importorskip("playwright.sync_api")

TOO_WIDE = """() => {
  const width = window.innerWidth;
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    if (box.right <= 0 || box.left >= width) continue;  // off-canvas (the closed drawer): not on screen
    let frame = el.parentElement;
    while (frame && !scrolls(frame)) frame = frame.parentElement;
    // inside a frame that scrolls: the frames themselves are checked
    if (frame && frame !== document.documentElement) continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      wide.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return wide;
}"""


@pytest.fixture
def phone(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    context = browser.new_context(viewport=WIDTHS["phone"], is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, errors
    context.close()
    assert errors == [], "console errors (a CSP violation shows here)"


@pytest.mark.parametrize("path", ["", POLICY, "codes/", "404.html"])
def test_nothing_is_wider_than_the_phone(phone: tuple[Any, list[str]], base_url: str, path: str) -> None:
    page, _ = phone
    page.goto(base_url + path)
    page.wait_for_load_state("load")
    assert page.evaluate(TOO_WIDE) == []
    assert page.evaluate("document.scrollingElement.scrollWidth") <= WIDTHS["phone"]["width"]


@pytest.mark.parametrize("path", ["", "codes/"])
def test_a_wide_listing_scrolls_inside_its_own_frame(phone: tuple[Any, list[str]], base_url: str, path: str) -> None:
    page, _ = phone
    page.goto(base_url + path)
    page.wait_for_load_state("load")
    frame = page.locator("article .md-typeset__scrollwrap").filter(has=page.locator("table")).first
    table = frame.locator("table")
    assert frame.evaluate("(f) => f.scrollWidth > f.clientWidth")  # the table is wider than the phone …
    last_header = table.locator("th").last
    frame.evaluate("(f) => { f.scrollLeft = f.scrollWidth; }")  # … and its last column can be scrolled to
    box = last_header.bounding_box()
    assert box is not None and box["x"] + box["width"] <= WIDTHS["phone"]["width"] + 0.5


def test_the_table_of_contents_opens_on_a_policy_page(phone: tuple[Any, list[str]], base_url: str) -> None:
    page, _ = phone
    page.goto(base_url + POLICY)
    contents = page.locator("details.page-contents")
    assert contents.is_visible() and not contents.locator("nav").is_visible()
    contents.locator("summary").tap()
    link = contents.locator("a[href='#revision-log']")
    assert link.is_visible()
    titles = contents.locator("a").all_inner_texts()
    assert titles[:3] == ["Description", "Policy/Criteria", "Background"] and "References" in titles
    link.tap()
    page.wait_for_function("location.hash === '#revision-log'")
    assert in_viewport(page, "#revision-log")


def test_the_contents_stay_out_of_the_way_on_a_wide_screen(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport=WIDTHS["desktop"])
    page = context.new_page()
    page.goto(base_url + POLICY)
    assert not page.locator("details.page-contents").is_visible()
    assert page.locator(".md-sidebar--secondary a[href='#revision-log']").is_visible()  # Material's own
    context.close()
