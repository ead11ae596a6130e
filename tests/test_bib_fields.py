"""Bibliography fields the AMA style would not print are refused by ``check`` and ``build`` with file:line.

The same set-up as the bad-input corpus (``test_bad_inputs``): each case edits a copy of the
valid ``tests/fixtures/nested`` project whose site is built, then runs the command. It must
exit 1, print exactly ``tests/golden/errors/<case>.txt`` (``pytest --update-golden`` rewrites
them) and leave ``site/`` as it was. ``check`` and ``build`` print the same.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import copy_project
from policypress.cli import main
from test_bad_inputs import BIB, GOLDEN, NESTED, Edit, apply, edit, snapshot

CASES: dict[str, tuple[Edit, ...]] = {
    # a misspelt field: the likeliest intended one is named
    "bib-unknown-field-typo": (edit(BIB, "  volume = {2},", "  voulme = {2},"),),
    # a field of another entry type
    "bib-unknown-field-of-another-type": (
        edit(BIB, "  title = {Third},", "  title = {Third},\n  editor = {Ed, Ann},"),
    ),
    # every unknown field of every entry in one run, each at its own line
    "bib-unknown-fields-reported-together": (
        edit(BIB, "  title = {First},", "  tilte = {First},"),
        edit(BIB, "  pages = {1--2}", "  pgaes = {1--2}"),
        edit(BIB, "  urldate = {2024-05-31}\n}\n@online{unused", "  accessed = {2024-05-31}\n}\n@online{unused"),
    ),
    # known fields the reference would leave out
    "bib-url-beside-doi": (
        edit(BIB, "  pages = {5--6}", "  pages = {5--6},\n  doi = {10.1000/x},\n  url = {https://example.org/gamma}"),
    ),
    "bib-year-and-date": (edit(BIB, "  date = {2023},", "  date = {2023},\n  year = {2023},"),),
}


@pytest.fixture(scope="module")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("valid") / "project", NESTED)
    assert main(["-f", str(root / "mkdocs.yml"), "build"]) == 0
    return root


@pytest.mark.parametrize("command", ["check", "build"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_field_the_style_would_not_print_is_refused(
    case: str,
    command: str,
    built_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    update_golden: bool,
) -> None:
    root = tmp_path / "project"
    shutil.copytree(built_project, root)
    site_before = snapshot(root / "site")
    for change in CASES[case]:
        apply(root, change)
    capsys.readouterr()
    assert main(["-f", str(root / "mkdocs.yml"), command]) == 1
    output = capsys.readouterr()
    assert output.out == ""
    assert "Traceback" not in output.err
    golden = GOLDEN / f"{case}.txt"
    if update_golden:
        golden.write_text(output.err, encoding="utf-8")
    assert output.err == golden.read_text(encoding="utf-8")
    assert snapshot(root / "site") == site_before
