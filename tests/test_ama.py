# ruff: noqa: E501  (the seed's reference strings are quoted verbatim, one per line)
"""AMA style and bibliography: each entry type, escaping, caching, the seed's 29 references and the fixture's 32."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from pybtex.database import Entry
from pybtex.plugin import find_plugin
from pybtex.style import FormattedEntry

from conftest import ROOT, SEED_STEM
from policypress.bibliography.ama import AmaStyle, EntryError
from policypress.bibliography.bibtex import Bibliography, FormattedReference, load_bibliography, parse_bibliography
from policypress.errors import SourceError
from policypress.model.inline import escape_text
from policypress.sources.yamlsource import load_yaml
from seedtext import plain

REFERENCES_BIB = Path(__file__).resolve().parents[1] / "references.bib"
SEED_POLICY = Path(__file__).resolve().parents[1] / "policy" / f"{SEED_STEM}.yaml"


def fmt(source: str, key: str = "k") -> FormattedReference:
    """Format one entry of an inline BibTeX source."""
    return parse_bibliography(source, "test.bib").format(key)


def text(source: str, key: str = "k") -> str:
    return fmt(source, key).text


def html_to_text(markup: str) -> str:
    """The wording of the HTML: tags dropped, entities decoded (must equal ``.text``)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def article(**fields: str) -> str:
    """An @article ``k`` with sensible defaults, overridden or removed (value "") by ``fields``."""
    values = {
        "author": "Visser, L. H.",
        "title": "A trial",
        "journal": "Eur Spine J",
        "year": "2013",
        "volume": "22",
        "number": "10",
        "pages": "2310--2317",
        "doi": "10.1007/s00586-013-2833-2",
    }
    values.update(fields)
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in values.items() if value)
    return f"@article{{k,\n{body}\n}}\n"


# Plugin ----------------------------------------------------------------------


def test_style_is_registered_as_pybtex_plugin() -> None:
    assert find_plugin("pybtex.style.formatting", "ama") is AmaStyle


# Articles --------------------------------------------------------------------


def test_article_full() -> None:
    ref = fmt(article())
    assert ref.text == "Visser LH. A trial. Eur Spine J. 2013;22(10):2310-2317. doi:10.1007/s00586-013-2833-2"
    assert ref.html == (
        "Visser LH. A trial. <em>Eur Spine J</em>. 2013;22(10):2310-2317. "
        '<a href="https://doi.org/10.1007/s00586-013-2833-2">doi:10.1007/s00586-013-2833-2</a>'
    )


def test_article_without_volume_keeps_issue() -> None:
    assert "2013;(10):CD008572." in text(article(volume="", pages="CD008572"))


def test_article_without_number() -> None:
    assert "2013;14:2859-2891." in text(article(volume="14", number="", pages="2859--2891"))


def test_article_page_range_en_dash_and_hyphen_become_hyphen() -> None:
    assert ":E713-E756." in text(article(pages="E713\u2013E756"))
    assert ":E713-E756." in text(article(pages="E713-E756"))


def test_article_without_doi_ends_with_period() -> None:
    assert text(article(doi="")).endswith("2013;22(10):2310-2317.")


def test_article_epubdate_in_nlm_form_before_doi() -> None:
    result = text(article(volume="", pages="CD008572", epubdate="2015-10-23"))
    assert result.endswith("2013;(10):CD008572. Published 2015 Oct 23. doi:10.1007/s00586-013-2833-2")


def test_article_title_addon() -> None:
    addon = "[published correction appears in JAMA. 2017 Sep 26;318(12 ):1188]"
    assert f"A trial {addon}. Eur Spine J." in text(article(titleaddon=addon))


@pytest.mark.parametrize("title", ["Does it work?", "It works!", "It works."])
def test_article_title_already_terminated_gets_no_second_period(title: str) -> None:
    assert f"Visser LH. {title} Eur Spine J." in text(article(title=title))


