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

from conftest import ROOT, copy_project

FIXTURES = ROOT / "tests" / "fixtures"
EPOCH = "1730419200"  # 2024-11-01: the same date for every build, as a commit would give


def _build(project: Path, site: Path, *flags: str) -> dict[str, bytes]:
    environment = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "policypress",
            *flags,
            "-f",
            str(project / "mkdocs.yml"),
            "build",
            "--site-dir",
            str(site),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=project,
        env=environment,
    )
    assert result.returncode == 0, result.stdout + result.stderr
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
