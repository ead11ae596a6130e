"""A site folder that would replace the project or its sources is refused before anything is written.

Publishing exchanges the whole site folder for the new build, so ``--site-dir policy`` once
deleted every policy and ``--site-dir .`` the whole project with its ``.git``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_project


def _digest(folder: Path) -> str:
    """One hash of every file's path and bytes under ``folder`` (``.git`` included)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("site-dir") / "project")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.mark.parametrize(
    ("site_dir", "refusal"),
    [
        (".", "would replace the project folder"),
        ("..", "would replace the project folder"),
        ("policy", "would replace or write into sources (policy)"),
        ("policy/site", "would replace or write into sources (policy)"),
        ("policy/boilerplate", "would replace or write into sources (policy)"),
        ("templates", "would replace or write into sources (templates)"),
        ("docs", "would replace or write into sources (docs)"),
        ("overrides", "would replace or write into sources (overrides)"),
        (".git", "would replace or write into sources (.git)"),
        ("references.bib", "would replace or write into sources (references.bib)"),
        ("mkdocs.yml", "would replace or write into sources (mkdocs.yml)"),
    ],
)
@pytest.mark.parametrize("command", ["build", "pdf"])
def test_a_site_folder_over_the_sources_is_refused(project: Path, site_dir: str, refusal: str, command: str) -> None:
    before = _digest(project.parent)
    result = subprocess.run(
        [sys.executable, "-m", "policypress", "-f", str(project / "mkdocs.yml"), command, "--site-dir", site_dir],
        capture_output=True,
        text=True,
        check=False,
        cwd=project,
    )
    assert result.returncode == 1
    assert refusal in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert _digest(project.parent) == before


def test_a_site_folder_that_cannot_be_replaced_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mount point (EBUSY) or read-only parent: one message, and the site as it was."""
    import errno
    import os

    from policypress.build import publish
    from policypress.errors import PolicyPressError

    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("old", encoding="utf-8")
    staging = tmp_path / ".site-build-1"
    staging.mkdir()
    (staging / "index.html").write_text("new", encoding="utf-8")

    def busy(_a: Path, _b: Path) -> bool:
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(site))

    monkeypatch.setattr(publish, "_exchange", busy)
    with pytest.raises(PolicyPressError, match=r"cannot publish into .*site: Device or resource busy"):
        publish.swap_in(staging, site)
    assert (site / "index.html").read_text(encoding="utf-8") == "old"


def test_an_unwritable_place_for_the_new_site_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os
    import tempfile

    from policypress.build import publish
    from policypress.errors import PolicyPressError

    def read_only(**_options: object) -> str:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    with (
        pytest.raises(PolicyPressError, match=r"cannot build beside .*: Read-only file system"),
        publish.staging_folder(tmp_path / "site"),
    ):
        pass