def test_web_article_without_volume_number_pages() -> None:
    source = article(
        volume="",
        number="",
        pages="",
        doi="",
        year="",
        author="Heggeness, M. H.",
        title="AAOS endorses back pain guidelines",
        journal="AAOS Now",
        url="https://example.org/a.pdf",
        date="2010-09",
        urldate="2024-05-31",
    )
    ref = fmt(source)
    assert ref.text == (
        "Heggeness MH. AAOS endorses back pain guidelines. AAOS Now. https://example.org/a.pdf. "
        "Published September 2010. Accessed May 31, 2024."
    )
    assert '<em>AAOS Now</em>. <a href="https://example.org/a.pdf">https://example.org/a.pdf</a>.' in ref.html


def test_article_year_may_come_from_date() -> None:
    assert "Eur Spine J. 2013;22(10)" in text(article(year="", date="2013-10-01"))


# Names -----------------------------------------------------------------------


def names_of(author: str) -> str:
    """The author block of an article with these authors."""
    return text(article(author=author, doi="")).split(" A trial.")[0]


def test_names_surname_then_initials() -> None:
    assert names_of("Ostelo, R. W. J. G. and Visser, Lucas H.") == "Ostelo RWJG, Visser LH."


def test_names_initials_written_without_periods_are_kept() -> None:
    assert names_of("Juch, JNS") == "Juch JNS."


def test_names_von_part_kept_lowercase_before_surname() -> None:
    assert names_of("van Tilburg, C. W. and de Bont, J. and Jan de Vet") == "van Tilburg CW, de Bont J, de Vet J."


def test_names_hyphenated_first_name_gives_both_initials() -> None:
    assert names_of("Dupont, Jean-Pierre and Martin, J.-P.") == "Dupont JP, Martin JP."


def test_names_lineage_follows_initials() -> None:
    assert names_of("Smith, Jr., John A.") == "Smith JA Jr."


def test_names_six_authors_all_listed() -> None:
    six = " and ".join(f"Author{i}, A." for i in range(1, 7))
    assert names_of(six) == "Author1 A, Author2 A, Author3 A, Author4 A, Author5 A, Author6 A."


def test_names_more_than_six_authors_first_three_et_al() -> None:
    seven = " and ".join(f"Author{i}, A." for i in range(1, 8))
    assert names_of(seven) == "Author1 A, Author2 A, Author3 A, et al."


def test_names_explicit_others_is_et_al() -> None:
    assert names_of("Visser, L. H. and Woodener, N. P. and de Bont, J. and others") == (
        "Visser LH, Woodener NP, de Bont J, et al."
    )


def test_names_corporate_author_as_written() -> None:
    assert names_of("{North American Spine Society}") == "North American Spine Society."


def test_collaboration_after_persons() -> None:
    source = article(
        author="Chou, R. and Shekelle, P.",
        collaboration="Clinical Guidelines Committee of the American College of Physicians",
    )
    assert text(source).startswith(
        "Chou R, Shekelle P; Clinical Guidelines Committee of the American College of Physicians. A trial."
    )


def test_entry_without_author_starts_with_title() -> None:
    assert text(article(author="")).startswith("A trial. Eur Spine J.")


# Online ----------------------------------------------------------------------

ONLINE = """@online{k,
  author       = {{Health Technology Assessment}},
  title        = {Conventional radiofrequency ablation},
  organization = {Hayes},
  url          = {http://www.hayesinc.com},
  urltext      = {www.hayesinc.com},
  date         = {2022-12-06},
  updated      = {2024-05-15},
  urldate      = {2024-05-31},
}
"""


def test_online_all_parts() -> None:
    ref = fmt(ONLINE)
    assert ref.text == (
        "Health Technology Assessment. Conventional radiofrequency ablation. Hayes. www.hayesinc.com. "
        "Published December 6, 2022. Updated May 15, 2024. Accessed May 31, 2024."
    )
    assert 'Hayes. <a href="http://www.hayesinc.com">www.hayesinc.com</a>. Published' in ref.html


@pytest.mark.parametrize(
    ("date", "published"),
    [("2010-09", "Published September 2010."), ("2020", "Published 2020."), ("", "")],
)
def test_online_published_precision(date: str, published: str) -> None:
    source = f"@online{{k, title = {{Page}}, url = {{https://x.org/p}}, date = {{{date}}}, urldate = {{2024-05-31}}}}"
    assert text(source) == " ".join(
        part for part in ("Page. https://x.org/p.", published, "Accessed May 31, 2024.") if part
    )


