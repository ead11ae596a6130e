"""Raw HTML blocks skip Python-Markdown and come back byte for byte; headings still convert."""

from __future__ import annotations

import markdown

from policypress.render.rawblocks import hold_raw_blocks, restore_raw_blocks

PAGE = """# Title { #title }

<ul class="meta">
<li>Reference Number: <b>X</b></li>
</ul>

## Section { #section }

<p>policypress0000000000000000block1 and &#42;literal&#42;</p>
"""


def convert(text: str) -> str:
    return markdown.markdown(text, extensions=["attr_list", "toc"])


def test_blocks_come_back_verbatim_and_headings_convert() -> None:
    held_text, held = hold_raw_blocks(PAGE)
    assert len(held) == 2 and "<ul" not in held_text
    html = restore_raw_blocks(convert(held_text), held)
    assert '<h1 id="title">Title</h1>' in html and '<h2 id="section">Section</h2>' in html
    assert '<ul class="meta">\n<li>Reference Number: <b>X</b></li>\n</ul>' in html
    assert "<p>policypress0000000000000000block1 and &#42;literal&#42;</p>" in html


def test_same_text_as_full_markdown_conversion() -> None:
    held_text, held = hold_raw_blocks(PAGE)
    assert "".join(restore_raw_blocks(convert(held_text), held).split()) == "".join(convert(PAGE).split())


def test_text_that_looks_like_a_placeholder_stays_text() -> None:
    page = "policypress0000000000000000block0\n\n<p>x</p>\n"
    held_text, held = hold_raw_blocks(page)
    html = restore_raw_blocks(convert(held_text), held)
    assert "<p>policypress0000000000000000block0</p>" in html and "<p>x</p>" in html
