"""What the live preview adds to a page it serves: the reason the last edit did not build.

An author editing a policy looks at the browser, not the terminal. When a rebuild fails, the
preview keeps serving the last good pages with this notice on top, naming each problem's
``file:line:col`` and message; the next good build removes it. Plain HTML, no script: it
needs nothing from the page's Content-Security-Policy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

_BODY = re.compile(r"<body[^>]*>", re.IGNORECASE)
_LOCATION = re.compile(r"^(?P<where>[^\s:]+:\d+(?::\d+)?): (?P<what>.*)$")
OVERLAY_ID = "policypress-build-error"


def error_overlay(problems: Sequence[str]) -> str:
    """The notice for a failed rebuild: one item per line of the problems, locations set apart."""
    items = []
    for line in (part for problem in problems for part in problem.splitlines()):
        if not line.strip():
            continue
        match = _LOCATION.match(line.strip())
        if match:
            items.append(
                f'<li><code class="build-error-where">{escape(match["where"])}</code> {escape(match["what"])}</li>'
            )
        else:
            items.append(f"<li>{escape(line.strip())}</li>")
    return (
        f'<div id="{OVERLAY_ID}" class="build-error" role="alert" aria-labelledby="{OVERLAY_ID}-title">'
        f'<p class="build-error-title" id="{OVERLAY_ID}-title">The last edit did not build; '
        "this page shows the last version that did.</p>"
        f'<ul class="build-error-problems">{"".join(items)}</ul>'
        '<p class="build-error-hint">Fix the file and save it: this page reloads by itself.</p>'
        "</div>"
    )


def show_build_error(html: str, problems: Sequence[str]) -> str:
    """The page with the notice as the first thing in its body (unchanged when there is no problem)."""
    body = _BODY.search(html)
    if not problems or body is None:
        return html
    return html[: body.end()] + error_overlay(problems) + html[body.end() :]
