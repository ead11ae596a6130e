"""The speed layer only makes it faster: without it (``policypress --plain``) every byte is the same.

Each project is built three times with the real command: without the speed layer, with it
from empty caches, and with it again from the caches the cold build left. Every file of
the three sites (pages, search index, exports, feed, PDFs) must be identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, build_with_the_command, copy_project

FIXTURES = ROOT / "tests" / "fixtures"
EPOCH = "1730419200"  # 2024-11-01: the same date for every build, as a commit would give


def _build(project: Path, site: Path, *flags: str) -> dict[str, bytes]:
    build_with_the_command(project, site, *flags, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH})
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _differences(one: dict[str, bytes], other: dict[str, bytes]) -> list[str]:
    return sorted(name for name in one.keys() | other.keys() if one.get(name) != other.get(name))


@pytest.mark.parametrize("sources", ["seed", *sorted(p.name for p in FIXTURES.iterdir() if (p / "policy").is_dir())])
def test_the_same_bytes_with_and_without_the_speed_layer(tmp_path: Path, sources: str) -> None:
    project = copy_project(tmp_path / "project", ROOT if sources == "seed" else FIXTURES / sources)
    plain = _build(project, tmp_path / "plain", "--plain")
    assert not (project / ".cache").exists()  # the plain build keeps nothing
    cold = _build(project, tmp_path / "cold")
    assert (project / ".cache" / "work.sqlite").is_file() and list((project / ".cache" / "pdf").glob("*.pdf"))
    warm = _build(project, tmp_path / "warm")
    assert any(name.startswith("pdf/") and name.endswith(".pdf") for name in plain)
    assert any(name.startswith("api/") for name in plain)
    assert _differences(plain, cold) == []
    assert _differences(plain, warm) == []


_WITH_EVERY_SECOND_PROCESS = """
import sys
from policypress.cli import main
from policypress.speed import bibliography, prerender, workcache

bibliography.PARALLEL_BIBLIOGRAPHY_BYTES = 0
prerender.PARALLEL_RENDER_PAGES = 0
handed_over = []
put_all = workcache.WorkCache.put_all


def counting_put_all(self, entries):
    handed_over.append(len(entries))
    return put_all(self, entries)


workcache.WorkCache.put_all = counting_put_all
started = []
executor = bibliography.ProcessPoolExecutor


def counting_executor(*args, **kwargs):
    started.append(1)
    return executor(*args, **kwargs)


bibliography.ProcessPoolExecutor = counting_executor
code = main(sys.argv[1:])
print(f"bibliography processes: {len(started)}, pages from the second process: {sum(handed_over)}")
sys.exit(code)
"""
"""The command line with every large-input path of the speed layer engaged, however small the project."""


def test_the_same_bytes_when_the_second_processes_take_part(tmp_path: Path) -> None:
    """A library of several policies with the large-input paths engaged: the bibliography parsed and
    formatted by a second process, ``check`` rendering half the pages in a forked one (which the build
    then reads back from the page store), PDFs spread over the worker pool and then read from the PDF
    cache. The site equals the one built ``--plain``, file for file."""
    project = tmp_path / "library"
    generated = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_library.py"), "6", str(project), "--bib-size", "300"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert generated.returncode == 0, generated.stderr

    def run(*arguments: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", _WITH_EVERY_SECOND_PROCESS, *arguments],
            capture_output=True,
            text=True,
            check=False,
            cwd=project,
            env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout.splitlines()[-1]

    def build(site: Path, *flags: str) -> dict[str, bytes]:
        run(*flags, "-f", str(project / "mkdocs.yml"), "build", "--site-dir", str(site))
        return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}

    plain = build(tmp_path / "plain", "--plain")
    assert not (project / ".cache").exists()
    checked = run("-f", str(project / "mkdocs.yml"), "check")
    assert checked == "bibliography processes: 1, pages from the second process: 3"
    cold = build(tmp_path / "cold")
    warm = build(tmp_path / "warm")
    assert sum(name.endswith(".pdf") for name in plain) == 6
    assert _differences(plain, cold) == []
    assert _differences(plain, warm) == []
