"""The Typst PDF's promises beyond its text: PDF/A-3a and PDF/UA-1 identification, a structure tree with the
page furniture as artifacts, attachments a standard tool extracts, identical bytes from two folders (the
seed's whole site too, from two fresh copies), the page's article text in order, policy text that can never
run as Typst code, and text no font covers refused at check.

Runs on the seed (the repository's site) and on the bariatric fixture, both built by the real command.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from pypdf.generic import ContentStream

from conftest import FIXED_EPOCH, ROOT, build_with_the_command, copy_project, copy_seed_project
from policypress.cli import main
from policypress.pdf.typstmarkup import convert, typst_string
from test_pdf import read_pages

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFAID = "http://www.aiim.org/pdfa/ns/id/"
PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
DOCUMENTS = {
    "seed": ("built_site", "wa-cp-mp-166"),
    "bariatric": ("bariatric_site", "oh-cp-mp-37"),
}


@pytest.fixture(scope="module", params=sorted(DOCUMENTS))
def document(request: pytest.FixtureRequest) -> tuple[Path, str]:
    """(site, stem) of a built policy."""
    fixture, stem = DOCUMENTS[request.param]
    return request.getfixturevalue(fixture), stem


@pytest.fixture(scope="module")
def pdf_path(document: tuple[Path, str]) -> Path:
    site, stem = document
    return site / "pdf" / f"{stem}.pdf"


@pytest.fixture(scope="module")
def reader(pdf_path: Path) -> PdfReader:
    return PdfReader(pdf_path)


def xmp_identification(reader: PdfReader) -> dict[str, str]:
    """Every property of the XMP packet's descriptions, written as attributes or as elements."""
    xmp = ET.fromstring(reader.trailer["/Root"]["/Metadata"].get_object().get_data())
    found: dict[str, str] = {}
    for description in xmp.iter(f"{{{RDF}}}Description"):
        found.update(description.attrib)
        for child in description:
            if child.text and len(child) == 0:
                found[child.tag] = child.text
    return found


def test_pdfa_3a_and_pdfua_1_identification_in_the_xmp(reader: PdfReader) -> None:
    found = xmp_identification(reader)
    assert found[f"{{{PDFAID}}}part"] == "3"
    assert found[f"{{{PDFAID}}}conformance"] == "A"
    assert found[f"{{{PDFUAID}}}part"] == "1"


def test_structure_tree_with_header_and_footer_as_artifacts(reader: PdfReader) -> None:
    root = reader.trailer["/Root"]
    tree = root["/StructTreeRoot"]
    kinds: set[str] = set()

    def walk(node: object, depth: int = 0) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for child in node:
                walk(child, depth)
        elif hasattr(node, "get") and node.get("/S") is not None and depth < 64:
            kinds.add(str(node["/S"]))
            walk(node.get("/K", []), depth + 1)

    walk(tree["/K"])
    assert {"/H1", "/H2", "/P", "/L", "/LI", "/Table", "/Link"} <= kinds, kinds
    for number, page in enumerate(reader.pages, start=1):
        operations = ContentStream(page.get_contents(), reader).operations
        artifacts = [
            operands[1]
            for operands, operator in operations
            if operator == b"BDC" and operands and operands[0] == "/Artifact" and len(operands) > 1
        ]
        subtypes = {str(a.get("/Subtype")) for a in artifacts if hasattr(a, "get")}
        assert {"/Header", "/Footer"} <= subtypes, f"page {number}: {subtypes}"
        # the text of the header and the footer is inside those artifacts, nothing else of the page is
        depth, inside, text_in_artifact = 0, False, []
        for operands, operator in operations:
            if operator == b"BDC" and operands and operands[0] == "/Artifact":
                inside, depth = True, 1
            elif inside and operator in (b"BDC", b"BMC"):
                depth += 1
            elif inside and operator == b"EMC":
                depth -= 1
                inside = depth > 0
            elif operator in (b"Tj", b"TJ") and inside:
                text_in_artifact.append(operator)
        assert text_in_artifact, f"page {number}: no text in the artifacts"


def test_attachments_are_extractable_with_pdfdetach(pdf_path: Path, document: tuple[Path, str], tmp_path: Path) -> None:
    _site, stem = document
    listing = subprocess.run(["pdfdetach", "-list", str(pdf_path)], capture_output=True, text=True, check=True)
    names = sorted(line.split(": ", 1)[1] for line in listing.stdout.splitlines()[1:])
    assert names == sorted(["cpt-notice.yaml", "important-reminder.yaml", f"{stem}.bib", f"{stem}.yaml"])
    subprocess.run(["pdfdetach", "-saveall", "-o", str(tmp_path), str(pdf_path)], check=True, capture_output=True)
    yaml_text = (tmp_path / f"{stem}.yaml").read_bytes()
    assert yaml_text.startswith(b"id:") or b"\nid:" in yaml_text


