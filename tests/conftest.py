"""Shared fixtures: the repository root, one built site per test session, golden-file updates."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE_SETUP = ("templates", "docs", "overrides", "mkdocs.yml")
"""What turns sources into a site: the same for every test project."""


def copy_project(target: Path, sources: Path = ROOT) -> Path:
    """A buildable project in ``target``: policies and bibliography from ``sources``, site setup from the repo."""
    target.mkdir(parents=True)
    for name, origin in [("policy", sources), ("references.bib", sources), *((n, ROOT) for n in SITE_SETUP)]:
        if (origin / name).is_dir():
            shutil.copytree(origin / name, target / name)
        else:
            shutil.copy(origin / name, target / name)
    return target


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite golden files under tests/golden from the current output instead of comparing",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def build_with_the_command(
    project: Path, site: Path, *flags: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``policypress [flags] build`` of ``project`` into ``site``, in a fresh interpreter as a user runs it."""
    command = [sys.executable, "-m", "policypress", *flags, "-f", str(project / "mkdocs.yml")]
    command += ["build", "--site-dir", str(site)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=project, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's site, built once per session with the real command into a temporary folder."""
    site = tmp_path_factory.mktemp("build") / "site"
    build_with_the_command(ROOT, site)
    return site


BARIATRIC_FIXTURE = ROOT / "tests" / "fixtures" / "bariatric"
"""The second acceptance document's project (OH.CP.MP.37): the structures the seed lacks."""


@pytest.fixture(scope="session")
def bariatric_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("bariatric") / "project", BARIATRIC_FIXTURE)


@pytest.fixture(scope="session")
def bariatric_build(bariatric_project: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The bariatric fixture built once per session with the real command: its site and the command's output."""
    site = bariatric_project.parent / "site"
    return site, build_with_the_command(bariatric_project, site)


@pytest.fixture(scope="session")
def bariatric_site(bariatric_build: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    return bariatric_build[0]
