"""Faults end in one clear line, never a traceback, and leave ``site/`` as it was (or the new site
already published): interrupts at many moments of a build, a full disk, outputs that are folders."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import copy_project
from policypress.cli import main
from test_site_dir import _digest


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("faults") / "project")
    command = [sys.executable, "-m", "policypress", "-f", str(root / "mkdocs.yml"), "build"]
    subprocess.run(command, capture_output=True, check=True, cwd=root)
    return root


MOMENTS = (0.3, 0.6, 0.9, 1.2, 1.6, 2.2)
"""Seconds into a build (from start-up through loading, MkDocs, the PDF and the swap)."""


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupt_at_any_moment_ends_in_one_line(project: Path, sent: signal.Signals, moment: float) -> None:
    before = _digest(project / "site")
    # the policy changes, so a build that finishes publishes a different site
    policy = project / "policy" / "wa-cp-mp-166.yaml"
    original = policy.read_text(encoding="utf-8")
    policy.write_text(
        original.replace("Policy developed for services", f"Policy {sent.name} {moment} developed for services")
    )
    try:
        command = [sys.executable, "-m", "policypress", "-f", str(project / "mkdocs.yml"), "build"]
        process = subprocess.Popen(
            command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        time.sleep(moment)
        if process.poll() is None:
            os.killpg(process.pid, sent)  # as a terminal's Ctrl-C reaches the whole process group
        out, err = process.communicate(timeout=60)
    finally:
        policy.write_text(original, encoding="utf-8")
    assert "Traceback" not in err, err
    if process.returncode == 0:
        assert out.strip().endswith("site built: " + str(project / "site"))
        assert _digest(project / "site") != before
    else:
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines and lines[-1].startswith("error: "), err
        assert "error: ;" not in err
        if lines[-1].endswith("the new site/ was already published"):  # the signal came after the swap
            assert lines[-1] == f"error: stopped by {sent.name}; the new site/ was already published", err
            assert _digest(project / "site") != before
            page = project / "site" / "wa-cp-mp-166" / "index.html"
            assert f"Policy {sent.name} {moment} developed" in page.read_text(encoding="utf-8")
        else:
            assert lines[-1].endswith("site/ was left as it was"), err
            assert _digest(project / "site") == before
    leftovers = [p.name for p in project.iterdir() if p.name.startswith(".site-build-")]
    assert leftovers == []


def test_a_full_disk_is_named_and_the_site_stays(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import policypress.cli as cli

    before = _digest(project / "site")

    def full(*_args: object, **_options: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(project / ".site-build-1" / "pdf" / "x.pdf"))

    monkeypatch.setattr(cli, "_write_pdfs", full)
    capsys.readouterr()
    assert main(["-f", str(project / "mkdocs.yml"), "build"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.endswith(
        f"error: cannot write {project}/.site-build-1/pdf/x.pdf: No space left on device; site/ was left as it was\n"
    )
    assert _digest(project / "site") == before


@pytest.mark.parametrize(("output", "message"), [("site", "is a folder"), ("/proc/version", "cannot be written")])
def test_a_report_output_that_cannot_be_written_is_named(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, output: str, message: str
) -> None:
    monkeypatch.chdir(project)  # "site" is the project's built site/, whatever folder the tests run from
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    env = {
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@b",
        "GIT_COMMITTER_NAME": "a",
        "GIT_COMMITTER_EMAIL": "a@b",
    }
    subprocess.run(
        ["git", "add", "mkdocs.yml", "templates", "docs", "overrides", "policy", "references.bib"],
        cwd=project,
        check=True,
    )
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", "base"], cwd=project, check=True, env={**os.environ, **env}
    )
    capsys.readouterr()
    assert main(["-f", str(project / "mkdocs.yml"), "diff", "HEAD", "-o", output]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: -o {output}: {message}") and "Traceback" not in err
