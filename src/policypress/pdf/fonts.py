"""The fonts of the archival PDF: which files Typst gets, and which characters they can show.

The print stylesheet (``templates/pdf.typ``) names its font families in ``pp-fonts`` and
turns Typst's fallback to other fonts off; Typst gets only the folders below. Their files
are part of every PDF's cache key (``font_fingerprint``), and ``policypress check`` refuses
text that none of the families covers (``uncovered``), before Typst would refuse the PDF.
The coverage is read from each family's regular face (fontTools, its ``cmap``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/opentype/noto"),
)
"""Debian's DejaVu (package fonts-dejavu-core) and Noto (fonts-noto-core, fonts-noto-cjk) folders."""
_FAMILY_LIST = re.compile(r"#let pp-fonts = \(([^)]*)\)", re.DOTALL)
_NAME = re.compile(r'"([^"]+)"')


class FontSetupError(Exception):
    """The fonts the stylesheet names are not installed (the set-up installs them)."""


def stylesheet_families(stylesheet: str) -> tuple[str, ...]:
    """The font families ``pp-fonts`` of the print stylesheet names, in order of preference."""
    match = _FAMILY_LIST.search(stylesheet)
    if match is None:
        raise FontSetupError("the print stylesheet (templates/pdf.typ) defines no `pp-fonts` list")
    return tuple(_NAME.findall(match.group(1)))


def font_dirs() -> list[str]:
    """The folders Typst reads fonts from (those that exist)."""
    return [str(d) for d in FONT_DIRS if d.is_dir()]


@cache
def regular_face(family: str) -> tuple[Path, int]:
    """The file (and face index) of ``family``'s regular face, found by Debian's file names
    (``Noto Sans Arabic``: ``NotoSansArabic-Regular.ttf``) and confirmed by the font's own name."""
    from fontTools.ttLib import TTCollection, TTFont

    stem = family.replace(" ", "")
    candidates = [f"{stem}{suffix}" for suffix in ("-Regular.ttf", ".ttf", "-Regular.otf", "-Regular.ttc")]
    if family.startswith("Noto Sans CJK"):
        candidates.append("NotoSansCJK-Regular.ttc")
    for folder in FONT_DIRS:
        for name in candidates:
            path = folder / name
            if not path.is_file():
                continue
            if path.suffix == ".ttc":
                with TTCollection(path, lazy=True) as collection:
                    for index, font in enumerate(collection.fonts):
                        if _family_name(font) == family:
                            return path, index
            else:
                with TTFont(path, lazy=True) as font:
                    if _family_name(font) == family:
                        return path, 0
    raise FontSetupError(
        f"font {family!r} is not installed (Debian: fonts-dejavu-core fonts-noto-core fonts-noto-cjk; "
        "`make site` installs them)"
    )


def _family_name(font: object) -> str:
    names = font["name"]  # type: ignore[index]
    return str(names.getDebugName(16) or names.getDebugName(1) or "")


def font_fingerprint() -> list[str]:
    """A line per font file Typst can see: its path and content hash (about 0.3 s for Debian's Noto, once a process)."""
    lines = []
    for folder in font_dirs():
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                with path.open("rb") as file:
                    lines.append(f"font {path} {hashlib.file_digest(file, 'sha256').hexdigest()}")
    return lines


@cache
def _coverage(path: Path, index: int) -> frozenset[int]:
    """The code points one face has a glyph for."""
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=index, lazy=True) as font:
        return frozenset(font.getBestCmap())


class Coverage:
    """Which characters the PDF's fonts can show, read family by family only as far as needed."""

    def __init__(self, families: Sequence[str]) -> None:
        self.families = tuple(families)
        self._covered: set[int] = set()
        self._read = 0

    def covers(self, char: str) -> bool:
        code = ord(char)
        if code in self._covered or _invisible(char):
            return True
        while self._read < len(self.families):
            family = self.families[self._read]
            self._read += 1
            self._covered |= _coverage(*regular_face(family))
            if code in self._covered:
                return True
        return False


def _invisible(char: str) -> bool:
    """White space and line breaks, which need no glyph."""
    return char in "\t\n\r " or unicodedata.category(char) in ("Zl", "Zp")


@dataclass(frozen=True)
class Uncovered:
    """A character no font of the PDF has, where it is in a source file."""

    line: int
    col: int
    char: str

    def describe(self) -> str:
        name = unicodedata.name(self.char, "")
        return f"'{self.char}' (U+{ord(self.char):04X}{' ' + name if name else ''})"


def uncovered(text: str, coverage: Coverage, comment: str | None = None) -> Iterator[Uncovered]:
    """Every character of ``text`` (a source file) that ``coverage`` lacks, with its line and column.

    Lines starting with ``comment`` (YAML ``#``, BibTeX ``%``) never reach a PDF and are skipped.
    Plain ASCII, which DejaVu Sans covers, is skipped without a look at the fonts.
    """
    if text.isascii():
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.isascii() or (comment is not None and line.lstrip().startswith(comment)):
            continue
        for col, char in enumerate(line, start=1):
            if not char.isascii() and not coverage.covers(char):
                yield Uncovered(number, col, char)


def first_per_line(found: Iterable[Uncovered]) -> list[Uncovered]:
    """One finding per line and character: a line full of one script is one message, not fifty."""
    seen: set[tuple[int, str]] = set()
    kept = []
    for item in found:
        if (item.line, item.char) not in seen:
            seen.add((item.line, item.char))
            kept.append(item)
    return kept
