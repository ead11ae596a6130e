"""PDFs rendered on every core and kept by content: worker processes (each loads Typst once) and the PDF cache.

``CachedPdfMaker`` makes PDFs as ``build.pdfs.InProcessPdfMaker`` does, with the same
bytes: a PDF whose cache key (``PdfJob.cache_key`` with the engine fingerprint) is in
``.cache/pdf/`` is taken from there, the others are rendered by ``RenderPool``. A worker
pauses the garbage collector during a render (collecting once after it) and renders on
one frame-stack chunk (``speed.framestack``); neither changes a byte.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing import resource_tracker
from pathlib import Path

from policypress.errors import SIGNALS_RECEIVED
from policypress.render.printjob import DeferredJob, PdfJob
from policypress.speed.framestack import call_with_deep_frame_stack
from policypress.speed.pdfcache import PdfCache
from policypress.speed.processes import exit_with_parent


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Block SIGINT while a submit may start a worker: a worker inherits the blocked signal and never
    sees it, so a Ctrl-C to the terminal's process group reaches only the command, which stops its
    workers, instead of printing a traceback from each worker. Blocked, not ignored: a Ctrl-C in
    the few milliseconds a start takes still reaches the command (through another of its threads).

    multiprocessing's resource tracker, started with the first worker, unblocks SIGINT once it is
    running (``SIG_UNBLOCK``, not the mask it found), so it is started before the signal is blocked."""
    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class RenderPool:
    """Worker processes that render PDFs: one per core, each loading Typst and the fonts once.

    Workers start when first needed; ``start()`` starts the first one ahead of need (the
    ``pdf`` command calls it before loading the sources, ``build`` before building the pages);
    ``close()`` stops them.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.size = max(1, workers or _cores())
        self._executor: ProcessPoolExecutor | None = None
        self._engine: Future[str] | None = None

    def start(self) -> RenderPool:
        """Start one worker now; it loads Typst and works out the engine fingerprint."""
        if self._engine is None:
            with _interrupts_held():
                self._engine = self._workers().submit(_engine_fingerprint)
        return self

    def engine(self) -> str:
        """The rendering engine's fingerprint (``pdf.engine.engine_fingerprint``), as a worker sees it."""
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
                    with _interrupts_held():
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
        """Stop the workers (jobs not yet started are dropped); after an interrupt, at once: a worker
        ignores Ctrl-C, and the user asked to stop, not to wait for the PDFs being rendered."""
        if self._executor is not None:
            if SIGNALS_RECEIVED:
                for worker in multiprocessing.active_children():
                    worker.terminate()
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
            self._engine = None

    def _workers(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads or locks
            self._executor = ProcessPoolExecutor(max_workers=self.size, mp_context=context, initializer=_start_worker)
        return self._executor


class CachedPdfMaker:
    """Makes each job's PDF from the PDF cache when it holds it, else with the render pool (and caches it).

    ``cache_dir`` ``None``: render every PDF (``policypress pdf --no-cache``).
    """

    def __init__(self, pool: RenderPool, cache_dir: Path | None) -> None:
        self.pool = pool
        self.cache = PdfCache(cache_dir)

    def start(self) -> None:
        self.pool.start()

    def make(
        self, jobs: Iterable[PdfJob | DeferredJob], deliver: Callable[[PdfJob | DeferredJob, bytes, bool], None]
    ) -> None:
        """``deliver(job, PDF, reused)`` for every job, as soon as its PDF is found in the cache or rendered; a
        deferred job is made only when its PDF is not in the cache."""
        engine = self.pool.engine()
        keys: dict[str, str] = {}

        def missing() -> Iterator[PdfJob]:
            for job in jobs:
                keys[job.stem] = job.cache_key(engine)
                data = self.cache.get(keys[job.stem])
                if data is not None:
                    deliver(job, data, True)
                elif isinstance(job, DeferredJob):  # made now; its own key may be cached (a digest kept stale)
                    made = job.make()
                    keys[made.stem] = made.cache_key(engine)
                    data = self.cache.get(keys[made.stem])
                    if data is None:
                        yield made
                    else:
                        deliver(made, data, True)
                else:
                    yield job

        for job, data in self.pool.render(missing()):
            self.cache.put(keys[job.stem], data)
            deliver(job, data, False)

    def finish(self) -> None:
        """After a complete build: remove cache entries unused for a while."""
        self.cache.prune()

    def close(self) -> None:
        self.pool.close()


def _start_worker() -> None:
    """A worker's start: Typst and the fonts loaded once, before the first job.

    What is loaded by then lasts as long as the worker: frozen, the garbage collector never
    walks it again.
    """
    from policypress.pdf import engine

    exit_with_parent()
    engine.warm_up()
    gc.collect()
    gc.freeze()


def _engine_fingerprint() -> str:
    from policypress.pdf import engine

    return engine.engine_fingerprint()


def _render_pdf(job: PdfJob) -> bytes:
    from policypress.pdf import engine

    with _collected_once():
        return call_with_deep_frame_stack(engine.render_pdf, job)


@contextmanager
def _collected_once() -> Iterator[None]:
    """The cyclic garbage collector paused while the block runs, then run once over what it made.

    Laying out a document makes millions of short-lived objects; the collector, started every
    few hundred allocations, took a seventh of a render. Everything made in the block is still
    in the youngest generation afterwards, so collecting that generation frees it all.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
