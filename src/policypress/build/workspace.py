"""The one place where the speed layer is wired into the pipeline, for the command line and the MkDocs plugin.

A ``Workspace`` hands out the pipeline's parts for one project: a source reader, a page
renderer, a PDF maker, a memo for derived work. ``fast=True`` gives the speed layer's
(stored, parallel) parts, ``fast=False`` the plain ones; both write the same bytes, the
plain ones only slower (``policypress --plain``, and the equivalence tests). The speed layer
is imported only by a fast workspace, so a plain run never loads its caches or process pools.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from policypress.build.pdfs import InProcessPdfMaker, PdfMaker
from policypress.load.loader import load_project
from policypress.load.reader import PlainReader, SourceReader
from policypress.options import DateFormats, Options
from policypress.project import PolicySource, Project, ProjectLayout
from policypress.render.pages import TEMPLATE_CACHE, PageRenderer

if TYPE_CHECKING:
    from policypress.speed.pages import StoredPageRenderer
    from policypress.speed.pagework import KeptPageWork
    from policypress.speed.reader import LoadCache

T = TypeVar("T")


class Workspace:
    """The pipeline's parts for the project in ``layout``, with the speed layer or without it.

    One workspace lives as long as its command, or, in the MkDocs plugin, as long as a live
    preview: the stored reader's memory of files read is what lets a preview rebuild only
    re-read the file the author saved.
    """

    def __init__(
        self,
        layout: ProjectLayout,
        template_dir: Path | None = None,
        formats: DateFormats | None = None,
        *,
        fast: bool = True,
        theme_dirs: tuple[Path, ...] = (),
    ) -> None:
        self.layout = layout
        self.template_dir = template_dir if template_dir is not None else layout.root / "templates"
        self.theme_dirs = theme_dirs
        """The site's other published sources: mkdocs.yml's ``docs_dir`` and the theme's ``custom_dir``."""
        self.formats = formats or DateFormats()
        self.fast = fast
        self._memory: LoadCache | None = None
        self._renderer: PageRenderer | None = None
        self._page_work: dict[str, KeptPageWork] = {}

    @classmethod
    def for_options(
        cls, options: Options, root: Path, *, fast: bool = True, theme_dirs: tuple[Path, ...] = ()
    ) -> Workspace:
        """The workspace of the project whose mkdocs.yml (with these options) is in ``root``."""
        return cls(
            options.layout(root), options.template_dir(root), options.formats(), fast=fast, theme_dirs=theme_dirs
        )

    def reader(self) -> SourceReader:
        """A reader for one load of the project."""
        if not self.fast:
            return PlainReader()
        from policypress.speed.reader import StoredReader

        return StoredReader(self.layout, self._load_cache())

    def _load_cache(self) -> LoadCache:
        """The memory of files read and work done, kept for the workspace's life (fast only)."""
        if self._memory is None:
            from policypress.speed.reader import LoadCache

            self._memory = LoadCache()
        return self._memory

    def load(self) -> Project:
        """Load and validate the project (``SourceError`` with every problem)."""
        return load_project(self.layout, self.reader())

    def renderer(self) -> PageRenderer:
        """The page renderer of this workspace (one, kept: the stored one holds the page store)."""
        if self._renderer is None:
            if self.fast:
                from policypress.speed.pages import StoredPageRenderer, page_store

                self._renderer = StoredPageRenderer(self.template_dir, self.formats, page_store(self.layout.cache_path))
            else:
                self._renderer = PageRenderer(self.template_dir, self.formats)
        return self._renderer

    def memo(self, name: str, inputs: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()``, reused across preview rebuilds while ``inputs`` are the same objects (fast only)."""
        if not self.fast:
            return compute()
        return self._load_cache().memo(name, inputs, compute)

    def rendered_elsewhere(
        self, project: Project, renderer: PageRenderer, sources: tuple[PolicySource, ...]
    ) -> AbstractContextManager[None]:
        """While the block runs, ``sources`` may be pre-rendered by a second process into the page store."""
        if not self.fast:
            return nullcontext()
        from policypress.speed.prerender import rendered_elsewhere

        return rendered_elsewhere(project, renderer, sources)

    def pages_checked(self) -> None:
        """Every page of the project was rendered: stored pages unused for long can go."""
        if stored := self._stored_renderer():
            stored.store.prune()

    def kept(self, kind: str, inputs: tuple[str, ...], make: Callable[[], T | None]) -> T | None:
        """What MkDocs worked out from a generated page made of ``inputs``: ``make()``, or (fast) the
        result kept from an earlier run (``make`` returns ``None`` for a result not to keep)."""
        if not self.fast:
            return make()
        if kind not in self._page_work:
            from policypress.speed.pagework import KeptPageWork

            self._page_work[kind] = KeptPageWork(self.layout.cache_path, kind)
        return cast(T | None, self._page_work[kind].get_or_make(inputs, make))

    def template_cache_dir(self) -> Path | None:
        """Where compiled templates are kept between runs (fast only; ``None``: compile them every run)."""
        return self.layout.cache_path / TEMPLATE_CACHE if self.fast else None

    def pages_written(self) -> None:
        """Make the pages and search entries this run made visible to the next run."""
        if stored := self._stored_renderer():
            stored.store.flush()
        for work in self._page_work.values():
            work.written()

    def _stored_renderer(self) -> StoredPageRenderer | None:
        """The renderer handed out, if it is the speed layer's (it keeps the page store)."""
        if not self.fast or self._renderer is None:
            return None
        from policypress.speed.pages import StoredPageRenderer

        return self._renderer if isinstance(self._renderer, StoredPageRenderer) else None

    def pdf_maker(self, *, use_cache: bool = True) -> PdfMaker:
        """What turns print jobs into PDFs: cached and on every core (fast), or one by one here."""
        if not self.fast:
            return InProcessPdfMaker()
        from policypress.speed.pdfcache import CACHE_DIR
        from policypress.speed.pdfpool import CachedPdfMaker, RenderPool

        return CachedPdfMaker(RenderPool(), self.layout.root / CACHE_DIR if use_cache else None)
