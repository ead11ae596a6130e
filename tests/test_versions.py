"""Every version from the history: a repository whose commits hold three versions of the seed (and an
edit within a version) answers ``asof`` for a date inside each window, and for a code."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, reduce_to_seed
from policypress.build.history import read_history
from policypress.cli import main
from policypress.project import ProjectLayout

SEED = "policy/wa-cp-mp-166.yaml"


def _git(root: Path, *args: str, date: str = "2024-10-01T12:00:00+00:00") -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Policy Author",
        "GIT_AUTHOR_EMAIL": "author@example.org",
        "GIT_COMMITTER_NAME": "Policy Author",
        "GIT_COMMITTER_EMAIL": "author@example.org",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def _edit(root: Path, old: str, new: str) -> None:
    path = root / SEED
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _revision(root: Path, description: str, month: str) -> None:
    entry = f"  - description: {description}\n    revision_date: {month}\n    approval_date: {month}\n"
    _edit(root, "\n\nreferences:", f"\n{entry}\nreferences:")


def three_versions(root: Path) -> Path:
    """The seed committed as version 1 (effective 2024-11-01), an edit within it, version 2 (effective
    2025-03-01: criterion II covers conventional RFA) and version 3 (effective 2025-09-01: CPT 64625
    added to the supporting table's neighbour)."""
    root.mkdir(parents=True)
    shutil.copytree(ROOT / "policy", root / "policy")
    for name in ("mkdocs.yml", "references.bib"):
        shutil.copy(ROOT / name, root / name)
    for name in ("templates", "docs", "overrides"):
        shutil.copytree(ROOT / name, root / name)
    reduce_to_seed(root)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "version 1")
    _edit(root, "is usually conservative (non-surgical)", "is usually conservative (non-surgical) ")
    _git(root, "commit", "-q", "-am", "whitespace", date="2024-12-01T12:00:00+00:00")
    _edit(root, "effective_date: 2024-11-01", "effective_date: 2025-03-01")
    _edit(
        root,
        "      because effectiveness has not been established. High-quality",
        "      because effectiveness has not been established for pulsed RFA. High-quality",
    )
    _revision(root, "Criterion II narrowed to pulsed RFA.", "2025-01")
    _git(root, "commit", "-q", "-am", "version 2", date="2025-01-15T12:00:00+00:00")
    _edit(root, "effective_date: 2025-03-01", "effective_date: 2025-09-01")
    _revision(root, "Annual review.", "2025-06")
    _git(root, "commit", "-q", "-am", "version 3", date="2025-06-20T12:00:00+00:00")
    return root


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return three_versions(tmp_path_factory.mktemp("versions") / "repo")


def test_three_versions_with_their_windows(history_repo: Path) -> None:
    history = read_history(history_repo / "mkdocs.yml", ProjectLayout(history_repo))
    versions = history["WA.CP.MP.166"]
    assert [(v.number, v.effective.isoformat(), v.until and v.until.isoformat()) for v in versions] == [
        (1, "2024-11-01", "2025-03-01"),
        (2, "2025-03-01", "2025-09-01"),
        (3, "2025-09-01", None),
    ]
    assert [v.change for v in versions] == [
        "Policy developed for services not managed by Evolent.",
        "Criterion II narrowed to pulsed RFA.",
        "Annual review.",
    ]
    assert versions[0].posted.date().isoformat() == "2024-10-01"  # the whitespace edit made no version


@pytest.mark.parametrize(
    ("day", "version"), [("2024-11-01", 1), ("2025-02-28", 1), ("2025-03-01", 2), ("2025-08-31", 2), ("2026-01-01", 3)]
)
def test_asof_names_the_version_in_effect(
    history_repo: Path, capsys: pytest.CaptureFixture[str], day: str, version: int
) -> None:
    assert main(["-f", str(history_repo / "mkdocs.yml"), "asof", "WA.CP.MP.166", day]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"WA.CP.MP.166 on {day}: version {version} of 3, effective ")
    criterion_ii = [line for line in out.splitlines() if line.startswith("  II ")]
    assert len(criterion_ii) == 1


