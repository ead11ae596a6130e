"""How the loader reads sources: the ``SourceReader`` interface and the plain reader.

``load_project`` asks a reader for each piece (the bibliography, the boilerplate, each
policy file, each policy's citation check) and does the cross-file work itself. The
plain reader here does each piece directly, every time. The speed layer offers a stored
reader with the same interface that keeps what it read between runs and reads a large
bibliography in a second process; both give the same project.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container
from pathlib import Path
from typing import Protocol

from policypress.bibliography.bibtex import Bibliography, load_bibliography
from policypress.bibliography.citations import check_citations
from policypress.errors import Diagnostic, display_path
from policypress.load.boilerplate import collect, read_boilerplate
from policypress.load.policyfile import Locator, PolicyRead, read_policy
from policypress.model.policy import Boilerplate, Policy
from policypress.project import ProjectLayout

BibliographyResult = tuple[Bibliography | None, list[Diagnostic]]


class BibliographyRead(Protocol):
    """A bibliography being read: its keys first (enough to check citations), then every entry formatted."""

    @property
    def keys(self) -> tuple[str, ...] | None:
        """The entry keys in file order (``None`` if the bibliography cannot be read or parsed)."""
        ...

    @property
    def result(self) -> BibliographyResult:
        """The bibliography with every entry formatted (so a field the style needs is reported), and its problems."""
        ...


class SourceReader(Protocol):
    """What ``load_project`` reads through; see ``PlainReader`` for what each call must give."""

    def bibliography(self, layout: ProjectLayout) -> BibliographyRead: ...

    def boilerplate(self, layout: ProjectLayout) -> tuple[Boilerplate | None, list[Diagnostic]]: ...

    def policy(self, path: Path, display: str) -> PolicyRead: ...

    def citations(
        self,
        policy: Policy,
        display: str,
        where: Locator,
        read: PolicyRead,
        keys: tuple[str, ...],
        known: Container[str],
    ) -> list[Diagnostic]:
        """``check_citations`` of one policy; ``keys``: the bibliography's keys in file order, ``known``: as a set."""
        ...

    def loaded(self) -> None:
        """Called once the whole project was read and found valid."""
        ...


class PlainBibliography:
    """The bibliography read, parsed and formatted in this process when first asked for."""

    def __init__(self, layout: ProjectLayout) -> None:
        self._layout = layout

    @functools.cached_property
    def keys(self) -> tuple[str, ...] | None:
        bibliography = self.result[0]
        return bibliography.keys if bibliography is not None else None

    @functools.cached_property
    def result(self) -> BibliographyResult:
        return read_bibliography(self._layout)


def read_bibliography(
    layout: ProjectLayout, load: Callable[[Path, str], Bibliography] = load_bibliography
) -> BibliographyResult:
    """The bibliography with every entry formatted (so a field the AMA style needs is reported now).

    ``load(path, shown name)`` reads the file (the speed layer's also looks in its reference cache).
    """
    diagnostics: list[Diagnostic] = []
    display = display_path(layout.bibliography_path, layout.root)
    bibliography = collect(diagnostics, lambda: load(layout.bibliography_path, display))
    if bibliography is not None:
        diagnostics.extend(bibliography.format_all())
    return bibliography, diagnostics


class PlainReader:
    """Reads every source directly, every time: no cache, no second process."""

    def bibliography(self, layout: ProjectLayout) -> BibliographyRead:
        return PlainBibliography(layout)

    def boilerplate(self, layout: ProjectLayout) -> tuple[Boilerplate | None, list[Diagnostic]]:
        return read_boilerplate(layout)

    def policy(self, path: Path, display: str) -> PolicyRead:
        return (*read_policy(path, display), "")

    def citations(
        self,
        policy: Policy,
        display: str,
        where: Locator,
        read: PolicyRead,
        keys: tuple[str, ...],
        known: Container[str],
    ) -> list[Diagnostic]:
        return check_citations(policy, known, display, where)

    def loaded(self) -> None:
        pass
