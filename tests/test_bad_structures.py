"""Mistakes in the structures real policies carry, refused or warned with file:line and field.

Each case edits a copy of the bariatric fixture project (``tests/fixtures/bariatric``,
OH.CP.MP.37), whose site has been built. An error case runs ``policypress build``: it
must exit 1, print exactly ``tests/golden/errors/<case>.txt`` and leave ``site/`` as it
was. A warning case runs ``policypress check --strict``, which refuses warnings, and
must print exactly its golden file too (``pytest --update-golden`` rewrites them).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import BARIATRIC_FIXTURE, copy_project
from policypress.cli import main
from test_bad_inputs import GOLDEN, Edit, apply, edit, snapshot

POLICY = "policy/oh-cp-mp-37.yaml"

FIRST_CRITERION = "criteria:\n- text: >-\n"


def _nested(depth: int) -> str:
    """A criterion ``depth`` levels deep, written in flow style before criterion I."""
    return (
        "criteria:\n- text: x\n  criteria: " + "[{text: x, criteria: " * depth + "[{text: leaf}]" + "}]" * depth + "\n"
    )


ERRORS: dict[str, tuple[Edit, ...]] = {
    "criteria-too-deep": (edit(POLICY, FIRST_CRITERION, _nested(10) + "- text: >-\n"),),
    "yaml-nested-too-deep": (edit(POLICY, FIRST_CRITERION, _nested(450) + "- text: >-\n"),),
    "xref-unknown-criterion": (edit(POLICY, "see criterion III);", "see criterion VII);"),),
    "xref-unknown-appendix": (edit(POLICY, "are collected in Appendix C.", "are collected in Appendix D."),),
    "xref-unknown-anchor": (
        edit(POLICY, "are collected in Appendix C.", "are collected in Appendix C; see [BMI](#definition-bmi)."),
    ),
    "code-range-across-categories": (edit(POLICY, '"E11.00 – E11.9"', '"E11.00 – E13.9"'),),
    "code-range-backwards": (edit(POLICY, '"M17.0 – M17.9"', '"M17.9 – M17.0"'),),
    "code-range-end-not-a-code": (edit(POLICY, '"K95.01 – K95.89"', '"K95.01 – K9.589"'),),
    "table-row-missing-a-cell": (edit(POLICY, "    - [AHI, apnea-hypopnea index]", "    - [AHI]"),),
    "block-unknown-field": (edit(POLICY, "  - bullets:\n", "  - bulets:\n"),),
    "control-character-in-title": (edit(POLICY, "title: Bariatric Surgery", 'title: "Bariatric\\0 Surgery"'),),
    "text-too-long": (edit(POLICY, "description:\n", 'description:\n- "' + "Long. " * 4000 + '"\n'),),
    "citations-too-many": (edit(POLICY, "description:\n", 'description:\n- "' + "x[@hampl2023] " * 60 + '"\n'),),
    "bib-field-too-long": (
        edit(
            "references.bib",
            "@article{",
            "@article{pasted,\n  title = {" + "x" * 3000 + "},\n}\n\n@article{",
        ),
    ),
    "month-date-impossible": (edit(POLICY, "last_review_date: 2025-01", "last_review_date: 2025-13"),),
    # a schema error and a code error of the same file come out in one run
    "schema-and-code-errors-together": (
        edit(POLICY, "determination: investigational", "determination: experimental"),
        edit(POLICY, '"M17.0 – M17.9"', '"M17.9 – M17.0"'),
    ),
}

WARNINGS: dict[str, tuple[Edit, ...]] = {
    "criteria-logic-disagrees-with-words": (
        edit(
            POLICY,
            "  determination: medically_necessary\n  requires: all",
            "  determination: medically_necessary\n  requires: one",
        ),
    ),
    "criteria-logic-missing": (
        edit(
            POLICY, "  determination: medically_necessary\n  requires: all\n", "  determination: medically_necessary\n"
        ),
    ),
    "code-meaning-disagrees-with-heading": (
        edit(POLICY, "  meaning: supports_coverage", "  meaning: does_not_support_coverage"),
    ),
    "footnote-marker-unused": (edit(POLICY, '- marker: "*"', '- marker: "†"'),),
    "code-authorization-not-covered": (
        edit(
            POLICY,
            "  meaning: does_not_support_coverage\n",
            "  meaning: does_not_support_coverage\n  prior_authorization: true\n",
        ),
    ),
}


@pytest.fixture(scope="module")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("valid") / "project", BARIATRIC_FIXTURE)
    assert main(["-f", str(root / "mkdocs.yml"), "build"]) == 0
    return root


def _run(case: str, changes: tuple[Edit, ...], root: Path, capsys: pytest.CaptureFixture[str], *command: str) -> str:
    for change in changes:
        apply(root, change)
    capsys.readouterr()
    assert main(["-f", str(root / "mkdocs.yml"), *command]) == 1
    output = capsys.readouterr()
    assert output.out == "" or command[0] == "check"
    assert "Traceback" not in output.err
    return output.err


def _golden(case: str, text: str, update: bool) -> None:
    golden = GOLDEN / f"{case}.txt"
    if update:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_structure_error_is_refused_and_site_untouched(
    case: str, built_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    root = tmp_path / "project"
    shutil.copytree(built_project, root)
    site_before = snapshot(root / "site")
    _golden(case, _run(case, ERRORS[case], root, capsys, "build"), update_golden)
    assert snapshot(root / "site") == site_before


@pytest.mark.parametrize("case", sorted(WARNINGS))
def test_structure_warning_fails_strict_check(
    case: str, built_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    root = tmp_path / "project"
    shutil.copytree(built_project, root)
    _golden(case, _run(case, WARNINGS[case], root, capsys, "check", "--strict", "-v"), update_golden)


@pytest.mark.parametrize(
    ("make", "name", "kind"),
    [
        (lambda path: path.mkdir(), "policy/boilerplate/zz-notice.yaml", "a directory"),
        (lambda path: path.mkdir(), "policy/zz.yaml", "a directory"),
        (os.mkfifo, "policy/boilerplate/zz.yaml", "a named pipe"),
    ],
)
def test_a_source_that_is_not_a_file_is_refused_unread(
    built_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, name: str, kind: str
) -> None:
    """A pipe would block the read for ever, a directory ended in IsADirectoryError."""
    root = tmp_path / "project"
    shutil.copytree(built_project, root)
    make(root / name)
    capsys.readouterr()
    assert main(["-f", str(root / "mkdocs.yml"), "check"]) == 1
    err = capsys.readouterr().err
    assert f"{name}:1:1: is {kind}, not a file; sources must be regular files" in err and "Traceback" not in err


def test_a_bibliography_that_is_a_pipe_is_refused_unread(
    built_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "project"
    shutil.copytree(built_project, root)
    (root / "references.bib").unlink()
    os.mkfifo(root / "references.bib")
    capsys.readouterr()
    assert main(["-f", str(root / "mkdocs.yml"), "check"]) == 1
    assert "references.bib:1:1: is a named pipe, not a file" in capsys.readouterr().err


def test_an_alias_bomb_in_mkdocs_yml_is_refused_at_once(
    built_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    """Nine levels of nine aliases would expand to 387 million strings before MkDocs saw them."""
    root = tmp_path / "project"
    shutil.copytree(built_project, root)
    levels = ['  l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"  l{n}: &l{n} [{','.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]
    with (root / "mkdocs.yml").open("a", encoding="utf-8") as config:
        config.write("extra:\n" + "\n".join(levels) + "\n")
    site_before = snapshot(root / "site")
    started = time.monotonic()
    for command in ("check", "build"):
        capsys.readouterr()
        assert main(["-f", str(root / "mkdocs.yml"), command]) == 1
        _golden("mkdocs-alias-bomb", capsys.readouterr().err, update_golden)
    assert time.monotonic() - started < 5  # refused before anything expands (it took 36 s to run out of memory)
    assert snapshot(root / "site") == site_before
