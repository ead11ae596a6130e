"""Carry a page's raw HTML blocks past Python-Markdown instead of through it.

Policy pages are Markdown headings (for the table of contents) around blocks of
HTML that policypress has already rendered and escaped. Python-Markdown would parse
every tag of those blocks only to emit them unchanged, which was the largest single
cost of a build. So each block is swapped for a placeholder paragraph before
conversion and put back afterwards: the HTML is byte-for-byte what the templates
produced, and Markdown still sees every heading.
"""

from __future__ import annotations

import hashlib
import re

_BLOCK_SEPARATOR = re.compile(r"\n{2,}")


def hold_raw_blocks(markdown: str) -> tuple[str, dict[str, str]]:
    """Markdown with each raw HTML block (a blank-line separated chunk starting with ``<``) replaced.

    Returns the new Markdown and the blocks by placeholder. Placeholders carry a hash
    of the page, so no text on the page can be mistaken for one.
    """
    nonce = hashlib.sha256(markdown.encode("utf-8")).hexdigest()[:16]
    held: dict[str, str] = {}
    chunks = _BLOCK_SEPARATOR.split(markdown)
    for index, chunk in enumerate(chunks):
        if chunk.startswith("<") and not chunk.startswith("<!--"):
            token = f"policypress{nonce}block{index}"
            held[token] = chunk
            chunks[index] = token
    return "\n\n".join(chunks), held


def restore_raw_blocks(html: str, held: dict[str, str]) -> str:
    """The converted page with every placeholder paragraph replaced by its block."""
    if not held:
        return html
    return re.sub(
        r"<p>(policypress[0-9a-f]{16}block[0-9]+)</p>",
        lambda match: held.get(match.group(1), match.group(0)),
        html,
    )
