"""Load a whole policypress project: every policy, the bibliography and the shared boilerplate.

This is the front of the pipeline (load -> validate -> model). It reads files and
nothing else, collects every diagnostic from every file before giving up, and
returns a ``Project`` only when all sources are valid, so nothing downstream ever
sees a half-valid policy.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Container
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from pydantic import BaseModel

from policypress import refcache
from policypress.bibliography import (
    Bibliography,
    format_for_another_process,
    load_bibliography,
    parse_for_another_process,
)
from policypress.citations import check_citations
from policypress.errors import Diagnostic, SourceError, display_path
from policypress.model import Boilerplate, CodingNotice, ImportantReminder, Policy
from policypress.processes import exit_with_parent, second_process_context
from policypress.rules import check_policy_rules
from policypress.textsyntax import iter_citations, parse_inline
from policypress.validate import field_name, validate_document
from policypress.workcache import WorkCache, content_key
from policypress.yamlsource import Path_, StoredPositions, YamlDocument, load_yaml

T = TypeVar("T")

IMPORTANT_REMINDER_FILE = "important-reminder.yaml"
BOILERPLATE_DIR = "boilerplate"


@dataclass(frozen=True)
class ProjectLayout:
    """Where a project keeps its sources, relative to its root (the folder of mkdocs.yml)."""

    root: Path
    policy_dir: str = "policy"
    bibliography: str = "references.bib"
    use_cache: bool = False
    """Keep reusable work under ``.cache/`` (the command line and the MkDocs plugin do; a bare load does not)."""

    @property
    def policy_path(self) -> Path:
        return self.root / self.policy_dir

    @property
    def boilerplate_path(self) -> Path:
        return self.policy_path / BOILERPLATE_DIR

    @property
    def cache_path(self) -> Path:
        """Where builds keep work they can reuse (formatted references, rendered PDFs); git-ignored."""
        return self.root / ".cache"

    @property
    def bibliography_path(self) -> Path:
        return self.root / self.bibliography

    def policy_files(self) -> list[Path]:
        """Policy sources in a stable order: one ``*.yaml`` file per policy."""
        return sorted(path for path in self.policy_path.glob("*.yaml") if path.is_file())

    def watched_paths(self) -> list[Path]:
        """Everything whose change should rebuild the site."""
        return [self.policy_path, self.bibliography_path]


@dataclass(frozen=True)
class PolicySource:
    """A valid policy and where it came from."""

    policy: Policy
    file: str
    """Path shown to users and used for "edit this page", relative to the project root."""
    stem: str
    """File name without ``.yaml``: the page and PDF name."""
    key: str = ""
    """Content key of the file (``workcache.content_key``): equal keys, equal policies."""


@dataclass(frozen=True)
class Project:
    """All sources of a site, valid and cross-checked."""

    policies: tuple[PolicySource, ...]
    bibliography: Bibliography
    boilerplate: Boilerplate
    notes: tuple[Diagnostic, ...]
    """Warnings and information (e.g. references listed but never cited)."""


def expected_stem(policy_id: str) -> str:
    """The file name a policy id must have: ``WA.CP.MP.166`` -> ``wa-cp-mp-166``."""
    return policy_id.lower().replace(".", "-")


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


def _inside(root: Path, path: Path) -> bool:
    """Whether ``path`` (following symbolic links) is within ``root``; a missing file counts as inside."""
    if not path.exists():
        return True
    return path.resolve().is_relative_to(root.resolve())


def _signature(path: Path) -> tuple[int, int]:
    """What tells an edited file from an unchanged one: modification time and size (-1 if missing)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (-1, -1)
    return (stat.st_mtime_ns, stat.st_size)


class Locator(Protocol):
    """Where a value of a source file is: a parsed ``YamlDocument`` or the positions a cache kept."""

    def position(self, path: Path_) -> tuple[int, int]: ...


_FileResult = tuple[Locator | None, Policy | None, list[Diagnostic], str]
"""Where values are, the policy if valid, the file's own diagnostics, and the file's content key."""


