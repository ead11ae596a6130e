"""The AMA style's field vocabulary: every accepted field of every entry type is printed, or refused.

``ama.FIELDS`` lists, for each entry type, every field the style accepts. These tests
give each field a distinctive value and check that the value shows in the formatted
reference, alone and beside every other field (pairwise), so no accepted field can be
silently dropped: a combination the style cannot print (a ``url`` beside a ``doi``,
both ``year`` and ``date``) must be a ``bib.unused_field`` error naming the field. A
field outside the vocabulary is ``bib.unknown_field``, with a did-you-mean.
"""

from __future__ import annotations

import html
import itertools
import re

import pytest

from policypress.bibliography import ama
from policypress.bibliography.ama import FIELDS, AmaStyle
from policypress.bibliography.bibtex import Bibliography, FormattedReference, parse_bibliography
from policypress.errors import Diagnostic, SourceError

VALUES: dict[str, str] = {
    "author": "Zauthor, Q.",
    "editor": "Zeditor, R.",
    "collaboration": "Zcollaboration Group",
    "title": "Ztitle words",
    "titleaddon": "[Ztitleaddon]",
    "url": "https://example.org/zurl",
    "urltext": "zurltext.example.org",
    "urldate": "1915-03-04",
    "pmid": "98765432",
    "doi": "10.9999/zdoi",
    "journal": "Zjournal",
    "year": "1911",
    "date": "1912-05-06",
    "volume": "Zvolume",
    "number": "Znumber",
    "pages": "Zp1--Zp9",
    "epubdate": "1913-07-08",
    "updated": "1914-09-10",
    "series": "Zseries No. 5",
    "organization": "Zorganization",
    "edition": "7",
    "note": "(Znote.)",
    "type": "Ztype",
    "address": "Zaddress",
    "publisher": "Zpublisher",
    "institution": "Zinstitution",
    "booktitle": "Zbooktitle",
}
"""A distinctive value for every field of the vocabulary."""

SHOWN: dict[str, str] = {
    **VALUES,
    "author": "Zauthor Q",
    "editor": "Zeditor R",
    "url": 'href="https://example.org/zurl"',  # the link target; the text may be ``urltext``
    "urldate": "Accessed March 4, 1915",
    "doi": "doi:10.9999/zdoi",
    "date": "1912",  # "May 6, 1912" or "1912 May 6", by entry type
    "pages": "Zp1-Zp9",
    "epubdate": "Published 1913 Jul 8",
    "updated": "1914",
    "edition": "7th ed.",
}
"""What each value looks like in the reference (plain text, or the HTML for the link target)."""

BASES: dict[str, dict[str, tuple[str, ...]]] = {
    "article": {
        "journal article": ("title", "journal", "year", "volume"),
        "web article": ("title", "journal", "url", "urldate"),
    },
    "online": {"web page": ("title", "url", "urldate")},
    "book": {"book": ("title", "publisher", "year")},
    "report": {"report": ("title", "institution", "year")},
    "incollection": {"chapter": ("title", "booktitle", "publisher", "year")},
}
"""The smallest valid entries of each type, by variant (an @article is a journal or a web article)."""

NOT_IN_VARIANT = {"journal article": {"updated"}, "web article": {"epubdate", "volume", "number", "pages"}}
"""Fields a variant refuses even alone (volume, number or pages make a web article a journal article)."""
WEB_VARIANTS = {"web article", "web page"}
"""Variants that print a URL beside a DOI (elsewhere AMA gives the DOI instead of the URL)."""
CONFLICTS = {frozenset(pair) for pair in (("year", "date"), ("publisher", "institution"))}
URL_CONFLICTS = {frozenset(("doi", name)) for name in ("url", "urltext", "urldate")}

REPLACES = {"year": "date", "date": "year", "publisher": "institution", "institution": "publisher"}
"""Fields that stand in for each other: adding one to a base takes the other out."""
NEEDS = {"urltext": "url", "urldate": "url"}
"""Fields printed only with another: adding one to a base brings that one too."""


