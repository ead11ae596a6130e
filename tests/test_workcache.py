"""Work kept between runs in ``.cache/work.sqlite`` (sources, citations, pages): reused only while nothing changed."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from conftest import copy_seed_project, seed_of
from policypress.build.check import check_site
from policypress.build.workspace import Workspace
from policypress.errors import SourceError
from policypress.load.loader import load_project
from policypress.options import DateFormats
from policypress.project import ProjectLayout
from policypress.render.pages import PageRenderer
from policypress.speed import bibliography as stored_bibliography_module
from policypress.speed.fingerprint import content_key
from policypress.speed.workcache import DATABASE, WorkCache, entry_digest

SEED = "policy/wa-cp-mp-166.yaml"


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """The repository reduced to the seed: one source, one page, so entries can be counted."""
    return copy_seed_project(tmp_path / "project")


def _check(root: Path) -> tuple:
    return check_site(Workspace(ProjectLayout(root), root / "templates", DateFormats()))


def _entries(root: Path, kind: str) -> list[str]:
    with sqlite3.connect(root / ".cache" / DATABASE) as database:
        return sorted(key for (key,) in database.execute("SELECT key FROM entries WHERE kind = ?", (kind,)))


def _overwrite(root: Path, kind: str, value: str) -> None:
    """Store ``value`` for every entry of ``kind`` with its digest, as the store itself would."""
    with sqlite3.connect(root / ".cache" / DATABASE) as database:
        keys = [key for (key,) in database.execute("SELECT key FROM entries WHERE kind = ?", (kind,))]
        for key in keys:
            database.execute(
                "UPDATE entries SET value = ?, digest = ? WHERE kind = ? AND key = ?",
                (value, entry_digest(kind, key, value), kind, key),
            )


def test_a_cached_load_gives_the_same_project_as_parsing(project_dir: Path) -> None:
    parsed = load_project(ProjectLayout(project_dir))
    first = Workspace(ProjectLayout(project_dir)).load()  # parses and stores
    assert _entries(project_dir, "sources") and _entries(project_dir, "citations")
    second = Workspace(ProjectLayout(project_dir)).load()  # from the store
    assert (
        [s.policy for s in second.policies] == [s.policy for s in parsed.policies] == [s.policy for s in first.policies]
    )
    assert second.notes == parsed.notes  # warnings (with their lines) come back as they were
    assert {s.key for s in second.policies} == {s.key for s in first.policies}


def test_an_edited_policy_is_read_again_and_its_old_entry_pruned(project_dir: Path) -> None:
    Workspace(ProjectLayout(project_dir)).load()
    before = _entries(project_dir, "sources")
    policy = project_dir / SEED
    policy.write_text(policy.read_text(encoding="utf-8").replace("Sacroiliac", "Sacro-iliac", 1), encoding="utf-8")
    project = Workspace(ProjectLayout(project_dir)).load()
    assert "Sacro-iliac" in seed_of(project).policy.title
    after = _entries(project_dir, "sources")
    assert len(after) == len(before) == 1 and after != before


def test_a_damaged_entry_reads_as_a_miss(project_dir: Path) -> None:
    expected = Workspace(ProjectLayout(project_dir)).load()
    _overwrite(project_dir, "sources", '{"policy": "not json')
    _overwrite(project_dir, "citations", '[["only", "two"]]')
    again = Workspace(ProjectLayout(project_dir)).load()
    assert [s.policy for s in again.policies] == [s.policy for s in expected.policies]
    assert again.notes == expected.notes


def test_citation_errors_found_after_a_bibliography_edit_keep_their_lines(project_dir: Path) -> None:
    clean = Workspace(ProjectLayout(project_dir)).load()
    key = seed_of(clean).policy.references[3]
    bib = project_dir / "references.bib"
    text = bib.read_text(encoding="utf-8")
    bib.write_text(text.replace(f"{{{key},", f"{{{key}Renamed,", 1), encoding="utf-8")
    with pytest.raises(SourceError) as cached:
        Workspace(ProjectLayout(project_dir)).load()  # policy from the store, citations anew
    with pytest.raises(SourceError) as uncached:
        load_project(ProjectLayout(project_dir))
    assert cached.value.diagnostics == uncached.value.diagnostics
    assert any(d.code == "citation.not_in_bib" and d.line > 1 for d in cached.value.diagnostics)


def test_pages_are_reused_until_a_reference_or_template_changes(project_dir: Path) -> None:
    project, renderer = _check(project_dir)
    source = seed_of(project)
    page = renderer.render_policy(project, source)
    assert len(_entries(project_dir, "pages")) == 1
    _overwrite(project_dir, "pages", "a page from the store")
    assert renderer.render_policy(project, source) == "a page from the store"  # proves it is read back

    # a changed reference text is a different page
    bib = project_dir / "references.bib"
    key = source.policy.references[0]
    text = bib.read_text(encoding="utf-8")
    start = text.index(f"{{{key},")
    title = text.index("title", start)
    value = text.index("{", title)
    bib.write_text(text[: value + 1] + "Zz Changed Title " + text[value + 1 :], encoding="utf-8")
    project, renderer = _check(project_dir)
    changed = renderer.render_policy(project, seed_of(project))
    assert "Zz Changed Title" in changed and changed != page

    # a changed template is a different page too
    template = project_dir / "templates" / "policy.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\nZz template footer\n", encoding="utf-8")
    project, renderer = _check(project_dir)
    assert "Zz template footer" in renderer.render_policy(project, seed_of(project))


def test_the_same_page_with_other_extra_values_is_another_entry(project_dir: Path) -> None:
    project, renderer = _check(project_dir)
    source = seed_of(project)
    plain = renderer.render_policy(project, source)
    linked = renderer.render_policy(project, source, pdf_url="../../pdf/x.pdf")
    assert plain != linked and "../../pdf/x.pdf" in linked
    renderer.store.flush()
    assert len(_entries(project_dir, "pages")) == 2


def test_without_a_store_nothing_is_written(project_dir: Path) -> None:
    project = load_project(ProjectLayout(project_dir))
    PageRenderer(project_dir / "templates").render_policy(project, seed_of(project))
    assert not (project_dir / ".cache").exists()


def test_keys_change_with_any_part(tmp_path: Path) -> None:
    assert content_key("a", "b") != content_key("ab")  # parts are length-prefixed
    assert content_key("a", b"b") == content_key("a", "b")
    store = WorkCache(tmp_path, "kind")
    key = content_key("x")
    assert store.get(key) is None
    store.put(key, {"v": [1, "é"]})
    assert WorkCache(tmp_path, "kind").get(key) == {"v": [1, "é"]}
    assert WorkCache(tmp_path, "other kind").get(key) is None
    with pytest.raises(ValueError):
        store.get("../escape")


def test_a_damaged_database_is_started_again(tmp_path: Path) -> None:
    (tmp_path / DATABASE).write_bytes(b"this is not a database" * 100)
    store = WorkCache(tmp_path, "kind")
    key = content_key("y")
    store.put(key, "kept")
    assert store.get(key) == "kept"


def test_a_database_of_an_earlier_layout_is_started_again(tmp_path: Path) -> None:
    key = content_key("z")
    with sqlite3.connect(tmp_path / DATABASE) as old:  # the first layout: no version, WITHOUT ROWID
        old.execute(
            "CREATE TABLE entries (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
            "used REAL NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID"
        )
        old.execute("INSERT INTO entries VALUES ('kind', ?, '\"old\"', 0)", (key,))
    old.close()
    store = WorkCache(tmp_path, "kind")
    assert store.get(key) is None
    store.put(key, "new")
    assert store.get(key) == "new"
    store.flush()
    with sqlite3.connect(tmp_path / DATABASE) as database:
        assert database.execute("PRAGMA user_version").fetchone() == (3,)
        assert database.execute("PRAGMA page_size").fetchone() == (65536,)
    database.close()


def test_a_database_another_run_is_making_is_left_alone(tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / DATABASE, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another run has just created the file and is making it
        store = WorkCache(tmp_path, "kind")
        key = content_key("w")
        store.put(key, "skipped")
        assert store.get(key) is None  # no cache for this run
        assert (tmp_path / DATABASE).exists()
        other.execute("CREATE TABLE made_by_the_other_run (x)")
        other.execute("COMMIT")
        assert other.execute("SELECT count(*) FROM made_by_the_other_run").fetchone() == (0,)
    finally:
        other.close()


def test_unused_entries_are_pruned_only_by_age_when_kept_by_days(tmp_path: Path) -> None:
    old, recent = content_key("old"), content_key("recent")
    writer = WorkCache(tmp_path, "pages")
    writer.put(old, "o")
    writer.put(recent, "r")
    writer.flush()  # until then other connections do not see the writes
    with sqlite3.connect(tmp_path / DATABASE) as database:
        database.execute("UPDATE entries SET used = ? WHERE key = ?", (time.time() - 40 * 86400, old))
    assert WorkCache(tmp_path, "pages", keep_days=30).prune() == 1
    assert WorkCache(tmp_path, "pages").get(recent) == "r"
    assert WorkCache(tmp_path, "pages").prune() == 1  # without keep_days: whatever this run did not use


@pytest.fixture
def bibliography_in_another_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any bibliography the reference cache lacks is parsed by a second process (as at five thousand entries)."""
    monkeypatch.setattr("policypress.speed.bibliography.PARALLEL_BIBLIOGRAPHY_BYTES", 0)


