"""Build the PDF of every policy into a folder: reuse what the cache has, render the rest on every core.

Each policy's job (its page, the print document around it, its sources) is made here, in
one process, from the same model and page renderer as the website, so the citation
numbering is the site's. Only PDFs whose cache key is new are rendered, by long-lived
worker processes (``RenderPool``: one per core, each loading WeasyPrint and the fonts
once). This process never loads WeasyPrint: a worker reports the engine fingerprint, and
the command line starts that worker before loading the sources, so WeasyPrint loads on
another core meanwhile. A progress bar is drawn on stderr when it is a terminal. Any
failure raises before the caller publishes anything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from policypress.pdfcache import CACHE_DIR, PdfCache, write_atomically
from policypress.processes import exit_with_parent

if TYPE_CHECKING:
    from policypress.pdfjob import PdfJob, Provenance
    from policypress.project import Project, ProjectLayout
    from policypress.render import PageRenderer

PDF_DIR = "pdf"
"""The folder of the site that holds ``<policy-file-stem>.pdf``."""


@dataclass(frozen=True)
class PdfReport:
    """What a PDF build did."""

    out_dir: Path
    rendered: tuple[str, ...]
    reused: tuple[str, ...]
    removed: tuple[str, ...]
    seconds: float

    def summary(self) -> str:
        total = len(self.rendered) + len(self.reused)
        return (
            f"pdf: {total} PDF(s): {len(self.rendered)} rendered, "
            f"{len(self.reused)} reused from the cache ({self.seconds:.1f} s)"
        )


def pdf_url(page_src_uri: str, stem: str, use_directory_urls: bool) -> str:
    """The link from a policy page (``policies/x.md``) to its PDF: ``../../pdf/x.pdf`` with directory URLs."""
    depth = page_src_uri.count("/") + (1 if use_directory_urls else 0)
    return "../" * depth + f"{PDF_DIR}/{stem}.pdf"


def source_provenance(layout: ProjectLayout, watched: Sequence[str] = ()) -> Provenance:
    """The source commit (``-dirty`` if a source differs from it) and the date of the sources.

    The date is ``SOURCE_DATE_EPOCH`` when set, else the commit time; without git both are
    unknown and each PDF is dated by its policy's effective date.
    """
    from policypress.pdfjob import Provenance

    root = layout.root
    commit = _git(root, "rev-parse", "HEAD")
    if commit:
        paths = [layout.policy_dir, layout.bibliography, *watched]
        if _git(root, "status", "--porcelain", "--", *paths):
            commit += "-dirty"
    epoch = os.environ.get("SOURCE_DATE_EPOCH") or (_git(root, "log", "-1", "--format=%ct") if commit else None)
    date = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else None
    return Provenance(commit or "unknown", date)


def _git(root: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def build_policy_pdfs(
    project: Project,
    layout: ProjectLayout,
    pages: PageRenderer,
    template_dir: Path,
    out_dir: Path,
    *,
    markdown_extensions: Sequence[Any] = ("attr_list", "toc"),
    extension_configs: Mapping[str, Mapping[str, Any]] | None = None,
    provenance: Provenance | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    pool: RenderPool | None = None,
    progress: TextIO | None = None,
) -> PdfReport:
    """Write ``out_dir/<stem>.pdf`` for every policy of ``project``; remove PDFs of policies that are gone."""
    from policypress.pdfjob import PrintRenderer

    started = time.perf_counter()
    printer = PrintRenderer(pages, template_dir, markdown_extensions, extension_configs)
    provenance = provenance or source_provenance(layout, [os.path.relpath(template_dir, layout.root)])
    # made one by one as the workers take them, so rendering starts with the first policy
    jobs = (printer.job(project, source, layout, provenance) for source in project.policies)
    cache = PdfCache((cache_dir or layout.root / CACHE_DIR) if use_cache else None)
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(RenderPool())
        report = write_pdfs(jobs, out_dir, cache, pool, total=len(project.policies), progress=progress)
    cache.prune()
    return PdfReport(out_dir, report.rendered, report.reused, report.removed, time.perf_counter() - started)


def write_pdfs(
    jobs: Iterable[PdfJob],
    out_dir: Path,
    cache: PdfCache,
    pool: RenderPool,
    *,
    total: int = 0,
    progress: TextIO | None = None,
) -> PdfReport:
    """Write each job's PDF to ``out_dir``, from the cache when it has it, else rendered (and cached).

    ``jobs`` may be made lazily: each is taken when a worker has room (``total`` sizes the progress bar).
    """
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    engine = pool.engine()
    keys: dict[str, str] = {}
    bar = ProgressBar(total, progress if progress is not None else sys.stderr)
    reused: list[str] = []

    def missing() -> Iterator[PdfJob]:
        for job in jobs:
            keys[job.stem] = job.cache_key(engine)
            data = cache.get(keys[job.stem])
            if data is None:
                yield job
            else:
                write_atomically(out_dir / f"{job.stem}.pdf", data)
                reused.append(job.stem)
                bar.advance()

    rendered: list[str] = []
    for job, data in pool.render(missing()):
        cache.put(keys[job.stem], data)
        write_atomically(out_dir / f"{job.stem}.pdf", data)
        rendered.append(job.stem)
        bar.advance()
    bar.close()
    wanted = {f"{stem}.pdf" for stem in keys}
    removed = []
    for path in sorted(out_dir.glob("*.pdf")):
        if path.name not in wanted:
            path.unlink()
            removed.append(path.stem)
    return PdfReport(out_dir, tuple(rendered), tuple(reused), tuple(removed), time.perf_counter() - started)


class RenderPool:
    """Worker processes that render PDFs: one per core, each loading WeasyPrint and the fonts once.

    Workers start when first needed; ``start()`` starts the first one ahead of need (the
    ``pdf`` and ``build`` commands call it before loading the sources). Use as a context
    manager: leaving it stops the workers.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.size = max(1, workers or _cores())
        self._executor: ProcessPoolExecutor | None = None
        self._engine: Future[str] | None = None

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> RenderPool:
        """Start one worker now; it loads WeasyPrint and works out the engine fingerprint."""
        if self._engine is None:
            self._engine = self._workers().submit(_engine_fingerprint)
        return self

    def engine(self) -> str:
        """The fingerprint of the rendering engine (``policypress.pdf.engine_fingerprint``), as a worker sees it."""
        return self.start()._engine.result()  # type: ignore[union-attr]

    def render(self, jobs: Iterable[PdfJob]) -> Iterator[tuple[PdfJob, bytes]]:
        """Render ``jobs``, yielding each as it completes; jobs are taken from ``jobs`` only as workers
        have room (a few queued per worker, not all at once: each job holds its page and attachments)."""
        pending: dict[Future[bytes], PdfJob] = {}
        queue = iter(jobs)
        room = 2 * self.size
        try:
            while True:
                while len(pending) < room and (job := next(queue, None)) is not None:
                    pending[self._workers().submit(_render_pdf, job)] = job
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    job = pending.pop(future)
                    yield job, future.result()
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        """Stop the workers (jobs not yet started are dropped)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
            self._engine = None

    def _workers(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads or locks
            self._executor = ProcessPoolExecutor(max_workers=self.size, mp_context=context, initializer=_start_worker)
        return self._executor


def _start_worker() -> None:
    """A worker's start: WeasyPrint, Pango and the fonts loaded once, before the first job."""
    from policypress import pdf

    exit_with_parent()
    pdf.warm_up()


def _engine_fingerprint() -> str:
    from policypress import pdf

    return pdf.engine_fingerprint()


def _render_pdf(job: PdfJob) -> bytes:
    from policypress import pdf

    return pdf.render_pdf(job)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class ProgressBar:
    """``[#####-----] 12/40 PDFs`` on one terminal line; silent when the stream is not a terminal."""

    def __init__(self, total: int, stream: TextIO, width: int = 30, clock: Callable[[], float] = time.monotonic):
        self.total = total
        self.stream = stream
        self.width = width
        self.done = 0
        self.enabled = total > 0 and _isatty(stream)
        self._clock = clock
        self._drawn = -1.0

    def advance(self) -> None:
        self.done += 1
        now = self._clock()
        if self.enabled and (self.done == self.total or now - self._drawn >= 0.1):
            self._drawn = now
            filled = self.width * self.done // self.total
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\rpdf [{bar}] {self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
