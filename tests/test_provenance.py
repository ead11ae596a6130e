"""Each current policy's PDF names and dates the last commit that changed what it is made of.

So a commit that edits one policy re-renders one PDF, while a change to what every PDF shares
(the bibliography, the shared legal text, the templates, mkdocs.yml) dates them all; a
``SOURCE_DATE_EPOCH`` given to the command dates every PDF alike, as before.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

from conftest import ROOT, copy_project
from policypress.build.provenance import policy_provenance
from policypress.build.workspace import Workspace
from policypress.project import PolicySource, ProjectLayout

SECOND = ROOT / "tests" / "fixtures" / "second-policy" / "wa-cp-mp-200.yaml"
WATCHED, SETTINGS = ["templates"], ["mkdocs.yml"]


def _commit(root: Path, message: str, when: int) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": f"{when} +0000", "GIT_COMMITTER_DATE": f"{when} +0000"}
    for args in (["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", message]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env, capture_output=True)
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _provenance(root: Path, *, per_policy: bool = True) -> dict[str, tuple[str, dt.datetime | None]]:
    layout = ProjectLayout(root)
    sources: list[PolicySource] = list(Workspace(layout, fast=False).load().policies)
    epoch = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=root, capture_output=True, text=True).stdout
    of = policy_provenance(layout, WATCHED, epoch.strip(), per_policy=per_policy, settings=SETTINGS)
    return {source.stem: (of(source).commit, of(source).date) for source in sources}


def _edit(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")


def test_each_pdf_is_dated_by_the_last_commit_that_changed_it(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    shutil.copy(SECOND, root / "policy" / SECOND.name)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    first = _commit(root, "first", 1_700_000_000)
    stems = sorted(p.stem for p in (root / "policy").glob("*.yaml"))
    assert len(stems) >= 2
    one, other = stems[0], stems[1]
    assert {commit for commit, _ in _provenance(root).values()} == {first}

    _edit(root / "policy" / f"{one}.yaml")
    second = _commit(root, "one policy", 1_700_086_400)
    found = _provenance(root)
    assert found[one] == (second, dt.datetime.fromtimestamp(1_700_086_400, dt.UTC))
    assert found[other] == (first, dt.datetime.fromtimestamp(1_700_000_000, dt.UTC))

    _edit(root / "references.bib")
    third = _commit(root, "bibliography", 1_700_172_800)
    assert {commit for commit, _ in _provenance(root).values()} == {third}

    _edit(root / "mkdocs.yml")
    fourth = _commit(root, "settings", 1_700_259_200)
    assert {commit for commit, _ in _provenance(root).values()} == {fourth}

    _edit(root / "policy" / f"{other}.yaml")  # not committed
    found = _provenance(root)
    assert found[other][0] == fourth + "-dirty" and found[one][0] == fourth
    assert {commit for commit, _ in _provenance(root, per_policy=False).values()} == {fourth + "-dirty"}


def test_a_project_in_a_subfolder_of_its_repository_names_only_the_edited_policy_dirty(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "repo" / "site-sources")
    shutil.copy(SECOND, root / "policy" / SECOND.name)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path / "repo", check=True)
    first = _commit(tmp_path / "repo", "first", 1_700_000_000)
    one, other = sorted(p.stem for p in (root / "policy").glob("*.yaml"))[:2]
    _edit(root / "policy" / f"{one}.yaml")  # not committed
    found = _provenance(root)
    assert found[one][0] == first + "-dirty" and found[other][0] == first