@pytest.mark.usefixtures("bibliography_in_another_process")
def test_a_bibliography_parsed_in_another_process_gives_the_same_project(project_dir: Path) -> None:
    here = load_project(ProjectLayout(project_dir))
    there = Workspace(ProjectLayout(project_dir)).load()
    assert not there.bibliography.parsed  # it came back formatted, as plain data
    assert there.bibliography.keys == here.bibliography.keys
    assert [there.bibliography.format(k) for k in there.bibliography] == [
        here.bibliography.format(k) for k in here.bibliography
    ]
    assert there.bibliography.source(here.bibliography.keys[0]) == here.bibliography.source(here.bibliography.keys[0])
    assert there.notes == here.notes
    assert list((project_dir / ".cache" / "references").glob("*.json"))  # and is kept for the next run
    renderer = PageRenderer(project_dir / "templates")
    assert renderer.render_policy(there, seed_of(there)) == renderer.render_policy(here, seed_of(here))


@pytest.mark.usefixtures("bibliography_in_another_process")
def test_bibliography_errors_found_in_another_process_are_reported_the_same(project_dir: Path) -> None:
    bib = project_dir / "references.bib"
    text = bib.read_text(encoding="utf-8")
    broken = text.replace("title", "title = {Twice},\n  title", 1).replace("@article{", "@article{,", 1)
    bib.write_text(broken, encoding="utf-8")
    with pytest.raises(SourceError) as there:
        Workspace(ProjectLayout(project_dir)).load()
    with pytest.raises(SourceError) as here:
        load_project(ProjectLayout(project_dir))
    assert there.value.diagnostics == here.value.diagnostics
    assert any(d.file == "references.bib" for d in there.value.diagnostics)


