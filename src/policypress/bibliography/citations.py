"""Citations: number each policy's references, check every ``[@key]``, render superscripts.

A policy's ``references`` list fixes the numbers: the n-th key is reference n, cited
or not, so numbers never drift when a sentence moves. Several keys cited at one
place render sorted, with runs of three or more collapsed (``3-5``). Each citation
gets an anchor (``cite-1``, ``cite-2``, … in page order) so that every reference can
link back to the places that cite it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from policypress.bibliography.bibtex import Bibliography
from policypress.errors import Diagnostic, Path_, field_name
from policypress.model.inline import Citation, iter_citations, parse_inline
from policypress.model.policy import Policy
from policypress.model.prose import iter_prose


class Locate(Protocol):
    """Where a value of the policy's YAML is (its line and column), and a word inside it."""

    def position(self, path: Path_) -> tuple[int, int]: ...

    def position_of(self, path: Path_, needle: str, occurrence: int = 0) -> tuple[int, int]: ...


_CITATION_LIKE = re.compile(r"\[@[^\]\n]*\]?")
"""Text an author meant as a citation: anything from ``[@`` to the next ``]``."""


@dataclass(frozen=True)
class NumberedReference:
    """Reference ``number`` of a policy, formatted once from the bibliography."""

    number: int
    key: str
    html: str
    text: str


def check_citations(policy: Policy, bibliography: Container[str], file: str, locate: Locate) -> list[Diagnostic]:
    """Every citation problem of one policy: unknown or unlisted keys, listed keys missing or repeated."""
    diagnostics: list[Diagnostic] = []

    def report(
        path: Path_, code: str, message: str, severity: str = "error", at: tuple[str, int] | None = None
    ) -> None:
        """``at``: the word (and which of its occurrences in the text) the message is about."""
        line, col = locate.position(path) if at is None else locate.position_of(path, *at)
        diagnostics.append(Diagnostic(file, line, col, code, message, severity))  # type: ignore[arg-type]

    listed: dict[str, int] = {}
    for i, key in enumerate(policy.references):
        if key in listed:
            report(
                ("references", i),
                "citation.listed_twice",
                f"references[{i}]: {key!r} is already reference {listed[key] + 1}",
            )
            continue
        listed[key] = i
        if key not in bibliography:
            report(
                ("references", i),
                "citation.not_in_bib",
                f"references[{i}]: {key!r} is not in the bibliography{_did_you_mean(key, {}, bibliography, '{!r}')}",
            )
    cited: set[str] = set()
    for path, text in iter_prose(policy):
        found = list(iter_citations(parse_inline(text)))
        starts = {citation.offset for citation in found}
        for match in _CITATION_LIKE.finditer(text):
            if match.start() not in starts:
                report(
                    path,
                    "citation.malformed",
                    f"{field_name(path)}: {match.group(0)!r} is not a citation; write [@key] or "
                    "[@key1; @key2] (keys separated by semicolons)",
                    at=("[@", text.count("[@", 0, match.start())),
                )
        for citation in found:
            for key in citation.keys:
                cited.add(key)
                if key in listed:
                    continue
                where = field_name(path)
                at = _key_in_text(text, citation.offset, key)
                if key in bibliography:
                    report(
                        path,
                        "citation.not_listed",
                        f"{where}: [@{key}] is cited but not in this policy's references list",
                        at=at,
                    )
                else:
                    hint = _did_you_mean(key, listed, bibliography)
                    report(path, "citation.unknown_key", f"{where}: [@{key}] is not in the bibliography{hint}", at=at)
    for key, i in listed.items():
        if key not in cited:
            report(
                ("references", i),
                "citation.unused",
                f"references[{i}]: {key!r} (reference {i + 1}) is listed but never cited",
                "info",
            )
    return diagnostics


def _key_in_text(text: str, offset: int, key: str) -> tuple[str, int]:
    """``@key`` of the citation at ``offset``, and how many times ``@key`` occurs in the text before it."""
    needle = f"@{key}"
    at = text.find(needle, offset)
    return needle, text.count(needle, 0, at if at >= 0 else offset)


def _did_you_mean(key: str, listed: Container[str], bibliography: Container[str], shown: str = "[@{}]") -> str:
    """``; did you mean [@visser2013]?`` for a mistyped key: the policy's own list first, then the bibliography.

    Keys are compared ignoring case, as the bibliography refuses keys that differ only in case."""
    known = bibliography.keys() if hasattr(bibliography, "keys") else bibliography
    for candidates in (list(listed), list(known) if isinstance(known, Iterable) else []):
        by_folded = {candidate.casefold(): candidate for candidate in candidates}
        close = difflib.get_close_matches(key.casefold(), list(by_folded), n=1, cutoff=0.75)
        if close:
            return f"; did you mean {shown.format(by_folded[close[0]])}?"
    return ""


def number_references(policy: Policy, bibliography: Bibliography) -> tuple[NumberedReference, ...]:
    """The policy's reference list, numbered by position and formatted (assumes citations were checked)."""
    numbered = []
    for number, key in enumerate(policy.references, start=1):
        formatted = bibliography.format(key)
        numbered.append(NumberedReference(number, key, formatted.html, formatted.text))
    return tuple(numbered)


def collapse_numbers(numbers: list[int]) -> list[tuple[int, int]]:
    """Sorted, de-duplicated numbers as runs: [3, 4, 5, 9] -> [(3, 5), (9, 9)]."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


@dataclass
class CitationAnchors:
    """Renders the citations of one page in order and remembers where each reference was cited.

    One instance per rendered page: the page body is rendered before its reference
    list, so by the time the list is rendered every back-link is known.
    """

    numbers: dict[str, int]
    _cited_at: dict[int, list[str]] = field(default_factory=dict)
    _count: int = 0

    @classmethod
    def for_policy(cls, policy: Policy) -> CitationAnchors:
        """Anchors numbering the policy's references by their position in its list."""
        numbers: dict[str, int] = {}
        for number, key in enumerate(policy.references, start=1):
            numbers.setdefault(key, number)
        return cls(numbers)

    def render(self, citation: Citation) -> str:
        """A superscript linking each cited number to ``#ref-N``; runs of three or more as ``3-5``."""
        self._count += 1
        anchor = f"cite-{self._count}"
        parts: list[str] = []
        for first, last in collapse_numbers([self.numbers[key] for key in citation.keys]):
            for n in range(first, last + 1):
                self._cited_at.setdefault(n, []).append(anchor)
            if last - first >= 2:
                parts.append(f'<a href="#ref-{first}">{first}</a>-<a href="#ref-{last}">{last}</a>')
            else:
                parts.extend(f'<a href="#ref-{n}">{n}</a>' for n in range(first, last + 1))
        return f'<sup class="citation" id="{anchor}">{",".join(parts)}</sup>'

    def cited_at(self, number: int) -> tuple[str, ...]:
        """Anchors of the citations of reference ``number`` rendered so far, in page order."""
        return tuple(self._cited_at.get(number, ()))
