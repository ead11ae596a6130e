"""Atomic, reproducible publishing: a killed build never harms site/; one commit builds the same bytes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import copy_project
from policypress.build.publish import remove_stale_staging, staging_folder, swap_in


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build(root: Path, stderr: Any = subprocess.DEVNULL, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "policypress", "-f", str(root / "mkdocs.yml"), "build"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        env={**os.environ, **env},
    )


def staging_dirs(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.name.startswith(".site-build-")]


@pytest.fixture
def built(tmp_path: Path) -> Path:
    root = copy_project(tmp_path / "project")
    assert build(root).wait(timeout=120) == 0
    return root


def kill_midway(root: Path, sig: signal.Signals, stderr: Any = subprocess.DEVNULL) -> int:
    """Start a build, wait until it is writing its staging folder, then send ``sig``.

    If the build had already swapped its new site in when the signal came (its staging folder
    then holds the old site while that is removed: too late to interrupt anything), it is tried
    again: the site folder's inode tells.
    """
    for _attempt in range(5):
        published = (root / "site").stat().st_ino
        process = build(root, stderr=stderr)
        own = f".site-build-{process.pid}-"
        deadline = time.monotonic() + 60
        while not any(any(p.glob("*")) for p in staging_dirs(root) if p.name.startswith(own)):
            assert process.poll() is None, "the build ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        process.send_signal(sig)
        code = process.wait(timeout=60)
        if (root / "site").stat().st_ino == published:
            return code
    raise AssertionError("each build had published its site before the signal reached it")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_terminated_build_leaves_site_and_no_temporary_folder(built: Path, sig: signal.Signals) -> None:
    before = snapshot(built / "site")
    with (built.parent / "build.err").open("w+b") as errors:
        code = kill_midway(built, sig, stderr=errors)
        errors.seek(0)
        said = errors.read().decode("utf-8", "replace")
    assert code == 1, said
    assert snapshot(built / "site") == before
    assert staging_dirs(built) == [], said


def test_killed_build_leaves_site_and_the_next_build_sweeps_up(built: Path) -> None:
    before = snapshot(built / "site")
    assert kill_midway(built, signal.SIGKILL) == -signal.SIGKILL
    assert snapshot(built / "site") == before
    assert len(staging_dirs(built)) == 1  # nothing can clean up after SIGKILL ...
    assert build(built).wait(timeout=120) == 0
    assert staging_dirs(built) == []  # ... so the next build does
    assert snapshot(built / "site") == before


def test_same_commit_in_two_folders_builds_identical_bytes(tmp_path: Path) -> None:
    origin = copy_project(tmp_path / "origin")
    env = {"GIT_AUTHOR_DATE": "2024-10-01T12:00:00Z", "GIT_COMMITTER_DATE": "2024-10-01T12:00:00Z"}
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q", str(origin)], check=True)
    subprocess.run([*git, "-C", str(origin), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(origin), "commit", "-qm", "x"], check=True, env={**os.environ, **env})
    clone = tmp_path / "elsewhere" / "deeper" / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    environment = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    for root in (origin, clone):
        result = subprocess.run(
            [sys.executable, "-m", "policypress", "-f", str(root / "mkdocs.yml"), "build"],
            cwd=root,
            capture_output=True,
            env=environment,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    one, two = snapshot(origin / "site"), snapshot(clone / "site")
    assert one.keys() == two.keys()
    assert [name for name in one if one[name] != two[name]] == []
    for name, content in one.items():
        assert str(origin).encode() not in content, name
        assert str(tmp_path).encode() not in content, name
    assert b"2024-10-01" in one["sitemap.xml"]  # dated by the commit, not by the clock


def test_swap_in_without_an_existing_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    with staging_folder(site) as staging:
        (staging / "index.html").write_text("new")
        swap_in(staging, site)
    assert (site / "index.html").read_text() == "new"
    assert staging_dirs(tmp_path) == []


def test_published_site_is_readable_by_others(tmp_path: Path) -> None:
    """A web server running as another user must be able to serve it (mkdtemp alone makes it 0700)."""
    site = tmp_path / "site"
    previous = os.umask(0o022)
    try:
        with staging_folder(site) as staging:
            swap_in(staging, site)
    finally:
        os.umask(previous)
    assert site.stat().st_mode & 0o777 == 0o755


def test_stale_folders_of_live_processes_are_kept(tmp_path: Path) -> None:
    site = tmp_path / "site"
    live = tmp_path / f".site-build-{os.getpid()}-abc"
    dead = tmp_path / ".site-build-999999999-abc"
    live.mkdir()
    dead.mkdir()
    assert remove_stale_staging(site) == [dead]
    assert live.exists()
