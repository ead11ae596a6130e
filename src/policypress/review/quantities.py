"""Numeric thresholds in criteria ("≥ 3 months", "BMI ≥ 35 kg/m²", "at least 75%"): a change to one
changes who is covered, so the review names it with its old and new value, beside the redline."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from policypress.model.inline import plain_text

_COMPARATOR = (
    r"(?:≥|≤|>=|<=|<|>|=|at least|at most|more than|less than|fewer than|greater than|no more than|"
    r"no less than|no fewer than|up to|over|under|within|minimum of|maximum of|a minimum of|a maximum of)"
)
_NUMBER = r"\d+(?:[.,]\d+)?"
_UNIT = (
    r"(?:%|percent|kg/m²|kg/m2|kg|lbs?|pounds|mg/dL|mg|mmHg|mm|cm|months?|weeks?|days?|years?|hours?|"
    r"minutes?|events per hour|levels?|sessions?|injections?|visits?|times|procedures?)"
)
_QUANTITY = re.compile(
    rf"(?:{_COMPARATOR}\s*)?(?<![\w.]){_NUMBER}(?:\s*(?:to|-|–)\s*{_NUMBER})?(?![\w.]\d)(?:\s*{_UNIT}(?!\w))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ThresholdChange:
    """A number of a criterion whose value changed (``old`` or ``new`` ``None``: added or dropped)."""

    old: str | None
    new: str | None


def quantities(text: str) -> list[str]:
    """The numbers of a text with their comparator and unit, in order (citations and markup left out)."""
    words = " ".join(plain_text(text).split())
    return [" ".join(match.group(0).split()) for match in _QUANTITY.finditer(words)]


def threshold_changes(old: str, new: str) -> tuple[ThresholdChange, ...]:
    """The quantities that differ between two versions of a text, aligned in order."""
    before, after = quantities(old), quantities(new)
    if before == after:
        return ()
    found: list[ThresholdChange] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        found.extend(ThresholdChange(before[i1 + k], after[j1 + k]) for k in range(paired))
        found.extend(ThresholdChange(before[i], None) for i in range(i1 + paired, i2))
        found.extend(ThresholdChange(None, after[j]) for j in range(j1 + paired, j2))
    return tuple(found)
