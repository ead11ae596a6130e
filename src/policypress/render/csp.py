"""A Content-Security-Policy for every page: scripts only from the site itself, nothing third-party.

Material puts a few small scripts inline in each page (some contain the page's base
URL, so they differ per page). Instead of allowing inline script wholesale, each
page's policy lists the SHA-256 of exactly the inline scripts it contains that the
theme's own templates write (``known_scripts``: each template script with its Jinja
values as wildcards that cannot leave a string). A script that no template writes
can only have been injected: the page is refused, and the browser would refuse it too.
The policy travels in a ``<meta http-equiv>`` element, so it holds on any static host.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence

from policypress.errors import PolicyPressError

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


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_TEMPLATE_VALUE = r'[^"\'`<>\\\n]*'
"""What a Jinja value inside a template's script may become: text that cannot end a string literal."""


class UnknownInlineScript(PolicyPressError):
    """A page holds an inline script that no template of the theme writes."""


def known_scripts(template_texts: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    """The inline scripts the theme's templates write, as patterns over a built page's script bodies."""
    patterns: dict[str, re.Pattern[str]] = {}
    for text in template_texts:
        for match in _INLINE_SCRIPT.finditer(text):
            if _is_data_or_external(match.group("attrs")):
                continue
            literal = _JINJA.split(match.group("body"))
            source = _TEMPLATE_VALUE.join(re.escape(part) for part in literal)
            patterns.setdefault(source, re.compile(source, re.DOTALL))
    return tuple(patterns.values())


def _is_data_or_external(attrs: str) -> bool:
    return "src=" in attrs.lower() or _DATA_TYPE.search(attrs) is not None


def inline_script_hashes(html: str, known: Sequence[re.Pattern[str]] | None = None) -> list[str]:
    """CSP source expressions for each executable inline script, in page order, without repeats.

    With ``known``, a script that matches none of them raises ``UnknownInlineScript``."""
    hashes: list[str] = []
    for match in _INLINE_SCRIPT.finditer(html):
        if _is_data_or_external(match.group("attrs")):
            continue
        body = match.group("body")
        if known is not None and not any(pattern.fullmatch(body) for pattern in known):
            raise UnknownInlineScript(
                f"a page holds an inline script that the theme does not write ({body[:60]!r}…); it was not published"
            )
        digest = base64.b64encode(hashlib.sha256(match.group("body").encode("utf-8")).digest()).decode("ascii")
        source = f"'sha256-{digest}'"
        if source not in hashes:
            hashes.append(source)
    return hashes


def content_security_policy(html: str, known: Sequence[re.Pattern[str]] | None = None) -> str:
    """The policy for one page: the fixed directives plus its own inline-script hashes."""
    script_src = " ".join(["script-src 'self'", *inline_script_hashes(html, known)])
    return "; ".join([*DIRECTIVES[:1], script_src, *DIRECTIVES[1:]])


def add_content_security_policy(html: str, known: Sequence[re.Pattern[str]] | None = None) -> str:
    """The page with its policy as the first element of ``<head>`` (before any script runs)."""
    head = _HEAD.search(html)
    if head is None:
        return html
    meta = f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(html, known)}">'
    return html[: head.end()] + "\n    " + meta + html[head.end() :]


_META = re.compile(r'(<meta http-equiv="Content-Security-Policy" content="[^"]*?script-src \'self\')')


def admit_inline_script(html: str, body: str) -> str:
    """The page with ``body`` (an inline script it holds) admitted by its policy, and nothing else.

    Only the live preview calls this, for the reload script ``mkdocs serve`` adds to each page
    as it is served: the preview's policy admits it by hash, the published pages never do."""
    digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
    return _META.sub(lambda match: f"{match.group(1)} 'sha256-{digest}'", html, count=1)