def test_online_link_text_defaults_to_url() -> None:
    ref = fmt("@online{k, title = {Page}, url = {https://x.org/p?a=1&b=2}, urldate = {2024-05-31}}")
    assert '<a href="https://x.org/p?a&#61;1&amp;b&#61;2">https://x.org/p?a&#61;1&amp;b&#61;2</a>' in ref.html
    assert ref.text == "Page. https://x.org/p?a=1&b=2. Accessed May 31, 2024."


# Book, report, chapter -------------------------------------------------------


def test_book() -> None:
    ref = fmt(
        """@book{k,
  author    = {Chou, R. and Hashimoto, R. and Friedly, J. and others},
  title     = {Pain Management Injection Therapies for Low Back Pain},
  address   = {Rockville (MD)},
  publisher = {Agency for Healthcare Research and Quality (US)},
  year      = {2015},
}"""
    )
    assert ref.text == (
        "Chou R, Hashimoto R, Friedly J, et al. Pain Management Injection Therapies for Low Back Pain. "
        "Rockville (MD): Agency for Healthcare Research and Quality (US); 2015."
    )
    assert "<em>Pain Management Injection Therapies for Low Back Pain</em>." in ref.html


def test_report() -> None:
    ref = fmt(
        """@report{k,
  author      = {Chou, R.},
  title       = {Interventional Treatments: Systematic Review},
  series      = {Comparative Effectiveness Review No. 247},
  note        = {(Prepared under Contract No. 75Q80120D00006.)},
  type        = {AHRQ Publication},
  number      = {21-EHC030},
  address     = {Rockville, MD},
  institution = {Agency for Healthcare Research and Quality},
  date        = {2021-09},
  doi         = {10.23970/AHRQEPCCER247},
}"""
    )
    assert ref.text == (
        "Chou R. Interventional Treatments: Systematic Review. Comparative Effectiveness Review No. 247. "
        "(Prepared under Contract No. 75Q80120D00006.) AHRQ Publication No. 21-EHC030. "
        "Rockville, MD: Agency for Healthcare Research and Quality; September 2021. doi:10.23970/AHRQEPCCER247"
    )


def test_incollection() -> None:
    ref = fmt(
        """@incollection{k,
  author    = {Wu, L. and Tafti, D. and Varacallo, M.},
  title     = {Sacroiliac Joint Injection},
  updated   = {2023-05-29},
  booktitle = {StatPearls [Internet]},
  address   = {Treasure Island (FL)},
  publisher = {StatPearls Publishing},
  date      = {2023-01/},
  pmid      = {30020617},
}"""
    )
    assert ref.text == (
        "Wu L, Tafti D, Varacallo M. Sacroiliac Joint Injection. 2023 May 29. In: StatPearls [Internet]. "
        "Treasure Island (FL): StatPearls Publishing; 2023 Jan-. PMID: 30020617."
    )
    assert "In: <em>StatPearls &#91;Internet&#93;</em>." in ref.html


# Escaping --------------------------------------------------------------------


def test_html_escapes_markup_and_markdown_in_fields() -> None:
    ref = fmt(article(title="<script>alert(1)</script> *bold* claims", doi="10.1000/a_b<c>"))
    assert "<script>" not in ref.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#42;bold&#42; claims" in ref.html
    assert 'href="https://doi.org/10.1000/a&#95;b%3Cc%3E"' in ref.html
    assert ref.text.startswith("Visser LH. <script>alert(1)</script> *bold* claims.")
    assert html_to_text(ref.html) == ref.text


def test_protected_text_renders_plain() -> None:
    ref = fmt(article(title="The {MINT} trials"))
    assert "The MINT trials." in ref.html
    assert "bibtex-protected" not in ref.html


# Errors ----------------------------------------------------------------------


def error_of(source: str, key: str = "k") -> SourceError:
    with pytest.raises(SourceError) as info:
        parse_bibliography(source, "test.bib").format(key)
    return info.value


@pytest.mark.parametrize("missing", ["title", "journal"])
def test_missing_required_field_is_a_diagnostic(missing: str) -> None:
    (diagnostic,) = error_of("\n\n" + article(**{missing: ""})).diagnostics
    assert (diagnostic.file, diagnostic.line, diagnostic.col) == ("test.bib", 3, 1)
    assert diagnostic.code == "bib.missing_field"
    assert repr(missing) in diagnostic.message


