"""A Content-Security-Policy for every page: scripts only from the site itself, nothing third-party.

Material puts a few small scripts inline in each page (some contain the page's base
URL, so they differ per page). Instead of allowing inline script wholesale, each
page's policy lists the SHA-256 of exactly the inline scripts it contains; any
script injected later, or loaded from elsewhere, is refused by the browser.
The policy travels in a ``<meta http-equiv>`` element, so it holds on any static host.
"""

from __future__ import annotations

import base64
import hashlib
import re

_INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)
_DATA_TYPE = re.compile(r"""type\s*=\s*["']?application/(ld\+)?json""", re.IGNORECASE)
_HEAD = re.compile(r"<head[^>]*>", re.IGNORECASE)

DIRECTIVES = (
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
)
"""Everything but scripts: same origin only (styles may be inline: Material sets a few style attributes)."""


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions for each executable inline script, in page order, without repeats."""
    hashes: list[str] = []
    for match in _INLINE_SCRIPT.finditer(html):
        attrs = match.group("attrs")
        if "src=" in attrs.lower() or _DATA_TYPE.search(attrs):
            continue
        digest = base64.b64encode(hashlib.sha256(match.group("body").encode("utf-8")).digest()).decode("ascii")
        source = f"'sha256-{digest}'"
        if source not in hashes:
            hashes.append(source)
    return hashes


def content_security_policy(html: str) -> str:
    """The policy for one page: the fixed directives plus its own inline-script hashes."""
    script_src = " ".join(["script-src 'self'", *inline_script_hashes(html)])
    return "; ".join([*DIRECTIVES[:1], script_src, *DIRECTIVES[1:]])


def add_content_security_policy(html: str) -> str:
    """The page with its policy as the first element of ``<head>`` (before any script runs)."""
    head = _HEAD.search(html)
    if head is None:
        return html
    meta = f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(html)}">'
    return html[: head.end()] + "\n    " + meta + html[head.end() :]
