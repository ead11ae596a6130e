"""Computable coverage: the FHIR files of the seed and the bariatric fixture (``api/fhir/<stem>/``).

They parse with the ``fhir.resources`` R4B models, satisfy the DTR and CRD invariants checked by
FHIRPath, link only to anchors that exist on the built pages, and each group's FHIRPath logic
agrees with the policy's ``requires`` over the full truth table of its sub-criteria.
"""

from __future__ import annotations

import copy
import itertools
import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, build_with_the_command, copy_seed_project
from policypress.fhir import validate
from policypress.fhir.logic import group_expression, holds
from policypress.fhir.resources import CALCULATED, SUPPORT_LINK

SITE_URL = "https://policies.example.org/"
EXAMPLE = ROOT / "tests" / "fixtures" / "fhir" / "questionnaire-example.json"


@pytest.fixture(scope="module", params=["seed", "bariatric"])
def case(request: pytest.FixtureRequest) -> tuple[Path, str]:
    """A built site and the policy whose FHIR files are read: the seed (in the repository's site) or OH.CP.MP.37."""
    if request.param == "seed":
        return request.getfixturevalue("built_site"), "wa-cp-mp-166"
    return request.getfixturevalue("bariatric_site"), "oh-cp-mp-37"


def read(site: Path, stem: str, name: str) -> dict[str, Any]:
    return json.loads((site / "api" / "fhir" / stem / name).read_text(encoding="utf-8"))


@cache
def _ids(page: Path) -> frozenset[str]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return frozenset(str(tag["id"]) for tag in soup.select("[id]"))


def resolves(site: Path, url: str) -> bool:
    """Whether a link of the FHIR files lands on a built page of ``site`` and an anchor on it."""
    assert url.startswith(SITE_URL), url
    parts = urlsplit(url)
    page = site / parts.path.removeprefix("/") / "index.html"
    return page.is_file() and (not parts.fragment or parts.fragment in _ids(page))


