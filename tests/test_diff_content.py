"""Review by content on the nested bariatric fixture (OH.CP.MP.37): each common edit reads as what a
reviewer would call it — an insertion, a deletion, a move, a swap, a threshold, a change of logic, a
code replaced, a reference inserted — with no spurious "text changed" entries, and every criterion
number that now names something else listed with what it meant and what it means now.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from test_diff import SEED, Repo, check_golden, diff, make_repo
from test_diff_structures import POLICY, bariatric_repository

REVISION = "- description: Annual review.\n  revision_date: 2025-06\n  approval_date: 2025-06\nreferences:\n"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return bariatric_repository(tmp_path)


def _review(repo: Repo, capsys: pytest.CaptureFixture[str]) -> str:
    """The report of the working tree against ``main``, with a revision-log entry added for the change."""
    repo.replace(POLICY, "references:\n", REVISION)
    code, out, err = diff(repo, capsys, "main")
    assert code == 0, err
    return out


def _insert(repo: Repo) -> None:
    repo.replace(
        POLICY,
        "      - text: Type 2 diabetes mellitus;\n",
        "      - text: Type 2 diabetes mellitus;\n      - text: Prediabetes with an HbA1c of 5.7% to 6.4%;\n",
    )


def _delete(repo: Repo) -> None:
    repo.replace(POLICY, "    - text: Gastrogastric fistula or chronic leak;\n", "")


def _move(repo: Repo) -> None:
    nicotine = (
        "    - text: >-\n        For members who use nicotine, documented abstinence for ≥ 6 weeks before the planned "
        "date of surgery;\n"
    )
    repo.replace(POLICY, nicotine, "")
    repo.replace(
        POLICY,
        "      - text: Behavioral support for changes in eating habits;\n",
        "      - text: Behavioral support for changes in eating habits;\n"
        + nicotine.replace("    - text: >-\n        ", "      - text: >-\n          "),
    )


def _swap(repo: Repo) -> None:
    repo.replace(
        POLICY,
        "      - text: Type 2 diabetes mellitus;\n      - text: >-\n"
        "          Hypertension that is not controlled to target despite treatment with ≥ 2 antihypertensive agents;\n",
        "      - text: >-\n"
        "          Hypertension that is not controlled to target despite treatment with ≥ 2 antihypertensive agents;\n"
        "      - text: Type 2 diabetes mellitus;\n",
    )


def _threshold(repo: Repo) -> None:
    repo.replace(
        POLICY,
        "Participation for ≥ 3 months in a weight-management",
        "Participation for ≥ 6 months in a weight-management",
    )


def _all_to_one(repo: Repo) -> None:
    repo.replace(
        POLICY,
        "of a multidisciplinary preoperative evaluation\n      that includes all of the following:\n    requires: all",
        "of a multidisciplinary preoperative evaluation\n      that includes one of the following:\n    requires: one",
    )


def _code_replaced(repo: Repo) -> None:
    repo.replace(POLICY, '  - code: "43775"\n', '  - code: "43776"\n')


def _reference_inserted(repo: Repo) -> None:
    bib = repo.read("references.bib")
    repo.write(
        "references.bib",
        bib + "\n@article{mingrone2024,\n  author  = {Mingrone, G. and others},\n"
        "  title   = {Metabolic surgery versus conventional medical therapy in type 2 diabetes},\n"
        "  journal = {Lancet},\n  year    = {2024},\n  volume  = {403},\n  pages   = {1--10},\n}\n",
    )
    repo.replace(
        POLICY,
        "references:\n- eisenberg2022\n- mechanick2020\n",
        "references:\n- eisenberg2022\n- mingrone2024\n- mechanick2020\n",
    )
    repo.replace(POLICY, "loss than non-surgical treatment", "loss than non-surgical treatment[@mingrone2024]")


def _key_renamed(repo: Repo) -> None:
    repo.write("references.bib", repo.read("references.bib").replace("{hales2020,", "{hales2020prevalence,"))
    text = (
        repo.read(POLICY)
        .replace("[@hales2020]", "[@hales2020prevalence]")
        .replace("- hales2020\n", "- hales2020prevalence\n")
    )
    repo.write(POLICY, text)


def _definition_and_row(repo: Repo) -> None:
    repo.replace(
        POLICY,
        "Weight lost after surgery expressed as a percentage of the preoperative weight.",
        "Weight lost after surgery as a percentage of the weight before surgery.",
    )
    repo.replace(POLICY, "    - [TBWL, total body weight loss]\n", "    - [TBWL, total body-weight loss]\n")


CASES: dict[str, Callable[[Repo], None]] = {
    "inserted": _insert,
    "deleted": _delete,
    "moved": _move,
    "swapped": _swap,
    "threshold": _threshold,
    "all-to-one": _all_to_one,
    "code-replaced": _code_replaced,
    "reference-inserted": _reference_inserted,
    "definition-and-row": _definition_and_row,
    "reference-key-renamed": _key_renamed,
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_edit_reads_as_what_it_is(
    repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool, name: str
) -> None:
    CASES[name](repo)
    out = _review(repo, capsys)
    check_golden(f"content-{name}.md", out, update_golden)
    assert "text changed" not in out or name in ("threshold", "all-to-one")


def test_an_insertion_is_one_insertion_and_renumbering(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    _insert(repo)
    out = _review(repo, capsys)
    assert "- **Criterion I.B.2.b** inserted under I.B.2, after I.B.2.a:" in out
    assert out.count("- **Criterion") == 1  # the seven that moved down a letter are not "changed"
    assert "| I.B.2.b | “Hypertension that is not controlled to target despite treatment with ≥ 2 …” | I.B.2.c |" in out
    # untouched code-row notes still say "criterion I.B.2.c", which now is another comorbidity
    assert "governance.reference\\_shifted" in out and "ICD-10-CM G47.33" in out


def test_a_renamed_key_is_the_same_reference(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    _key_renamed(repo)
    out = _review(repo, capsys)
    assert "- key of **\\[5\\] hales2020prevalence** renamed from hales2020, same reference" in out
    assert "#### Text" not in out and "added **" not in out and "removed **" not in out


def test_a_swap_is_one_entry(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    _swap(repo)
    out = _review(repo, capsys)
    assert "- **Criteria I.B.2.a and I.B.2.b** swapped places" in out
    assert out.count("- **Criteri") == 1


def test_coverage_changes_are_named_in_words(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    _threshold(repo)
    _all_to_one(repo)
    _code_replaced(repo)
    out = _review(repo, capsys)
    assert "threshold “≥ 3 months” → “≥ 6 months”" in out
    assert "requires *all* → *one*" in out
    assert (
        "- **CPT 43775** replaced by **43776** in “CPT® codes that support coverage criteria”, same description" in out
    )


def test_renumbering_warns_but_does_not_fail_the_check(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    _delete(repo)
    repo.replace(POLICY, "references:\n", REVISION)
    code, out, err = diff(repo, capsys, "main", "--check")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if "governance.criterion_renumbered" in line]
    assert warnings[0].startswith(f"{POLICY}:")
    assert (
        "warning: OH.CP.MP.37: criterion II.A.5 (with its 4 sub-criteria) is now II.A.4; "
        "a denial letter or page citing criterion II.A.5"
    ) in warnings[0]
    assert out.startswith("governance check passed (") and "warning(s))" in out


def _reformat(path: Path) -> None:
    """The same data written another way: keys sorted, lines wrapped at another width, other quoting."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump(data, sort_keys=True, width=60, allow_unicode=True), encoding="utf-8")


