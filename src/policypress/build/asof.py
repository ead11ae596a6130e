"""Answers to "what applied on the date of service?" from the versions of the history (``policypress asof``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from policypress.build.history import PolicyVersion, version_on
from policypress.errors import PolicyPressError
from policypress.model.codes import parse_code
from policypress.model.inline import plain_text
from policypress.model.targets import iter_criterion_numbers

History = Mapping[str, tuple[PolicyVersion, ...]]

SHOWN_WORDS = 14
"""Words of each criterion printed by ``asof``."""


def date_of_service(text: str) -> dt.date:
    """A date as the author or the billing office writes it for the command, or a clear error."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PolicyPressError(f"asof: {text!r} is not a date; write dates as YYYY-MM-DD, e.g. 2025-02-10") from None


def _window(version: PolicyVersion) -> str:
    until = f" until {version.until.isoformat()}" if version.until else ", still in effect"
    if version.retired is not None:
        until += " (retired)"
    return f"effective {version.effective.isoformat()}{until}"


def policy_on(history: History, number: str, day: dt.date) -> list[str]:
    """The version of policy ``number`` in effect on ``day``, and its criteria by number."""
    versions = history.get(number)
    if not versions:
        known = ", ".join(sorted(history)) or "none"
        raise PolicyPressError(f"{number}: no version in the repository's history (policies with versions: {known})")
    version = version_on(versions, day)
    retired = versions[-1].retired
    if version is None and retired is not None and day >= retired:
        raise PolicyPressError(
            f"{number}: no version was in effect on {day.isoformat()}: the policy was retired on {retired.isoformat()} "
            f"(its last version, {versions[-1].number}, was in effect from {versions[-1].effective.isoformat()})"
        )
    if version is None:
        raise PolicyPressError(
            f"{number}: no version was in effect on {day.isoformat()} "
            f"(the first took effect {versions[0].effective.isoformat()})"
        )
    lines = [
        f"{version.policy_id} on {day.isoformat()}: version {version.number} of {len(versions)}, {_window(version)} "
        f"(posted {version.posted.date().isoformat()}, commit {version.commit[:12]})",
        f"  change: {version.change}",
    ]
    for criterion_number, criterion in iter_criterion_numbers(version.policy.criteria):
        words = " ".join(plain_text(criterion.text).split()[:SHOWN_WORDS])
        decided = f" [{criterion.determination.replace('_', ' ')}]" if criterion.determination else ""
        lines.append(f"  {criterion_number}{decided} {words}")
    return lines


def code_on(history: History, code: str, day: dt.date) -> list[str]:
    """Every policy whose version in effect on ``day`` lists ``code`` (a range row counts when it holds it)."""
    lines = []
    for versions in history.values():
        version = version_on(versions, day)
        if version is None:
            continue
        for table in version.policy.code_tables:
            for row in table.rows:
                if parse_code(row.code).contains(code):
                    meaning = table.meaning or "no meaning given"
                    lines.append(
                        f"  {version.policy_id} version {version.number} ({_window(version)}): "
                        f"{table.code_system} {row.code} in “{plain_text(table.heading)}” ({meaning})"
                    )
    if not lines:
        raise PolicyPressError(f"no policy version in effect on {day.isoformat()} lists code {code}")
    return [f"{code} on {day.isoformat()}:", *lines]
