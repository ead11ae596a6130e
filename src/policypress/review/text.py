"""Text as a reviewer compares it: word-level redlines, similarity, and pairing by content.

A text is compared in its source form (citations as keys, so that a reference renumbered
elsewhere does not make every sentence citing it "changed") and shown in the reader's
form: emphasis dropped, citations as the numbers the page prints (``[3]``, ``[3,4]``,
``[3-5]``), each side numbered by its own reference list.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from policypress.bibliography.citations import collapse_numbers
from policypress.model.inline import Citation, parse_inline, render_plain
from policypress.model.policy import Policy

Op = Literal["equal", "delete", "insert"]
Change = Literal["added", "removed", "changed"]

PARAGRAPH_MATCH_RATIO = 0.5
"""Below this word similarity, an old and a new paragraph are a removal plus an addition, not an edit."""

REWRITE_RATIO = 0.4
"""Below this token similarity a text counts as rewritten: the redline strikes all of it and inserts the new."""

MAX_COMPARED = 4_000_000
"""Token pairs one comparison may examine (a 1,000-word paragraph against another); beyond it, text
counts as rewritten, so that a pull request with a giant paragraph cannot stall the review."""

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass(frozen=True)
class Segment:
    """A run of words of a redline: kept (``equal``), struck (``delete``) or new (``insert``)."""

    op: Op
    text: str


@dataclass(frozen=True)
class TextChange:
    """A paragraph, heading or description that was added, removed or edited."""

    where: str
    change: Change
    old: str | None
    new: str | None
    redline: tuple[Segment, ...] = ()
    formatting_only: bool = False
    """Only emphasis (``*``/``**``) changed; the words providers read are the same."""


def normalize(text: str) -> str:
    return " ".join(text.split())


def _citation_keys(citation: Citation, renamed: Mapping[str, str] | None = None) -> str:
    return "[" + "; ".join(f"@{(renamed or {}).get(key, key)}" for key in citation.keys) + "]"


def source_text(text: str, renamed: Mapping[str, str] | None = None) -> str:
    """Emphasis dropped, citations kept as ``[@key]`` (``renamed``: old key -> new key), spaces collapsed:
    what two sides are compared by."""
    return normalize(render_plain(parse_inline(text), lambda citation: _citation_keys(citation, renamed)))


def citation_numbers(policy: Policy | None) -> dict[str, int]:
    """Key -> the number the page prints for it (its first place in the policy's reference list)."""
    numbers: dict[str, int] = {}
    for number, key in enumerate(policy.references if policy is not None else (), start=1):
        numbers.setdefault(key, number)
    return numbers


def _numbered(numbers: Mapping[str, int]) -> Callable[[Citation], str]:
    def render(citation: Citation) -> str:
        if any(key not in numbers for key in citation.keys):
            return _citation_keys(citation)
        parts = []
        for first, last in collapse_numbers([numbers[key] for key in citation.keys]):
            if last - first >= 2:
                parts.append(f"{first}-{last}")
            else:
                parts.extend(str(n) for n in range(first, last + 1))
        return "[" + ",".join(parts) + "]"

    return render


def redline(old: str, new: str) -> tuple[Segment, ...]:
    """Differences of two texts by words and punctuation; equal + delete texts give ``old``, equal + insert ``new``.

    Short unchanged runs squeezed between two changes are folded into them (as in
    diff-match-patch's semantic cleanup) so that a reworded phrase reads as one edit.
    """
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if len(a) * len(b) > MAX_COMPARED or matcher.ratio() < REWRITE_RATIO:
        return tuple(Segment(op, text) for op, text in (("delete", old), ("insert", new)) if text)
    # alternating runs: str = unchanged text, [deleted, inserted] = a change
    runs: list[str | list[str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append("".join(a[i1:i2]))
        elif runs and isinstance(runs[-1], list):
            runs[-1][0] += "".join(a[i1:i2])
            runs[-1][1] += "".join(b[j1:j2])
        else:
            runs.append(["".join(a[i1:i2]), "".join(b[j1:j2])])
    merged = True
    while merged:
        merged = False
        for k in range(1, len(runs) - 1):
            before, equal, after = runs[k - 1], runs[k], runs[k + 1]
            if isinstance(equal, str) and isinstance(before, list) and isinstance(after, list):
                small = not re.search(r"\w", equal) or (
                    len(equal) <= max(map(len, before)) and len(equal) <= max(map(len, after))
                )
                if small:
                    runs[k - 1 : k + 2] = [[before[0] + equal + after[0], before[1] + equal + after[1]]]
                    merged = True
                    break
    segments: list[Segment] = []
    for run in runs:
        if isinstance(run, str):
            segments.append(Segment("equal", run))
            continue
        segments.extend(Segment(op, text) for op, text in (("delete", run[0]), ("insert", run[1])) if text)
    return tuple(segments)


def similarity(old: str, new: str) -> float:
    """Word similarity of two texts, 0 to 1 (quick upper bound for giant texts)."""
    a, b = old.split(), new.split()
    if len(a) * len(b) > MAX_COMPARED:
        return difflib.SequenceMatcher(None, a, b, autojunk=False).quick_ratio()
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def pair_by_content(
    old: Sequence[str], new: Sequence[str], key: Callable[[str], str] = normalize
) -> Iterator[tuple[int | None, int | None]]:
    """Pairs of indexes (old, new) in order: equal items, edited items, and unpaired additions/removals.

    Identical items anchor the alignment; inside each block that differs, an old item
    is paired with the most similar new item after the last pairing, if similar enough.
    """
    a, b = [key(x) for x in old], [key(x) for x in new]
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            yield from zip(range(i1, i2), range(j1, j2), strict=True)
            continue
        next_j = j1
        for i in range(i1, i2):
            scored = [(similarity(a[i], b[j]), -j) for j in range(next_j, j2)]
            best = max(scored, default=(0.0, 0))
            if best[0] < PARAGRAPH_MATCH_RATIO:
                yield i, None
                continue
            j = -best[1]
            for skipped in range(next_j, j):
                yield None, skipped
            yield i, j
            next_j = j + 1
        for j in range(next_j, j2):
            yield None, j


@dataclass(frozen=True)
class Texts:
    """Compares texts of one policy's two sides, each shown with its own side's citation numbers."""

    old_numbers: Mapping[str, int] = field(default_factory=dict)
    new_numbers: Mapping[str, int] = field(default_factory=dict)
    renamed: Mapping[str, str] = field(default_factory=dict)
    """Old citation key -> new key of the same work: citing it under its new key is no change of text."""

    @classmethod
    def of(cls, old: Policy | None, new: Policy | None, renamed: Mapping[str, str] | None = None) -> Texts:
        return cls(citation_numbers(old), citation_numbers(new), dict(renamed or {}))

    def old_text(self, text: str) -> str:
        """The base side's text as its page reads."""
        return normalize(render_plain(parse_inline(text), _numbered(self.old_numbers)))

    def new_text(self, text: str) -> str:
        """The head side's text as its page reads."""
        return normalize(render_plain(parse_inline(text), _numbered(self.new_numbers)))

    def change(self, where: str, old: str | None, new: str | None) -> TextChange | None:
        """The change from ``old`` to ``new`` (``None`` = absent), or ``None`` when they read the same."""
        if old is None and new is None:
            return None
        if old is None:
            return TextChange(where, "added", None, self.new_text(new or ""))
        if new is None:
            return TextChange(where, "removed", self.old_text(old), None)
        if normalize(old) == normalize(new):
            return None
        old_shown, new_shown = self.old_text(old), self.new_text(new)
        old_source, new_source = source_text(old, self.renamed), source_text(new)
        if old_source == new_source:
            if source_text(old) != old_source and old_shown == new_shown:
                return None  # only a renamed citation key: the same work, the same number
            return TextChange(where, "changed", old_shown, new_shown, formatting_only=True)
        return TextChange(where, "changed", old_shown, new_shown, redline(old_shown, new_shown))

    def paragraphs(
        self, label: Callable[[int], str], old: Sequence[str], new: Sequence[str], key: Callable[[str], str] = normalize
    ) -> list[TextChange]:
        """Paragraph changes; ``label(n)`` names paragraph ``n`` (1-based, head numbering when it exists)."""
        changes: list[TextChange] = []
        for i, j in pair_by_content(old, new, key):
            where = label((j if j is not None else i or 0) + 1)
            change = self.change(where, None if i is None else old[i], None if j is None else new[j])
            if change is not None:
                changes.append(change)
        return changes


PLAIN = Texts()
"""Texts with no citations to number (the shared boilerplate, titles)."""