def test_a_reformatted_seed_reviews_as_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    for path in (repo.root / "policy").rglob("*.yaml"):
        _reformat(path)
    bib = repo.read("references.bib")
    repo.write("references.bib", bib.replace("  ", "\t").replace(" = {", "={"))
    assert repo.read(SEED) != (ROOT / SEED).read_text(encoding="utf-8")
    code, out, err = diff(repo, capsys, "main")
    assert (code, err) == (0, "")
    assert "Policies: 0 changed · 0 added · 0 removed · 0 renamed · 1 unchanged" in out
    assert "No changes to policies, their references or the shared boilerplate." in out


def test_a_reformatted_bariatric_policy_reviews_as_unchanged(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    _reformat(repo.path(POLICY))
    code, out, err = diff(repo, capsys, "main")
    assert (code, err) == (0, "")
    assert "Policies: 0 changed · 0 added · 0 removed · 0 renamed · 1 unchanged" in out


def test_a_restriction_posted_inside_the_notice_period_is_refused(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    config = repo.read("mkdocs.yml").replace("  - policypress:\n", "  - policypress:\n      notice_days: 60\n")
    repo.write("mkdocs.yml", config)
    repo.commit("a 60-day notice period")
    repo.replace(
        POLICY,
        '  - code: "43644"\n    description: >-\n      Laparoscopic gastric bypass with Roux-en-Y '
        "gastroenterostomy, Roux limb 150 cm or shorter\n",
        "",
    )
    repo.replace(POLICY, "references:\n", REVISION)
    effective = next(line for line in repo.read(POLICY).splitlines() if line.startswith("effective_date:"))
    line = repo.read(POLICY).splitlines().index(effective) + 1
    repo.commit("restrict")  # committed 2025-01-01 (the test repository's clock)
    code, _out, err = diff(repo, capsys, "main~1", "main", "--check")
    assert code == 1
    assert err.splitlines()[0] == (
        f"{POLICY}:{line}:17: OH.CP.MP.37: a change that restricts coverage (CPT 43644 removed from a supporting "
        "table) takes effect 2025-03-01, 59 day(s) after it is posted on 2025-01-01; the plan's notice period is "
        "60 days (plugins.policypress.notice_days): set effective_date to 2025-03-02 or later "
        "[governance.notice_period]"
    )
    repo.replace(POLICY, effective, "effective_date: 2025-03-02")
    repo.commit("take effect after the notice period")
    code, _out, err = diff(repo, capsys, "main~2", "main", "--check")
    assert code == 0, err


def test_a_code_newly_needing_authorization_is_a_restriction(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    """Prior authorization where none was asked makes a service harder to get: the notice period applies."""
    config = repo.read("mkdocs.yml").replace("  - policypress:\n", "  - policypress:\n      notice_days: 60\n")
    repo.write("mkdocs.yml", config)
    repo.replace(
        POLICY, "  meaning: supports_coverage\n", "  meaning: supports_coverage\n  prior_authorization: false\n"
    )
    repo.commit("a 60-day notice period; authorization not needed")
    repo.replace(POLICY, "  prior_authorization: false\n", "  prior_authorization: true\n")
    repo.replace(POLICY, "references:\n", REVISION)
    repo.commit("authorization needed")
    code, _out, err = diff(repo, capsys, "main~1", "main", "--check")
    assert code == 1
    assert "a change that restricts coverage (CPT 43644 now needs prior authorization; " in err.splitlines()[0]
    assert "[governance.notice_period]" in err.splitlines()[0]
