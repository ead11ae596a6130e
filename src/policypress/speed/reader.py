"""A ``SourceReader`` that keeps what it read: in memory for a live preview, on disk between runs.

``load.reader.PlainReader`` reads every file every time. ``StoredReader`` answers the
same calls with the same results, faster:

- in memory (``LoadCache``, kept by the live preview across rebuilds): a file whose
  modification time and size are unchanged gives back the very same objects;
- on disk (``speed.workcache``): a policy file is filed under the hash of its bytes (its model,
  diagnostics and value positions), a citation check under the file's key and the
  bibliography's key set, so an unchanged file is not parsed again in the next run;
- the bibliography through ``speed.bibliography`` (reference cache, second process).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container
from pathlib import Path
from typing import Any, TypeVar, cast

from policypress.bibliography.citations import check_citations
from policypress.errors import Diagnostic
from policypress.load.boilerplate import read_boilerplate
from policypress.load.policyfile import Locator, PolicyRead, read_policy
from policypress.load.reader import BibliographyRead
from policypress.model.policy import Boilerplate, Policy
from policypress.project import ProjectLayout
from policypress.sources.yamlsource import StoredPositions
from policypress.speed.bibliography import StoredBibliography
from policypress.speed.fingerprint import content_key
from policypress.speed.workcache import WorkCache

T = TypeVar("T")


class LoadCache:
    """What reading each file produced, kept between loads of one project (the live preview).

    An entry is reused only while its file's modification time and size are unchanged,
    so a preview rebuild re-reads just the file the author saved.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[Path, ...], tuple[tuple[tuple[int, int], ...], Any]] = {}
        self._memo: dict[str, tuple[tuple[Any, ...], Any]] = {}

    @property
    def empty(self) -> bool:
        """Whether nothing has been loaded through this cache yet."""
        return not self._entries

    def memo(self, name: str, inputs: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()``'s result, reused while ``inputs`` are the same objects (or equal values).

        Unchanged files give back the very same model objects, so work derived from
        them (citation checks, rendered pages, exports) is found here by identity.
        """
        hit = self._memo.get(name)
        if hit is not None and _same(hit[0], inputs):
            return cast(T, hit[1])
        value = compute()
        self._memo[name] = (inputs, value)
        return value

    def get(self, paths: Path | tuple[Path, ...], load: Callable[[], T]) -> T:
        """``load()``'s result for the file(s), from the cache while none of them changed."""
        group = paths if isinstance(paths, tuple) else (paths,)
        key = tuple(_signature(path) for path in group)
        hit = self._entries.get(group)
        if hit is not None and hit[0] == key:
            return cast(T, hit[1])
        value = load()
        self._entries[group] = (key, value)
        return value


def _same(old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
    """The same objects, or equal values, position by position."""
    return len(old) == len(new) and all(a is b or a == b for a, b in zip(old, new, strict=True))


def _signature(path: Path) -> tuple[int, int]:
    """What tells an edited file from an unchanged one: modification time and size (-1 if missing)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (-1, -1)
    return (stat.st_mtime_ns, stat.st_size)


class StoredReader:
    """One load of a project through the memory of earlier loads (``memory``) and the work database."""

    def __init__(self, layout: ProjectLayout, memory: LoadCache | None = None) -> None:
        self._memory = memory or LoadCache()
        self._fresh = self._memory.empty
        """Every file goes through the stores this time: what they hold beyond that is of no use."""
        self._references_cache = layout.cache_path / "references"
        self._sources = WorkCache(layout.cache_path, "sources")
        self._citations = WorkCache(layout.cache_path, "citations")
        self._keys_digest: tuple[tuple[str, ...], str] | None = None

    def bibliography(self, layout: ProjectLayout) -> BibliographyRead:
        return self._memory.get(layout.bibliography_path, lambda: StoredBibliography(layout, self._references_cache))

    def boilerplate(self, layout: ProjectLayout) -> tuple[Boilerplate | None, list[Diagnostic]]:
        files = (layout.boilerplate_path, *sorted(layout.boilerplate_path.glob("*.yaml")))
        return self._memory.get(files, lambda: read_boilerplate(layout))

    def policy(self, path: Path, display: str) -> PolicyRead:
        return self._memory.get(path, lambda: self._stored_policy(path, display))

    def citations(
        self,
        policy: Policy,
        display: str,
        where: Locator,
        read: PolicyRead,
        keys: tuple[str, ...],
        known: Container[str],
    ) -> list[Diagnostic]:
        return self._memory.memo(
            f"citations:{display}",
            (policy, keys),
            lambda: self._stored_citations(policy, display, where, (read[3], self._digest(keys)), known),
        )

    def loaded(self) -> None:
        if self._fresh:
            self._sources.prune()
            self._citations.prune()
        self._sources.flush()

    def _digest(self, keys: tuple[str, ...]) -> str:
        if self._keys_digest is None or self._keys_digest[0] is not keys:
            self._keys_digest = (keys, content_key("bibliography keys", "\n".join(keys)))
        return self._keys_digest[1]

    def _stored_policy(self, path: Path, display: str) -> PolicyRead:
        """``read_policy``, kept in the store under the hash of the file's bytes: an unchanged file is
        not parsed again; its model, diagnostics and value positions come from the store."""
        raw = path.read_bytes()
        key = content_key("policy", display, raw)
        stored = _stored_policy(self._sources.get_text(key), raw)
        if stored is not None:
            return (*stored, key)
        document, policy, diagnostics = read_policy(path, display, raw)
        if document is not None and policy is not None:
            # three JSON texts, one a line (JSON has no raw line breaks): the model, diagnostics, positions
            diagnostics_json = json.dumps([d.fields() for d in diagnostics], ensure_ascii=False)
            self._sources.put_text(
                key, "\n".join((policy.model_dump_json(), diagnostics_json, document.stored_positions()))
            )
        return document, policy, diagnostics, key

    def _stored_citations(
        self, policy: Policy, display: str, where: Locator, keys: tuple[str, str], known: Container[str]
    ) -> list[Diagnostic]:
        """``check_citations`` of one policy, kept by the file's key and the bibliography's key set."""
        key = content_key("citations", *keys)
        entry = self._citations.get(key)
        if isinstance(entry, list):
            try:
                return [Diagnostic(*fields) for fields in entry]
            except TypeError:
                pass
        found = check_citations(policy, known, display, where)
        self._citations.put(key, [d.fields() for d in found])
        return found


def _stored_policy(entry: str | None, raw: bytes) -> tuple[Locator, Policy, list[Diagnostic]] | None:
    """A policy as ``StoredReader`` stored it, or ``None`` if there is none or it is damaged."""
    if entry is None:
        return None
    try:
        model, diagnostics_json, positions = entry.split("\n")
        policy = Policy.model_validate_json(model)
        diagnostics = [Diagnostic(*fields) for fields in json.loads(diagnostics_json)]
    except (TypeError, ValueError):
        return None
    return StoredPositions(positions, raw), policy, diagnostics
