"""The pure parts of the review: redlines, pairing, determinations, escaping, hidden characters."""

from __future__ import annotations

import pytest

from policypress.model.policy import Criterion, Revision
from policypress.review.diff import Segment, diff_criteria, diff_revision_log, pair_by_content, plain_text, redline
from policypress.review.governance import find_hidden_characters
from policypress.review.report import escape_markdown, markdown_redline
from policypress.review.sides import Side

PAIRS = [
    ("considered not medically necessary because x", "considered medically necessary when y"),
    ("[@hayes2022; @nass2020guidelines]", "[@hayes2022; @nass2020guidelines; @smith2024]"),
    ("usually conservative (non-surgical) and", "usually conservative (non-operative) and"),
    ("a b c d e f", "z y x w v u"),
    ("", "new text"),
    ("old text", ""),
    ("same", "same"),
]


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_redline_rebuilds_both_texts(old: str, new: str) -> None:
    segments = redline(old, new)
    assert "".join(s.text for s in segments if s.op != "insert") == old
    assert "".join(s.text for s in segments if s.op != "delete") == new


def test_redline_marks_only_what_changed() -> None:
    assert redline("up to two years", "up to three years") == (
        Segment("equal", "up to "),
        Segment("delete", "two"),
        Segment("insert", "three"),
        Segment("equal", " years"),
    )
    assert redline("[@a; @b]", "[@a; @b; @c]") == (
        Segment("equal", "[@a; @b"),
        Segment("insert", "; @c"),
        Segment("equal", "]"),
    )


def test_rewritten_text_is_struck_whole() -> None:
    assert redline("It is the policy that x holds", "Conventional ablation is covered") == (
        Segment("delete", "It is the policy that x holds"),
        Segment("insert", "Conventional ablation is covered"),
    )


def test_markdown_redline_spacing_and_elision() -> None:
    assert markdown_redline(redline("up to two years", "up to three years")) == "up to ~~two~~ **three** years"
    assert markdown_redline(redline("(non-surgical)", "(non-operative)")) == "(non-~~surgical~~**operative**)"
    long = " ".join(f"w{i}" for i in range(40))
    shown = markdown_redline(redline(f"{long} old {long}", f"{long} new {long}"))
    assert shown == "… w30 w31 w32 w33 w34 w35 w36 w37 w38 w39 ~~old~~ **new** w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 …"


def test_plain_text_drops_emphasis_and_keeps_citations() -> None:
    assert plain_text("*A*  **b**\n c.[@x; @y]") == "A b c.[@x; @y]"


def test_paragraphspair_by_content() -> None:
    old = ["alpha beta gamma delta", "one two three four"]
    new = ["a brand new paragraph", "alpha beta gamma delta", "one two three five"]
    assert list(pair_by_content(old, new)) == [(None, 0), (0, 1), (1, 2)]
    assert list(pair_by_content(["x y z"], ["p q r"])) == [(0, None), (None, 0)]


@pytest.mark.parametrize(
    ("old", "new", "direction"),
    [
        ("not_medically_necessary", "medically_necessary", "coverage expanded"),
        ("investigational", "medically_necessary", "coverage expanded"),
        ("medically_necessary", "investigational", "coverage restricted"),
        ("medically_necessary", "not_medically_necessary", "coverage restricted"),
        ("not_medically_necessary", "investigational", None),
        (None, "medically_necessary", None),
    ],
)
def test_determination_direction(old: str | None, new: str | None, direction: str | None) -> None:
    (change,) = diff_criteria(
        (Criterion(text="x", determination=old),), (Criterion(text="x", determination=new),)
    ).changes
    assert change.determination_changed
    assert change.direction == direction
    assert change.text is None


def test_criteria_are_numbered_like_the_page() -> None:
    nested = Criterion(text="a", criteria=(Criterion(text="b"), Criterion(text="c", criteria=(Criterion(text="d"),))))
    changes = diff_criteria((), (Criterion(text="z"), nested)).changes
    assert [c.number for c in changes] == ["I", "II", "II.A", "II.B", "II.B.1"]


def test_revision_log_changes() -> None:
    first = Revision(description="Developed.", revision_date="2024-09", approval_date="2024-09")
    edited = Revision(description="Developed (NIA).", revision_date="2024-09", approval_date="2024-09")
    later = Revision(description="Reviewed.", revision_date="2025-09", approval_date="2025-09")
    changes = diff_revision_log((first,), (edited, later))
    assert [(c.change, c.index) for c in changes] == [("changed", 0), ("added", 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain words, (parentheses) and 1.5 mg", "plain words, (parentheses) and 1.5 mg"),
        ("<script>alert(1)</script> & co", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"),
        (
            "*a* _b_ `c` [d](e) ~~f~~ | g # h $i$ \\",
            "\\*a\\* \\_b\\_ \\`c\\` \\[d\\](e) \\~\\~f\\~\\~ \\| g \\# h \\$i\\$ \\\\",
        ),
        ("ask @octocat and @org/team", "ask @<!-- -->octocat and @<!-- -->org/team"),
        ("see #12, GH-7 and gh-8", "see \\#<!-- -->12, GH<!-- -->-7 and gh<!-- -->-8"),
        ("- not a list", "\\- not a list"),
        ("12. not a list", "12\\. not a list"),
        ("two\n  lines", "two lines"),
        ("rtl\u202eevil\u200b", "rtl⟨U+202E⟩evil⟨U+200B⟩"),
    ],
)
def test_escape_markdown(text: str, expected: str) -> None:
    assert escape_markdown(text) == expected


def test_find_hidden_characters_positions_and_escapes() -> None:
    text = 'a: ok\nb: "x\u202ey"\nc: "\\u2066 and \\U0000200B and \\u00e9"\nd: \ufeff\n'
    assert list(find_hidden_characters(text)) == [
        (2, 6, "\u202e", False),
        (3, 5, "\u2066", True),
        (3, 16, "\u200b", True),
        (4, 4, "\ufeff", False),
    ]


def test_side_descriptions() -> None:
    assert Side("base", "origin/main", "a" * 40, "aaaaaaa").description == "origin/main (aaaaaaa)"
    assert Side("base", "aaaa", "a" * 40, "aaaaaaa").description == "aaaaaaa"
    assert Side("head", None, None, None).description == "working tree"
    assert Side("head", None, None, None).label == "head (working tree)"
    assert Side("base", "main", "b" * 40, "bbbbbbb").label == "base (bbbbbbb)"
