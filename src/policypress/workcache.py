"""Work derived from sources, kept on disk between runs and filed by the hash of what it is made of.

Reading a thousand policies, checking their citations and rendering their pages takes
seconds, yet an edit changes one file. Each result is filed under a key that hashes
its inputs (file bytes, the bibliography keys, the formatted references …) together
with ``code_fingerprint()``: the source of every policypress module and the versions
of the libraries that parse, validate and render. Any change to an input or to the
code is a new key, so an entry is never stale; it can only go unused, and a run that
saw the whole project removes the entries it did not use.

Entries are small JSON files written through a temporary name and a rename, so two
runs at once or a crash never leave half an entry; a damaged entry reads as a miss.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

FORMAT = 1
"""Version of the entries' layout."""
_LIBRARIES = ("pydantic", "pydantic-core", "pyyaml", "jinja2", "markupsafe", "pybtex")
_KEY = re.compile(r"[0-9a-f]{64}")


@functools.cache
def code_fingerprint() -> str:
    """Hash of every policypress module's source and of the libraries that read and render sources."""
    digest = hashlib.sha256(f"workcache {FORMAT}".encode())
    for name in _LIBRARIES:
        try:
            digest.update(f"\n{name} {version(name)}".encode())
        except PackageNotFoundError:
            digest.update(f"\n{name} -".encode())
    package = Path(__file__).parent
    for path in sorted(package.glob("*.py")):
        digest.update(f"\n{path.name}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def content_key(*parts: str | bytes) -> str:
    """A key for ``parts`` under the current code: any change to a part or to the code changes it."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class WorkCache:
    """One kind of derived work (``.cache/<kind>/<key>.json``); ``None`` as the folder keeps nothing.

    ``keep_days``: for work that different runs ask for in different variants (a page with
    or without its PDF link), entries are kept while used within that many days instead of
    being pruned when one run did not use them.
    """

    def __init__(self, folder: Path | None, keep_days: float | None = None) -> None:
        self.folder = folder
        self.keep_days = keep_days
        self._used: set[str] = set()

    def get(self, key: str) -> Any | None:
        """The value filed under ``key``, or ``None`` (absent or unreadable)."""
        if self.folder is None:
            return None
        self._used.add(key)
        path = self.folder / f"{_checked(key)}.json"
        try:
            value = json.loads(path.read_bytes())
            if self.keep_days is not None:
                os.utime(path)
        except (OSError, ValueError):
            return None
        return value

    def put(self, key: str, value: Any) -> None:
        """File ``value`` (JSON-serialisable) under ``key``, atomically."""
        if self.folder is None:
            return
        self._used.add(key)
        path = self.folder / f"{_checked(key)}.json"
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".entry-", dir=self.folder)
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except OSError:
            return  # a cache that cannot be written only costs time

    def prune(self) -> int:
        """Remove the entries of no use: unused by this run (call after a run that saw the whole
        project), or with ``keep_days``, unused for that long."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        limit = time.time() - self.keep_days * 86400 if self.keep_days is not None else None
        removed = 0
        for path in self.folder.glob("*.json"):
            if not _KEY.fullmatch(path.stem) or path.stem in self._used:
                continue
            try:
                if limit is None or path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        return removed


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a cache key: {key!r}")
    return key
