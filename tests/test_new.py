"""``policypress new`` and ``--version``: a policy started from the command passes ``check`` as it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, copy_seed_project
from policypress.cli import main
from test_render import check_golden

NEW = "policy/wa-cp-mp-167.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_seed_project(tmp_path / "project")


def run(root: Path, *args: str) -> int:
    return main(["-f", str(root / "mkdocs.yml"), *args])


def test_a_new_policy_passes_check_and_builds(
    project: Path, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    title = 'Lumbar Facet Joint Interventions: "Medial Branch" <Blocks> & #1'
    assert run(project, "new", "WA.CP.MP.167", title, "--effective", "2025-03-01") == 0
    out, _ = capsys.readouterr()
    assert out.startswith("wrote ") and "wa-cp-mp-167.yaml" in out
    check_golden("new-wa-cp-mp-167.yaml", (project / NEW).read_text(encoding="utf-8"), update_golden)
    assert run(project, "check", "--strict") == 0
    out, err = capsys.readouterr()
    assert out.startswith("2 policies, 29 references: valid, 0 warning(s)"), out + err
    assert run(project, "build") == 0
    page = (project / "site" / "policies" / "wa-cp-mp-167" / "index.html").read_text(encoding="utf-8")
    heading = BeautifulSoup(page, "html.parser").select_one("h1")
    assert heading is not None and heading.get_text().rstrip("¶") == f"Clinical Policy: {title}"  # as text


def test_the_plan_comes_from_the_library_unless_given(project: Path) -> None:
    assert run(project, "new", "WA.CP.MP.168", "Title") == 0
    assert 'plan: "Coordinated Care Corporation"' in (project / "policy" / "wa-cp-mp-168.yaml").read_text()
    assert run(project, "new", "OH.CP.MP.9", "Title", "--plan", "Buckeye Health Plan") == 0
    assert 'plan: "Buckeye Health Plan"' in (project / "policy" / "oh-cp-mp-9.yaml").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("WA.CP.MP.166", "Again"), "error: policy/wa-cp-mp-166.yaml exists already; it was left as it was\n"),
        (
            ("wa-cp-mp-1", "Title"),
            "error: 'wa-cp-mp-1' is not a reference number; write capitals and digits between dots, "
            "e.g. WA.CP.MP.167\n",
        ),
        (("WA.CP.MP.169", "  "), "error: the title must not be empty\n"),
    ],
)
def test_new_refuses_with_a_reason(
    project: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    before = sorted(p.name for p in (project / "policy").iterdir())
    assert run(project, "new", *args) == 1
    assert capsys.readouterr().err == message
    assert sorted(p.name for p in (project / "policy").iterdir()) == before


def test_a_date_in_another_form_is_told_the_form(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(project, "new", "WA.CP.MP.170", "Title", "--effective", "03/01/2025")
    assert "write dates as YYYY-MM-DD, e.g. 2024-11-01; got '03/01/2025'" in capsys.readouterr().err


def test_version_names_the_installed_package() -> None:
    from importlib.metadata import version

    result = subprocess.run([sys.executable, "-m", "policypress", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == f"policypress {version('policypress')}\n"


def test_make_diff_writes_the_report_alone() -> None:
    """``make diff > file``: the first line is the report's, not make's echo of the command."""
    result = subprocess.run(
        ["make", "--no-print-directory", "diff", "BASE=HEAD", "HEAD=HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() != "" and "policypress diff" not in result.stdout.splitlines()[0]
    direct = subprocess.run(
        [sys.executable, "-m", "policypress", "diff", "HEAD", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.stdout == direct.stdout