def article_text(site: Path, stem: str) -> str:
    """The web page's article as a reader sees it, web-only parts removed: permalinks, the PDF link, the page's
    own table of contents, forms, and the list of versions (links to the other versions' pages)."""
    soup = BeautifulSoup((site / "policies" / stem / "index.html").read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.md-content__inner")
    assert article is not None
    web_only_parts = "a.headerlink, p.policy-pdf, details.page-contents, form, h2#versions, div.policy-versions"
    for web_only in article.select(web_only_parts):
        web_only.decompose()
    # what the page's stylesheet draws (bullets, reference numbers) is text in the PDF
    for item in article.select("ul.bullets > li"):
        item.insert(0, "•")
    for number, item in enumerate(article.select("ol.references > li"), start=1):
        item.insert(0, f"{number}.")
    return article.get_text()


def test_the_pdf_text_in_order_is_the_page_article(document: tuple[Path, str], reader: PdfReader) -> None:
    """Every character of the article, in order and nothing else (white space aside: lines break differently)."""
    site, stem = document
    pdf_text = "".join(page.body for page in read_pages(reader))
    assert re.sub(r"\s+", "", pdf_text) == re.sub(r"\s+", "", article_text(site, stem))


def test_byte_identical_rebuilds_in_two_folders(tmp_path: Path) -> None:
    outputs = []
    for folder in ("one", "two/deeper"):
        project = copy_project(tmp_path / folder / "project", ROOT / "tests" / "fixtures" / "bariatric")
        env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH, "PYTHONHASHSEED": str(len(folder))}
        result = subprocess.run(
            [sys.executable, "-m", "policypress", "-f", str(project / "mkdocs.yml"), "pdf", "--no-cache"],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        outputs.append((project / "site" / "pdf" / "oh-cp-mp-37.pdf").read_bytes())
    assert outputs[0] == outputs[1]
    assert str(tmp_path).encode() not in outputs[0]


def test_the_seed_builds_to_the_same_bytes_in_two_fresh_folders(tmp_path: Path) -> None:
    """Two fresh copies of the project (no .cache: no work, page or PDF cache), each built by the command as
    ``make site`` builds it, in processes with different hash seeds: the seed's PDF, and every other file of
    the site, are the same bytes, and neither names the folder it was built in."""
    sites = []
    for folder in ("one", "two/deeper"):
        project = copy_seed_project(tmp_path / folder / "project")
        assert not (project / ".cache").exists()
        env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
        env["PYTHONHASHSEED"] = str(len(folder))
        result = subprocess.run(
            [sys.executable, "-m", "policypress", "-f", str(project / "mkdocs.yml"), "build"],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "pdf: 1 PDF(s): 1 rendered, 0 reused from the cache" in result.stdout
        site = project / "site"
        sites.append({p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()})
    assert sites[0]["pdf/wa-cp-mp-166.pdf"] == sites[1]["pdf/wa-cp-mp-166.pdf"]
    assert sites[0] == sites[1]
    assert not [name for name, data in sites[0].items() if str(tmp_path).encode() in data]


HOSTILE = (
    '#import "@preview/x:1.0.0": * $x^2$ ] [ \\ \\" @ref-1 <label> // comment /* block */ *_bold italic_* '
    "#set page(width: 1pt) `raw` = heading - item + 1. ~ -- --- ... 'q' \"qq\" https://example.org"
)


def test_typst_string_escapes_everything_special() -> None:
    assert typst_string('a"b\\c') == '"a\\"b\\\\c"'
    assert typst_string("line\nbreak\ttab\x7f") == '"line\\u{a}break\\u{9}tab\\u{7f}"'
    literal = typst_string(HOSTILE)
    inner = literal[1:-1]
    # outside escapes, no quote can end the string early
    assert '"' not in re.sub(r'\\[\\"]', "", inner)


def segment(text: str) -> str:
    """The text between the markers ``ZZ{`` and ``}ZZ``, white space removed."""
    match = re.search(r"ZZ\{(.*?)\}ZZ", text, re.DOTALL)
    assert match is not None, text[:500]
    return re.sub(r"\s+", "", match.group(1))


def test_hostile_policy_text_comes_out_as_the_page_shows_it(tmp_path: Path) -> None:
    """Text full of Typst syntax is printed as the web page shows it: it imports, sets and breaks nothing."""
    project = copy_seed_project(tmp_path / "project")
    policy = project / "policy" / "wa-cp-mp-166.yaml"
    text = policy.read_text(encoding="utf-8")
    marker = "Treatment for sacroiliac joint (SIJ) pain"
    policy.write_text(text.replace(marker, f"ZZ{{{HOSTILE}}}ZZ {marker}", 1), encoding="utf-8")  # a folded scalar
    site = tmp_path / "site"
    build_with_the_command(project, site, env={**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH})
    reader = PdfReader(site / "pdf" / "wa-cp-mp-166.pdf")
    shown = segment("".join(page.body for page in read_pages(reader)))
    assert shown == segment(article_text(site, "wa-cp-mp-166"))
    assert "#import" in shown and "#setpage(width:1pt)" in shown and "<label>" in shown and "//comment" in shown
    assert all(float(page.mediabox.width) == 612 for page in reader.pages)  # `#set page(width: 1pt)` set nothing


def test_converter_leaves_no_text_outside_string_literals() -> None:
    escaped = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    html = f'<html lang="en"><head><title>{escaped}</title></head><body><p>{escaped}</p><h2 id="x">{escaped}</h2>'
    document = convert(html + "</body></html>", lambda url: b"")
    # blank every string literal: what remains is only the converter's own calls
    outside = re.sub(r'"(?:[^"\\]|\\.)*"', '""', document.body)
    assert outside == '#pp-p("")[#""]\n#heading(level: 2)[#""]#label("")'
    assert document.title == HOSTILE


UNCOVERED_GOLDEN = (
    "policy/wa-cp-mp-166.yaml:{line}:{col}: no font of the PDF can show '𝄞' (U+1D11E MUSICAL SYMBOL G CLEF), "
    "so the PDF would be refused (the fonts: pp-fonts in templates/pdf.typ) [pdf.font_coverage]"
)


def test_text_no_font_covers_is_refused_at_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_seed_project(tmp_path / "project")
    policy = project / "policy" / "wa-cp-mp-166.yaml"
    lines = policy.read_text(encoding="utf-8").splitlines(keepends=True)
    (index,) = [i for i, line in enumerate(lines) if "Treatment for sacroiliac joint (SIJ) pain" in line][:1]
    column = lines[index].index("Treatment") + 1
    lines[index] = lines[index].replace("Treatment", "𝄞 Treatment", 1)
    # taglines in other scripts are covered by the Noto fonts; a comment is never printed
    lines.insert(index, lines[index][: column - 1] + "# 𝄞 a comment\n")
    policy.write_text("".join(lines), encoding="utf-8")
    capsys.readouterr()
    assert main(["-f", str(project / "mkdocs.yml"), "check"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == UNCOVERED_GOLDEN.format(line=index + 2, col=column)
    assert err[1:] == ["1 error(s); nothing was built"]


def test_taglines_in_other_scripts_pass_check_and_print(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_seed_project(tmp_path / "project")
    policy = project / "policy" / "wa-cp-mp-166.yaml"
    taglines = (
        "Español: ayuda. 中文: 帮助. 한국어: 도움. Tiếng Việt: trợ giúp. العربية: مساعدة. हिन्दी: सहायता. ქართ. Русский."
    )
    text = policy.read_text(encoding="utf-8").replace(
        "Treatment for sacroiliac joint (SIJ) pain", f"{taglines} Treatment for sacroiliac joint (SIJ) pain", 1
    )
    policy.write_text(text, encoding="utf-8")
    os.environ.setdefault("SOURCE_DATE_EPOCH", FIXED_EPOCH)
    assert main(["-f", str(project / "mkdocs.yml"), "check"]) == 0, capsys.readouterr().err
    assert main(["-f", str(project / "mkdocs.yml"), "pdf", "--no-cache"]) == 0, capsys.readouterr().err
    body = "".join(read_pages(PdfReader(project / "site" / "pdf" / "wa-cp-mp-166.pdf"))[0].body.split())
    for word in ("中文", "한국어", "Tiếng", "हिन्दी"):
        assert word in body, word


def test_the_pdf_cache_key_covers_the_engine_its_version_and_the_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    from policypress.pdf import engine, fonts

    parts: list[str] = []
    real = engine.hashlib.sha256

    def recording(data: bytes = b"") -> object:
        parts.append(data.decode("utf-8", "replace"))
        return real(data)

    engine.engine_fingerprint.cache_clear()
    monkeypatch.setattr(engine.hashlib, "sha256", recording)
    engine.engine_fingerprint()
    monkeypatch.undo()
    engine.engine_fingerprint.cache_clear()
    text = "\n".join(parts)
    assert "typst-compiler 0.15" in text and "typst 0.15" in text
    assert re.search(r"font /usr/share/fonts/truetype/dejavu/DejaVuSans\.ttf [0-9a-f]{64}", text)
    assert "NotoSansCJK-Regular.ttc" in text
    assert "pdf/typstmarkup.py" in text and "pdf/finish.py" in text
    assert fonts.FONT_DIRS


def test_the_cli_never_shows_a_traceback_for_a_broken_stylesheet(tmp_path: Path) -> None:
    project = copy_seed_project(tmp_path / "project")
    stylesheet = project / "templates" / "pdf.typ"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "\n#let broken = (\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "policypress", "-f", str(project / "mkdocs.yml"), "pdf", "--no-cache"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "wa-cp-mp-166.pdf: Typst could not make the PDF" in result.stderr
    shutil.rmtree(project)
