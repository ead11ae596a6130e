"""Versions build incrementally: after one new commit that gives one policy a new version, the build loads
and renders only that policy's versions (the others' pages and PDFs come from the kept work, their commits
not loaded), and the site is byte for byte the site a build from empty caches makes."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from policypress.cli import main

_SPEC = importlib.util.spec_from_file_location("bench_versions", ROOT / "scripts" / "bench_versions.py")
assert _SPEC is not None and _SPEC.loader is not None
bench_versions = importlib.util.module_from_spec(_SPEC)
sys.modules["bench_versions"] = bench_versions
_SPEC.loader.exec_module(bench_versions)

POLICIES, VERSIONS = 3, 3


def _build(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        capsys.readouterr()
        assert main([*extra, "-f", str(root / "mkdocs.yml"), "build"]) == 0
    return capsys.readouterr().out


def _build_afresh(root: Path, *extra: str) -> str:
    """A build in a process of its own (nothing kept in memory from the builds before)."""
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    command = [str(Path(sys.executable).parent / "policypress"), *extra, "-f", str(root / "mkdocs.yml"), "build"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _work(output: str) -> tuple[int, int, int]:
    line = re.search(r"versions: (\d+) version page\(s\): (\d+) rendered, (\d+) reused; (\d+) commit", output)
    assert line is not None, output
    assert int(line[1]) == int(line[2]) + int(line[3])
    return int(line[2]), int(line[3]), int(line[4])


def test_one_new_commit_renders_only_the_versions_it_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "library"
    commits = bench_versions.make_history(root, POLICIES, VERSIONS, per_commit=1, bib_size=60)
    assert commits == 1 + (VERSIONS - 1) * POLICIES
    cold = _build(root, capsys)
    assert _work(cold) == (POLICIES * VERSIONS, 0, commits)  # every version rendered, every commit loaded

    bench_versions.add_one_version(root, 1, VERSIONS)
    warm = _build(root, capsys)
    # policy 1's versions all say "of 4" now (and version 3 links forward): those four are rendered, from their
    # four commits; the other policies' versions are reused, their own commits never loaded
    assert _work(warm) == (VERSIONS + 1, (POLICIES - 1) * VERSIONS, VERSIONS + 1)
    pdfs = re.search(r"pdf: (\d+) PDF\(s\): (\d+) rendered, (\d+) reused", warm)
    assert pdfs is not None, warm
    # rendered: the new version's PDF and policy 1's current PDF (each current PDF is dated by the last commit
    # that changed what it is made of); the other policies' current PDFs and every older version reused
    assert (int(pdfs[2]), int(pdfs[3])) == (2, POLICIES * VERSIONS + POLICIES - 1)
    incremental = _files(root / "site")
    assert "pdf/xx-cp-mp-1/v4.pdf" in incremental and "policies/xx-cp-mp-1/v4/index.html" in incremental

    unchanged = _build(root, capsys)  # nothing new: nothing rendered, nothing loaded
    assert _work(unchanged) == (0, POLICIES * VERSIONS + 1, 0)
    assert _files(root / "site") == incremental

    template = root / "templates" / "codes.md.j2"  # a template no version page uses: still a new key for all
    text = template.read_text(encoding="utf-8")
    template.write_text(text + "{# edited #}\n", encoding="utf-8")
    edited = _build(root, capsys)
    assert _work(edited)[:2] == (POLICIES * VERSIONS + 1, 0)
    versioned = re.compile(r"(pdf/[^/]+/v\d+\.pdf|policies/[^/]+/v\d+/index\.html)$")
    assert {k: v for k, v in _files(root / "site").items() if versioned.match(k)} == {
        k: v for k, v in incremental.items() if versioned.match(k)
    }
    template.write_text(text, encoding="utf-8")

    shutil.rmtree(root / ".cache")
    fresh = _build_afresh(root)
    assert _work(fresh) == (POLICIES * VERSIONS + 1, 0, commits + 1)
    assert _files(root / "site") == incremental, "the incremental site differs from a build from empty caches"

    _build_afresh(root, "--plain")
    assert _files(root / "site") == incremental, "the plain build differs"
