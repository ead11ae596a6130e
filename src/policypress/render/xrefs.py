"""Cross-references as links: ``criterion I.B.2`` to its item, ``OH.CP.MP.31`` to that policy's page.

A reference that names nothing on the page never reaches rendering (``check`` refuses
it); a policy number outside the library stays the words it was written with.
"""

from __future__ import annotations

from collections.abc import Mapping

from policypress.model.inline import CrossReference, escape_text, iter_cross_references, parse_inline
from policypress.model.policy import Policy
from policypress.model.prose import iter_prose
from policypress.model.targets import PageTargets
from policypress.project import Project


class CrossReferenceLinks:
    """Renders the cross-references of one policy page."""

    def __init__(self, targets: PageTargets, policy_pages: Mapping[str, str]) -> None:
        self.targets = targets
        self.policy_pages = policy_pages
        """Reference number -> the link to that policy's page, for the policies this page names."""

    @classmethod
    def for_policy(cls, policy: Policy, project: Project) -> CrossReferenceLinks:
        return cls(PageTargets.of(policy), policy_pages(policy, project))

    def render(self, reference: CrossReference) -> str:
        text = escape_text(reference.text)
        if reference.kind == "policy":
            href = self.policy_pages.get(reference.target)
        else:
            anchor = self.targets.resolve(reference)
            href = None if anchor is None else f"#{anchor}"
        return text if href is None else f'<a class="xref" href="{escape_text(href)}">{text}</a>'


def named_policies(policy: Policy) -> frozenset[str]:
    """The reference numbers of other policies that a policy's text names."""
    return frozenset(
        reference.target
        for _path, text in iter_prose(policy)
        for reference in iter_cross_references(parse_inline(text))
        if reference.kind == "policy"
    )


def policy_pages(policy: Policy, project: Project) -> dict[str, str]:
    """The policies of the library that ``policy`` names, with the link to each page from its page.

    Policy pages are siblings (``<pages_dir>/<stem>/``), so the link is the same wherever the
    pages are."""
    named = named_policies(policy)
    if not named:
        return {}
    return {s.policy.id: f"../{s.stem}/" for s in project.policies if s.policy.id in named}