STYLE = AmaStyle()
"""One style for every entry here (making one looks up pybtex's plugins, the slow part of a small test)."""


def parse(source: str) -> Bibliography:
    return parse_bibliography(source, "t.bib", STYLE)


def source_of(entry_type: str, names: set[str]) -> str:
    body = ",\n".join(f"  {name} = {{{VALUES[name]}}}" for name in sorted(names))
    return f"@{entry_type}{{k,\n{body}\n}}\n"


def formatted(entry_type: str, names: set[str]) -> FormattedReference | list[Diagnostic]:
    """The reference of an entry with these fields, or the problems the style reports."""
    try:
        return parse(source_of(entry_type, names)).format("k")
    except SourceError as error:
        return error.diagnostics


def entry_with(base: tuple[str, ...], *added: str) -> set[str]:
    names = set(base)
    for name in added:
        names.discard(REPLACES.get(name, ""))
        if name in NEEDS:
            names.add(NEEDS[name])
    return names | set(added)


def missing_values(reference: FormattedReference, names: set[str]) -> list[str]:
    """The given fields whose value the reference does not show."""
    shown = f"{reference.text}\n{reference.html}"
    return sorted(name for name in names if SHOWN[name] not in shown)


def test_every_field_has_a_distinctive_value() -> None:
    vocabulary = {name for names in FIELDS.values() for name in names}
    assert vocabulary == set(VALUES) == set(SHOWN)
    assert set(BASES) == set(FIELDS)


@pytest.mark.parametrize("entry_type", sorted(FIELDS))
def test_every_accepted_field_appears_in_the_reference(entry_type: str) -> None:
    """Each accepted field, added to a minimal entry of its type, shows its value; else it is refused."""
    for name in FIELDS[entry_type]:
        printed_in = []
        for variant, base in BASES[entry_type].items():
            names = entry_with(base, name)
            result = formatted(entry_type, names)
            if isinstance(result, FormattedReference):
                assert missing_values(result, names) == [], (entry_type, name, result.text)
                printed_in.append(variant)
            else:
                assert name in NOT_IN_VARIANT.get(variant, set()), (variant, name, result)
                assert {d.code for d in result} <= {"bib.unused_field", "bib.missing_field"}, result
        assert printed_in, f"@{entry_type} accepts {name!r} but never prints it"


@pytest.mark.parametrize(
    ("entry_type", "variant"), [(t, v) for t, variants in BASES.items() for v in variants], ids=lambda x: x
)
def test_no_pair_of_accepted_fields_drops_one(entry_type: str, variant: str) -> None:
    """Any two accepted fields together: every value shows, or the pair is a documented conflict, refused."""
    conflicts = CONFLICTS if variant in WEB_VARIANTS else CONFLICTS | URL_CONFLICTS
    usable = [name for name in FIELDS[entry_type] if name not in NOT_IN_VARIANT.get(variant, set())]
    for first, second in itertools.combinations(usable, 2):
        names = entry_with(BASES[entry_type][variant], first, second)
        result = formatted(entry_type, names)
        if isinstance(result, FormattedReference):
            assert {first, second} not in conflicts, (variant, first, second, result.text)
            assert missing_values(result, names) == [], (variant, first, second, result.text)
        else:
            assert {first, second} in conflicts, (variant, first, second, result)
            assert {d.code for d in result} == {"bib.unused_field"}, result
            assert all(re.match(r"k: \w+: not printed in this @", d.message) for d in result), result


def test_every_field_and_type_is_documented() -> None:
    assert ama.__doc__ is not None
    for entry_type, names in FIELDS.items():
        assert f"``@{entry_type}``" in ama.__doc__
        for name in names:
            assert f"``{name}``" in ama.__doc__, name


def test_html_and_text_have_the_same_wording() -> None:
    for entry_type, bases in BASES.items():
        for base in bases.values():
            for name in FIELDS[entry_type]:
                result = formatted(entry_type, entry_with(base, name))
                if isinstance(result, FormattedReference):
                    assert html.unescape(re.sub(r"<[^>]+>", "", result.html)) == result.text


