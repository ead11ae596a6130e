"""Build the PDF of every policy into a folder, from the same model and page renderer as the website.

Each policy's job (its page, the print document around it, its sources) is made here, in
one process, so the citation numbering is the site's. A PDF maker turns jobs into bytes:
``InProcessPdfMaker`` renders each in this process; the speed layer's maker (handed in by
the workspace) takes unchanged PDFs from its cache and renders the rest on every core,
with the same bytes. Any failure raises before the caller publishes anything.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from policypress.build.versions import PublishedVersion, Remember, retired_versions
from policypress.errors import PolicyPressError
from policypress.files import write_atomically
from policypress.project import PolicySource, Project, ProjectLayout
from policypress.render.pages import PageRenderer
from policypress.render.printjob import (
    POLICYPRESS_VERSION,
    DeferredJob,
    PdfJob,
    PrintedVersion,
    PrintRenderer,
    Provenance,
)
from policypress.render.urls import PDF_DIR, version_pdf_path

Job = PdfJob | DeferredJob
"""A print job, or one made only if its PDF is not in the cache (the speed layer's maker takes both)."""
Deliver = Callable[[Job, bytes, bool], None]
"""Takes each PDF made: its job, its bytes, whether it was reused rather than rendered."""


class PdfMaker(Protocol):
    """Turns print jobs into PDF bytes."""

    def start(self) -> None:
        """Get ready ahead of the first job (a worker may load the engine meanwhile)."""
        ...

    def make(self, jobs: Iterable[Job], deliver: Deliver) -> None:
        """Call ``deliver`` once for every job, in any order; jobs may be made lazily."""
        ...

    def finish(self) -> None:
        """After every PDF of a complete build was made."""
        ...

    def close(self) -> None: ...


class InProcessPdfMaker:
    """Renders every PDF in this process, one after the other: no cache, no worker."""

    def start(self) -> None:
        pass

    def make(self, jobs: Iterable[Job], deliver: Deliver) -> None:
        from policypress.pdf.engine import render_pdf  # loads Typst: only when a PDF is made

        for job in jobs:
            deliver(job, render_pdf(job.make() if isinstance(job, DeferredJob) else job), False)

    def finish(self) -> None:
        pass

    def close(self) -> None:
        pass


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


def build_policy_pdfs(
    project: Project,
    layout: ProjectLayout,
    pages: PageRenderer,
    template_dir: Path,
    out_dir: Path,
    maker: PdfMaker,
    provenance: Callable[[PolicySource], Provenance],
    *,
    markdown_extensions: Sequence[Any] = ("attr_list", "toc"),
    extension_configs: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    versions: Mapping[str, Sequence[PublishedVersion]] | None = None,
    remember: Remember | None = None,
) -> PdfReport:
    """Write ``out_dir/<stem>.pdf`` for every policy of ``project``, and ``out_dir/<stem>/v<N>.pdf`` for
    every version of it in ``versions`` (policy id -> its versions); remove PDFs of policies that are gone.

    ``progress(done, total)`` is called after each PDF. With ``remember`` (the speed layer's kept work), a
    version's job is known by its content digest, kept by what the version's PDF is made of, and made only if
    its PDF is not in the cache: an unchanged version costs no load of its commit.
    """
    started = time.perf_counter()
    printer = PrintRenderer(pages, template_dir, markdown_extensions, extension_configs)
    # every version of every policy (by the stem of its page), those of retired policies too
    stems = {source.policy.id: source.stem for source in project.policies}
    listed = [(stems[s.policy.id], versions.get(s.policy.id, ())) for s in project.policies] if versions else []
    if versions:
        retired = retired_versions(project, {k: tuple(v) for k, v in versions.items()})
        listed += [(found[-1].stem, found) for found in retired.values()]
    # made one by one as the maker takes them, so rendering starts with the first policy
    jobs = itertools.chain(
        (printer.job(project, source, layout, provenance(source)) for source in project.policies),
        (_version_job(printer, stem, published, layout, remember) for stem, found in listed for published in found),
    )
    total = len(project.policies) + sum(len(found) for _stem, found in listed)
    report = write_pdfs(jobs, out_dir, maker, total=total, progress=progress)
    maker.finish()
    return PdfReport(out_dir, report.rendered, report.reused, report.removed, time.perf_counter() - started)


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (``--shard 2/4``): every ``count``-th policy in file-name order, from the
    ``index``-th on. Each policy falls in exactly one shard of N, the same on every machine that has the same
    policies, and the shards are even to one policy."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"`` as ``Shard(2, 4)``; ``PolicyPressError`` saying how to write it otherwise."""
        written = re.fullmatch(r"([0-9]+)/([0-9]+)", text)
        if written is None:
            raise PolicyPressError(f"--shard {text}: write K/N, shard K of N, e.g. --shard 2/4")
        index, count = int(written[1]), int(written[2])
        if count < 1:
            raise PolicyPressError(f"--shard {text}: N, the number of shards, is at least 1")
        if not 1 <= index <= count:
            raise PolicyPressError(
                f"--shard {text}: K is 1 to {count}, shards are numbered from 1 (--shard 1/{count} to {count}/{count})"
            )
        return cls(index, count)

    def select(self, policies: Sequence[PolicySource]) -> list[PolicySource]:
        """The policies of this shard, in file-name order."""
        ordered = sorted(policies, key=lambda source: source.stem)
        return [source for position, source in enumerate(ordered) if position % self.count == self.index - 1]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class ShardReport:
    """What ``policypress pdf --shard`` did: PDFs made into the cache only."""

    shard: Shard
    rendered: tuple[str, ...]
    reused: tuple[str, ...]
    seconds: float

    def summary(self) -> str:
        total = len(self.rendered) + len(self.reused)
        return (
            f"pdf: shard {self.shard}: {total} PDF(s) into .cache/pdf: {len(self.rendered)} rendered, "
            f"{len(self.reused)} already in the cache ({self.seconds:.1f} s)"
        )


def cache_shard_pdfs(
    project: Project,
    layout: ProjectLayout,
    pages: PageRenderer,
    template_dir: Path,
    maker: PdfMaker,
    provenance: Callable[[PolicySource], Provenance],
    shard: Shard,
    *,
    markdown_extensions: Sequence[Any] = ("attr_list", "toc"),
    extension_configs: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ShardReport:
    """Make the PDF of every policy of ``shard`` with ``maker``, which files each in its cache; write no site.

    The jobs are the very jobs of a whole build (the same project, numbering and provenance), so a build
    given the merged caches of all N shards finds every PDF there."""
    started = time.perf_counter()
    printer = PrintRenderer(pages, template_dir, markdown_extensions, extension_configs)
    chosen = shard.select(project.policies)
    rendered: list[str] = []
    reused: list[str] = []

    def deliver(job: Job, _data: bytes, was_reused: bool) -> None:
        (reused if was_reused else rendered).append(job.stem)
        if progress is not None:
            progress(len(rendered) + len(reused), len(chosen))

    maker.make((printer.job(project, source, layout, provenance(source)) for source in chosen), deliver)
    return ShardReport(shard, tuple(sorted(rendered)), tuple(sorted(reused)), time.perf_counter() - started)


def _version_job(
    printer: PrintRenderer, stem: str, published: PublishedVersion, layout: ProjectLayout, remember: Remember | None
) -> Job:
    """The version's job, or (``remember``) a deferred one whose digest is kept by what its PDF is made of."""
    make = functools.cache(lambda: version_job(printer, stem, published, layout))
    if remember is None:
        return make()
    version = published.version
    inputs = (
        published.sources.tree,
        published.layout_key,
        published.file,
        stem,
        str(version.number),
        version.commit,
        version.posted.isoformat(),
        version.effective.isoformat(),
        printer.asset_digest,
        str(printer.template_dir),
        repr(printer.pages.formats),
        json.dumps([printer.markdown_extensions, printer.markdown_configs], sort_keys=True, default=repr),
        str(layout.root),
        POLICYPRESS_VERSION,
    )
    digest = str(remember("version-pdf", inputs, lambda: make().content_digest()))
    return DeferredJob(_version_stem(stem, version.number), digest, make)


def _version_stem(stem: str, number: int) -> str:
    return version_pdf_path(stem, number).removeprefix(f"{PDF_DIR}/").removesuffix(".pdf")


def version_job(printer: PrintRenderer, stem: str, published: PublishedVersion, layout: ProjectLayout) -> PdfJob:
    """The PDF of one version, from its own commit's sources alone: its policy, bibliography and shared legal
    text as committed, dated by the commit. So the same history gives the same bytes on every machine, and
    the cache (keyed by all of it) hands a published version back unchanged on every later build."""
    version = published.version
    return printer.job(
        published.project,
        published.source,
        layout,
        Provenance(version.commit, version.posted),
        printed=PrintedVersion(version.number, version.effective, version.posted.date(), version.commit),
        stem=_version_stem(stem, version.number),
        files=published.files,
    )


def write_pdfs(
    jobs: Iterable[Job],
    out_dir: Path,
    maker: PdfMaker,
    *,
    total: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> PdfReport:
    """Write each job's PDF to ``out_dir`` as ``maker`` makes it; remove every other PDF there."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    rendered: list[str] = []
    reused: list[str] = []

    def deliver(job: Job, data: bytes, was_reused: bool) -> None:
        target = out_dir / f"{job.stem}.pdf"
        target.parent.mkdir(parents=True, exist_ok=True)  # a version's PDF: <stem>/v<N>.pdf
        write_atomically(target, data)
        written.append(job.stem)
        (reused if was_reused else rendered).append(job.stem)
        if progress is not None:
            progress(len(written), total)

    maker.make(jobs, deliver)
    wanted = {f"{stem}.pdf" for stem in written}
    removed = []
    for path in sorted([*out_dir.glob("*.pdf"), *out_dir.glob("*/v*.pdf")]):
        name = path.relative_to(out_dir).as_posix()
        if name not in wanted:
            path.unlink()
            removed.append(name.removesuffix(".pdf"))
    for folder in sorted(p for p in out_dir.iterdir() if p.is_dir() and not any(p.iterdir())):
        folder.rmdir()
    return PdfReport(out_dir, tuple(rendered), tuple(reused), tuple(removed), time.perf_counter() - started)