def items(resource: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    stack = list(resource.get("item", []))
    while stack:
        item = stack.pop(0)
        found.append(item)
        stack.extend(item.get("item", []))
    return found


def test_questionnaire_and_bundle_parse_and_satisfy_the_dtr_invariants(case: tuple[Path, str]) -> None:
    site, stem = case
    questionnaire = read(site, stem, "Questionnaire.json")
    assert validate.check_questionnaire(questionnaire) == []
    bundle = read(site, stem, "Bundle.json")
    assert validate.check_bundle(bundle) == []
    assert bundle["entry"][0]["resource"] == questionnaire
    assert questionnaire["effectivePeriod"]["start"]


def test_every_link_id_is_an_anchor_of_the_page_and_every_support_link_resolves(case: tuple[Path, str]) -> None:
    site, stem = case
    questionnaire = read(site, stem, "Questionnaire.json")
    page_ids = _ids(site / "policies" / stem / "index.html")
    exported = json.loads((site / "api" / "policies" / f"{stem}.json").read_text(encoding="utf-8"))
    anchors = []
    stack = list(exported["criteria"])
    while stack:
        criterion = stack.pop(0)
        anchors.append(criterion["anchor"])
        stack.extend(criterion["criteria"])
    assert sorted(item["linkId"] for item in items(questionnaire)) == sorted(anchors)  # the whole tree
    for item in items(questionnaire):
        assert item["linkId"] in page_ids
        (link,) = [e["valueUri"] for e in item["extension"] if e["url"] == SUPPORT_LINK]
        assert link == item["definition"]
        assert link.endswith(f"#{item['linkId']}")
        assert resolves(site, link), link


def test_each_groups_fhirpath_matches_its_logic_over_the_full_truth_table(case: tuple[Path, str]) -> None:
    site, stem = case
    exported = json.loads((site / "api" / "policies" / f"{stem}.json").read_text(encoding="utf-8"))
    requires: dict[str, Any] = {}
    stack = list(exported["criteria"])
    while stack:
        criterion = stack.pop(0)
        requires[criterion["anchor"]] = criterion["requires"]
        stack.extend(criterion["criteria"])
    groups = 0
    for item in items(read(site, stem, "Questionnaire.json")):
        expressions = [e["valueExpression"]["expression"] for e in item["extension"] if e["url"] == CALCULATED]
        logic = requires[item["linkId"]]
        if logic in ("all", "one") or isinstance(logic, int):
            assert item.get("item") and len(expressions) == 1, item["linkId"]
        else:
            assert expressions == [], item["linkId"]
            continue
        groups += 1
        children = [child["linkId"] for child in item["item"]]
        for answers in itertools.product((False, True), repeat=len(children)):
            got = validate.group_answer(expressions[0], dict(zip(children, answers, strict=True)))
            assert got == holds(logic, answers), (item["linkId"], answers)
    if stem == "oh-cp-mp-37":
        assert groups >= 5  # the fixture's nested all/one groups


@pytest.mark.parametrize("logic", ["all", "one", 1, 2, 3])
def test_at_least_n_logic_over_its_truth_table(logic: str | int) -> None:
    children = ("criterion-I-A", "criterion-I-B", "criterion-I-C")
    expression = group_expression(logic, children)  # type: ignore[arg-type]
    for answers in itertools.product((False, True), repeat=3):
        expected = all(answers) if logic == "all" else any(answers) if logic == "one" else sum(answers) >= int(logic)
        assert validate.group_answer(expression, dict(zip(children, answers, strict=True))) == expected
    # an unanswered sub-criterion counts as not met
    assert validate.group_answer(expression, {}) is False


def test_the_invariants_catch_what_they_are_for(built_site: Path) -> None:
    questionnaire = read(built_site, "wa-cp-mp-166", "Questionnaire.json")
    broken = copy.deepcopy(questionnaire)
    broken["item"][1]["linkId"] = broken["item"][0]["linkId"]
    del broken["item"][0]["text"]
    broken["item"][0]["extension"] = []
    assert validate.check_questionnaire(broken) == ["linkid-unique", "item-text", "support-link"]
    bundle = read(built_site, "wa-cp-mp-166", "Bundle.json")
    bundle["type"] = "transaction"
    assert validate.check_bundle(bundle) == ["dtr-package-collection"]
    with pytest.raises(ValueError, match=r"effectivePeriod\.start"):
        validate.check_questionnaire({**questionnaire, "effectivePeriod": {"start": "11/01/24"}})
    with pytest.raises(ValueError, match="linkId"):
        validate.check_questionnaire({**questionnaire, "item": [{"type": "boolean", "text": "x"}]})


def test_hl7_style_example_questionnaire_round_trips_through_the_models() -> None:
    """The models themselves: an example in the style of HL7's (groups, enableWhen, choices, display) survives."""
    from fhir.resources.R4B.questionnaire import Questionnaire

    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    parsed = Questionnaire.model_validate(example)
    again = json.loads(parsed.model_dump_json(exclude_none=True))
    assert again == example
    assert Questionnaire.model_validate(again) == parsed


HL7_EXAMPLES = ROOT / ".cache" / "fhir-examples" / "package"
"""HL7's published FHIR R4 examples (npm ``hl7.fhir.r4.examples``), put there by ``make test``."""
HL7_VALID = ("3141", "bb", "f201", "gcs", "phq-9-questionnaire", "zika-virus-exposure-assessment")


@pytest.mark.parametrize("name", HL7_VALID)
def test_hl7s_published_example_questionnaires_round_trip_through_the_models(name: str) -> None:
    """The models themselves, on HL7's own examples: every field read and written back as HL7 wrote it."""
    from fhir.resources.R4B.questionnaire import Questionnaire

    path = HL7_EXAMPLES / f"Questionnaire-{name}.json"
    assert path.is_file(), "HL7's examples are not installed: run `make test`"
    example = json.loads(path.read_text(encoding="utf-8"))
    parsed = Questionnaire.model_validate(example)
    again = json.loads(parsed.model_dump_json(exclude_none=True))
    assert again == example
    assert Questionnaire.model_validate(again) == parsed


def test_hl7s_example_without_link_ids_is_refused_by_the_models() -> None:
    """HL7's ``qs1`` example leaves out its items' linkId, which R4 requires: the models must say so."""
    from fhir.resources.R4B.questionnaire import Questionnaire

    path = HL7_EXAMPLES / "Questionnaire-qs1.json"
    assert path.is_file(), "HL7's examples are not installed: run `make test`"
    with pytest.raises(ValueError, match="linkId"):
        Questionnaire.model_validate(json.loads(path.read_text(encoding="utf-8")))


def test_the_files_are_the_same_on_every_build(built_site: Path, tmp_path: Path) -> None:
    """No clock: a fresh build of the same sources gives the same bytes."""
    site = tmp_path / "site"
    build_with_the_command(ROOT, site)
    folder = Path("api/fhir/wa-cp-mp-166")
    written = sorted(path.relative_to(built_site / folder) for path in (built_site / folder).rglob("*.json"))
    assert written == sorted(path.relative_to(site / folder) for path in (site / folder).rglob("*.json"))
    for path in written:
        assert (site / folder / path).read_bytes() == (built_site / folder / path).read_bytes(), path


def test_without_site_url_the_build_says_the_fhir_files_are_skipped(tmp_path: Path) -> None:
    project = copy_seed_project(tmp_path / "project")
    config = project / "mkdocs.yml"
    config.write_text(
        "\n".join(line for line in config.read_text(encoding="utf-8").splitlines() if not line.startswith("site_url"))
        + "\n",
        encoding="utf-8",
    )
    site = tmp_path / "site"
    result = build_with_the_command(project, site)
    assert "fhir: skipped: set site_url in mkdocs.yml" in result.stdout
    assert not (site / "api" / "fhir").exists()
    assert (site / "api" / "codes.json").is_file()


def test_cpt_descriptions_only_with_the_ama_notice(built_site: Path, tmp_path: Path) -> None:
    public = read(built_site, "wa-cp-mp-166", "ValueSet-1.json")
    assert "copyright" not in public
    assert all("display" not in concept for concept in public["compose"]["include"][0]["concept"])
    project = copy_seed_project(tmp_path / "project")
    site = tmp_path / "site"
    config = project / "mkdocs.yml"
    assert "ama_licence_notice" not in config.read_text(encoding="utf-8")
    notice = '      ama_licence_notice: "CPT® is a registered trademark of the AMA."\n'
    text = config.read_text(encoding="utf-8").replace("      month_format:", notice + "      month_format:")
    config.write_text(text, encoding="utf-8")
    build_with_the_command(project, site)
    valueset = read(site, "wa-cp-mp-166", "ValueSet-1.json")
    assert validate.check_valueset(valueset) == []
    assert valueset["copyright"] == "CPT® is a registered trademark of the AMA."
    assert all(concept["display"] for concept in valueset["compose"]["include"][0]["concept"])
    shutil.rmtree(site)


def test_every_code_of_the_code_index_has_a_coverage_rule(case: tuple[Path, str]) -> None:
    """Each rule parses, satisfies the CRD invariants, and its policy link lands on an anchor of the page."""
    site, _stem = case
    codes = json.loads((site / "api" / "codes.json").read_text(encoding="utf-8"))["codes"]
    assert codes
    for entry in codes:
        stem = entry["page"].rstrip("/").rsplit("/", 1)[-1]
        rules = read(site, stem, "coverage-rules.json")
        (rule,) = [r for r in rules["rules"] if r["code"] == entry["code"] and r["table"] == entry["table"]]
        assert (rule["first"], rule["last"]) == (entry["first"], entry["last"])
        assert validate.check_coverage_information(rule["extension"]) == [], entry["code"]
        assert resolves(site, rule["policy"]), rule["policy"]
        parts = {part["url"]: part for part in rule["extension"]["extension"]}
        covered = parts["covered"]["valueCode"]
        assert covered == {"supports_coverage": "covered", "does_not_support_coverage": "not-covered"}.get(
            entry["meaning"], "conditional"
        )
        if "questionnaire" in parts:
            assert parts["questionnaire"]["valueCanonical"].startswith(rules["questionnaire"] + "|")
        if entry["first"] == entry["last"]:
            assert parts["billingCode"]["valueCoding"]["code"] == entry["first"]


def test_every_code_table_has_a_valueset_that_parses(case: tuple[Path, str]) -> None:
    site, stem = case
    exported = json.loads((site / "api" / "policies" / f"{stem}.json").read_text(encoding="utf-8"))
    tables = exported["policy"]["code_tables"]
    for index, table in enumerate(tables, start=1):
        valueset = read(site, stem, f"ValueSet-{index}.json")
        assert validate.check_valueset(valueset) == []
        listed = {c["code"] for include in valueset["compose"]["include"] for c in include.get("concept", [])}
        singles = {row["code"] for row in table["rows"] if "–" not in row["code"] and "-" not in row["code"][1:]}
        assert singles <= listed, table["heading"]
    assert not (site / "api" / "fhir" / stem / f"ValueSet-{len(tables) + 1}.json").exists()


def test_the_files_name_the_version_and_link_its_page(tmp_path: Path) -> None:
    """In a repository holding three versions, the files describe version 3: its number, its window, its page."""
    from test_versions import three_versions

    project = three_versions(tmp_path / "repo")
    site = tmp_path / "site"
    build_with_the_command(project, site)
    questionnaire = read(site, "wa-cp-mp-166", "Questionnaire.json")
    assert questionnaire["version"] == "3"
    assert questionnaire["effectivePeriod"] == {"start": "2025-09-01"}
    for item in items(questionnaire):
        assert item["definition"] == f"{SITE_URL}policies/wa-cp-mp-166/v3/#{item['linkId']}"
        assert resolves(site, item["definition"])
    rules = read(site, "wa-cp-mp-166", "coverage-rules.json")
    assert rules["version"] == "3"
    for rule in rules["rules"]:
        parts = {part["url"]: part for part in rule["extension"]["extension"]}
        assert parts["date"]["valueDate"] == "2025-09-01"
        assert parts["coverage-assertion-id"]["valueString"] == "WA.CP.MP.166-v3"
        assert resolves(site, rule["policy"])
    # each version has its own files, from its own sources, linked to its own page
    windows = {"1": {"start": "2024-11-01", "end": "2025-02-28"}, "2": {"start": "2025-03-01", "end": "2025-08-31"}}
    windows["3"] = {"start": "2025-09-01"}
    for number, period in windows.items():
        folder = f"v{number}"
        versioned = read(site, "wa-cp-mp-166", f"{folder}/Questionnaire.json")
        assert validate.check_questionnaire(versioned) == []
        assert validate.check_bundle(read(site, "wa-cp-mp-166", f"{folder}/Bundle.json")) == []
        assert (versioned["version"], versioned["effectivePeriod"]) == (number, period)
        assert versioned["url"] == questionnaire["url"]  # one canonical, told apart by version
        for item in items(versioned):
            assert item["definition"] == f"{SITE_URL}policies/wa-cp-mp-166/v{number}/#{item['linkId']}"
            assert resolves(site, item["definition"])
        for rule in read(site, "wa-cp-mp-166", f"{folder}/coverage-rules.json")["rules"]:
            assert validate.check_coverage_information(rule["extension"]) == []
            assert resolves(site, rule["policy"])
    texts = [read(site, "wa-cp-mp-166", f"v{n}/Questionnaire.json")["item"][1]["text"] for n in ("1", "2")]
    assert "for pulsed RFA" not in texts[0] and "for pulsed RFA" in texts[1]
