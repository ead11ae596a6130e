"""Work kept on disk between runs (``.cache/sources``, ``citations``, ``pages``): reused only while nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import copy_project
from policypress.checks import check_site
from policypress.errors import SourceError
from policypress.project import ProjectLayout, load_project
from policypress.render import DateFormats, PageRenderer
from policypress.workcache import WorkCache, content_key

SEED = "policy/wa-cp-mp-166.yaml"


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def _check(root: Path) -> tuple:
    return check_site(ProjectLayout(root, use_cache=True), root / "templates", DateFormats())


def _entries(root: Path, kind: str) -> list[Path]:
    return sorted((root / ".cache" / kind).glob("*.json"))


def test_a_cached_load_gives_the_same_project_as_parsing(project_dir: Path) -> None:
    parsed = load_project(ProjectLayout(project_dir))
    first = load_project(ProjectLayout(project_dir, use_cache=True))  # parses and stores
    assert _entries(project_dir, "sources") and _entries(project_dir, "citations")
    second = load_project(ProjectLayout(project_dir, use_cache=True))  # from the store
    assert (
        [s.policy for s in second.policies] == [s.policy for s in parsed.policies] == [s.policy for s in first.policies]
    )
    assert second.notes == parsed.notes  # warnings (with their lines) come back as they were
    assert {s.key for s in second.policies} == {s.key for s in first.policies}


def test_an_edited_policy_is_read_again_and_its_old_entry_pruned(project_dir: Path) -> None:
    load_project(ProjectLayout(project_dir, use_cache=True))
    before = _entries(project_dir, "sources")
    policy = project_dir / SEED
    policy.write_text(policy.read_text(encoding="utf-8").replace("Sacroiliac", "Sacro-iliac", 1), encoding="utf-8")
    project = load_project(ProjectLayout(project_dir, use_cache=True))
    assert "Sacro-iliac" in project.policies[0].policy.title
    after = _entries(project_dir, "sources")
    assert len(after) == len(before) == 1 and after != before


def test_a_damaged_entry_reads_as_a_miss(project_dir: Path) -> None:
    expected = load_project(ProjectLayout(project_dir, use_cache=True))
    for entry in _entries(project_dir, "sources") + _entries(project_dir, "citations"):
        entry.write_text('{"policy": "not json', encoding="utf-8")
    again = load_project(ProjectLayout(project_dir, use_cache=True))
    assert [s.policy for s in again.policies] == [s.policy for s in expected.policies]
    assert again.notes == expected.notes


def test_citation_errors_found_after_a_bibliography_edit_keep_their_lines(project_dir: Path) -> None:
    clean = load_project(ProjectLayout(project_dir, use_cache=True))
    key = clean.policies[0].policy.references[3]
    bib = project_dir / "references.bib"
    text = bib.read_text(encoding="utf-8")
    bib.write_text(text.replace(f"{{{key},", f"{{{key}Renamed,", 1), encoding="utf-8")
    with pytest.raises(SourceError) as cached:
        load_project(ProjectLayout(project_dir, use_cache=True))  # policy from the store, citations anew
    with pytest.raises(SourceError) as uncached:
        load_project(ProjectLayout(project_dir))
    assert cached.value.diagnostics == uncached.value.diagnostics
    assert any(d.code == "citation.not_in_bib" and d.line > 1 for d in cached.value.diagnostics)


def test_pages_are_reused_until_a_reference_or_template_changes(project_dir: Path) -> None:
    project, renderer = _check(project_dir)
    source = project.policies[0]
    page = renderer.render_policy(project, source)
    assert len(_entries(project_dir, "pages")) == 1
    stored = _entries(project_dir, "pages")[0]
    stored.write_text(json.dumps("a page from the store"), encoding="utf-8")
    assert renderer.render_policy(project, source) == "a page from the store"  # proves it is read back

    # a changed reference text is a different page
    bib = project_dir / "references.bib"
    key = source.policy.references[0]
    text = bib.read_text(encoding="utf-8")
    start = text.index(f"{{{key},")
    title = text.index("title", start)
    bib.write_text(text[:title] + "title = {Zz Changed Title},\n  old" + text[title:], encoding="utf-8")
    project, renderer = _check(project_dir)
    changed = renderer.render_policy(project, project.policies[0])
    assert "Zz Changed Title" in changed and changed != page

    # a changed template is a different page too
    template = project_dir / "templates" / "policy.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\nZz template footer\n", encoding="utf-8")
    project, renderer = _check(project_dir)
    assert "Zz template footer" in renderer.render_policy(project, project.policies[0])


def test_the_same_page_with_other_extra_values_is_another_entry(project_dir: Path) -> None:
    project, renderer = _check(project_dir)
    source = project.policies[0]
    plain = renderer.render_policy(project, source)
    linked = renderer.render_policy(project, source, pdf_url="../../pdf/x.pdf")
    assert plain != linked and "../../pdf/x.pdf" in linked
    assert len(_entries(project_dir, "pages")) == 2


def test_without_a_store_nothing_is_written(project_dir: Path) -> None:
    project = load_project(ProjectLayout(project_dir))
    PageRenderer(project_dir / "templates").render_policy(project, project.policies[0])
    assert not (project_dir / ".cache").exists()


def test_keys_change_with_any_part(tmp_path: Path) -> None:
    assert content_key("a", "b") != content_key("ab")  # parts are length-prefixed
    assert content_key("a", b"b") == content_key("a", "b")
    store = WorkCache(tmp_path / "kind")
    key = content_key("x")
    assert store.get(key) is None
    store.put(key, {"v": [1, "é"]})
    assert WorkCache(tmp_path / "kind").get(key) == {"v": [1, "é"]}
    with pytest.raises(ValueError):
        store.get("../escape")


def test_unused_entries_are_pruned_only_by_age_when_kept_by_days(tmp_path: Path) -> None:
    import os
    import time

    old, recent = content_key("old"), content_key("recent")
    writer = WorkCache(tmp_path / "pages")
    writer.put(old, "o")
    writer.put(recent, "r")
    ancient = time.time() - 40 * 86400
    os.utime(tmp_path / "pages" / f"{old}.json", (ancient, ancient))
    assert WorkCache(tmp_path / "pages", keep_days=30).prune() == 1
    assert [p.stem for p in (tmp_path / "pages").glob("*.json")] == [recent]
    assert WorkCache(tmp_path / "pages").prune() == 1  # without keep_days: whatever this run did not use
