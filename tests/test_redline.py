"""The redlined document (``policypress diff --redline DIR``): the whole new version of each changed policy,
deletions struck and insertions marked, as HTML and PDF; read back from the PDF, the struck and the
inserted words come in order, and two runs give the same bytes."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import seed_of
from policypress.load.loader import load_project
from policypress.project import ProjectLayout
from test_diff import SEED, Repo, add_revision, diff, make_repo
from test_diff_content import REVISION, _insert, _threshold
from test_diff_structures import POLICY, bariatric_repository
from test_pdf import block_pattern


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return make_repo(tmp_path)


@pytest.fixture
def bariatric_repo(tmp_path: Path) -> Repo:
    return bariatric_repository(tmp_path)


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _words(text: str) -> str:
    return " ".join(text.split())


def _marked(document: str, tag: str) -> list[str]:
    """The runs marked ``tag`` after the legend (which shows one of each)."""
    body = document.split('<p class="legend">', 1)[1].split("</p>", 1)[1]
    return [html.unescape(m) for m in re.findall(rf"<{tag}>(.*?)</{tag}>", body, re.DOTALL)]


def _kept_and_inserted(document: str) -> str:
    """The document's text as the new version reads: struck runs dropped, marks taken off."""
    text = re.sub(r"<del>.*?</del>", "", document, flags=re.DOTALL)
    text = re.sub(r"<style>.*?</style>|<title>.*?</title>", "", text, flags=re.DOTALL)
    return _words(html.unescape(re.sub(r"<[^>]+>", " ", text)))


def _redline(repo: Repo, capsys: pytest.CaptureFixture[str], out: Path, stem: str) -> tuple[str, Path, str]:
    code, _out, err = diff(repo, capsys, "main", "--redline", str(out / "redline"), "-o", str(out / "report.md"))
    assert code == 0, err
    return (out / "redline" / f"{stem}.redline.html").read_text(encoding="utf-8"), out / "redline", err


def test_a_seed_change_is_struck_and_inserted_in_order(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo.replace(
        SEED,
        "considered **not medically necessary** because effectiveness has not been established.",
        "considered **not medically necessary** because evidence of effectiveness has not been established.",
    )
    add_revision(repo, "Criterion I reworded.")
    document, folder, _err = _redline(repo, capsys, tmp_path / "out", "wa-cp-mp-166")
    assert _marked(document, "ins") == ["evidence of ", "Criterion I reworded.", "2025-01", "2025-02"]
    assert _marked(document, "del") == []
    pdf = _pdf_text(folder / "wa-cp-mp-166.redline.pdf")
    assert block_pattern("because evidence of effectiveness has not been established").search(pdf)
    # the whole new version is there: every criterion and background paragraph of the head
    head = seed_of(load_project(ProjectLayout(repo.root)))
    shown = _kept_and_inserted(document)
    for paragraph in head.policy.background[0].content:
        assert _words(re.sub(r"\[@[^\]]+\]|\*", "", str(paragraph)))[:80] in shown
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert (
        "Redlined document: redline/wa-cp-mp-166.redline.html (HTML) and redline/wa-cp-mp-166.redline.pdf (PDF)"
        in report
    )


def test_a_deletion_is_struck_before_its_replacement(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo.replace(SEED, "is usually conservative (non-surgical)", "is usually conservative (non-operative)")
    document, folder, _err = _redline(repo, capsys, tmp_path / "out", "wa-cp-mp-166")
    assert "(non-<del>surgical</del><ins>operative</ins>)" in document
    pdf = _pdf_text(folder / "wa-cp-mp-166.redline.pdf")
    assert block_pattern("(non-surgicaloperative) and focuses on pain relief").search(pdf)  # struck, inserted, rest


def test_the_bariatric_redline_marks_insertions_renumbering_and_thresholds(
    bariatric_repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _insert(bariatric_repo)
    _threshold(bariatric_repo)
    bariatric_repo.replace(POLICY, "references:\n", REVISION)
    document, folder, _err = _redline(bariatric_repo, capsys, tmp_path / "a", "oh-cp-mp-37")
    assert '<span class="number"><ins>I.B.2.b</ins></span>Prediabetes' not in document  # the words are inserted too
    assert (
        '<span class="number"><ins>I.B.2.b</ins></span><ins>Prediabetes with an HbA1c of 5.7% to 6.4%;</ins>'
        in document
    )
    assert "<del>I.B.2.b</del> <ins>I.B.2.c</ins></span>Hypertension" in document
    assert "Participation for ≥ <del>3</del><ins>6</ins> months" in document
    pdf = _words(_pdf_text(folder / "oh-cp-mp-37.redline.pdf"))
    order = [
        "I.B.2.a Type 2 diabetes mellitus;",
        "I.B.2.b Prediabetes with an HbA1c of 5.7% to 6.4%; (inserted)",
        "I.B.2.b I.B.2.c Hypertension that is not controlled",
        "(renumbered; was I.B.2.b)",
        "Participation for ≥ 36 months in a weight-management program",
    ]
    positions = [pdf.find(piece) for piece in order]
    assert -1 not in positions and positions == sorted(positions), positions
    # the same sources give the same bytes
    _document, again, _err = _redline(bariatric_repo, capsys, tmp_path / "b", "oh-cp-mp-37")
    first = (folder / "oh-cp-mp-37.redline.pdf").read_bytes()
    assert first == (again / "oh-cp-mp-37.redline.pdf").read_bytes()
    assert (folder / "oh-cp-mp-37.redline.html").read_bytes() == (again / "oh-cp-mp-37.redline.html").read_bytes()


def test_no_change_makes_no_redline_and_json_names_it(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _out, err = diff(repo, capsys, "main", "--redline", str(tmp_path / "r"))
    assert code == 0, err
    assert list((tmp_path / "r").iterdir()) == []
    repo.replace(SEED, "is usually conservative (non-surgical)", "is usually conservative (non-operative)")
    code, out, err = diff(repo, capsys, "main", "--format", "json", "--redline", str(tmp_path / "r"))
    assert code == 0, err
    (policy,) = json.loads(out)["policies"]
    assert policy["redline"].endswith("r/wa-cp-mp-166.redline.html")
