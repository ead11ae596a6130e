"""Search entries of generated pages kept in the work database between runs.

Material's search plugin parses the HTML of every page, every build, into its index entries
(a third of a warm build at 1,000 policies). A generated page whose HTML, address, title,
metadata and table of contents are unchanged gives the same entries, so they are filed under
the hash of those inputs (and of the code and of Material's version) and read back: the same
entries, from Material's own parse, not a second indexer of ours.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from policypress.speed.fingerprint import content_key, library_versions
from policypress.speed.workcache import WorkCache

SEARCH_DAYS = 30
"""Entries unused for this long are removed (a page's entries differ between the site and a preview)."""


class StoredSearchEntries:
    """The search entries of generated pages (``.cache/work.sqlite``, kind ``search``)."""

    def __init__(self, cache_path: Path) -> None:
        self.store = WorkCache(cache_path, "search", keep_days=SEARCH_DAYS)

    def entries(self, inputs: tuple[str, ...], parse: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """``parse()``'s entries for a page made of ``inputs``, read back when they were filed before."""
        key = content_key("search", *library_versions("mkdocs-material"), *inputs)
        stored = self.store.get(key)
        if isinstance(stored, list):
            return stored
        entries = parse()
        if entries:  # a page left out of search (``search: exclude``) costs nothing to parse
            self.store.put(key, entries)
        return entries

    def written(self) -> None:
        """Make this run's entries visible to the next run; drop those unused for ``SEARCH_DAYS``."""
        self.store.prune()
        self.store.flush()
