"""A criterion's group logic (``requires: all | one | N``) as a FHIRPath expression over a QuestionnaireResponse.

A criterion with sub-criteria is met when enough of its sub-criteria are answered ``true``:
all of them, at least one, or at least N. The expression counts the answers of the direct
sub-criteria only (by ``linkId``), so a nested group's own expression decides its answer.
"""

from __future__ import annotations

from policypress.model.policy import GroupLogic

COMBINING = ("all", "one")
"""The logics that combine sub-criteria into one answer; ``each`` (and none) are separate statements."""


def combines(requires: GroupLogic | None) -> bool:
    """Whether a criterion's sub-criteria decide its own answer (``all``, ``one`` or at least N)."""
    return requires in COMBINING or (isinstance(requires, int) and not isinstance(requires, bool))


def threshold(requires: GroupLogic, children: int) -> int:
    """How many sub-criteria must hold: all of them, one, or N."""
    if requires == "all":
        return children
    if requires == "one":
        return 1
    assert isinstance(requires, int)
    return requires


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def group_expression(requires: GroupLogic, link_ids: tuple[str, ...]) -> str:
    """The FHIRPath that is true when at least ``threshold`` of the items ``link_ids`` are answered true."""
    ids = " | ".join(_quote(link_id) for link_id in link_ids)
    needed = threshold(requires, len(link_ids))
    return f"%resource.descendants().where(linkId in ({ids}) and answer.value = true).count() >= {needed}"


def holds(requires: GroupLogic, answers: tuple[bool, ...]) -> bool:
    """What the policy's logic says for these answers of the sub-criteria (the reference for the tests)."""
    return sum(answers) >= threshold(requires, len(answers))