def _read_policy(path: Path, display: str, store: WorkCache) -> _FileResult:
    """One policy file read and validated on its own (nothing that depends on other files).

    A valid policy is kept in ``store`` under the hash of its bytes, so an unchanged file is
    not parsed again: its model, diagnostics and value positions come from the store.
    """
    raw = path.read_bytes()
    key = content_key("policy", display, raw)
    stored = _stored_policy(store.get_text(key))
    if stored is not None:
        return (*stored, key)
    diagnostics: list[Diagnostic] = []
    document = _collect(diagnostics, lambda: load_yaml(path, display, raw))
    if document is None:
        return None, None, diagnostics, key
    policy, problems = validate_document(document, Policy)
    diagnostics.extend(problems)
    if policy is None:
        return document, None, diagnostics, key
    if path.stem != expected_stem(policy.id):
        line, col = document.position(("id",))
        diagnostics.append(
            Diagnostic(
                display,
                line,
                col,
                "policy.file_name",
                f"id: {policy.id!r} must live in {expected_stem(policy.id)}.yaml, not {path.name}",
            )
        )
    for finding in check_policy_rules(policy):
        line, col = document.position(finding.path)
        diagnostics.append(Diagnostic(display, line, col, finding.code, finding.message, finding.severity))
    # three JSON texts, one a line (JSON has no raw line breaks): the model, diagnostics, positions
    diagnostics_json = json.dumps([d.fields() for d in diagnostics], ensure_ascii=False)
    store.put_text(key, "\n".join((policy.model_dump_json(), diagnostics_json, document.stored_positions())))
    return document, policy, diagnostics, key


def _stored_policy(entry: str | None) -> tuple[Locator, Policy, list[Diagnostic]] | None:
    """A policy as ``_read_policy`` stored it, or ``None`` if there is none or it is damaged."""
    if entry is None:
        return None
    try:
        model, diagnostics_json, positions = entry.split("\n")
        policy = Policy.model_validate_json(model)
        diagnostics = [Diagnostic(*fields) for fields in json.loads(diagnostics_json)]
    except (TypeError, ValueError):
        return None
    return StoredPositions(positions), policy, diagnostics


def _policy_citations(
    policy: Policy, bibliography: Container[str], display: str, where: Locator, keys: tuple[str, str], store: WorkCache
) -> list[Diagnostic]:
    """``check_citations`` of one policy, kept in ``store`` by the file's key and the bibliography's key set."""
    key = content_key("citations", *keys)
    entry = store.get(key)
    if isinstance(entry, list):
        try:
            return [Diagnostic(*fields) for fields in entry]
        except TypeError:
            pass
    found = check_citations(policy, bibliography, display, where.position)
    store.put(key, [d.fields() for d in found])
    return found


BibliographyResult = tuple[Bibliography | None, list[Diagnostic]]
PARALLEL_BIBLIOGRAPHY_BYTES = 256_000
"""A bibliography this large (some 600 entries) that the reference cache does not hold is parsed
and formatted in a second process: seconds at five thousand entries, spent while the policies load."""