def test_online_needs_url_and_accessed_date() -> None:
    assert "'url'" in str(error_of("@online{k, title={P}, urldate={2024-05-31}}"))
    assert "'urldate'" in str(error_of("@online{k, title={P}, url={https://x.org}}"))


def test_invalid_date_points_at_its_field() -> None:
    (diagnostic,) = error_of(article(epubdate="23 Oct 2015")).diagnostics
    assert diagnostic.code == "bib.invalid_field"
    assert diagnostic.line == 10  # the epubdate line of the generated entry


def test_non_http_url_is_refused() -> None:
    source = "@online{k, title={P}, url={javascript:alert(1)}, urldate={2024-05-31}}"
    assert error_of(source).diagnostics[0].code == "bib.url_scheme"


def test_unsupported_entry_type() -> None:
    assert error_of("@misc{k, title={P}}").diagnostics[0].code == "bib.entry_type"


def test_style_alone_raises_entry_error_not_key_error() -> None:
    entry = Entry("article", fields={"title": "T"})
    entry.key = "k"
    with pytest.raises(EntryError, match="journal"):
        AmaStyle().format_entry("", entry)


def test_syntax_error_names_the_bib_line() -> None:
    with pytest.raises(SourceError) as info:
        parse_bibliography("@article{a, title={ok}}\n\n@article{b, title = undefined}\n", "test.bib")
    (diagnostic,) = info.value.diagnostics
    assert (diagnostic.line, diagnostic.code) == (3, "bib.syntax")


def test_duplicate_keys_are_diagnostics() -> None:
    with pytest.raises(SourceError) as info:
        parse_bibliography("@article{a, title={x}}\n@article{a, title={y}}\n@article{A, title={z}}\n", "t.bib")
    assert [(d.line, d.code) for d in info.value.diagnostics] == [(2, "bib.syntax"), (3, "bib.syntax")]


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bib"
    bad.write_bytes(b"@article{k,\n title = {\xff}}\n")
    with pytest.raises(SourceError) as info:
        load_bibliography(bad, "bad.bib")
    assert [(d.file, d.line, d.code) for d in info.value.diagnostics] == [("bad.bib", 2, "bib.encoding")]


# Bibliography ----------------------------------------------------------------


def test_keys_in_file_order_and_exact_membership() -> None:
    bib = parse_bibliography("@article{Zeta, title={x}}\n@article{alpha, title={y}}\n", "t.bib")
    assert bib.keys == ("Zeta", "alpha")
    assert "Zeta" in bib
    assert "zeta" not in bib
    with pytest.raises(KeyError):
        bib.format("zeta")


def test_each_key_formatted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = AmaStyle.format_entry

    def counting(self: AmaStyle, label: str, entry: Entry, bib_data: object = None) -> FormattedEntry:
        calls.append(entry.key)
        return original(self, label, entry, bib_data)

    monkeypatch.setattr(AmaStyle, "format_entry", counting)
    bib = load_bibliography(REFERENCES_BIB)
    first = [bib.format(key) for key in bib.keys]
    second = [bib.format(key) for key in bib.keys]
    assert first == second
    assert calls == list(bib.keys)


# The policy's references -----------------------------------------------------

