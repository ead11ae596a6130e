"""Search entries of their own for code table rows, added to the site's search index.

The search index has one entry per heading, so a code row was only words inside its table's
section: a billing office searching "radiofrequency" got the background's long paragraph and
had to find the row by eye. Each row becomes an entry that links to the row itself
(``#code-cpt-64625``), titled with its code and description, its table heading as the text.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from policypress.model.inline import plain_text
from policypress.model.numbering import code_anchor
from policypress.project import Project
from policypress.render.urls import page_path

SEARCH_INDEX = "search/search_index.json"
"""Where the search plugin writes its index, relative to the site root."""


ROW_BOOST = 2
"""A row outranks prose that uses its words: a procedure's name finds first the row saying its coverage."""


def code_row_entries(project: Project, pages_dir: str) -> dict[str, list[dict[str, Any]]]:
    """Each policy page's code rows as search entries, in page order, keyed by the page's location."""
    entries: dict[str, list[dict[str, Any]]] = {}
    for source in project.policies:
        page = page_path(source, pages_dir)
        rows = entries.setdefault(page, [])
        for table in source.policy.code_tables:
            for row in table.rows:
                rows.append(
                    {
                        "location": f"{page}#{code_anchor(table.code_system, row.code)}",
                        "title": escape(f"{row.code} {plain_text(row.description)}", quote=False),
                        "text": escape(plain_text(table.heading), quote=False),
                        "boost": ROW_BOOST,
                    }
                )
    return entries


def with_code_rows(index_json: str, rows: dict[str, list[dict[str, Any]]]) -> str:
    """The search index (``search/search_index.json``) with each page's rows after its own entries.

    Written as the search plugin writes it (compact, ASCII), so the file stays the same bytes
    for the same sources."""
    index: dict[str, Any] = json.loads(index_json)
    docs: list[dict[str, Any]] = []
    pending = dict(rows)
    for position, doc in enumerate(index["docs"]):
        docs.append(doc)
        page = doc["location"].split("#", 1)[0]
        following = (
            index["docs"][position + 1]["location"].split("#", 1)[0] if position + 1 < len(index["docs"]) else None
        )
        if page in pending and following != page:
            docs.extend(pending.pop(page))
    # rows of a page the index leaves out (``search: exclude``) stay out with it
    index["docs"] = docs
    return json.dumps(index, separators=(",", ":"), default=str)