def test_asof_before_the_first_version_and_bad_dates(history_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = str(history_repo / "mkdocs.yml")
    assert main(["-f", config, "asof", "WA.CP.MP.166", "2024-10-31"]) == 1
    assert capsys.readouterr().err == (
        "error: WA.CP.MP.166: no version was in effect on 2024-10-31 (the first took effect 2024-11-01)\n"
    )
    assert main(["-f", config, "asof", "WA.CP.MP.166", "10/31/2024"]) == 1
    assert capsys.readouterr().err == (
        "error: asof: '10/31/2024' is not a date; write dates as YYYY-MM-DD, e.g. 2025-02-10\n"
    )
    assert main(["-f", config, "asof", "XX.CP.MP.1", "2025-01-01"]) == 1
    assert "policies with versions: WA.CP.MP.166" in capsys.readouterr().err


def test_asof_a_code(history_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-f", str(history_repo / "mkdocs.yml"), "asof", "--code", "64451", "2025-04-01"]) == 0
    assert capsys.readouterr().out == (
        "64451 on 2025-04-01:\n"
        "  WA.CP.MP.166 version 2 (effective 2025-03-01 until 2025-09-01): CPT 64451 in "
        "“CPT code that does not support coverage criteria” (does_not_support_coverage)\n"
    )


def _build(root: Path) -> Path:
    """Build in this process, dated by the repository's own last commit (not a date an earlier build left)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        assert main(["-f", str(root / "mkdocs.yml"), "build"]) == 0
    return root / "site"


@pytest.fixture(scope="module")
def versions_site(history_repo: Path) -> Path:
    return _build(history_repo)


def test_every_version_has_its_page(versions_site: Path) -> None:
    folder = versions_site / "policies" / "wa-cp-mp-166"
    pages = {n: (folder / f"v{n}" / "index.html").read_text(encoding="utf-8") for n in (1, 2, 3)}
    for number, page in pages.items():
        assert 'id="criterion-II"' in page and f"<strong>Version {number} of 3</strong>" in page
    # status as of the source date (the last commit, 2025-06-20): 1 superseded, 2 in effect, 3 posted ahead
    assert "<strong>Version 1 of 3</strong>, superseded. In effect from 11/01/24 until 03/01/25" in pages[1]
    assert 'Replaced by <a href="../../../policies/wa-cp-mp-166/v2/">version 2</a>' in pages[1]
    assert "<strong>Version 2 of 3</strong>, the version in effect." in pages[2]
    assert "posted, not yet in effect: takes effect 09/01/25" in pages[3]
    assert "established for pulsed RFA" not in pages[1] and "established for pulsed RFA" in pages[2]
    current = (folder / "index.html").read_text(encoding="utf-8")
    assert current.count('<tr id="version-') == 3
    assert '<a href="../../policies/wa-cp-mp-166/v1/">Version 1</a>' in current
    data = json.loads((versions_site / "api" / "policies" / "wa-cp-mp-166" / "versions.json").read_text())
    assert [(v["number"], v["status"], v["effective"], v["until"]) for v in data["versions"]] == [
        (1, "superseded", "2024-11-01", "2025-03-01"),
        (2, "current", "2025-03-01", "2025-09-01"),
        (3, "future", "2025-09-01", None),
    ]
    search = (versions_site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "wa-cp-mp-166/v1" not in search  # the current page is what search finds


def test_versions_are_immutable_and_the_same_in_a_fresh_clone(
    versions_site: Path, history_repo: Path, tmp_path: Path
) -> None:
    old = {n: (versions_site / "policies" / "wa-cp-mp-166" / f"v{n}" / "index.html").read_bytes() for n in (1, 2, 3)}
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(history_repo), str(clone)], check=True, capture_output=True)
    # today's policy rewritten, uncommitted: no published version changes
    _edit(clone, "is usually conservative (non-surgical)", "is usually conservative (non-operative)")
    site = _build(clone)
    for number, page in old.items():
        assert (site / "policies" / "wa-cp-mp-166" / f"v{number}" / "index.html").read_bytes() == page
    assert "(non-operative)" in (site / "policies" / "wa-cp-mp-166" / "index.html").read_text(encoding="utf-8")
    assert (site / "feed.xml").read_bytes() == (versions_site / "feed.xml").read_bytes()


def _pages_text(pdf: Path) -> list[str]:
    """The text of every page of a PDF, as ``pdftotext`` reads it (one string per page)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def _version_pdfs(site: Path) -> dict[int, bytes]:
    return {n: (site / "pdf" / "wa-cp-mp-166" / f"v{n}.pdf").read_bytes() for n in (1, 2, 3)}


def test_every_version_has_its_pdf_saying_which_version_on_every_page(
    versions_site: Path, history_repo: Path, tmp_path: Path
) -> None:
    data = json.loads((versions_site / "api" / "policies" / "wa-cp-mp-166" / "versions.json").read_text())
    effective = {1: "11/01/24", 2: "03/01/25", 3: "09/01/25"}
    posted = {1: "10/01/24", 2: "01/15/25", 3: "06/20/25"}
    for entry in data["versions"]:
        number, commit = entry["number"], entry["commit"]
        assert entry["pdf"] == f"pdf/wa-cp-mp-166/v{number}.pdf"
        pdf = versions_site / entry["pdf"]
        pages = _pages_text(pdf)
        assert len(pages) >= 3
        for page in pages:
            window = f"in effect from {effective[number]} until a later version takes effect"
            assert f"Version {number} of WA.CP.MP.166, {window}" in page
            assert f"Posted {posted[number]} · source commit {commit}" in page
        # the version's own words, and its own sources attached, as committed
        text = "".join(pages)
        assert ("established for pulsed RFA" in text) == (number > 1)
        out = tmp_path / f"v{number}"
        out.mkdir()
        subprocess.run(["pdfdetach", "-saveall", "-o", str(out), str(pdf)], check=True, capture_output=True)
        committed = subprocess.run(
            ["git", "show", f"{commit}:{SEED}"], cwd=history_repo, capture_output=True, check=True
        ).stdout
        assert (out / "wa-cp-mp-166.yaml").read_bytes() == committed
        info = subprocess.run(["pdfinfo", "-custom", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert f"sourcecommit:    {commit}" in info and f"policyversion:   {number}" in info
        # linked from its page and from the current page's list of versions
        page = (versions_site / "policies" / "wa-cp-mp-166" / f"v{number}" / "index.html").read_text(encoding="utf-8")
        assert f'<a href="../../../pdf/wa-cp-mp-166/v{number}.pdf" type="application/pdf" download>' in page
    current = (versions_site / "policies" / "wa-cp-mp-166" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../pdf/wa-cp-mp-166/v1.pdf" type="application/pdf" aria-label="PDF of version 1"' in current
    # the current policy's PDF carries no version line
    assert "until a later version takes effect" not in "".join(_pages_text(versions_site / "pdf" / "wa-cp-mp-166.pdf"))


def test_a_version_pdf_footer_is_a_pagination_artifact(versions_site: Path) -> None:
    """The version line is page furniture (PDF/UA): inside the footer artifact, outside the structure tree."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    reader = PdfReader(versions_site / "pdf" / "wa-cp-mp-166" / "v2.pdf")
    for page in reader.pages:
        operations = ContentStream(page.get_contents(), reader).operations
        depth, kind, shown = 0, "", []
        for operands, operator in operations:
            if operator == b"BDC" and depth == 0:
                depth = 1
                properties = operands[1] if len(operands) > 1 and hasattr(operands[1], "get") else {}
                kind = str(operands[0]) + str(properties.get("/Subtype", ""))
            elif depth and operator in (b"BDC", b"BMC"):
                depth += 1
            elif depth and operator == b"EMC":
                depth -= 1
            elif operator in (b"Tj", b"TJ"):
                shown.append(kind if depth else "")
        assert "/Artifact/Footer" in shown and "" not in shown


def test_a_second_build_reuses_every_version_pdf_byte_for_byte(
    versions_site: Path, history_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _version_pdfs(versions_site)
    capsys.readouterr()
    _build(history_repo)
    assert "pdf: 4 PDF(s): 0 rendered, 4 reused from the cache" in capsys.readouterr().out
    assert _version_pdfs(history_repo / "site") == before


def test_rewriting_the_policy_never_changes_an_older_version_pdf(
    versions_site: Path, history_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fresh clone (no cache: every PDF rendered again) gives the same bytes; a new version, committed,
    leaves every earlier version's PDF as it was."""
    old = _version_pdfs(versions_site)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(history_repo), str(clone)], check=True, capture_output=True)
    _edit(clone, "is usually conservative (non-surgical)", "is usually conservative (non-operative)")
    _edit(clone, "effective_date: 2025-09-01", "effective_date: 2026-01-01")
    _revision(clone, "Wording of the description.", "2025-07")
    _git(clone, "commit", "-q", "-am", "version 4", date="2025-07-01T12:00:00+00:00")
    site = _build(clone)
    assert _version_pdfs(site) == old
    assert "(non-operative)" in "".join(_pages_text(site / "pdf" / "wa-cp-mp-166" / "v4.pdf"))
    assert "(non-operative)" not in "".join(_pages_text(site / "pdf" / "wa-cp-mp-166" / "v3.pdf"))


def test_the_feed_has_an_entry_per_version_future_ones_marked(versions_site: Path) -> None:
    import xml.etree.ElementTree as ET

    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.fromstring((versions_site / "feed.xml").read_bytes())
    base = "https://policies.example.org/"
    entries = {e.findtext(f"{atom}id"): e for e in feed.findall(f"{atom}entry")}
    found = {}
    for number in (1, 2, 3):
        entry = entries[f"{base}policies/wa-cp-mp-166/v{number}/"]
        links = {link.get("rel", "alternate"): link.get("href") for link in entry.findall(f"{atom}link")}
        assert links == {
            "alternate": f"{base}policies/wa-cp-mp-166/v{number}/",
            "enclosure": f"{base}pdf/wa-cp-mp-166/v{number}.pdf",
        }
        category = entry.find(f"{atom}category")
        assert category is not None
        found[number] = (
            entry.findtext(f"{atom}title"),
            category.get("term"),
            entry.findtext(f"{atom}published"),
            entry.findtext(f"{atom}updated"),
        )
    title = "WA.CP.MP.166 Sacroiliac Joint Interventions for Pain Management: version"
    assert found == {
        1: (
            f"{title} 1, superseded; in effect from 2024-11-01 until 2025-03-01",
            "superseded",
            "2024-10-01T00:00:00Z",
            "2025-03-01T00:00:00Z",
        ),
        2: (
            f"{title} 2, in effect from 2025-03-01 until 2025-09-01",
            "current",
            "2025-01-15T00:00:00Z",
            "2025-03-01T00:00:00Z",
        ),
        3: (
            f"{title} 3, not yet in effect: takes effect 2025-09-01",
            "future",
            "2025-06-20T00:00:00Z",
            "2025-06-20T00:00:00Z",
        ),
    }
    # newest first, the version entries among the revision-log entries; the feed is dated by its newest entry
    updated = [e.findtext(f"{atom}updated") for e in feed.findall(f"{atom}entry")]
    assert updated == sorted(updated, reverse=True)
    assert feed.findtext(f"{atom}updated") == "2025-06-20T00:00:00Z"
    assert len(entries) == 6  # three revision-log entries, three versions


def test_the_version_exports_follow_their_json_schemas(versions_site: Path) -> None:
    import jsonschema

    schemas = versions_site / "api" / "schema"
    for document, schema in (
        ("api/policies/wa-cp-mp-166/versions.json", "versions.schema.json"),
        ("api/version-codes.json", "version-codes.schema.json"),
    ):
        data = json.loads((versions_site / document).read_text(encoding="utf-8"))
        checker = jsonschema.Draft202012Validator(
            json.loads((schemas / schema).read_text(encoding="utf-8")), format_checker=jsonschema.FormatChecker()
        )
        assert list(checker.iter_errors(data)) == [], document
    codes = json.loads((versions_site / "api" / "version-codes.json").read_text(encoding="utf-8"))
    assert [(v["id"], v["number"], v["effective"], v["until"]) for v in codes["versions"]] == [
        ("WA.CP.MP.166", 1, "2024-11-01", "2025-03-01"),
        ("WA.CP.MP.166", 2, "2025-03-01", "2025-09-01"),
        ("WA.CP.MP.166", 3, "2025-09-01", None),
    ]
    assert {"code": "64451", "first": "64451", "last": "64451"}.items() <= codes["versions"][0]["rows"][0].items()
    assert codes["versions"][0]["rows"][0]["link"] == "policies/wa-cp-mp-166/v1/#code-cpt-64451"


@pytest.fixture(scope="module")
def retired_repo(history_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three versions, then another policy added and the seed removed (retired on 2025-12-01)."""
    clone = tmp_path_factory.mktemp("retired") / "repo"
    subprocess.run(["git", "clone", "-q", str(history_repo), str(clone)], check=True, capture_output=True)
    other = (clone / SEED).read_text(encoding="utf-8").replace("id: WA.CP.MP.166", "id: XX.CP.MP.2", 1)
    (clone / "policy" / "xx-cp-mp-2.yaml").write_text(other, encoding="utf-8")
    _git(clone, "add", "-A")
    _git(clone, "commit", "-q", "-m", "another policy", date="2025-11-01T12:00:00+00:00")
    _git(clone, "rm", "-q", SEED)
    _git(clone, "commit", "-q", "-m", "retire the seed", date="2025-12-01T12:00:00+00:00")
    return clone


def test_a_removed_policy_is_retired_and_keeps_every_version(
    retired_repo: Path, versions_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = read_history(retired_repo / "mkdocs.yml", ProjectLayout(retired_repo))
    last = history["WA.CP.MP.166"][-1]
    assert (last.number, last.until and last.until.isoformat(), last.retired and last.retired.isoformat()) == (
        3,
        "2025-12-01",
        "2025-12-01",
    )
    site = _build(retired_repo)
    folder = site / "policies" / "wa-cp-mp-166"
    v3 = (folder / "v3" / "index.html").read_text(encoding="utf-8")
    assert "this policy was retired on 12/01/25 and is no longer in effect" in v3
    assert "<strong>Version 2 of 3</strong>, superseded." in (folder / "v2" / "index.html").read_text(encoding="utf-8")
    current = (folder / "index.html").read_text(encoding="utf-8")
    assert "this policy was retired on 12/01/25" in current and current.count('<tr id="version-') == 3
    data = json.loads((site / "api" / "policies" / "wa-cp-mp-166" / "versions.json").read_text())
    assert [(v["status"], v["until"], v["retired"]) for v in data["versions"]] == [
        ("superseded", "2025-03-01", None),
        ("superseded", "2025-09-01", None),
        ("retired", "2025-12-01", "2025-12-01"),
    ]
    # its PDFs stay, byte for byte: nothing on them depends on what came later
    assert _version_pdfs(site) == _version_pdfs(versions_site)
    assert "WA.CP.MP.166" not in (site / "index.html").read_text(encoding="utf-8")  # off the home page
    feed = (site / "feed.xml").read_text(encoding="utf-8")
    assert "version 3, retired on 2025-12-01; in effect from 2025-09-01 until 2025-12-01" in feed
    config = str(retired_repo / "mkdocs.yml")
    assert main(["-f", config, "asof", "WA.CP.MP.166", "2025-12-01"]) == 1
    assert capsys.readouterr().err == (
        "error: WA.CP.MP.166: no version was in effect on 2025-12-01: the policy was retired on 2025-12-01 "
        "(its last version, 3, was in effect from 2025-09-01)\n"
    )
    assert main(["-f", config, "asof", "WA.CP.MP.166", "2025-11-30"]) == 0
    assert capsys.readouterr().out.startswith("WA.CP.MP.166 on 2025-11-30: version 3 of 3, effective 2025-09-01")


def test_a_stylesheet_without_the_version_footer_is_told_plainly(
    history_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A project's older templates/pdf.typ (no ``footer-left``): one clear message, no traceback, site/ untouched."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(history_repo), str(clone)], check=True, capture_output=True)
    stylesheet = clone / "templates" / "pdf.typ"
    text = stylesheet.read_text(encoding="utf-8")
    text = text.replace("  footer-left: (),\n", "").replace("pp-lines(footer-left)", "none")
    stylesheet.write_text(text.replace("footer-left.len() == 0", "true"), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        assert main(["-f", str(clone / "mkdocs.yml"), "build"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: wa-cp-mp-166/v1.pdf: templates/pdf.typ: pp-document has no `footer-left` parameter")
    assert "Traceback" not in err and not (clone / "site").exists()


def test_without_the_speed_layer_every_version_file_is_the_same(
    versions_site: Path, history_repo: Path, tmp_path: Path
) -> None:
    """``policypress --plain`` (no cache, PDFs rendered in this process) writes the same version pages, PDFs,
    versions.json, version-codes.json and feed."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(history_repo), str(clone)], check=True, capture_output=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        assert main(["--plain", "-f", str(clone / "mkdocs.yml"), "build"]) == 0
    assert not (clone / ".cache" / "pdf").exists()
    names = [
        *(f"policies/wa-cp-mp-166/v{n}/index.html" for n in (1, 2, 3)),
        *(f"pdf/wa-cp-mp-166/v{n}.pdf" for n in (1, 2, 3)),
        "api/policies/wa-cp-mp-166/versions.json",
        "api/version-codes.json",
        "feed.xml",
    ]
    for name in names:
        assert (clone / "site" / name).read_bytes() == (versions_site / name).read_bytes(), name
