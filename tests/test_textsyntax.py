"""The inline mini-syntax: what is markup, what is literal, and that literal text stays inert."""

from __future__ import annotations

import html as stdlib_html
import re

import pytest

from policypress.model.inline import (
    Citation,
    Emphasis,
    Link,
    Strong,
    Text,
    escape_text,
    iter_citations,
    iter_cross_references,
    parse_inline,
    render_html,
    render_plain,
)


def cite(citation: Citation) -> str:
    return "<sup>" + ",".join(citation.keys) + "</sup>"


def html(text: str) -> str:
    return render_html(parse_inline(text), cite)


def test_emphasis_and_strong() -> None:
    assert parse_inline("a *b* **c** d") == (
        Text("a "),
        Emphasis((Text("b"),)),
        Text(" "),
        Strong((Text("c"),)),
        Text(" d"),
    )
    assert html("that *sacroiliac nerve blocks* are **not medically necessary**") == (
        "that <em>sacroiliac nerve blocks</em> are <strong>not medically necessary</strong>"
    )


def test_nested_emphasis() -> None:
    assert html("*a **b** c*") == "<em>a <strong>b</strong> c</em>"
    assert html("**a *b* c**") == "<strong>a <em>b</em> c</strong>"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("2 * 3 = 6", "2 &#42; 3 &#61; 6"),
        ("*unclosed", "&#42;unclosed"),
        ("**", "&#42;&#42;"),
        ("a ** b", "a &#42;&#42; b"),
    ],
)
def test_unmatched_markers_are_literal(source: str, expected: str) -> None:
    assert html(source) == expected


def test_citations() -> None:
    nodes = parse_inline("pain.[@hayes2022] More.[@hayes2022; @nass2020]")
    assert [c.keys for c in iter_citations(nodes)] == [("hayes2022",), ("hayes2022", "nass2020")]
    assert html("x[@a;@b]") == "x<sup>a,b</sup>"


def test_citation_inside_emphasis_is_found() -> None:
    nodes = parse_inline("*see[@k1]*")
    assert [c.keys for c in iter_citations(nodes)] == [("k1",)]


def test_not_a_citation_is_literal() -> None:
    assert html("[@]") == "&#91;@&#93;"
    assert html("[see @x]") == "&#91;see @x&#93;"


def test_links() -> None:
    assert parse_inline("See https://www.cms.gov/x.") == (
        Text("See "),
        Link("https://www.cms.gov/x"),
        Text("."),
    )
    assert html("(https://e.org/a_(b))") == ('(<a href="https://e.org/a&#95;(b)">https://e.org/a&#95;(b)</a>)')


def test_only_web_links_are_linked() -> None:
    assert html("javascript:alert(1)") == "javascript:alert(1)"
    assert "<a" not in html("data:text/html,<script>x</script>")


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "{: onclick=alert(1) }",
        '--8<-- "/etc/passwd"',
        "{{ config.secret }} {% include 'x' %}",
        "[click](javascript:alert(1))",
        "<img src=x onerror=alert(1)>",
        "`code` ~~del~~ ^^ins^^ ==mark== | a | b |",
        "&lt;already escaped&gt; \\q \\",
        "# not a heading",
    ],
)
def test_hostile_text_is_escaped(hostile: str) -> None:
    rendered = html(hostile)
    outside_entities = re.sub(r"&(#[0-9]+|[a-z]+);", "", rendered)
    for char in "<>{}[]`*|\\#=~^\"'&":
        assert char not in outside_entities, (char, rendered)
    assert stdlib_html.unescape(rendered) == hostile


def test_escape_text_round_trips_through_html() -> None:
    text = "A & B < C > D \"q\" 'a' \\ ` * _ [ ] { } ~ ^ = | # – ®"
    assert stdlib_html.unescape(escape_text(text)) == text


def test_newlines_become_spaces() -> None:
    assert escape_text("a\nb  \n  c") == "a b c"


def test_render_plain() -> None:
    nodes = parse_inline("*SIJ* **x**[@k] https://a.org")
    assert render_plain(nodes, lambda c: "[1]") == "SIJ x[1] https://a.org"


def test_a_backslash_before_punctuation_is_the_character_itself() -> None:
    assert html("a \\*literal\\* star") == "a &#42;literal&#42; star"
    assert html("\\[@key] is not a citation") == "&#91;@key&#93; is not a citation"
    assert html("two \\\\ backslashes, one \\q") == "two &#92; backslashes, one &#92;q"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("BMI ≥ 40 kg/m²*;", "BMI ≥ 40 kg/m²&#42;;"),
        ("BMI ≥ 35 kg/m²* and < 40 kg/m², with *one*", "BMI ≥ 35 kg/m²&#42; and &lt; 40 kg/m², with <em>one</em>"),
        ("a * b * c", "a &#42; b &#42; c"),
        ("x ** y ** z", "x &#42;&#42; y &#42;&#42; z"),
        ("*Sleeve gastrectomy (SG)*: About", "<em>Sleeve gastrectomy (SG)</em>: About"),
    ],
)
def test_an_asterisk_that_opens_or_closes_no_word_is_literal(text: str, shown: str) -> None:
    assert html(text) == shown


@pytest.mark.parametrize(
    ("text", "references"),
    [
        ("see criterion III)", [("criterion", "III")]),
        ("Criteria I.C and I.D are met", [("criterion", "I.C"), ("criterion", "I.D")]),
        ("criteria I.B.2.a and I.B.3", [("criterion", "I.B.2.a"), ("criterion", "I.B.3")]),
        ("criteria II.A, II.B, or III", [("criterion", "II.A"), ("criterion", "II.B"), ("criterion", "III")]),
        ("(criterion II.A.5.b.i).", [("criterion", "II.A.5.b.i")]),
        ("collected in Appendix C.", [("appendix", "C")]),
        ("see OH.CP.MP.31 Cosmetic", [("policy", "OH.CP.MP.31")]),
        ("see [the definition](#definition-bmi)", [("anchor", "definition-bmi")]),
        ("the criteria listed, criterion in Illinois, U.S. law, doi 10.1016", []),
        ("see CP.MP.37 for the corporate policy", [("policy", "CP.MP.37")]),
    ],
)
def test_cross_references_are_found_as_policies_write_them(text: str, references: list[tuple[str, str]]) -> None:
    found = [(r.kind, r.target) for r in iter_cross_references(parse_inline(text))]
    assert found == references