class PendingBibliography:
    """The bibliography being read: its keys once parsed (enough to check citations), then every entry formatted.

    From the reference cache, or when small, it is read in this process when first asked
    for; otherwise a second process parses and formats it from the moment this is made,
    while the policies load.
    """

    def __init__(self, layout: ProjectLayout) -> None:
        self._layout = layout
        self._references_cache = layout.cache_path / "references" if layout.use_cache else None
        self._display = display_path(layout.bibliography_path, layout.root)
        self._text: str | None = None
        self._executor: ProcessPoolExecutor | None = None
        try:
            if layout.bibliography_path.stat().st_size >= PARALLEL_BIBLIOGRAPHY_BYTES:
                self._text = layout.bibliography_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            pass  # reported when read in this process
        if self._text is None:
            return
        if self._references_cache is not None:
            cached = refcache.load(self._references_cache, self._text)
            if cached is not None:
                self.result = (Bibliography.from_formatted(*cached, self._display, self._text), [])
                return
        self._executor = ProcessPoolExecutor(
            max_workers=1, mp_context=second_process_context(), initializer=exit_with_parent
        )
        self._parsed = self._executor.submit(parse_for_another_process, self._text, self._display)
        self._formatted = self._executor.submit(format_for_another_process, self._display)

    @functools.cached_property
    def keys(self) -> tuple[str, ...] | None:
        """The entry keys in file order (``None`` if the bibliography cannot be read or parsed)."""
        if self._executor is None:  # read in this process (or taken from the reference cache)
            bibliography = self.result[0]
            return bibliography.keys if bibliography is not None else None
        try:
            keys, _problems = self._parsed.result()
        except BaseException:
            self._executor.shutdown(cancel_futures=True)  # the load ends here: so does the other process
            raise
        return keys

    @functools.cached_property
    def result(self) -> BibliographyResult:
        """The bibliography with every entry formatted, and its problems."""
        if self._executor is None:
            return _read_bibliography(self._layout)
        try:
            keys, problems = self._parsed.result()
            if keys is None:
                self._formatted.cancel()
                return None, problems
            references, spans, problems = self._formatted.result()
        finally:
            self._executor.shutdown()
        assert self._text is not None
        bibliography = Bibliography.from_formatted(keys, references, spans, self._display, self._text)
        if not problems and self._references_cache is not None:
            refcache.store(self._references_cache, self._text, bibliography)
        return bibliography, problems


def _read_bibliography(layout: ProjectLayout) -> BibliographyResult:
    """The bibliography, every entry formatted (so a field the AMA style needs is reported now)."""
    diagnostics: list[Diagnostic] = []
    references_cache = layout.cache_path / "references" if layout.use_cache else None
    display = display_path(layout.bibliography_path, layout.root)
    bibliography = _collect(diagnostics, lambda: load_bibliography(layout.bibliography_path, display, references_cache))
    if bibliography is not None:
        problems = bibliography.format_all()
        diagnostics.extend(problems)
        if not problems and references_cache is not None and bibliography.parsed:
            refcache.store(references_cache, bibliography.text, bibliography)
    return bibliography, diagnostics


def load_project(layout: ProjectLayout, cache: LoadCache | None = None) -> Project:
    """Load and validate everything; raise ``SourceError`` with every error found.

    With a ``cache`` (kept by the live preview), files unchanged since the last load
    are not read again; the cross-file checks always run.
    """
    fresh = cache is None or cache.empty
    cache = cache or LoadCache()
    folder = layout.cache_path if layout.use_cache else None
    sources, citations = WorkCache(folder, "sources"), WorkCache(folder, "citations")
    diagnostics: list[Diagnostic] = []
    outside = [
        path
        for path in (layout.bibliography_path, *layout.policy_files(), *layout.boilerplate_path.glob("*.yaml"))
        if not _inside(layout.root, path)
    ]
    for path in outside:
        diagnostics.append(
            Diagnostic(
                display_path(path, layout.root),
                1,
                1,
                "source.outside_project",
                f"links to {path.resolve()}, outside the project; sources must live in the project",
            )
        )
    if outside:
        raise SourceError(diagnostics)  # read nothing from outside, not even to report on it
    # a large bibliography that must be parsed is parsed in another process while the policies are read
    pending = cache.get(layout.bibliography_path, lambda: PendingBibliography(layout))
    boilerplate_files = (layout.boilerplate_path, *sorted(layout.boilerplate_path.glob("*.yaml")))
    boilerplate, problems = cache.get(boilerplate_files, lambda: _read_boilerplate(layout))
    diagnostics.extend(problems)
    files = []
    for path in layout.policy_files():
        display = display_path(path, layout.root)
        files.append(
            (path, display, cache.get(path, lambda path=path, display=display: _read_policy(path, display, sources)))
        )
    keys = pending.keys  # known before every entry is formatted: the citations are checked meanwhile
    known_keys = frozenset(keys or ())
    keys_digest = content_key("bibliography keys", "\n".join(keys or ()))
    policies: list[PolicySource] = []
    seen_ids: dict[str, str] = {}
    for path, display, (document, policy, problems, source_key) in files:
        diagnostics.extend(problems)
        if document is None or policy is None:
            continue
        if policy.id in seen_ids:
            line, col = document.position(("id",))
            diagnostics.append(
                Diagnostic(
                    display,
                    line,
                    col,
                    "policy.duplicate_id",
                    f"id: {policy.id!r} is also used by {seen_ids[policy.id]}",
                )
            )
        seen_ids.setdefault(policy.id, display)
        if keys is not None:
            diagnostics.extend(
                cache.memo(
                    f"citations:{display}",
                    (policy, keys),
                    lambda policy=policy, display=display, document=document, source_key=source_key: _policy_citations(
                        policy, known_keys, display, document, (source_key, keys_digest), citations
                    ),
                )
            )
        policies.append(PolicySource(policy, display, path.stem, source_key))
    bibliography, problems = pending.result
    diagnostics.extend(problems)
    if not layout.policy_files():
        diagnostics.append(
            Diagnostic(
                display_path(layout.policy_path, layout.root),
                1,
                1,
                "project.no_policies",
                "no policy files (*.yaml) found",
            )
        )
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors or bibliography is None or boilerplate is None:
        raise SourceError(errors)
    notes = tuple(sorted(d for d in diagnostics if d.severity != "error"))
    if fresh:  # every file went through the stores: what they hold beyond that is of no use
        sources.prune()
        citations.prune()
    sources.flush()
    return Project(tuple(policies), bibliography, boilerplate, notes)


