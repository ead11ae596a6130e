"""What MkDocs works out from a generated page, kept in the work database between runs.

Every build, MkDocs converts every page's Markdown (Python-Markdown: headings, contents) and
Material's search plugin parses every page's HTML into index entries. For a generated page
whose inputs are unchanged both give the same result, so each is filed under the hash of its
inputs (and of the code and the libraries' versions) and read back: the results of
MkDocs' and Material's own work, not a second converter or indexer of ours.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from policypress.speed.fingerprint import content_key, library_versions
from policypress.speed.workcache import WorkCache

PAGE_WORK_DAYS = 30
"""Entries unused for this long are removed (a page differs between the site and a preview)."""
_LIBRARIES = ("mkdocs", "mkdocs-material", "markdown", "pymdown-extensions")


class KeptPageWork:
    """One kind of page work (``.cache/work.sqlite``, kind ``kind``)."""

    def __init__(self, cache_path: Path, kind: str) -> None:
        self.store = WorkCache(cache_path, kind, keep_days=PAGE_WORK_DAYS)
        self._libraries = tuple(library_versions(*_LIBRARIES))  # read once: package metadata is slow to read

    def get_or_make(self, inputs: tuple[str, ...], make: Callable[[], Any | None]) -> Any | None:
        """The result filed for ``inputs``, else ``make()``'s (filed unless it is ``None``: not to be kept)."""
        key = content_key(self.store.kind, *self._libraries, *inputs)
        stored = self.store.get(key)
        if stored is not None:
            return stored
        made = make()
        if made is not None:
            self.store.put(key, made)
        return made

    def written(self) -> None:
        """Make this run's entries visible to the next run; drop those unused for ``PAGE_WORK_DAYS``."""
        self.store.prune()
        self.store.flush()
