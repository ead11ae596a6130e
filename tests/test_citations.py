"""Citation numbering, collapsing, back-links and the citation checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from policypress.bibliography.citations import CitationAnchors, collapse_numbers
from policypress.errors import SourceError
from policypress.load.loader import load_project
from policypress.model.inline import Citation
from policypress.model.policy import Policy
from policypress.project import ProjectLayout
from policypress.sources.yamlsource import StoredPositions, parse_yaml

NESTED = ROOT / "tests" / "fixtures" / "nested"


def policy_citing(references: list[str]) -> Policy:
    return Policy.model_validate(
        {
            "id": "XX.CP.MP.9",
            "title": "t",
            "plan": "p",
            "effective_date": "2025-01-01",
            "description": ["d"],
            "criteria": [{"text": "c"}],
            "revision_log": [{"description": "r", "revision_date": "2025-01", "approval_date": "2025-01"}],
            "references": references,
        }
    )


@pytest.mark.parametrize(
    ("numbers", "runs"),
    [
        ([], []),
        ([5], [(5, 5)]),
        ([22, 5], [(5, 5), (22, 22)]),
        ([3, 4, 5, 9], [(3, 5), (9, 9)]),
        ([2, 2, 1], [(1, 2)]),
    ],
)
def test_collapse_numbers(numbers: list[int], runs: list[tuple[int, int]]) -> None:
    assert collapse_numbers(numbers) == runs


def test_numbers_follow_the_reference_list_not_first_citation() -> None:
    anchors = CitationAnchors.for_policy(policy_citing(["a", "b", "c", "d", "e"]))
    assert anchors.render(Citation(("e",), 0)) == '<sup class="citation" id="cite-1"><a href="#ref-5">5</a></sup>'
    assert anchors.render(Citation(("d", "b", "c"), 0)) == (
        '<sup class="citation" id="cite-2"><a href="#ref-2">2</a>-<a href="#ref-4">4</a></sup>'
    )
    assert anchors.render(Citation(("a", "b"), 0)) == (
        '<sup class="citation" id="cite-3"><a href="#ref-1">1</a>,<a href="#ref-2">2</a></sup>'
    )
    assert anchors.cited_at(2) == ("cite-2", "cite-3")
    assert anchors.cited_at(3) == ("cite-2",)
    assert anchors.cited_at(5) == ("cite-1",)


def copy_fixture(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(NESTED, root)
    return root


def errors_after(tmp_path: Path, old: str, new: str) -> list[str]:
    root = copy_fixture(tmp_path)
    path = root / "policy" / "xx-cp-mp-1.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        load_project(ProjectLayout(root))
    return [d.format() for d in caught.value.diagnostics]


def test_unknown_key(tmp_path: Path) -> None:
    assert errors_after(tmp_path, "[@delta]", "[@nosuch]") == [
        "policy/xx-cp-mp-1.yaml:26:38: background[0].content[0]: [@nosuch] is not in the bibliography "
        "[citation.unknown_key]"
    ]


def test_cited_but_not_listed(tmp_path: Path) -> None:
    assert errors_after(tmp_path, "  - delta\n", "") == [
        "policy/xx-cp-mp-1.yaml:26:38: background[0].content[0]: [@delta] is cited but not in this "
        "policy's references list [citation.not_listed]"
    ]


PARAGRAPH = "      - A section without a heading.[@delta]\n"
WRITTEN = {
    "plain, folded over lines": "      - Ünïcode — words\n        that go on [@delta] and [@nosuch]\n",
    "folded block": "      - >-\n        Ünïcode — words [@nosuch]\n\n        that go on [@delta; @nosuch]\n",
    "literal block": "      - |\n        Ünïcode — [@delta]\n          words [@nosuch]\n",
    "double-quoted with an escape": '      - "\\u00dcn\\u00efcode [@delta]\\n [@nosuch] [@nosuch]"\n',
}


def where_in_file(text: str, needle: str, occurrence: int = 0) -> str:
    """``line:col`` of the ``occurrence``-th ``needle`` in ``text``, counted as an editor counts."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    return f"{line}:{at - text.rfind(chr(10), 0, at)}"


@pytest.mark.parametrize("style", WRITTEN)
def test_a_citation_error_points_at_the_key_in_any_scalar_style(tmp_path: Path, style: str) -> None:
    """The column is the key's, not the paragraph's first, however the paragraph is written in YAML."""
    root = copy_fixture(tmp_path)
    path = root / "policy" / "xx-cp-mp-1.yaml"
    text = path.read_text(encoding="utf-8").replace(PARAGRAPH, WRITTEN[style], 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        load_project(ProjectLayout(root))
    positions = [f"{d.line}:{d.col}" for d in caught.value.diagnostics if d.code == "citation.unknown_key"]
    expected = [where_in_file(text, "@nosuch", n) for n in range(text.count("@nosuch"))]
    assert positions == expected


@pytest.mark.parametrize("style", WRITTEN)
def test_stored_positions_find_a_key_where_the_parsed_document_does(style: str) -> None:
    """What the work cache keeps of a policy (positions plus the file's bytes) places a word as the parse did."""
    text = (NESTED / "policy" / "xx-cp-mp-1.yaml").read_text(encoding="utf-8").replace(PARAGRAPH, WRITTEN[style])
    document = parse_yaml(text, "policy/xx-cp-mp-1.yaml")
    stored = StoredPositions(document.stored_positions(), text.encode("utf-8"))
    path = ("background", 0, "content", 0)
    for needle in ("@nosuch", "@delta", "[@"):
        for n in range(3):
            assert stored.position_of(path, needle, n) == document.position_of(path, needle, n)
    assert document.position_of(path, "@nosuch") == tuple(map(int, where_in_file(text, "@nosuch").split(":")))
    assert document.position_of(path, "not in the text") == document.position(path)


def test_listed_but_not_in_bib_and_listed_twice(tmp_path: Path) -> None:
    assert errors_after(tmp_path, "  - unused\n", "  - ghost\n  - alpha\n") == [
        "policy/xx-cp-mp-1.yaml:42:5: references[4]: 'ghost' is not in the bibliography [citation.not_in_bib]",
        "policy/xx-cp-mp-1.yaml:43:5: references[5]: 'alpha' is already reference 1 [citation.listed_twice]",
    ]


def test_listed_but_never_cited_is_information(tmp_path: Path) -> None:
    project = load_project(ProjectLayout(NESTED))
    assert [n.format() for n in project.notes if n.code == "citation.unused"] == [
        "policy/xx-cp-mp-1.yaml:42:5: info: references[4]: 'unused' (reference 5) is listed but never cited "
        "[citation.unused]"
    ]
