"""Golden files of the rendered Markdown pages: any change to a page shows up as a reviewed diff.

Run ``pytest --update-golden`` to rewrite them after an intended change, then read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, seed_of
from policypress.load.loader import load_project
from policypress.model.numbering import criterion_label, roman, slugify
from policypress.project import Project, ProjectLayout
from policypress.render.pages import PageRenderer, css_string

GOLDEN = ROOT / "tests" / "golden"
NESTED = ROOT / "tests" / "fixtures" / "nested"


def check_golden(name: str, actual: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.fixture(scope="module")
def renderer() -> PageRenderer:
    return PageRenderer(ROOT / "templates")


@pytest.fixture(scope="module")
def seed_only(seed_project: Path) -> Project:
    """The repository reduced to the seed: the golden files do not change when policy/ gains a policy."""
    return load_project(ProjectLayout(seed_project))


def test_seed_page_matches_golden(seed_only: Project, renderer: PageRenderer, update_golden: bool) -> None:
    check_golden("wa-cp-mp-166.md", renderer.render_policy(seed_only, seed_of(seed_only)), update_golden)


def test_nested_page_matches_golden(renderer: PageRenderer, update_golden: bool) -> None:
    project = load_project(ProjectLayout(NESTED))
    (source,) = project.policies  # the fixture's one policy
    check_golden("xx-cp-mp-1.md", renderer.render_policy(project, source), update_golden)


def test_index_page_matches_golden(seed_only: Project, renderer: PageRenderer, update_golden: bool) -> None:
    check_golden("index.md", renderer.render_index(seed_only), update_golden)


def test_rendering_is_deterministic(renderer: PageRenderer) -> None:
    project = load_project(ProjectLayout(ROOT))
    seed = seed_of(project)
    assert renderer.render_policy(project, seed) == renderer.render_policy(project, seed)


@pytest.mark.parametrize(
    ("depth", "index", "label"),
    [
        (0, 1, "I"),
        (0, 4, "IV"),
        (0, 9, "IX"),
        (0, 14, "XIV"),
        (1, 1, "A"),
        (1, 27, "AA"),
        (2, 3, "3"),
        (3, 2, "b"),
        (4, 3, "iii"),
        (5, 2, "II"),
    ],
)
def test_criterion_labels(depth: int, index: int, label: str) -> None:
    assert criterion_label(depth, index) == label


def test_roman_numerals() -> None:
    assert [roman(n) for n in (1, 2, 3, 4, 5, 9, 10, 39, 49, 140)] == [
        "I",
        "II",
        "III",
        "IV",
        "V",
        "IX",
        "X",
        "XXXIX",
        "XLIX",
        "CXL",
    ]


def test_slugify_uses_the_visible_text() -> None:
    assert slugify("*SIJ Radiofrequency Neurotomy*") == "sij-radiofrequency-neurotomy"
    assert slugify("CPT code that does not support coverage criteria[@x]") == (
        "cpt-code-that-does-not-support-coverage-criteria"
    )
    assert slugify("***") == "section"


def test_css_string_escapes_what_could_end_the_string_or_the_style_element() -> None:
    assert css_string("CLINICAL POLICY\nTitle") == '"CLINICAL POLICY\\A Title"'
    assert css_string('a "b" \\ c') == '"a \\22 b\\22  \\5C  c"'
    assert css_string("</style>&") == '"\\3C /style\\3E \\26 "'
    assert css_string("Ünïcode “x”") == '"Ünïcode “x”"'
