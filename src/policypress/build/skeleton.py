"""``policypress new NUMBER "Title"``: the file an author starts a policy from.

A blank page invites mistakes the check then lists one by one; the skeleton is a policy that
already passes ``policypress check``, with every required field in place and a comment on
each saying what to write, so the author replaces words instead of looking up the schema.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from policypress.errors import PolicyPressError, display_path
from policypress.files import write_atomically
from policypress.model.policy import POLICY_ID_PATTERN
from policypress.project import ProjectLayout, expected_stem
from policypress.sources.yamlsource import load_yaml


class SkeletonError(PolicyPressError):
    """The skeleton cannot be written: a bad number or title, or the file exists already."""


def _quoted(text: str) -> str:
    """A double-quoted YAML scalar (a JSON string is one), so no title can change the file's shape."""
    return json.dumps(text, ensure_ascii=False)


def skeleton_text(number: str, title: str, plan: str, effective: dt.date) -> str:
    """The skeleton of policy ``number``: valid as it stands, each field commented."""
    month = f"{effective:%Y-%m}"
    return f"""# yaml-language-server: $schema=../policy.schema.json
id: {number.ljust(28)} # must match the file name
title: {_quoted(title)}
plan: {_quoted(plan)}
effective_date: {effective.isoformat()}       # write dates as YYYY-MM-DD, e.g. 2024-11-01
last_review_date: null           # empty until the first review
description:                     # paragraphs (fold long lines with >-)
  - >-
    Describe the service this policy covers and why the plan reviews it.
criteria:                        # numbered I, II, …; nested criteria are A, B, then 1, 2
  - determination: medically_necessary   # or not_medically_necessary, investigational
    text: >-
      It is the policy of {plan} that the service is **medically necessary** when the
      following criteria are met.
code_tables:                     # quote every code: YAML reads 00123 as the number 123
  - heading: CPT codes that support coverage criteria
    code_system: CPT             # CPT, HCPCS or ICD-10-CM
    meaning: supports_coverage   # or does_not_support_coverage, informational
    rows:
      - code: "99999"
        description: Replace with the code's description.
revision_log:                    # months, YYYY-MM
  - description: Policy developed.
    revision_date: {month}
    approval_date: {month}
references: []                   # BibTeX keys from references.bib; cite them in text as [@key]
"""


def plan_of_library(layout: ProjectLayout) -> str | None:
    """The plan the library's first policy names: a new policy is most likely the same plan's."""
    for path in layout.policy_files():
        try:
            plan = load_yaml(path, display_path(path, layout.root)).data.get("plan")
        except PolicyPressError:
            continue
        if isinstance(plan, str) and plan.strip():
            return plan
    return None


def write_skeleton(layout: ProjectLayout, number: str, title: str, plan: str, effective: dt.date) -> Path:
    """Write ``policy/<number>.yaml``; refuse a malformed number, an empty title or an existing file."""
    if not re.fullmatch(POLICY_ID_PATTERN, number):
        raise SkeletonError(
            f"{number!r} is not a reference number; write capitals and digits between dots, e.g. WA.CP.MP.167"
        )
    if not title.strip():
        raise SkeletonError("the title must not be empty")
    path = layout.policy_path / f"{expected_stem(number)}.yaml"
    if path.exists():
        raise SkeletonError(f"{display_path(path, layout.root)} exists already; it was left as it was")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, skeleton_text(number, title.strip(), plan, effective).encode("utf-8"))
    return path
