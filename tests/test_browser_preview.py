"""The live preview (``make serve``) as an author meets it: a browser that enforces the CSP.

An edit to a policy must appear in the open page by itself, and a broken edit must say what is
wrong in the page, not only in the terminal. The page is never reloaded by hand here.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import copy_seed_project
from test_browser import browser as browser  # the same Chromium fixture
from test_serve import edit, free_port, wait_for

playwright = pytest.importorskip("playwright.sync_api")

PAGE = "policies/wa-cp-mp-166/"
SEED = Path("policy") / "wa-cp-mp-166.yaml"
EDIT_BOUND_S = 15.0
"""Generous: edit to page takes about 1.5 s on two cores (README, Performance); a busy machine is slower."""


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """``make serve``'s command on a copy of the project; yields the copy and the policy page's URL."""
    root = copy_seed_project(tmp_path_factory.mktemp("preview") / "project")
    port = free_port()
    command = [sys.executable, "-m", "mkdocs", "serve", "--livereload", "--dirty", "-a", f"127.0.0.1:{port}"]
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/{PAGE}"
    try:
        assert wait_for(url, "Sacroiliac Joint Interventions"), "mkdocs serve did not come up"
        yield root, url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def author_page(browser: Any, preview: tuple[Path, str]) -> Iterator[tuple[Any, list[str], list[str]]]:
    """One open tab on the policy page for the whole module, as an author keeps it; with its console."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    logs: list[str] = []
    page.on("console", lambda m: (errors if m.type == "error" else logs).append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(preview[1])
    yield page, errors, logs
    context.close()


def _seconds_until(page: Any, script: str, arg: str) -> float:
    started = time.monotonic()
    page.wait_for_function(script, arg=arg, timeout=EDIT_BOUND_S * 1000, polling=50)
    return time.monotonic() - started


def test_the_reload_script_runs_under_the_previews_policy(author_page: tuple[Any, list[str], list[str]]) -> None:
    page, errors, logs = author_page
    page.wait_for_function("document.readyState === 'complete'")
    policy = page.get_attribute("meta[http-equiv='Content-Security-Policy']", "content")
    assert policy is not None and "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "Enabled live reload" in logs  # MkDocs' script ran: the policy admitted it
    assert errors == [], "console errors (a CSP violation shows here)"


def test_an_edit_appears_in_the_open_page(
    author_page: tuple[Any, list[str], list[str]], preview: tuple[Path, str]
) -> None:
    page, errors, _ = author_page
    root, _ = preview
    marker = "with mixed results (edited in the preview)."
    edit(root / SEED, "with mixed results.", marker)
    seconds = _seconds_until(page, "(text) => document.body.innerText.includes(text)", marker)
    print(f"edit -> open page shows it: {seconds:.2f} s")  # the figure in README, Performance
    assert seconds < EDIT_BOUND_S
    assert errors == []


def test_a_broken_edit_shows_its_error_in_the_page_until_fixed(
    author_page: tuple[Any, list[str], list[str]], preview: tuple[Path, str]
) -> None:
    page, errors, _ = author_page
    root, _ = preview
    source = root / SEED
    lines = source.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.startswith("effective_date:"))
    edit(source, "effective_date: 2024-11-01", "effective_date: 11/01/2024")
    _seconds_until(page, "(id) => document.getElementById(id) !== null", "policypress-build-error")
    overlay = page.locator("#policypress-build-error")
    assert overlay.is_visible()
    assert overlay.get_attribute("role") == "alert"
    where = overlay.locator("code.build-error-where").first.inner_text()
    assert where.startswith(f"policy/wa-cp-mp-166.yaml:{line}:"), where
    assert "effective_date" in overlay.inner_text()
    assert "Sacroiliac Joint Interventions" in page.inner_text("h1")  # the last good page, under the notice

    edit(source, "effective_date: 11/01/2024", "effective_date: 2024-11-01")
    _seconds_until(page, "(id) => document.getElementById(id) === null", "policypress-build-error")
    assert "with mixed results (edited in the preview)." in page.inner_text("article")
    assert errors == []