# The 29 references exactly as the policy (seed 000_2b38a9cd632ac1ea.txt) prints them,
# with the key each one has in references.bib.
SEED_REFERENCES: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "visser2013",
        "Visser LH, Woodener NP, de Bont J, et al. Treatment of the sacroiliac joint in patients with leg pain: a randomized-controlled trial. *Eur Spine J.* 2013;22(10):2310 to 2317. doi:10.1007/s00586-013-2833-2",
    ),
    (
        2,
        "vantilburg2016",
        "van Tilburg CW, Schuurmans FA, Stronks DL, Groeneweg JG, Huygen FJ. Randomized Sham-controlled Double-Blind Multicenter Clinical Trial to Ascertain the Effect of Percutaneous Radiofrequency Treatment for Sacroiliac Joint Pain: Three-month Results. *Clin J Pain*. 2016;32(11):921 to 926. doi:10.1097/AJP.0000000000000351",
    ),
    (
        3,
        "juch2017",
        "Juch JNS, Maas ET, Ostelo RWJG, et al. Effect of Radiofrequency Denervation on Pain Intensity Among Patients With Chronic Low Back Pain: The Mint Randomized Clinical Trials [published correction appears in JAMA. 2017 Sep 26;318(12 ):1188]. *JAMA*. 2017;318(1):68 to 81. doi:10.1001/jama.2017.7918",
    ),
    (
        4,
        "manchikanti2013",
        "Manchikanti L, Abdi S, Atluri S, et al. An update of comprehensive evidence-based guidelines for interventional techniques in chronic spinal pain. Part II: guidance and recommendations. *Pain Physician*. 2013;16(2 Suppl):S49 to S283.",
    ),
    (
        5,
        "hayes2022",
        "Health Technology Assessment. Conventional radiofrequency ablation for sacroiliac joint denervation for chronic low back pain. Hayes. [www.hayesinc.com](http://www.hayesinc.com). Published December 6, 2022. Accessed May 31, 2024.",
    ),
    (
        6,
        "macvicar2017",
        "MacVicar J, Kreiner DS, Duszynski B, Kennedy DJ. Appropriate Use Criteria for Fluoroscopically Guided Diagnostic and Therapeutic Sacroiliac Interventions: Results from the Spine Intervention Society Convened Multispecialty Collaborative. *Pain Med*. 2017;18(11):2081 to 2095. doi:10.1093/pm/pnx253",
    ),
    (
        7,
        "chou2015injection",
        "Chou R, Hashimoto R, Friedly J, et al. *Pain Management Injection Therapies for Low Back Pain*. Rockville (MD): Agency for Healthcare Research and Quality (US); 2015.",
    ),
    (
        8,
        "chou2024",
        "Chou R. Subacute and chronic low back pain: nonsurgical interventional treatment. UpToDate. [www.uptodate.com](http://www.uptodate.com). Updated May 15, 2024. Accessed May 31, 2024.",
    ),
    (
        9,
        "chou2007",
        "Chou R, Qaseem A, Snow V, et al. Diagnosis and treatment of low back pain: a joint clinical practice guideline from the American College of Physicians and the American Pain Society [published correction appears in Ann Intern Med. 2008 Feb 5;148(3):247-8]. *Ann Intern Med*. 2007;147(7):47 to 491. doi:10.7326/0003-4819-147-7-200710020-00006",
    ),
    (
        10,
        "chou2011",
        "Chou R, Qaseem A, Owens DK, Shekelle P; Clinical Guidelines Committee of the American College of Physicians. Diagnostic imaging for low back pain: advice for high-value health care from the American College of Physicians [published correction appears in Ann Intern Med. 2012 Jan 3;156(1 Pt 1):71]. *Ann Intern Med*. 2011;154(3):181 to 189. doi:10.7326/0003-4819-154-3-201102010-00008",
    ),
    (
        11,
        "chou2009",
        "Chou R, Loeser JD, Owens DK, et al. Interventional therapies, surgery, and interdisciplinary rehabilitation for low back pain: an evidence-based clinical practice guideline from the American Pain Society. *Spine (Phila Pa 1976)*. 2009;34(10):1066 to 1077. doi:10.1097/BRS.0b013e3181a1390d",
    ),
    (
        12,
        "heggeness2010",
        "Heggeness MH. AAOS endorses back pain guidelines. *AAOS Now*. <https://www.maine-general.org/app/files/public/6460f387-09dc-4968-b162-eee6121a1497/aaosbackpainguidelines.pdf>. Published September 2010. Accessed May 31, 2024.",
    ),
    (
        13,
        "laslett2008",
        "Laslett M. Evidence-based diagnosis and treatment of the painful sacroiliac joint. *J Man Manip Ther*. 2008;16(3):142 to 152. doi:10.1179/jmt.2008.16.3.142",
    ),
    (
        14,
        "maas2015",
        "Maas ET, Ostelo RW, Niemisto L, et al. Radiofrequency denervation for chronic low back pain. *Cochrane Database Syst Rev*. 2015;(10):CD008572. Published 2015 Oct 23. doi:10.1002/14651858.CD008572.pub2.",
    ),
    (
        15,
        "manchikanti2010diagnostic",
        "Manchikanti L, Datta S, Derby R, et al. A critical review of the American Pain Society clinical practice guidelines for interventional techniques: part 1. Diagnostic interventions. *Pain Physician*. 2010;13(3):E141 to E174.",
    ),
    (
        16,
        "manchikanti2010therapeutic",
        "Manchikanti L, Datta S, Gupta S, et al. A critical review of the American Pain Society clinical practice guidelines for interventional techniques: part 2. Therapeutic interventions. *Pain Physician*. 2010;13(4):E215 to E264.",
    ),
    (
        17,
        "simopoulos2015",
        "Simopoulos TT, Manchikanti L, Gupta S, et al. Systematic Review of the Diagnostic Accuracy and Therapeutic Effectiveness of Sacroiliac Joint Interventions. *Pain Physician*. 2015;18(5):E713-E756.",
    ),
    (
        18,
        "soloman2010",
        "Soloman M, Mekhail MN, Mekhail N. Radiofrequency treatment in chronic pain. *Expert Rev Neurother*. 2010;10(3):469 to 474. doi:10.1586/ern.09.153",
    ),
    (
        19,
        "staal2008",
        "Staal JB, de Bie R, de Vet HC, Hildebrandt J, Nelemans P. Injection therapy for subacute and chronic low-back pain. *Cochrane Database Syst Rev*. 2008;2008(3):CD001824. Published 2008 Jul 16. doi:10.1002/14651858.CD001824.pub3",
    ),
    (
        20,
        "qaseem2017",
        "Qaseem A, Wilt TJ, McLean RM, et al. Noninvasive Treatments for Acute, Subacute, and Chronic Low Back Pain: A Clinical Practice Guideline From the American College of Physicians. *Ann Intern Med*. 2017;166(7):514 to 530. doi:10.7326/M16-2367",
    ),
    (
        21,
        "chen2019",
        "Chen CH, Weng PW, Wu LC, Chiang YF, Chiang CJ. Radiofrequency neurotomy in chronic lumbar and sacroiliac joint pain: A meta-analysis. *Medicine (Baltimore)*. 2019;98(26):e16230. doi:10.1097/MD.00000000000016230",
    ),
    (
        22,
        "nass2020guidelines",
        "North American Spine Society. Evidence-based clinical guidelines for multidisciplinary spine care: diagnosis and treatment of low back pain. <https://www.spine.org/Portals/0/assets/downloads/ResearchClinicalCare/Guidelines/LowBackPain.pdf>. Published 2020. Accessed May 31, 2024.",
    ),
    (
        23,
        "janapala2021",
        "Janapala RN, Manchikanti L, Sanapati MR, et al. Efficacy of radiofrequency neurotomy in chronic low back pain: a systematic review and meta-analysis. *J Pain Res*. 2021;14:2859 to 2891. Published 2021 Sep 10. doi:10.2147/JPR.S323362",
    ),
    (
        24,
        "ho2013",
        "Ho KY, Hadi MA, Pasutharnchat K, Tan KH. Cooled radiofrequency denervation for treatment of sacroiliac joint pain: two-year results from 20 cases. *J Pain Res*. 2013;6:505 to 511. Published 2013 Jul 4. doi:10.2147/JPR.S46827",
    ),
    (
        25,
        "chou2021",
        "Chou R, Fu R, Dana T, Pappas M, Hart E, Mauer KM. Interventional Treatments for Acute and Chronic Pain: Systematic Review. Comparative Effectiveness Review No. 247. (Prepared by the Pacific Northwest Evidence-based Practice Center under Contract No. 75Q80120D00006.) AHRQ Publication No. 21-EHC030. Rockville, MD: Agency for Healthcare Research and Quality; September 2021. doi: 10.23970/AHRQEPCCER247.",
    ),
    (
        26,
        "cms2023",
        "Local Coverage Determination: sacroiliac joint injections and procedures (L39383). Centers for Medicare and Medicaid Services Web site. <http://www.cms.hhs.gov/mcd/search.asp>. Published March 19, 2023. Accessed May 31, 2024.",
    ),
    (
        27,
        "nass2020coverage",
        "North American Spine Society. Coverage policy recommendations: sacroiliac joint injections and radiofrequency ablation. <https://www.spine.org/Coverage> Published October 2020. Accessed May 31, 2024.",
    ),
    (
        28,
        "kishner2023",
        "Kishner S, Faciane JL. Sacroiliac joint injection periprocedural care. Medscape. <https://emedicine.medscape.com/article/103399-periprocedure>. Updated January 30, 2023. Accessed May 31, 2024.",
    ),
    (
        29,
        "wu2023",
        "Wu L, Tafti D, Varacallo M. Sacroiliac Joint Injection. 2023 May 29. In: StatPearls [Internet]. Treasure Island (FL): StatPearls Publishing; 2023 Jan-. PMID: 30020617.",
    ),
)

