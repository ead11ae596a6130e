"""Shared fixtures: the repository root, one built site per test session, golden-file updates."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policypress.project import PolicySource, Project
from policypress.sources.yamlsource import load_yaml

ROOT = Path(__file__).resolve().parents[1]
SITE_SETUP = ("templates", "docs", "overrides", "mkdocs.yml")
"""What turns sources into a site: the same for every test project."""

SEED_ID = "WA.CP.MP.166"
SEED_STEM = "wa-cp-mp-166"
"""The seed policy (policy/wa-cp-mp-166.yaml). Its tests pick it by number or file, never as "the only
policy": policy/ may hold any number of policies beside it."""
SECOND_POLICY = ROOT / "tests" / "fixtures" / "second-policy" / "wa-cp-mp-200.yaml"
"""A valid policy (WA.CP.MP.200) to put beside the seed; it cites only entries the seed lists."""
FIXED_EPOCH = "1730419200"
"""2024-11-01T00:00:00Z as ``SOURCE_DATE_EPOCH``: outside git a PDF is dated by the latest date any policy of
the project mentions, so builds compared byte for byte are given one date."""


def copy_project(target: Path, sources: Path = ROOT) -> Path:
    """A buildable project in ``target``: policies and bibliography from ``sources``, site setup from the repo."""
    target.mkdir(parents=True)
    for name, origin in [("policy", sources), ("references.bib", sources), *((n, ROOT) for n in SITE_SETUP)]:
        if (origin / name).is_dir():
            shutil.copytree(origin / name, target / name)
        else:
            shutil.copy(origin / name, target / name)
    return target


def seed_of(project: Project) -> PolicySource:
    """The seed among a project's policies: exactly one has its number."""
    (seed,) = [source for source in project.policies if source.policy.id == SEED_ID]
    return seed


def reduce_to_seed(root: Path) -> Path:
    """Reduce a copy's sources to the seed: policy/ keeps only the seed (and the boilerplate), references.bib
    its comments and the entries the seed lists, in their order. Whole-project results (summary lines,
    counts, the home page, the code index) of such a copy are the seed's alone, whatever the repository
    holds besides."""
    for path in (root / "policy").glob("*.yaml"):
        if path.stem != SEED_STEM:
            path.unlink()
    listed = load_yaml(root / "policy" / f"{SEED_STEM}.yaml", f"{SEED_STEM}.yaml").data["references"]
    bib = root / "references.bib"
    chunks = re.split(r"\n(?=@)", bib.read_text(encoding="utf-8"))
    keys = [re.match(r"@\w+\{([^,\s]+),", chunk) for chunk in chunks]
    kept = [chunk for chunk, key in zip(chunks, keys, strict=True) if key is None or key.group(1) in listed]
    assert sorted(key.group(1) for key in keys if key and key.group(1) in listed) == sorted(listed)
    bib.write_text("\n".join(kept), encoding="utf-8")
    return root


def copy_seed_project(target: Path) -> Path:
    """A buildable copy of the repository reduced to the seed (``reduce_to_seed``)."""
    return reduce_to_seed(copy_project(target))


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


@pytest.fixture(scope="session")
def seed_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository reduced to the seed (``copy_seed_project``), once per session: read it, do not change it."""
    return copy_seed_project(tmp_path_factory.mktemp("seed") / "project")


@pytest.fixture(scope="session")
def two_policy_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed and a second valid policy (``SECOND_POLICY``), as a pull request that adds a policy makes it."""
    project = copy_seed_project(tmp_path_factory.mktemp("two-policies") / "project")
    shutil.copy(SECOND_POLICY, project / "policy" / SECOND_POLICY.name)
    return project


@pytest.fixture(scope="session")
def built_site_with_two_policies(two_policy_project: Path) -> Path:
    """``two_policy_project`` built once per session with the real command: the seed's acceptance checks run
    on it as on ``built_site``."""
    site = two_policy_project.parent / "site"
    build_with_the_command(two_policy_project, site, env={**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH})
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
