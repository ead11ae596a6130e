"""The bibliography read faster: formatted references from the reference cache, a large one read in a second process.

Parsing and formatting five thousand entries takes seconds, most builds change no
reference, and the policies can be read meanwhile. ``StoredBibliography`` answers as
``load.reader.PlainBibliography`` does, with the same bibliography and problems.
"""

from __future__ import annotations

import functools
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from policypress.bibliography.bibtex import (
    Bibliography,
    FormattedReference,
    parse_bibliography,
    read_bibliography_text,
)
from policypress.errors import Diagnostic, SourceError, display_path
from policypress.load.reader import BibliographyResult, read_bibliography
from policypress.project import ProjectLayout
from policypress.speed import refcache
from policypress.speed.processes import exit_with_parent, second_process_context

PARALLEL_BIBLIOGRAPHY_BYTES = 256_000
"""A bibliography this large (some 600 entries) that the reference cache does not hold is parsed
and formatted in a second process: seconds at five thousand entries, spent while the policies load."""


class StoredBibliography:
    """The bibliography being read: its keys once parsed (enough to check citations), then every entry formatted.

    From the reference cache, or when small, it is read in this process when first asked
    for; otherwise a second process parses and formats it from the moment this is made,
    while the policies load.
    """

    def __init__(self, layout: ProjectLayout, references_cache: Path) -> None:
        self._layout = layout
        self._references_cache = references_cache
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
            return _read_bibliography(self._layout, self._references_cache)
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
        if not problems:
            refcache.store(self._references_cache, self._text, bibliography)
        return bibliography, problems


def _read_bibliography(layout: ProjectLayout, references_cache: Path) -> BibliographyResult:
    """``load.reader.read_bibliography``, taken from the reference cache when it holds these very bytes
    (and kept there when it had to be parsed and formatted without a problem)."""
    bibliography, diagnostics = read_bibliography(layout, lambda path, display: _load(path, display, references_cache))
    if bibliography is not None and not diagnostics and bibliography.parsed:
        refcache.store(references_cache, bibliography.text, bibliography)
    return bibliography, diagnostics


def _load(path: Path, display: str, references_cache: Path) -> Bibliography:
    text = read_bibliography_text(path, display)
    cached = refcache.load(references_cache, text)
    if cached is not None:
        return Bibliography.from_formatted(*cached, display, text)
    return parse_bibliography(text, display)


_PARSED_IN_THIS_PROCESS: dict[str, Bibliography] = {}
"""Bibliographies parsed by ``parse_for_another_process``, until ``format_for_another_process`` takes them."""


def parse_for_another_process(text: str, display: str) -> tuple[tuple[str, ...] | None, list[Diagnostic]]:
    """First half of reading a bibliography in a worker process: parse it, answer with its keys (so
    citations can be checked while the entries are formatted), or ``None`` and every syntax problem."""
    try:
        _PARSED_IN_THIS_PROCESS[display] = parse_bibliography(text, display)
    except SourceError as exc:
        return None, list(exc.diagnostics)
    return _PARSED_IN_THIS_PROCESS[display].keys, []


def format_for_another_process(
    display: str,
) -> tuple[dict[str, FormattedReference], dict[str, tuple[int, int]], list[Diagnostic]]:
    """Second half, in the same worker: every entry formatted, each entry's span, and every problem."""
    bibliography = _PARSED_IN_THIS_PROCESS.pop(display)
    problems = bibliography.format_all()
    return bibliography.formatted(), bibliography.spans(), problems