# Documented normalizations of the seed before comparing with the AMA style's text.
# Nothing else is changed; every other difference is a bug in the .bib or the style.
SEED_NORMALIZATIONS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    # Markdown stripped: *x* -> x (e.g. "*Eur Spine J.*", "*JAMA*").
    ("markdown emphasis", re.compile(r"\*([^*]+)\*"), r"\1"),
    # Markdown stripped: [text](url) -> text (refs 5, 8: link text www.hayesinc.com / www.uptodate.com).
    ("markdown link", re.compile(r"\[([^\]]+)\]\((https?://[^)]+)\)"), r"\1"),
    # Markdown stripped: <url> -> url (refs 12, 22, 26, 27, 28).
    ("markdown autolink", re.compile(r"<(https?://[^>]+)>"), r"\1"),
    # Markdown stripped: \_ -> _.
    ("markdown escape", re.compile(r"\\_"), "_"),
    # Page ranges "A to B" -> "A-B" (AMA uses a hyphen; the seed spells most ranges out).
    ("page range", re.compile(r"(?<=:)([A-Za-z]?\d+) to ([A-Za-z]?\d+)"), r"\1-\2"),
    # "doi: 10.x" -> "doi:10.x" (ref 25).
    ("doi space", re.compile(r"doi: "), "doi:"),
    # AMA puts no period after a DOI; the seed adds one in refs 14 and 25.
    ("period after doi", re.compile(r"(doi:\S+)\.$"), r"\1"),
    # Ref 27 lacks the period after its URL ("<https://www.spine.org/Coverage> Published").
    (
        "ref 27 period after url",
        re.compile(r"(https://www\.spine\.org/Coverage) Published"),
        r"\1. Published",
    ),
)


