"""What MkDocs works out from an unchanged generated page is read back from the work database.

Every build, MkDocs converts every page's Markdown and Material's search plugin parses every
page's HTML into index entries; the speed layer (``speed.pagework``) files both under their
inputs. These tests doctor a filed result to show which path a build took: a second build of
unchanged sources shows the doctored words (read back), an edited policy shows its own words
again (worked out afresh). That the bytes equal a plain build is ``test_equivalence.py``'s job.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import build_with_the_command, copy_project
from policypress.speed.workcache import entry_digest

DOCTORED = "zzdoctoredentry"


def _index(site: Path) -> list[dict[str, object]]:
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


def _doctor(database: Path, kind: str, change: Callable[[Any], Any]) -> int:
    """Rewrite every filed value of ``kind`` with ``change`` (its digest made to match); how many there were."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT key, value FROM entries WHERE kind = ?", (kind,)).fetchall()
        for key, value in rows:
            text = json.dumps(change(json.loads(value)), ensure_ascii=False, separators=(",", ":"))
            connection.execute(
                "UPDATE entries SET value = ?, digest = ? WHERE kind = ? AND key = ?",
                (text, entry_digest(kind, key, text), kind, key),
            )
    return len(rows)


def _first_entry_doctored(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert entries, "a page with no entries is not filed"
    return [{**entries[0], "text": DOCTORED}, *entries[1:]]


def test_an_unchanged_page_gives_back_its_filed_entries_and_an_edited_one_is_parsed(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    build_with_the_command(project, tmp_path / "first")
    first = _index(tmp_path / "first")
    assert not any(DOCTORED in str(doc) for doc in first)
    policies = sorted((project / "policy").glob("*.yaml"))
    generated = [f"policies/{p.stem}/" for p in policies]  # the home page and code index stay out of search
    assert _doctor(project / ".cache" / "work.sqlite", "search", _first_entry_doctored) == len(generated)

    build_with_the_command(project, tmp_path / "second")
    doctored = [doc for doc in _index(tmp_path / "second") if doc["text"] == DOCTORED]
    assert sorted(str(doc["location"]).split("#")[0] for doc in doctored) == sorted(generated)

    seed = policies[0]
    seed.write_text(seed.read_text(encoding="utf-8").replace("\ntitle: ", "\ntitle: Edited ", 1), encoding="utf-8")
    build_with_the_command(project, tmp_path / "third")
    page = f"policies/{seed.stem}/"
    seed_entries = [doc for doc in _index(tmp_path / "third") if str(doc["location"]).startswith(page)]
    assert seed_entries and not any(doc["text"] == DOCTORED for doc in seed_entries)
    assert "Edited" in str(seed_entries[0]["title"])


def test_an_unchanged_page_gives_back_its_kept_conversion_and_an_edited_one_is_converted(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    build_with_the_command(project, tmp_path / "first")
    policies = sorted((project / "policy").glob("*.yaml"))
    pages = ["index.html", "codes/index.html", "prior-authorization-list/index.html"]
    pages += [f"policies/{p.stem}/index.html" for p in policies]
    assert not any(DOCTORED in (tmp_path / "first" / page).read_text(encoding="utf-8") for page in pages)

    def content_doctored(kept: dict[str, Any]) -> dict[str, Any]:
        return {**kept, "content": kept["content"] + f"<p>{DOCTORED}</p>"}

    assert _doctor(project / ".cache" / "work.sqlite", "markdown", content_doctored) == len(pages)

    build_with_the_command(project, tmp_path / "second")
    assert all(DOCTORED in (tmp_path / "second" / page).read_text(encoding="utf-8") for page in pages)

    seed = policies[0]
    seed.write_text(seed.read_text(encoding="utf-8").replace("\ntitle: ", "\ntitle: Edited ", 1), encoding="utf-8")
    build_with_the_command(project, tmp_path / "third")
    page = (tmp_path / "third" / f"policies/{seed.stem}/index.html").read_text(encoding="utf-8")
    assert "Edited" in page and DOCTORED not in page


def test_a_plain_build_keeps_nothing(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    build_with_the_command(project, tmp_path / "site", "--plain")
    assert not (project / ".cache").exists()


def test_an_edited_template_is_compiled_afresh(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    build_with_the_command(project, tmp_path / "first")
    assert list((project / ".cache" / "jinja").iterdir())  # compiled templates are kept
    template = project / "templates" / "policy.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + f"\n{DOCTORED}\n", encoding="utf-8")
    build_with_the_command(project, tmp_path / "second")
    seed = sorted((project / "policy").glob("*.yaml"))[0]
    assert DOCTORED in (tmp_path / "second" / f"policies/{seed.stem}/index.html").read_text(encoding="utf-8")


def test_an_unchanged_policys_fhir_files_are_kept_and_an_edited_ones_made_afresh(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    build_with_the_command(project, tmp_path / "first")
    seed = sorted((project / "policy").glob("*.yaml"))[0]
    questionnaire = f"api/fhir/{seed.stem}/Questionnaire.json"
    assert DOCTORED not in (tmp_path / "first" / questionnaire).read_text(encoding="utf-8")

    def questionnaire_doctored(files: dict[str, str]) -> dict[str, str]:
        return {name: text + (DOCTORED if name.endswith("Questionnaire.json") else "") for name, text in files.items()}

    assert _doctor(project / ".cache" / "work.sqlite", "fhir", questionnaire_doctored) == 1
    build_with_the_command(project, tmp_path / "second")
    assert (tmp_path / "second" / questionnaire).read_text(encoding="utf-8").endswith(DOCTORED)

    seed.write_text(seed.read_text(encoding="utf-8").replace("\ntitle: ", "\ntitle: Edited ", 1), encoding="utf-8")
    build_with_the_command(project, tmp_path / "third")
    made = (tmp_path / "third" / questionnaire).read_text(encoding="utf-8")
    assert DOCTORED not in made and "Edited" in made
