"""The site's furniture from mkdocs.yml: the footer's plan name, contact and legal links.

A payer's site names the plan and says whom to call; these come from configuration
(``extra.footer``), never from a template edit. The theme writes them as text and links
(``overrides/partials/copyright.html``); this module refuses, before anything is built, a
footer the theme could not write safely: a value that is not text, a link that is not
``https:``, ``http:``, ``mailto:``, ``tel:`` or a path of the site.
"""

from __future__ import annotations

import re
from typing import Any

LINK_SCHEMES = ("https:", "http:", "mailto:", "tel:")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_KEYS = {"plan": str, "contact": dict, "links": list}


def _link_problem(field: str, url: Any) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return f"{field}: expected a link (https://…, mailto:…, tel:… or a path of the site), got {url!r}"
    if _SCHEME.match(url) and not url.lower().startswith(LINK_SCHEMES):
        return f"{field}: links may use {', '.join(LINK_SCHEMES)} or be a path of the site, got {url!r}"
    return None


def footer_problems(footer: Any) -> list[str]:
    """What is wrong with ``extra.footer`` in mkdocs.yml, one message per field (empty when it is valid)."""
    if footer is None:
        return []
    if not isinstance(footer, dict):
        return [f"extra.footer: expected a mapping with plan, contact and links, got {footer!r}"]
    problems = [
        f"extra.footer.{key}: unknown field; the footer takes {', '.join(_KEYS)}" for key in footer if key not in _KEYS
    ]
    for key, kind in _KEYS.items():
        if key in footer and not isinstance(footer[key], kind):
            problems.append(f"extra.footer.{key}: expected {kind.__name__ if kind is not str else 'text'}")
    contact = footer.get("contact")
    if isinstance(contact, dict):
        if not isinstance(contact.get("text"), str) or not contact["text"].strip():
            problems.append("extra.footer.contact.text: expected text, such as 'Provider Services: 1-800-555-0100'")
        if "url" in contact and (problem := _link_problem("extra.footer.contact.url", contact["url"])):
            problems.append(problem)
    links = footer.get("links")
    for index, link in enumerate(links if isinstance(links, list) else []):
        field = f"extra.footer.links[{index}]"
        if not isinstance(link, dict) or not isinstance(link.get("title"), str) or not link["title"].strip():
            problems.append(f"{field}: expected a title (text) and a url")
            continue
        if problem := _link_problem(f"{field}.url", link.get("url")):
            problems.append(problem)
    return problems
