"""The redlined document of one changed policy: the whole new version, in page order, with what the change
deleted struck and what it inserted marked, as compliance committees and state agencies ask for.

Pure: built from the two sides' models (the same pairing as the review: criteria by
``review.criteria``, blocks by ``diff.pair_units``, codes by ``diff.diff_codes``) and written
as one self-contained HTML document (no script, no outside resource; ``<del>`` and ``<ins>``
carry the marks, so a screen reader and a text extraction both tell them apart). The PDF is
printed from this HTML by the build.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from policypress.bibliography.bibtex import Bibliography
from policypress.model.policy import Block, Boilerplate, CodeTable, Policy, Revision
from policypress.review.criteria import align_criteria
from policypress.review.diff import Unit, block_units, diff_codes, diff_tables, pair_units, plain_text
from policypress.review.text import Segment, Texts, normalize, pair_by_content

Segments = tuple[Segment, ...]

MAX_DEPTH = 10
"""Criteria nest at most this deep (``check`` refuses deeper): one indentation class per level."""

_STYLE = (
    """
@page { size: letter; margin: 0.8in; @bottom-right { content: "Page " counter(page) " of " counter(pages); } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; line-height: 1.4; color: #111; }
@media screen { body { margin: 2em auto; max-width: 50em; } }
h1 { font-size: 16pt; } h2 { font-size: 13pt; border-bottom: 1px solid #999; } h3 { font-size: 11pt; }
del { color: #a40000; text-decoration: line-through; }
ins { color: #005a1e; text-decoration: underline; background: #e6f4ea; }
.legend { border: 1px solid #999; padding: 0.5em; }
.criterion { margin: 0.3em 0; }
.number { font-weight: bold; margin-right: 0.4em; }
.note { font-style: italic; color: #444; }
"""
    + "".join(f".depth-{n} {{ margin-left: {1.5 * n:g}em; }}\n" for n in range(MAX_DEPTH + 1))
    + """
table { border-collapse: collapse; margin: 0.5em 0; } td, th { border: 1px solid #999; padding: 0.2em 0.4em; }
"""
)


def segments(texts: Texts, old: str | None, new: str | None) -> Segments:
    """One text's redline in the reader's terms: kept, struck and inserted runs (unchanged text is all kept)."""
    if old is None and new is None:
        return ()
    if old is None:
        return (Segment("insert", texts.new_text(new or "")),)
    if new is None:
        return (Segment("delete", texts.old_text(old)),)
    change = texts.change("", old, new)
    if change is None or change.formatting_only:
        return (Segment("equal", texts.new_text(new)),)
    return change.redline


def _html(parts: Segments) -> str:
    out = []
    for part in parts:
        text = html.escape(part.text, quote=False)
        out.append(text if part.op == "equal" else f"<{part.op[:3]}>{text}</{part.op[:3]}>")
    return "".join(out)


def _cell(tag: str, parts: Segments, whole: str | None = None) -> str:
    inner = _html(parts)
    return f"<{tag}>{f'<{whole}>{inner}</{whole}>' if whole else inner}</{tag}>"


def _blocks(texts: Texts, old: Sequence[Block], new: Sequence[Block]) -> Iterator[str]:
    """A body of blocks: paragraphs, list items and table rows of both sides, each in place."""
    was, now = block_units(old), block_units(new)
    table: list[str] = []
    for i, j in pair_units(was, now):
        before = was[i] if i is not None else None
        after = now[j] if j is not None else None
        unit = after or before
        assert unit is not None
        if unit.kind in ("row", "header"):
            table.append(_row(texts, before, after))
            continue
        if table:
            yield "<table>" + "".join(table) + "</table>"
            table = []
        parts = segments(texts, before.text if before else None, after.text if after else None)
        if unit.kind == "item":
            yield f'<p class="item">• {_html(parts)}</p>'
        elif unit.kind == "subheading":
            yield f"<h4>{_html(parts)}</h4>"
        else:
            yield f"<p>{_html(parts)}</p>"
    if table:
        yield "<table>" + "".join(table) + "</table>"


def _row(texts: Texts, before: Unit | None, after: Unit | None) -> str:
    shown = after or before
    tag = "th" if shown is not None and shown.kind == "header" else "td"
    if before is not None and after is not None and len(before.cells) == len(after.cells):
        cells = zip(before.cells, after.cells, strict=True)
        return "<tr>" + "".join(_cell(tag, segments(texts, a, b)) for a, b in cells) + "</tr>"
    if after is not None and before is None:
        return "<tr>" + "".join(_cell(tag, (Segment("insert", texts.new_text(c)),)) for c in after.cells) + "</tr>"
    if before is not None and after is None:
        return "<tr>" + "".join(_cell(tag, (Segment("delete", texts.old_text(c)),)) for c in before.cells) + "</tr>"
    assert before is not None and after is not None
    return f'<tr><td colspan="{len(after.cells)}">{_html(segments(texts, before.text, after.text))}</td></tr>'


def _criteria(texts: Texts, old: Policy, new: Policy) -> Iterator[str]:
    """Every criterion of both sides in place, indented by depth; a criterion's notes after its sub-criteria."""
    pending: list[tuple[int, list[str]]] = []  # (depth, note paragraphs) waiting for the end of a sub-list
    for aligned in align_criteria(old.criteria, new.criteria):
        while pending and pending[-1][0] >= aligned.depth:
            yield from pending.pop()[1]
        was, now = aligned.old, aligned.new
        words = segments(texts, was.text if was else None, now.text if now else None)
        if now is None:
            number = f"<del>{html.escape(aligned.old_number or '')}</del>"
            note = ' <span class="note">(deleted)</span>'
        elif was is None:
            number = f"<ins>{html.escape(aligned.new_number or '')}</ins>"
            note = ' <span class="note">(inserted)</span>'
        elif aligned.old_number != aligned.new_number:
            number = (
                f"<del>{html.escape(aligned.old_number or '')}</del> <ins>{html.escape(aligned.new_number or '')}</ins>"
            )
            how = "moved" if aligned.moved else "renumbered"
            note = f' <span class="note">({how}; was {html.escape(aligned.old_number or "")})</span>'
        else:
            number, note = html.escape(aligned.new_number or ""), ""
        depth = min(aligned.depth, MAX_DEPTH)
        yield f'<p class="criterion depth-{depth}"><span class="number">{number}</span>{_html(words)}{note}</p>'
        old_notes, new_notes = (was.notes if was else ()), (now.notes if now else ())
        notes = [
            f'<p class="criterion depth-{depth}">{_html(segments(texts, _at(old_notes, i), _at(new_notes, j)))}</p>'
            for i, j in _pairs(old_notes, new_notes)
        ]
        if notes:
            pending.append((aligned.depth, notes))
    while pending:
        yield from pending.pop()[1]


def _code_tables(old: tuple[CodeTable, ...], new: tuple[CodeTable, ...]) -> Iterator[str]:
    """Each table of the head (and each table the change removed), its rows in place, replacements in one row."""
    _tables, renamed = diff_tables(old, new)
    _, codes = diff_codes(old, new)
    replaced = {(c.code_system, c.code): c.old_code for c in codes if c.change == "replaced"}
    by_heading = {(t.code_system, renamed.get(t.heading, t.heading)): t for t in old}
    texts = Texts()
    for table in new:
        before = by_heading.get((table.code_system, table.heading))
        heading = segments(texts, before.heading if before else None, table.heading)
        yield f"<h3>{_html(heading)}</h3>"
        old_rows = {row.code: row for row in before.rows} if before else {}
        rows = []
        shown: set[str] = set()
        for row in table.rows:
            old_code = replaced.get((table.code_system, row.code), row.code)
            was = old_rows.get(old_code)
            shown.add(old_code)
            code = segments(texts, old_code if was else None, row.code)
            rows.append(
                "<tr>"
                + _cell("td", code)
                + _cell("td", segments(texts, was.description if was else None, row.description))
                + _cell(
                    "td",
                    segments(texts, was.notes if was else None, row.notes)
                    if (row.notes or (was and was.notes))
                    else (),
                )
                + "</tr>"
            )
        for code, row in old_rows.items():
            if code not in shown:
                rows.append(
                    "<tr>"
                    + _cell("td", (Segment("delete", code),))
                    + _cell("td", (Segment("delete", plain_text(row.description)),))
                    + _cell("td", (Segment("delete", plain_text(row.notes)),) if row.notes else ())
                    + "</tr>"
                )
        yield "<table><tr><th>Code</th><th>Description</th><th>Notes</th></tr>" + "".join(rows) + "</table>"
    kept = {(t.code_system, t.heading) for t in new}
    for (system, heading), table in by_heading.items():
        if (system, heading) not in kept:
            yield f"<h3><del>{html.escape(plain_text(table.heading))}</del></h3>"
            rows = "".join(
                f"<tr><td><del>{html.escape(r.code)}</del></td><td><del>{html.escape(plain_text(r.description))}</del></td></tr>"
                for r in table.rows
            )
            yield f"<table>{rows}</table>"


def _revision(texts: Texts, entry: Revision | None, op: str) -> str:
    if entry is None:
        return ""
    cells = (entry.description, entry.revision_date, entry.approval_date)
    parts = [
        _cell("td", (Segment(op, texts.new_text(cell) if op != "delete" else texts.old_text(cell)),)) for cell in cells
    ]
    return "<tr>" + "".join(parts) + "</tr>"


def _revision_log(texts: Texts, old: tuple[Revision, ...], new: tuple[Revision, ...]) -> Iterator[str]:
    yield "<table><tr><th>Revision</th><th>Date</th><th>Approved Date</th></tr>"
    kept = set(old)
    for entry in new:
        yield _revision(texts, entry, "equal" if entry in kept else "insert")
    gone = [entry for entry in old if entry not in set(new)]
    for entry in gone:
        yield _revision(texts, entry, "delete")
    yield "</table>"


def _references(old: Policy, new: Policy, old_bib: Bibliography, new_bib: Bibliography) -> Iterator[str]:
    yield "<ol>"
    kept = set(old.references)
    for key in new.references:
        after = new_bib.format(key).text if key in new_bib else key
        before = old_bib.format(key).text if key in kept and key in old_bib else None
        yield f"<li>{_html(segments(Texts(), before, after))}</li>"
    yield "</ol>"
    gone = [key for key in old.references if key not in set(new.references)]
    if gone:
        yield "<p>Removed from the list:</p><ul>"
        for key in gone:
            text = old_bib.format(key).text if key in old_bib else key
            yield f"<li><del>{html.escape(text)}</del></li>"
        yield "</ul>"


def _details(old: Policy, new: Policy) -> Iterator[str]:
    texts = Texts()
    fields = [
        ("Policy number", old.id, new.id),
        ("Plan", old.plan, new.plan),
        ("Effective date", str(old.effective_date), str(new.effective_date)),
        ("Last review date", str(old.last_review_date), str(new.last_review_date)),
    ]
    yield "<table>"
    for name, was, now in fields:
        yield f"<tr><th>{name}</th>{_cell('td', segments(texts, was, now))}</tr>"
    yield "</table>"


@dataclass(frozen=True)
class RedlineSides:
    """What the document is made from: both versions of the policy, their bibliographies and boilerplate."""

    old: Policy
    new: Policy
    old_bibliography: Bibliography
    new_bibliography: Bibliography
    old_boilerplate: Boilerplate
    new_boilerplate: Boilerplate


def render_redline(sides: RedlineSides, base: str, head: str) -> str:
    """The redlined document as HTML: the new version in page order, deletions struck, insertions marked."""
    old, new = sides.old, sides.new
    texts = Texts.of(old, new)
    body: list[str] = [
        f"<h1>Clinical Policy: {_html(segments(Texts(), old.title, new.title))}</h1>",
        f"<p>Redline of {html.escape(new.id)} from {html.escape(base)} to {html.escape(head)}.</p>",
        '<p class="legend">Deleted text is <del>struck through</del>; inserted text is <ins>underlined</ins>. '
        "Criterion numbers that changed show the old number struck and the new one inserted.</p>",
        "<h2>Policy details</h2>",
        *_details(old, new),
        "<h2>Description</h2>",
        *_blocks(texts, old.description, new.description),
        "<h2>Policy/Criteria</h2>",
        *_criteria(texts, old, new),
    ]
    for i, j in _pairs(old.notes, new.notes):
        note = segments(texts, old.notes[i] if i is not None else None, new.notes[j] if j is not None else None)
        body.append(f"<p>{_html(note)}</p>")
    if old.footnotes or new.footnotes:
        for i, j in _pairs([f.marker + f.text for f in old.footnotes], [f.marker + f.text for f in new.footnotes]):
            was = old.footnotes[i].marker + " " + old.footnotes[i].text if i is not None else None
            now = new.footnotes[j].marker + " " + new.footnotes[j].text if j is not None else None
            body.append(f'<p class="footnote">{_html(segments(texts, was, now))}</p>')
    if old.definitions or new.definitions:
        body.append("<h2>Definitions</h2>")
        was_terms = {normalize(d.term): d for d in old.definitions}
        for definition in new.definitions:
            before = was_terms.get(normalize(definition.term))
            line = segments(
                texts,
                f"{before.term}: {before.definition}" if before else None,
                f"{definition.term}: {definition.definition}",
            )
            body.append(f"<p>{_html(line)}</p>")
        now_terms = {normalize(d.term) for d in new.definitions}
        for definition in old.definitions:
            if normalize(definition.term) not in now_terms:
                body.append(f"<p>{_html(segments(texts, f'{definition.term}: {definition.definition}', None))}</p>")
    if old.background or new.background:
        body.append("<h2>Background</h2>")
        was_sections = {plain_text(s.heading or ""): s for s in old.background}
        for index, section in enumerate(new.background):
            before = was_sections.get(plain_text(section.heading or ""))
            if before is None and index < len(old.background) and old.background[index].heading != section.heading:
                candidate = old.background[index]
                if plain_text(candidate.heading or "") not in {plain_text(s.heading or "") for s in new.background}:
                    before = candidate
            if section.heading or (before and before.heading):
                body.append(f"<h3>{_html(segments(texts, before.heading if before else None, section.heading))}</h3>")
            body.extend(_blocks(texts, before.content if before else (), section.content))
    if old.appendices or new.appendices:
        body.append("<h2>Appendices</h2>")
        was_appendices = {plain_text(a.title): a for a in old.appendices}
        for appendix in new.appendices:
            before = was_appendices.get(plain_text(appendix.title))
            body.append(f"<h3>{_html(segments(texts, before.title if before else None, appendix.title))}</h3>")
            body.extend(_blocks(texts, before.content if before else (), appendix.content))
    body += ["<h2>Coding Implications</h2>", *_code_tables(old.code_tables, new.code_tables)]
    body += ["<h2>Revision Log</h2>", *_revision_log(texts, old.revision_log, new.revision_log)]
    body += ["<h2>References</h2>", *_references(old, new, sides.old_bibliography, sides.new_bibliography)]
    reminder_old, reminder_new = sides.old_boilerplate.important_reminder, sides.new_boilerplate.important_reminder
    body.append(f"<h2>{_html(segments(Texts(), reminder_old.title, reminder_new.title))}</h2>")
    for i, j in _pairs(reminder_old.paragraphs, reminder_new.paragraphs):
        was = reminder_old.paragraphs[i] if i is not None else None
        now = reminder_new.paragraphs[j] if j is not None else None
        body.append(f"<p>{_html(segments(Texts(), was, now))}</p>")
    body.append(f"<p>{_html(segments(Texts(), reminder_old.copyright_for(old), reminder_new.copyright_for(new)))}</p>")
    title = html.escape(f"Redline: {new.id} {plain_text(new.title)}")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _at(items: Sequence[str], index: int | None) -> str | None:
    return None if index is None else items[index]


def _pairs(old: Sequence[str], new: Sequence[str]) -> list[tuple[int | None, int | None]]:
    return list(pair_by_content(old, new))
