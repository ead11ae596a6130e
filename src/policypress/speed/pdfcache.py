"""The PDF cache: rendered PDFs under ``.cache/pdf/``, filed by the hash of everything they are made of.

A PDF is filed under ``PdfJob.cache_key``: the print HTML, the stylesheet, the
attachments, the dates and metadata, and the rendering engine (library versions, text
libraries, font files, the renderer's own code). A changed input gives a new key, so an
entry is never stale; it can only go unused, and unused entries are pruned after a while.
Entries are written to a temporary name and renamed, so a crash never leaves half a PDF.
Each file starts with a line holding the SHA-256 of its key and the PDF after it, checked on every read:
a file damaged on disk is removed and the PDF rendered again, never published.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

from policypress.files import write_atomically
from policypress.speed.workcache import report_discarded

CACHE_DIR = Path(".cache") / "pdf"
"""Where a project keeps its PDF cache, relative to its root (the folder of mkdocs.yml)."""
MAX_AGE_DAYS = 30
"""Entries unused for this long are removed after a build."""
_KEY = re.compile(r"[0-9a-f]{64}")


_HEADER = b"policypress-pdf sha256="


def _digest(key: str, data: bytes) -> bytes:
    """The SHA-256 of a PDF and the key it is filed under (a PDF copied under another key fails)."""
    return hashlib.sha256(key.encode("ascii") + b"\n" + data).hexdigest().encode("ascii")


def _verified(key: str, stored: bytes) -> bytes | None:
    """The PDF of a cache file whose digest line matches it and its key, else ``None``."""
    head, newline, data = stored.partition(b"\n")
    if not newline or not head.startswith(_HEADER):
        return None
    return data if _digest(key, data) == head[len(_HEADER) :] else None


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
            stored = path.read_bytes()
        except FileNotFoundError:
            self.misses += 1
            return None
        data = _verified(key, stored)
        if data is None:
            path.unlink(missing_ok=True)
            report_discarded(f"{CACHE_DIR}")
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
        write_atomically(self._path(key), _HEADER + _digest(key, data) + b"\n" + data)

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
