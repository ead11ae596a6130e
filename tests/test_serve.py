"""``make serve``: editing a policy, the bibliography or a template rebuilds the preview."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import copy_project

PAGE = "policies/wa-cp-mp-166/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except OSError:
        return ""


def wait_for(url: str, needle: str, timeout: float = 45.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in fetch(url):
            return True
        time.sleep(0.25)
    return False


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = copy_project(tmp_path_factory.mktemp("serve") / "project")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dirty", "-f", str(root / "mkdocs.yml"), "-a", f"127.0.0.1:{port}"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/{PAGE}"
    try:
        assert wait_for(url, "Sacroiliac Joint Interventions"), "mkdocs serve did not come up"
        yield root, url
    finally:
        process.terminate()
        process.wait(timeout=20)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_editing_a_policy_reloads(served: tuple[Path, str]) -> None:
    root, url = served
    edit(root / "policy" / "wa-cp-mp-166.yaml", "with mixed results.", "with mixed results (edited).")
    assert wait_for(url, "with mixed results (edited).")


def test_editing_the_bibliography_reloads(served: tuple[Path, str]) -> None:
    root, url = served
    edit(root / "references.bib", "Cooled radiofrequency denervation", "Edited cooled radiofrequency denervation")
    assert wait_for(url, "Edited cooled radiofrequency denervation")


def test_editing_a_template_reloads(served: tuple[Path, str]) -> None:
    root, url = served
    edit(root / "templates" / "policy.md.j2", "Reference Number:", "Reference No.:")
    assert wait_for(url, "Reference No.:")


def test_search_index_stays_whole_after_a_dirty_rebuild(served: tuple[Path, str]) -> None:
    root, url = served
    edit(root / "policy" / "wa-cp-mp-166.yaml", "pain and dysfunction", "pain and dysfunction (searchable)")
    assert wait_for(url, "dysfunction (searchable)")
    index_url = url.split("/policies/")[0] + "/search/search_index.json"
    assert wait_for(index_url, "dysfunction (searchable)")
    locations = {doc["location"].split("#")[0] for doc in json.loads(fetch(index_url))["docs"]}
    # the home page and the code index are listings, kept out of search so results are the policies
    assert PAGE in locations and "" not in locations and "codes/" not in locations


def test_changing_the_date_format_in_mkdocs_yml_reaches_every_page(served: tuple[Path, str]) -> None:
    root, url = served
    edit(root / "mkdocs.yml", 'date_format: "%m/%d/%y"', 'date_format: "%Y-%m-%d"')
    assert wait_for(url, "2024-11-01")
    assert wait_for(url.split("/policies/")[0] + "/", "2024-11-01")  # the home page too
