"""Code rows as search entries of their own (``render.search``), placed after their page's entries."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT, seed_of
from policypress.load.loader import load_project
from policypress.project import ProjectLayout
from policypress.render.search import code_row_entries, with_code_rows


def test_each_row_links_to_itself_with_its_words_and_table() -> None:
    project = load_project(ProjectLayout(ROOT))
    rows = code_row_entries(project, "policies")["policies/wa-cp-mp-166/"]
    seed = seed_of(project)
    assert len(rows) == sum(len(table.rows) for table in seed.policy.code_tables)
    first = rows[0]
    assert first["location"] == "policies/wa-cp-mp-166/#code-cpt-64451"
    assert first["title"].startswith("64451 Injection(s), anesthetic agent(s) and/or steroid; nerves")
    assert first["text"] == "CPT code that does not support coverage criteria"


def test_rows_follow_their_page_and_the_index_stays_compact() -> None:
    index = {
        "config": {"lang": ["en"]},
        "docs": [
            {"location": "a/", "title": "A", "text": ""},
            {"location": "a/#codes", "title": "Codes", "text": "x"},
            {"location": "b/", "title": "B", "text": ""},
        ],
    }
    rows = {
        "a/": [{"location": "a/#code-cpt-1", "title": "1 <one>", "text": "t", "boost": 2}],
        "c/": [{"location": "c/#x"}],
    }
    merged = with_code_rows(json.dumps(index), rows)
    assert [d["location"] for d in json.loads(merged)["docs"]] == ["a/", "a/#codes", "a/#code-cpt-1", "b/"]
    assert merged == with_code_rows(json.dumps(index), rows) and ", " not in merged and ": " not in merged


def test_the_built_index_lists_the_seed_rows(built_site: Path) -> None:
    docs = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    locations = [d["location"] for d in docs]
    assert "policies/wa-cp-mp-166/#code-cpt-64625" in locations
    assert locations.index("policies/wa-cp-mp-166/#code-cpt-64625") > locations.index("policies/wa-cp-mp-166/")