def _collect(diagnostics: list[Diagnostic], load):  # type: ignore[no-untyped-def]
    """Run a loader; on ``SourceError`` keep its diagnostics and return ``None``."""
    try:
        return load()
    except SourceError as exc:
        diagnostics.extend(exc.diagnostics)
        return None


def _load_model(path: Path, root: Path, model: type[BaseModel], diagnostics: list[Diagnostic]) -> BaseModel | None:
    document: YamlDocument | None = _collect(diagnostics, lambda: load_yaml(path, display_path(path, root)))
    if document is None:
        return None
    value, problems = validate_document(document, model)
    diagnostics.extend(problems)
    if value is not None:
        diagnostics.extend(_citations_in_boilerplate(document))
    return value


def _citations_in_boilerplate(document: YamlDocument) -> list[Diagnostic]:
    """Shared legal text has no reference list of its own, so it may not cite."""
    texts: list[tuple[Path_, Any]] = [
        (("paragraphs", i), p) for i, p in enumerate(document.data.get("paragraphs") or [])
    ]
    texts.append((("copyright",), document.data.get("copyright")))
    found = []
    for path, text in texts:
        if isinstance(text, str) and any(iter_citations(parse_inline(text))):
            line, col = document.position(path)
            found.append(
                Diagnostic(
                    document.file,
                    line,
                    col,
                    "boilerplate.citation",
                    f"{field_name(path)}: shared legal text cannot cite references (it has no reference list)",
                )
            )
    return found


def _read_boilerplate(layout: ProjectLayout) -> tuple[Boilerplate | None, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    return _load_boilerplate(layout, diagnostics), diagnostics


def _load_boilerplate(layout: ProjectLayout, diagnostics: list[Diagnostic]) -> Boilerplate | None:
    """The Important Reminder plus every coding notice in ``policy/boilerplate/``."""
    reminder_path = layout.boilerplate_path / IMPORTANT_REMINDER_FILE
    if not reminder_path.is_file():
        diagnostics.append(
            Diagnostic(
                display_path(reminder_path, layout.root),
                1,
                1,
                "boilerplate.missing",
                "the Important Reminder is missing",
            )
        )
        return None
    reminder = _load_model(reminder_path, layout.root, ImportantReminder, diagnostics)
    notices = []
    for path in sorted(layout.boilerplate_path.glob("*.yaml")):
        if path.name != IMPORTANT_REMINDER_FILE:
            notice = _load_model(path, layout.root, CodingNotice, diagnostics)
            if notice is not None:
                notices.append(notice)
    if not isinstance(reminder, ImportantReminder):
        return None
    return Boilerplate(important_reminder=reminder, coding_notices=tuple(notices))  # type: ignore[arg-type]