# Unknown and unused fields -----------------------------------------------------


def problems(source: str) -> list[tuple[int, str, str]]:
    with pytest.raises(SourceError) as info:
        parse(source).format("k")
    return [(d.line, d.code, d.message) for d in info.value.diagnostics]


def test_misspelt_field_is_unknown_with_did_you_mean_at_its_line() -> None:
    source = "@article{k,\n  title = {T},\n  journal = {J},\n  year = {2020},\n  voulme = {3},\n}\n"
    assert problems(source) == [
        (5, "bib.unknown_field", "k: voulme: unknown field for @article; did you mean 'volume'?"),
    ]


def test_unknown_field_without_a_close_match_lists_the_fields_of_the_type() -> None:
    ((line, code, message),) = problems("@online{k,\n  title = {T},\n  url = {https://x.org},\n  zzz = {1},\n}")
    assert (line, code) == (4, "bib.unknown_field")
    assert message.startswith("k: zzz: unknown field for @online; expected one of: author, collaboration, date")


def test_field_of_another_type_says_which() -> None:
    source = "@online{k, title={T}, url={https://x.org}, urldate={2024-01-01}, booktitle={B}}"
    assert problems(source) == [
        (
            1,
            "bib.unknown_field",
            "k: booktitle: unknown field for @online; did you mean 'title'? ('booktitle' is a field of @incollection)",
        )
    ]
    ((_line, _code, message),) = problems("@article{k, title={T}, journal={J}, year={2020}, editor={E, A}}")
    assert message.startswith("k: editor: unknown field for @article; expected one of: author, collaboration, date,")
    assert message.endswith("('editor' is a field of @book, @report, @incollection)")


def test_all_unknown_fields_of_an_entry_are_reported_together_in_file_order() -> None:
    source = "@article{k,\n  tilte = {T},\n  journal = {J},\n  year = {2020},\n  voulme = {3},\n  pgaes = {1--2},\n}"
    assert [(line, message.split(";")[1]) for line, _code, message in problems(source)] == [
        (2, " did you mean 'title'?"),
        (5, " did you mean 'volume'?"),
        (6, " did you mean 'pages'?"),
    ]


def test_field_names_are_case_insensitive() -> None:
    source = "@article{k, Title={T}, JOURNAL={J}, Year={2020}, Volume={3}}"
    assert parse(source).format("k").text == "T. J. 2020;3."


@pytest.mark.parametrize(
    ("fields", "unused", "reason"),
    [
        ("doi = {10.1000/x}, url = {https://x.org}", "url", "beside a 'doi' (AMA gives the DOI instead of the URL)"),
        ("doi = {10.1000/x}, url = {https://x.org}, urldate = {2024-01-02}", "url", "beside a 'doi'"),
        ("urldate = {2024-01-02}", "urldate", "without a 'url'"),
        ("urltext = {x.org}", "urltext", "without a 'url'"),
        ("date = {2020-03}", "date", "beside 'year': give one of them"),
        ("updated = {2020-03}", "updated", "in a journal article"),
    ],
)
def test_journal_article_field_it_cannot_print_is_unused(fields: str, unused: str, reason: str) -> None:
    source = f"@article{{k,\n  title = {{T}}, journal = {{J}}, year = {{2020}}, volume = {{3}},\n  {fields}\n}}"
    found = problems(source)
    assert (3, "bib.unused_field") in [(line, code) for line, code, _message in found]
    assert any(message.startswith(f"k: {unused}: not printed in this @article {reason}") for *_, message in found)


def test_web_article_epubdate_is_unused() -> None:
    source = "@article{k, title={T}, journal={J}, url={https://x.org}, urldate={2024-01-02}, epubdate={2020-01-01}}"
    ((_line, code, message),) = problems(source)
    assert code == "bib.unused_field"
    assert message.startswith("k: epubdate: not printed in this @article in a web article")


def test_publisher_beside_institution_is_unused() -> None:
    ((_line, code, message),) = problems("@report{k, title={T}, institution={I}, publisher={P}, year={2020}}")
    assert (code, message) == (
        "bib.unused_field",
        "k: publisher: not printed in this @report beside 'institution': give one of them",
    )


