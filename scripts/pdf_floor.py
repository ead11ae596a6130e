"""The floor of the PDF stage (``make bench``): the plain Typst compile of every policy's document.

Usage: ``python scripts/pdf_floor.py PROJECT [--workers N]``

Untimed: load the project and turn each policy's print job into its Typst source and files,
written to a temporary folder. Timed: ``typst.compile`` of every document (PDF/A-3a + PDF/UA-1,
the same fonts) on one process per core, as the PDF workers use them, with nothing of
policypress around it (no cache, no page rendering, no conversion, no finishing update).
Prints ``floor_s=… documents=…``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import typst

from policypress.build.check import check_site
from policypress.build.workspace import Workspace
from policypress.options import DateFormats
from policypress.pdf import engine, fonts
from policypress.project import ProjectLayout
from policypress.render.printjob import PrintRenderer, Provenance


@cache
def _fonts() -> typst.Fonts:
    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=fonts.font_dirs())


def _warm() -> None:
    _fonts()


def _compile(folder: str) -> int:
    data = typst.compile(
        str(Path(folder) / "policy.typ"),
        root=folder,
        font_paths=_fonts(),
        pdf_standards=list(engine.PDF_STANDARDS),
        timestamp=0,
    )
    return len(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    root = args.project.resolve()
    project, renderer = check_site(
        Workspace(ProjectLayout(root), root / "templates", DateFormats()), trial_render=False
    )
    printer = PrintRenderer(renderer, root / "templates")
    provenance = Provenance("bench", dt.datetime(2024, 11, 1, tzinfo=dt.UTC))
    with tempfile.TemporaryDirectory(prefix="policypress-floor-") as work:
        folders = []
        for source in project.policies:
            prepared = engine.typst_job(printer.job(project, source, ProjectLayout(root), provenance))
            folder = Path(work) / prepared.stem
            for name, data in prepared.files:
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(data)
            (folder / "policy.typ").write_text(prepared.source, encoding="utf-8")
            folders.append(str(folder))
        with ProcessPoolExecutor(max_workers=args.workers, initializer=_warm) as pool:
            list(pool.map(len, [""] * args.workers))  # the workers have started and indexed the fonts
            started = time.perf_counter()
            sizes = list(pool.map(_compile, folders, chunksize=4))
            seconds = time.perf_counter() - started
    print(f"floor_s={seconds:.2f} documents={len(sizes)}")


if __name__ == "__main__":
    main()
