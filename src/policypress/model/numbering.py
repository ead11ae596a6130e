"""How criteria are numbered and how anchors are named, shared by pages, PDFs and data exports.

A denial letter links to ``…/wa-cp-mp-166/#criterion-II``; the JSON export names the
same anchor. Keeping the rules in one place keeps those links true.
"""

from __future__ import annotations

import re

from policypress.model.inline import plain_text

_ROMAN = [(100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def roman(number: int) -> str:
    """1 -> I, 14 -> XIV, 49 -> XLIX (criteria numbers)."""
    out = ""
    for value, numeral in _ROMAN:
        while number >= value:
            out += numeral
            number -= value
    return out


def letters(number: int) -> str:
    """1 -> a, 26 -> z, 27 -> aa."""
    out = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        out = chr(ord("a") + rest) + out
    return out


def criterion_label(depth: int, index: int) -> str:
    """The number of a criterion at nesting ``depth`` (0-based): I, A, 1, a, i, then again."""
    level = depth % 5
    if level == 0:
        return roman(index)
    if level == 1:
        return letters(index).upper()
    if level == 2:
        return str(index)
    if level == 3:
        return letters(index)
    return roman(index).lower()


def slugify(text: str) -> str:
    """An anchor id from policy text: ``*SIJ Radiofrequency Neurotomy*`` -> ``sij-radiofrequency-neurotomy``."""
    plain = plain_text(text)
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "section"


PAGE_ANCHORS = (
    "policy-title",
    "description",
    "policy-criteria",
    "medicare-advantage",
    "definitions",
    "background",
    "appendices",
    "coding-implications",
    "revision-log",
    "references",
    "important-reminder",
)
"""The fixed section ids of a policy page (``templates/policy.md.j2``); headings from data must not reuse them."""

NUMBERED_ANCHOR = re.compile(r"(ref|cite|revision|footnote)-\d+|(criterion|code|definition|appendix)-.*")
"""Ids the page numbers itself (references, citations, revisions, criteria, code rows)."""


def code_anchor(code_system: str, code: str) -> str:
    """The id of a code's row: ``code-cpt-64451``."""
    return f"code-{slugify(code_system)}-{slugify(code)}"


_APPENDIX_LETTER = re.compile(r"Appendix\s+([A-Z])\b")


def appendix_anchor(title: str) -> str:
    """The id of an appendix: ``appendix-a`` for ``Appendix A: Abbreviation/Acronym Key``, else from its title."""
    plain = plain_text(title)
    if match := _APPENDIX_LETTER.match(plain):
        return f"appendix-{match.group(1).lower()}"
    return f"appendix-{slugify(title)}"


def appendix_letter(title: str) -> str | None:
    """The letter an appendix is referred to by (``Appendix C``), if its title starts with one."""
    match = _APPENDIX_LETTER.match(plain_text(title))
    return match.group(1) if match else None


def definition_anchor(term: str) -> str:
    """The id of a definition: ``definition-body-mass-index-bmi``."""
    return f"definition-{slugify(term)}"


def criterion_anchor(dotted_label: str) -> str:
    """The id of a criterion from its number as the text writes it: ``I.B.2`` -> ``criterion-I-B-2``."""
    return "criterion-" + dotted_label.replace(".", "-")


def footnote_anchor(number: int) -> str:
    return f"footnote-{number}"


_DIGITS = re.compile(r"(\d+)")


def policy_number_key(number: str) -> tuple[tuple[tuple[str, int], ...], str]:
    """How a library lists its policies: by reference number, numbers read as numbers.

    ``WA.CP.MP.2`` before ``WA.CP.MP.10`` (text order puts MP.10 … MP.19 before MP.2);
    the number itself breaks ties, so the order never depends on how the files were read."""
    parts = [*_DIGITS.split(number), ""]  # text, number, text, number, …, text, ""
    runs = tuple((parts[i].casefold(), int(parts[i + 1]) if parts[i + 1] else -1) for i in range(0, len(parts) - 1, 2))
    return runs, number