def normalize_seed(reference: str) -> str:
    """Apply SEED_NORMALIZATIONS in order."""
    for _name, pattern, replacement in SEED_NORMALIZATIONS:
        reference = pattern.sub(replacement, reference)
    return reference


@pytest.fixture(scope="module")
def policy_bibliography() -> Bibliography:
    return load_bibliography(REFERENCES_BIB)


def test_references_bib_has_the_seed_keys_in_order(policy_bibliography: Bibliography) -> None:
    """The seed policy lists the seed's references in the seed's numbering, and references.bib holds each
    of them once, in that order; entries other policies add (anywhere in the file) are not the seed's."""
    seed_keys = [key for _number, key, _seed in SEED_REFERENCES]
    assert [number for number, _key, _seed in SEED_REFERENCES] == list(range(1, 30))
    assert load_yaml(SEED_POLICY, SEED_POLICY.name).data["references"] == seed_keys
    in_file = [key for key in policy_bibliography.keys if key in set(seed_keys)]
    assert in_file == seed_keys


@pytest.mark.parametrize(("number", "key", "seed"), SEED_REFERENCES, ids=[k for _n, k, _s in SEED_REFERENCES])
def test_policy_reference_matches_seed(policy_bibliography: Bibliography, number: int, key: str, seed: str) -> None:
    reference = policy_bibliography.format(key)
    assert reference.text == normalize_seed(seed), f"reference {number}"
    assert html_to_text(reference.html) == reference.text


def test_policy_references_link_every_doi_and_url(policy_bibliography: Bibliography) -> None:
    for key in policy_bibliography.keys:
        reference = policy_bibliography.format(key)
        for doi in re.findall(r"doi:(\S+)", reference.text):
            assert f'<a href="https://doi.org/{escape_text(doi)}">' in reference.html, key
        assert reference.html.count("<a href=") == len(
            re.findall(r"doi:|(?<!\S)(?:https?://|www\.)", reference.text)
        ), key


# The bariatric fixture's references -------------------------------------------

