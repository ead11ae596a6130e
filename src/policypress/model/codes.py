"""Codes and code ranges as policies print them: ``64451``, ``E66.01 – E66.09``, ``0213T-0218T``.

A range is one row of a code table, shown as written; as data it is its first and last
code, and a code lies in it when it sorts between them (or falls under the last one:
``E11.9`` covers ``E11.9`` itself, and a range ending ``K95.89`` covers ``K95.89``).
Codes compare without their dot, character by character, as code sets sort them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CODE_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "CPT": (re.compile(r"\d{4}[0-9FTU]"), "five characters: four digits then a digit, F, T or U (e.g. 64451, 0232T)"),
    "HCPCS": (re.compile(r"[A-V]\d{4}"), "a letter A-V then four digits (e.g. L8699)"),
    "ICD-10-CM": (
        re.compile(r"[A-TV-Z]\d[0-9AB](\.[0-9A-TV-Z]{1,4})?"),
        "a letter, a digit, a digit or A/B, then optionally a dot and 1-4 characters (e.g. M46.1)",
    ),
}
"""Accepted shape of a code, by code system, with the wording an author sees."""

_RANGE = re.compile(r"^(?P<first>\S+)\s*[-–—]\s*(?P<last>\S+)$")
"""``first – last`` with an en dash, a hyphen or an em dash, spaces around it optional."""


@dataclass(frozen=True)
class CodeSpan:
    """A code row as data: its first and last code (the same for a single code)."""

    first: str
    last: str

    @property
    def is_range(self) -> bool:
        return self.first != self.last

    def contains(self, code: str) -> bool:
        """Whether ``code`` is this code, or lies in this range."""
        wanted = sort_key(code)
        last = sort_key(self.last)
        return sort_key(self.first) <= wanted and (wanted <= last or wanted.startswith(last))


def parse_code(written: str) -> CodeSpan:
    """A code row's code, as written, split into its first and last code."""
    match = _RANGE.match(written.strip())
    if match is None:
        return CodeSpan(written, written)
    return CodeSpan(match["first"], match["last"])


def sort_key(code: str) -> str:
    """How code sets order codes: without the dot, character by character."""
    return code.replace(".", "").upper()


def category(code_system: str, code: str) -> str:
    """What a range must stay within: an ICD-10-CM category (``E11``), a CPT category (I, II, III
    or PLA, by the last character) or a HCPCS level II letter."""
    if code_system == "ICD-10-CM":
        return code[:3]
    if code_system == "CPT":
        return {"F": "Category II", "T": "Category III", "U": "PLA"}.get(code[-1:], "Category I")
    return code[:1]


def range_problem(code_system: str, span: CodeSpan) -> str | None:
    """Why a range row cannot be a range (different categories, first not before last), or ``None``."""
    if category(code_system, span.first) != category(code_system, span.last):
        return (
            f"{span.first} and {span.last} are in different {code_system} categories "
            f"({category(code_system, span.first)}, {category(code_system, span.last)}); list them as two rows"
        )
    if sort_key(span.first) >= sort_key(span.last):
        return f"the range starts at {span.first}, which is not before its end {span.last}"
    return None
