"""The on-disk cache of formatted references: used when the bytes and the code match, never stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, copy_project, seed_of
from policypress.build.workspace import Workspace
from policypress.errors import SourceError
from policypress.project import ProjectLayout
from policypress.render.pages import PageRenderer
from policypress.speed import bibliography as bibliography_module
from policypress.speed import refcache


def page_of(root: Path) -> str:
    """The seed's page."""
    project = Workspace(ProjectLayout(root)).load()
    return PageRenderer(ROOT / "templates").render_policy(project, seed_of(project))


def test_unchanged_bibliography_is_not_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_project(tmp_path / "project")
    first = page_of(root)
    assert len(list((root / ".cache" / "references").glob("*.json"))) == 1

    def refuse(*_args: object) -> None:
        raise AssertionError("parsed although the cache holds this bibliography")

    monkeypatch.setattr(bibliography_module, "parse_bibliography", refuse)
    assert page_of(root) == first


def test_an_edit_misses_the_cache_and_replaces_it(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    page_of(root)
    before = {p.name for p in (root / ".cache" / "references").glob("*.json")}
    bib = root / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("Cooled radiofrequency", "Chilled radiofrequency"))
    assert "Chilled radiofrequency denervation" in page_of(root)
    after = {p.name for p in (root / ".cache" / "references").glob("*.json")}
    assert len(after) == 1 and after != before


def test_a_bibliography_with_problems_is_not_cached(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    bib = root / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("  journal  = {J Pain Res},\n", "", 1))
    with pytest.raises(SourceError):
        Workspace(ProjectLayout(root)).load()
    assert not list((root / ".cache" / "references").glob("*.json"))


def test_the_key_covers_the_text_and_the_formatting_code(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    key = refcache.cache_key(text)
    assert refcache.cache_key(text + " ") != key
    refcache._formatter_fingerprint.cache_clear()
    monkeypatch.setattr(refcache, "_FORMATTER_MODULES", ("bibliography/ama.py",))  # as if other code had changed
    try:
        assert refcache.cache_key(text) != key
    finally:
        refcache._formatter_fingerprint.cache_clear()


def test_cached_bibliography_still_quotes_its_entries(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    parsed = Workspace(ProjectLayout(root)).load().bibliography
    cached = Workspace(ProjectLayout(root)).load().bibliography
    assert parsed.keys == cached.keys
    assert [cached.source(k) for k in cached.keys] == [parsed.source(k) for k in parsed.keys]
    assert cached.source("ho2013").startswith("@article{ho2013,")
