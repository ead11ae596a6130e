"""The provider website in a real browser: search, citations, the code index, accessibility, privacy.

The built site is served on 127.0.0.1 and driven with Playwright in Debian's
Chromium (``make test`` installs it when missing); accessibility is audited with
axe-core from the npm registry (installed by ``make test`` under ``.cache/browser``).
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / ".cache" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
POLICY = "policies/wa-cp-mp-166/"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """A built site served on 127.0.0.1 for as long as the block runs; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def base_url(built_site: Path) -> Iterator[str]:
    with serve(built_site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make test`, which installs Debian's chromium package")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    """A page that records every request and every console error (CSP violations included)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.requests = []  # type: ignore[attr-defined]
    page.errors = []  # type: ignore[attr-defined]
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()
    outside = [url for url in page.requests if not url.startswith((base_url, "data:", "blob:"))]
    assert outside == [], "requests left localhost"
    assert page.errors == [], "console errors (a CSP violation shows here)"


def in_viewport(page: Any, selector: str) -> bool:
    return bool(
        page.evaluate(
            """(selector) => {
                const box = document.querySelector(selector).getBoundingClientRect();
                return box.top >= 0 && box.top < window.innerHeight && box.height > 0;
            }""",
            selector,
        )
    )


def test_search_for_a_code_offers_the_policy(page: Any, base_url: str) -> None:
    page.goto(base_url)
    page.keyboard.press("/")
    page.locator("input.md-search__input").press_sequentially("64625", delay=30)
    offered = page.locator(f".md-search-result__item a[href*='{POLICY}']").first
    offered.wait_for(timeout=15_000)
    assert "Sacroiliac Joint Interventions for Pain Management" in offered.inner_text()
    offered.click()
    page.wait_for_url(f"**/{POLICY}**")


def test_citation_24_and_its_back_link(page: Any, base_url: str) -> None:
    page.goto(base_url + POLICY)
    page.click("sup.citation a[href='#ref-24']")
    page.wait_for_function("location.hash === '#ref-24'")
    assert in_viewport(page, "#ref-24")
    page.click("#ref-24 a.backlink")
    page.wait_for_function("location.hash === '#cite-7'")
    assert in_viewport(page, "#cite-7")
    assert page.inner_text("#cite-7") == "24"


def test_code_index_links_land_on_the_row(page: Any, base_url: str) -> None:
    page.goto(base_url + "codes/")
    page.click("text=64625")
    page.wait_for_url(f"**/{POLICY}#code-cpt-64625")
    assert in_viewport(page, "#code-cpt-64625")
    assert "Radiofrequency ablation" in page.inner_text("#code-cpt-64625")


FIRST_AND_WRAPPED_LINES = """(selector) => {
    // The left edge of the first word on each line the criterion's own words take (number, sub-list and
    // raised citation numbers left out): words, not white space, since a space before the first word
    // is where the fault shows.
    const item = document.querySelector(selector);
    const number = item.querySelector(":scope > .criterion-number");
    const walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT, {
        acceptNode: (node) => number.contains(node) || node.parentElement.closest("sup")
            || node.parentElement.closest("ol") !== item.parentElement
            ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    const lines = [];  // {top, bottom, left}: a word whose middle lies within a line's height is on that line
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const word of node.data.matchAll(/\\S+/g)) {
            const range = document.createRange();
            range.setStart(node, word.index);
            range.setEnd(node, word.index + word[0].length);
            for (const box of range.getClientRects()) {  // a hyphenated word may take two lines
                const middle = (box.top + box.bottom) / 2;
                const line = lines.find((l) => l.top <= middle && middle <= l.bottom);
                if (line) { line.left = Math.min(line.left, box.left); } else { lines.push(box.toJSON()); }
            }
        }
    }
    return {
        lines: lines.sort((a, b) => a.top - b.top).map((l) => l.left),
        number: number.getBoundingClientRect().left,
    };
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_a_criterions_first_line_starts_where_its_wrapped_lines_do(browser: Any, base_url: str, width: int) -> None:
    """The number stands in its own column: the words of the first line and of the lines after it align."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(base_url + POLICY)
    found = page.evaluate(FIRST_AND_WRAPPED_LINES, "#criterion-II")
    context.close()
    lines = found["lines"]
    assert len(lines) >= 3, "criterion II wraps over several lines"
    assert lines[0] > found["number"] + 20, "the words start after the number"
    assert max(lines) - min(lines) < 0.5, f"lines start at {lines}"


def test_pages_declare_a_content_security_policy(page: Any, base_url: str) -> None:
    for path in ("", POLICY, "codes/"):
        page.goto(base_url + path)
        policy = page.get_attribute("meta[http-equiv='Content-Security-Policy']", "content")
        assert policy is not None and "script-src 'self' 'sha256-" in policy
        assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]


PAGE_TYPES = ["", POLICY, "codes/", "prior-authorization-list/", "404.html"]
"""One page of each kind the site has: the home page, a policy, the code index, the prior authorization list,
the not-found page."""
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGE_TYPES)
def test_no_serious_accessibility_violations(browser: Any, base_url: str, path: str, width: str) -> None:
    assert AXE.exists(), "axe-core is not installed: run `make test`"
    assert serious_violations(browser, base_url + path, viewport=WIDTHS[width]) == []


def serious_violations(browser: Any, url: str, **context_options: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations of the page at ``url``."""
    context = browser.new_context(bypass_csp=True, **context_options)  # axe is injected as a script of its own
    page = context.new_page()
    try:
        response = page.goto(url)
        assert response is not None and response.ok
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            """async () => (await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
            })).violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"""
        )
    finally:
        context.close()
    return [v for v in violations if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize(
    ("query", "row", "words"),
    [
        ("radiofrequency", "code-cpt-64625", "64625 Radiofrequency ablation, nerves innervating the sacroiliac joint"),
        ("injection", "code-cpt-64451", "64451 Injection(s), anesthetic agent(s) and/or steroid"),
    ],
)
def test_search_by_a_procedures_words_lists_its_code_row(
    page: Any, base_url: str, query: str, row: str, words: str
) -> None:
    page.goto(base_url)
    page.keyboard.press("/")
    page.locator("input.md-search__input").press_sequentially(query, delay=30)
    result = page.locator(f".md-search-result__item a[href$='#{row}']")
    result.wait_for(timeout=15_000)
    assert result.is_visible()  # shown, not folded under "more on this page"
    text = " ".join(result.inner_text().split())
    assert text.startswith(words), text  # the row's own words, cell from cell, readable
    assert "CPT code that does not support coverage criteria" in text
    result.click()
    page.wait_for_url(f"**/{POLICY}*#{row}")
    assert in_viewport(page, f"#{row}")


def test_the_readmes_one_line_server_gives_a_working_site(browser: Any, built_site: Path) -> None:
    """README, Opening the site: ``python3 -m http.server -d site`` (file:// has no search: it cannot fetch
    its index)."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "-d", str(built_site), str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.goto(url)
        page.keyboard.press("/")
        page.locator("input.md-search__input").press_sequentially("64625", delay=30)
        page.locator(".md-search-result__item a[href$='#code-cpt-64625']").wait_for(timeout=15_000)
        page.goto(url + "codes/")
        page.click("text=64625")
        page.wait_for_url(f"**/{POLICY}#code-cpt-64625")
        assert errors == []
        context.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