def test_required_field_missing_is_still_missing_field() -> None:
    ((_line, code, message),) = problems("@book{k, title={T}, year={2020}}")
    assert (code, message) == ("bib.missing_field", "k: @book needs a 'publisher' field for the AMA style")


# The types and fields the bariatric policy brought ----------------------------------------


def text(source: str) -> str:
    return parse(source).format("k").text


def test_edited_book_editors_lead_with_eds_and_the_edition() -> None:
    source = (
        "@book{k, editor={Nguyen, N. T. and Ponce, J.}, title={Textbook}, edition={2}, "
        "address={Cham}, publisher={Springer}, year={2020}}"
    )
    assert text(source) == "Nguyen NT, Ponce J, eds. Textbook. 2nd ed. Cham: Springer; 2020."


def test_single_editor_is_ed() -> None:
    assert text("@book{k, editor={Ponce, J.}, title={T}, publisher={P}, year={2020}}") == "Ponce J, ed. T. P; 2020."


def test_book_with_author_and_editor_puts_the_editor_after_the_title() -> None:
    source = "@book{k, author={Osler, W.}, editor={Ponce, J.}, title={T}, edition={3}, publisher={P}, year={2020}}"
    assert text(source) == "Osler W. T. Ponce J, ed. 3rd ed. P; 2020."


def test_group_author_keeps_the_lead_from_the_editors() -> None:
    source = "@book{k, collaboration={Task Force}, editor={Ponce, J.}, title={T}, publisher={P}, year={2020}}"
    assert text(source) == "Task Force. T. Ponce J, ed. P; 2020."


@pytest.mark.parametrize(
    ("edition", "printed"),
    [("1", "1st ed."), ("2", "2nd ed."), ("3", "3rd ed."), ("4", "4th ed."), ("11", "11th ed."), ("12", "12th ed."),
     ("13", "13th ed."), ("21", "21st ed."), ("102", "102nd ed."), ("112", "112th ed."), ("Rev ed", "Rev ed."),
     ("Rev ed.", "Rev ed."), ("²", "².")],
)  # fmt: skip
def test_edition(edition: str, printed: str) -> None:
    assert f"T. {printed} P; 2020." in text(
        f"@book{{k, title={{T}}, edition={{{edition}}}, publisher={{P}}, year={{2020}}}}"
    )


def test_chapter_with_editor_edition_and_pages() -> None:
    source = """@incollection{k,
  author    = {Okonkwo-Reyes, M. and Lindgren, P. A.},
  title     = {Patient selection},
  editor    = {Hollander, R. J.},
  booktitle = {Principles of Metabolic Surgery},
  edition   = {3},
  address   = {Columbus, OH},
  publisher = {Buckeye Medical Press},
  year      = {2019},
  pages     = {100--120},
}"""
    ref = parse(source).format("k")
    assert ref.text == (
        "Okonkwo-Reyes M, Lindgren PA. Patient selection. In: Hollander RJ, ed. Principles of Metabolic Surgery. "
        "3rd ed. Columbus, OH: Buckeye Medical Press; 2019:100-120."
    )
    assert "In: Hollander RJ, ed. <em>Principles of Metabolic Surgery</em>. 3rd ed." in ref.html


def test_online_series_after_the_title() -> None:
    source = (
        "@online{k, title={Obesity}, series={Clinical guideline CG189}, organization={NICE}, "
        "url={https://x.org}, urldate={2024-11-12}}"
    )
    assert text(source) == "Obesity. Clinical guideline CG189. NICE. https://x.org. Accessed November 12, 2024."


def test_report_type_without_number_is_printed_as_written() -> None:
    source = "@report{k, title={T}, type={Technical report}, institution={I}, year={2020}}"
    assert text(source) == "T. Technical report. I; 2020."


def test_report_number_without_type() -> None:
    assert text("@report{k, title={T}, number={360}, institution={I}, year={2020}}") == "T. Report No. 360. I; 2020."
