"""Formatted references kept on disk between builds, so an unchanged bibliography is never re-read.

Parsing and formatting five thousand entries takes seconds; most builds change no
reference at all. The cache is keyed by the SHA-256 of the bibliography's exact text
together with what formats it (the AMA style, the bibliography reader, the text escaping
and the pybtex release), so it cannot go stale: any edit to either is a different key. Only a
bibliography that formatted without a single problem is stored.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policypress.files import write_atomically
from policypress.speed.fingerprint import library_versions, modules_digest, package_modules
from policypress.speed.workcache import report_discarded

if TYPE_CHECKING:
    from policypress.bibliography.bibtex import Bibliography, FormattedReference

FORMAT = 2
"""Version of the cache file's layout."""

_FORMATTER_MODULES = ("bibliography", "model/inline.py", "speed/refcache.py", "speed/bibliography.py")
"""What decides how a reference is formatted (paths inside the package; folders count recursively):
narrower than the whole code, so an edit elsewhere does not format five thousand entries again."""


@functools.cache
def _formatter_fingerprint() -> str:
    """Hash of the source of every module that decides how a reference is formatted, and pybtex's version."""
    return modules_digest(package_modules(*_FORMATTER_MODULES), f"refcache {FORMAT}", *library_versions("pybtex"))


def cache_key(text: str) -> str:
    """The cache key of a bibliography text under the current formatting code."""
    return hashlib.sha256(f"{_formatter_fingerprint()}\n{text}".encode()).hexdigest()


Cached = tuple[tuple[str, ...], dict[str, "FormattedReference"], dict[str, tuple[int, int]]]
"""Keys in file order, formatted references and each entry's span in the text."""


def _digest(key: str, stored: dict[str, Any]) -> str:
    """The SHA-256 of the stored references and the key they are filed under, checked on load."""
    body = json.dumps(stored, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{key}\n{body}".encode()).hexdigest()


def load(cache_dir: Path, text: str) -> Cached | None:
    """What an earlier build stored for exactly this ``text``, if anything."""
    from policypress.bibliography.bibtex import FormattedReference

    key = cache_key(text)
    path = cache_dir / f"{key}.json"
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError:
        return None  # absent: format
    try:
        stored: dict[str, Any] = json.loads(raw)
        body = stored.pop("sha256")
        if body != _digest(key, stored):
            raise ValueError("the stored references do not match their digest")
        keys = tuple(stored["keys"])
        references = {key: FormattedReference(key, html, plain) for key, (html, plain) in stored["references"].items()}
        spans = {key: (int(start), int(end)) for key, (start, end) in stored["spans"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        path.unlink(missing_ok=True)
        report_discarded(str(cache_dir.name))
        return None  # damaged: format again
    return (keys, references, spans) if set(references) == set(keys) == set(spans) else None


def store(cache_dir: Path, text: str, bibliography: Bibliography) -> None:
    """Save every formatted reference of a bibliography; replaces older files (one bibliography per project)."""
    keys, references, spans = bibliography.keys, bibliography.formatted(), bibliography.spans()
    if not set(references) == set(keys) == set(spans):
        return
    cache_dir.mkdir(parents=True, exist_ok=True)
    name = f"{cache_key(text)}.json"
    stored = {
        "keys": list(keys),
        "references": {key: [references[key].html, references[key].text] for key in keys},
        "spans": {key: list(spans[key]) for key in keys},
    }
    content = json.dumps({**stored, "sha256": _digest(cache_key(text), stored)}, ensure_ascii=False)
    write_atomically(cache_dir / name, content.encode("utf-8"))
    for old in cache_dir.glob("*.json"):
        if old.name != name:
            old.unlink(missing_ok=True)
