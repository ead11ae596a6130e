"""``policypress diff`` over the structures the seed lacks, on the bariatric fixture (OH.CP.MP.37).

A definition reworded, an appendix row added, a criterion's note and its group logic
changed, a code row's notes edited, a table's meaning changed, the footnote reworded
and the copyright year moved: the review names each one where a reviewer looks for it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import BARIATRIC_FIXTURE, ROOT
from test_diff import Repo, check_golden, diff

POLICY = "policy/oh-cp-mp-37.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return bariatric_repository(tmp_path)


def bariatric_repository(tmp_path: Path) -> Repo:
    """A throwaway git repository holding the bariatric fixture project, committed as ``main``."""
    top = tmp_path / "repo"
    top.mkdir()
    shutil.copytree(BARIATRIC_FIXTURE / "policy", top / "policy")
    shutil.copy(BARIATRIC_FIXTURE / "references.bib", top / "references.bib")
    shutil.copy(ROOT / "mkdocs.yml", top / "mkdocs.yml")
    repo = Repo(top, top)
    repo.git("init", "-q", "-b", "main")
    repo.commit("base")
    return repo


def test_every_new_structure_is_reviewed(repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool) -> None:
    repo.replace(POLICY, "A five-stage scale of physical pubertal", "A five-stage scale of pubertal")
    repo.replace(
        POLICY,
        "    - [TBWL, total body weight loss]\n",
        "    - [TBWL, total body weight loss]\n    - [VBG, vertical banded gastroplasty]\n",
    )
    repo.replace(
        POLICY,
        "Note: For members of Asian descent, a BMI ≥ 32.5",
        "Note: For members of South Asian descent, a BMI ≥ 32.5",
    )
    repo.replace(
        POLICY,
        '  - text: "One of the following:"\n    requires: one',
        '  - text: "One of the following:"\n    requires: 2',
    )
    repo.replace(POLICY, "notes: Comorbidity; criterion I.B.2.h", "notes: Comorbidity; criterion I.B.2.h; added 01/25")
    repo.replace(POLICY, "  meaning: does_not_support_coverage", "  meaning: informational")
    repo.replace(
        POLICY,
        "calculated\n    from a height and weight measured at the same visit",
        "calculated\n    from a height and weight measured at one visit",
    )
    repo.replace(POLICY, "copyright_year: 2019", "copyright_year: 2020")
    code, out, err = diff(repo, capsys, "main")
    assert code == 0, err
    check_golden("bariatric-structures.md", out, update_golden)
    assert "Definition › Tanner stage" in out and "Appendix A: Abbreviation/Acronym Key" in out
    assert "Footnote 1" in out and "Copyright year" in out