FIXTURE = ROOT.parent / "shared" / "fixtures" / "oh-cp-mp-37.txt"
"""The second acceptance document (Bariatric Surgery, OH.CP.MP.37); its references are numbered 1-32."""
FIXTURE_BIB = ROOT / "tests" / "fixtures" / "bariatric" / "references.bib"
FIXTURE_KEYS = [
    "eisenberg2022",
    "mechanick2020",
    "colquitt2014",
    "arterburn2020",
    "hales2020",
    "who2000",
    "who2004",
    "schauer2017",
    "mingrone2021",
    "sjostrom2007",
    "adams2007",
    "courcoulas2018",
    "peterli2018",
    "salminen2018",
    "nguyen2020",
    "okonkworeyes2019",
    "brethauer2014",
    "pawlak2020",
    "inge2016",
    "pratt2018",
    "hampl2023",
    "armstrong2019",
    "maglione2013",
    "cms2013ncd",
    "asmbs2016",
    "nice2014",
    "abudayyeh2022",
    "hayes2023",
    "lim2024",
    "tarrantmoss2024",
    "marchetti2023",
    "nih1992",
]
"""The key of each fixture reference in tests/fixtures/bariatric/references.bib, in the fixture's order."""

FIXTURE_ERRATA: tuple[tuple[str, str, str], ...] = (
    # (pattern, replacement, why) applied to the fixture's Markdown before comparison, as
    # seedtext.REFERENCE_ERRATA does for the seed. The visible text needs none; this one is italics only.
    (
        r"In: StatPearls \[Internet\]\.",
        "In: *StatPearls [Internet].*",
        "AMA italicizes the title of the book a chapter is in, as the fixture does in reference 16; reference 30 "
        "(like the seed's StatPearls chapter, which the built page also italicizes) prints it in roman",
    ),
)


def fixture_references() -> list[str]:
    """The fixture's references as Markdown, in order (the numbered lines after "**References**")."""
    text = FIXTURE.read_text(encoding="utf-8")
    section = text[text.index("**References**") : text.index("**Important Reminder**")]
    numbered = re.findall(r"^(\d+)\. (.*)$", section, flags=re.MULTILINE)
    assert [int(number) for number, _reference in numbered] == list(range(1, len(numbered) + 1))
    references = [reference for _number, reference in numbered]
    for pattern, replacement, _why in FIXTURE_ERRATA:
        references = [re.sub(pattern, replacement, reference) for reference in references]
    return references


@pytest.fixture(scope="module")
def fixture_bibliography() -> Bibliography:
    return load_bibliography(FIXTURE_BIB)


def test_fixture_bib_has_the_fixture_keys_in_order(fixture_bibliography: Bibliography) -> None:
    assert len(fixture_references()) == len(FIXTURE_KEYS) == 32
    assert fixture_bibliography.keys == tuple(FIXTURE_KEYS)


def test_fixture_errata_each_apply_once() -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    for pattern, _replacement, why in FIXTURE_ERRATA:
        assert len(re.findall(pattern, text)) == 1, why


@pytest.mark.parametrize(("number", "key"), list(enumerate(FIXTURE_KEYS, 1)), ids=FIXTURE_KEYS)
def test_fixture_reference_matches(fixture_bibliography: Bibliography, number: int, key: str) -> None:
    markdown = fixture_references()[number - 1]
    reference = fixture_bibliography.format(key)
    assert reference.text == plain(markdown), f"reference {number}"
    assert html_to_text(reference.html) == reference.text
    # the same words in italics ("*Lancet.*" is <em>Lancet</em>.) and the same links (DOIs are linked too)
    italics = [html.unescape(em) for em in re.findall(r"<em>(.*?)</em>", reference.html)]
    assert italics == [em.removesuffix(".") for em in re.findall(r"(?<!\*)\*([^*]+)\*", markdown)]
    links = [
        (html.unescape(href), html.unescape(label))
        for href, label in re.findall(r'<a href="([^"]*)">(.*?)</a>', reference.html)
        if not label.startswith("doi:")
    ]
    expected = [
        (autolink or target, autolink or label)
        for autolink, label, target in re.findall(r"<(https?://[^>]+)>|\[([^\]]+)\]\(([^)]+)\)", markdown)
    ]
    assert links == expected
