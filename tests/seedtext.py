"""The seed policy document, read as the list of text blocks a reader must find on the page.

The seed (``shared/seed/000_*.txt``) is the acceptance document: a Markdown export
of the published policy. This module turns it into plain-text blocks (headings,
paragraphs, list items, table cells, references) in reading order, so tests can
check that the built page and PDF carry every one of them, in the same order.

Only the differences listed in ``REFERENCE_ERRATA`` and ``PAGE_ARTIFACTS`` are
allowed between the seed and the build; each is explained where it is defined.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "seed" / "000_2b38a9cd632ac1ea.txt"
BARIATRIC = SHARED / "fixtures" / "oh-cp-mp-37.txt"
"""The second acceptance document (OH.CP.MP.37), built from ``tests/fixtures/bariatric``."""
FIXTURE_LINE = "FIXTURE: "
"""The fixture's first line says it is a fixture; it is not part of the policy."""

PAGE_ARTIFACTS = ("**CLINICAL POLICY**  ", "**Sacroiliac Joint Interventions for Pain Management**")
"""The running header of the PDF the seed was exported from, caught mid-paragraph at a page break.
It is page furniture, not content: the paragraph it interrupts is one paragraph."""

REFERENCE_ERRATA: tuple[tuple[str, str, str], ...] = (
    # (pattern, replacement, why) applied to the seed's reference strings before comparison.
    (r"(\b[A-Za-z]?\d+) to ([A-Za-z]?\d+\b)", r"\1-\2", "a page range is written with a hyphen (AMA)"),
    (r"doi: 10\.", "doi:10.", "AMA writes doi: without a space"),
    (r"(doi:10\.\S+?)\.$", r"\1", "AMA puts no period after a DOI"),
    (
        r"(https://www\.spine\.org/Coverage) Published",
        r"\1. Published",
        "the seed drops one period after a URL",
    ),
)


@dataclass(frozen=True)
class SeedBlock:
    """One unit of seed text: its kind (heading, paragraph, item, cell, reference) and plain text."""

    kind: str
    text: str
    number: int | None = None


def plain(markdown: str) -> str:
    """Strip the seed's Markdown to the text a reader sees."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    text = re.sub(r"</?sup>", "", text)
    text = text.replace("\\_", "_")
    # emphasis markers go; an asterisk that opens or closes nothing (a footnote marker) stays
    text = re.sub(r"(?<![\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def normalize_reference(text: str) -> str:
    """A seed reference string with the documented errata applied."""
    for pattern, replacement, _why in REFERENCE_ERRATA:
        text = re.sub(pattern, replacement, text)
    return text


def seed_blocks() -> list[SeedBlock]:
    """Every block of the seed in reading order."""
    return document_blocks(SEED, PAGE_ARTIFACTS, normalize_reference, join_broken_paragraphs=True)


def bariatric_blocks() -> list[SeedBlock]:
    """Every block of the second acceptance document in reading order (it needs no errata)."""
    return document_blocks(BARIATRIC)


def bariatric_references() -> dict[int, str]:
    return {b.number: b.text for b in bariatric_blocks() if b.kind == "reference" and b.number is not None}


def document_blocks(
    path: Path,
    artifacts: tuple[str, ...] = (),
    reference_errata: Callable[[str], str] = lambda text: text,
    join_broken_paragraphs: bool = False,
) -> list[SeedBlock]:
    """Every block of an acceptance document in reading order: headings, paragraphs, list items
    (criteria included, with their numbers), table cells and numbered references."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if line not in artifacts and not line.startswith(FIXTURE_LINE)]
    blocks: list[SeedBlock] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            blocks.append(SeedBlock("heading", plain(stripped.lstrip("#"))))
        elif "\t" in stripped:
            blocks.extend(SeedBlock("cell", plain(cell)) for cell in stripped.split("\t"))
        elif match := re.match(r"(\d+)\. (.*)", stripped):
            number = int(match.group(1))
            blocks.append(SeedBlock("reference", reference_errata(plain(match.group(2))), number))
        elif stripped.startswith("- "):
            blocks.append(SeedBlock("item", plain(stripped[2:])))
        elif join_broken_paragraphs and blocks and blocks[-1].kind == "paragraph" and blocks[-1].text.endswith(","):
            # the paragraph the page break interrupted continues here
            blocks[-1] = SeedBlock("paragraph", f"{blocks[-1].text} {plain(stripped)}")
        else:
            blocks.append(SeedBlock("paragraph", plain(stripped)))
    return blocks


def seed_references() -> dict[int, str]:
    """Reference number -> normalized reference string."""
    return {b.number: b.text for b in seed_blocks() if b.kind == "reference" and b.number is not None}