def _parse_fails(text: str, display: str) -> None:
    raise RuntimeError("the other process failed")


@pytest.mark.usefixtures("bibliography_in_another_process")
def test_a_failure_in_the_bibliography_process_ends_it_with_the_load(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stored_bibliography_module, "parse_for_another_process", _parse_fails)  # the fork inherits it
    with pytest.raises(RuntimeError, match="the other process failed"):
        Workspace(ProjectLayout(project_dir)).load()
    assert multiprocessing.active_children() == []
    assert threading.active_count() == 1  # no pool left waiting on it


def test_pages_rendered_by_a_second_process_are_stored_and_errors_still_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("policypress.speed.prerender.PARALLEL_RENDER_PAGES", 0)
    root = copy_seed_project(tmp_path / "project")
    seed = root / SEED
    for number in (167, 168, 169):
        text = seed.read_text(encoding="utf-8").replace("id: WA.CP.MP.166", f"id: WA.CP.MP.{number}", 1)
        (root / "policy" / f"wa-cp-mp-{number}.yaml").write_text(text, encoding="utf-8")
    project, renderer = _check(root)
    assert len(_entries(root, "pages")) == 4  # two from each process
    alone = PageRenderer(root / "templates")
    assert [renderer.render_policy(project, s) for s in project.policies] == [
        alone.render_policy(project, s) for s in project.policies
    ]
    template = root / "templates" / "policy.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "{{ policy.no_such_field }}\n", encoding="utf-8")
    with pytest.raises(SourceError) as failed:
        _check(root)
    monkeypatch.setattr("policypress.speed.prerender.PARALLEL_RENDER_PAGES", 10_000)
    with pytest.raises(SourceError) as failed_here:
        _check(root)
    assert failed.value.diagnostics == failed_here.value.diagnostics
    assert {d.code for d in failed.value.diagnostics} == {"template.render"}


def test_a_write_while_another_run_writes_is_skipped_quickly(tmp_path: Path) -> None:
    store = WorkCache(tmp_path, "kind")
    first, second = content_key("first"), content_key("second")
    store.put(first, "one")
    store.flush()
    other = sqlite3.connect(tmp_path / DATABASE, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another run in the middle of writing
        started = time.monotonic()
        store.put(second, "two")
        store.flush()
        assert time.monotonic() - started < 2
        assert store.get(first) == "one"  # reading never waits
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.get(second) is None
    store.put(second, "two")
    assert store.get(second) == "two"


def test_busy_is_told_from_damage_by_the_primary_code() -> None:
    from policypress.speed.workcache import _is_busy

    def error(code: int) -> sqlite3.OperationalError:
        failure = sqlite3.OperationalError("from SQLite")
        failure.sqlite_errorcode = code  # type: ignore[attr-defined]
        return failure

    assert _is_busy(error(sqlite3.SQLITE_BUSY))
    assert _is_busy(error(sqlite3.SQLITE_BUSY | 2 << 8))  # SQLITE_BUSY_SNAPSHOT, an extended code
    assert _is_busy(error(sqlite3.SQLITE_LOCKED | 1 << 8))  # SQLITE_LOCKED_SHAREDCACHE
    assert not _is_busy(error(sqlite3.SQLITE_CORRUPT))
    assert not _is_busy(sqlite3.DatabaseError("file is not a database"))
