"""The PDF cache: rendered PDFs under ``.cache/pdf/``, filed by the hash of everything they are made of.

A PDF is filed under ``PdfJob.cache_key``: the print HTML, the stylesheet, the
attachments, the dates and metadata, and the rendering engine (library versions, text
libraries, font files, the renderer's own code). A changed input gives a new key, so an
entry is never stale; it can only go unused, and unused entries are pruned after a while.
Entries are written to a temporary name and renamed, so a crash never leaves half a PDF.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from policypress.files import write_atomically

CACHE_DIR = Path(".cache") / "pdf"
"""Where a project keeps its PDF cache, relative to its root (the folder of mkdocs.yml)."""
MAX_AGE_DAYS = 30
"""Entries unused for this long are removed after a build."""
_KEY = re.compile(r"[0-9a-f]{64}")


class PdfCache:
    """A folder of ``<key>.pdf`` files; ``None`` as the folder disables caching."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> bytes | None:
        """The PDF filed under ``key``, or ``None``; a hit marks the entry as used."""
        if self.folder is None:
            self.misses += 1
            return None
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.misses += 1
            return None
        os.utime(path)
        self.hits += 1
        return data

    def put(self, key: str, data: bytes) -> None:
        """File ``data`` under ``key`` (atomically)."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomically(self._path(key), data)

    def prune(self, max_age_days: float = MAX_AGE_DAYS) -> int:
        """Remove entries unused for ``max_age_days``; return how many were removed."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        limit = time.time() - max_age_days * 86400
        removed = 0
        for path in self.folder.glob("*.pdf"):
            if _KEY.fullmatch(path.stem) and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a cache key: {key!r}")
        assert self.folder is not None
        return self.folder / f"{key}.pdf"
