"""The bad-input corpus: every mistake an author can make is refused with file:line and field.

Each case edits a copy of a small, valid project (``tests/fixtures/nested`` plus the
repository's templates and mkdocs.yml) whose site has already been built, then runs
``policypress build``. The build must exit 1, print exactly the golden message in
``tests/golden/errors/<case>.txt`` (``pytest --update-golden`` rewrites them; review
the diff) and leave ``site/`` byte-for-byte as it was, with no temporary folder left.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT, copy_project
from policypress.cli import main

NESTED = ROOT / "tests" / "fixtures" / "nested"
GOLDEN = ROOT / "tests" / "golden" / "errors"
POLICY = "policy/xx-cp-mp-1.yaml"
BIB = "references.bib"
TEMPLATE = "templates/policy.md.j2"


MA_BLOCK = """medicare_advantage:
  internal_coverage_criteria: true
  medicare_basis: No national or local coverage determination addresses this service.
  rationale: The criteria follow the outcomes the cited trials measured.
  evidence_summary:
    - claim: Two trials found a lasting benefit.
      references: [1, 2]
  benefit_over_harm: The benefit outweighs the procedure's risks for members who meet the criteria.
"""
"""A complete Medicare Advantage block for the nested fixture's policy (which lists five references)."""
MA_WITHOUT_RATIONALE = MA_BLOCK.replace(
    "  rationale: The criteria follow the outcomes the cited trials measured.\n", ""
)


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` by ``new`` in ``file`` (once); ``old=None`` writes the whole file; ``new=None`` deletes it.

    ``outside``: ``file`` becomes a symbolic link to a file outside the project (beside it) holding ``new``."""

    file: str
    old: str | bytes | None
    new: str | bytes | None
    outside: bool = False


def edit(file: str, old: str | bytes | None, new: str | bytes | None) -> Edit:
    return Edit(file, old, new)


def linked(file: str, new: str) -> Edit:
    """``file`` replaced by a link to a file outside the project that holds ``new``."""
    return Edit(file, None, new, outside=True)


OUTSIDE = "outside"
"""The folder beside the project that a linked file points into; shown as ``<tmp>/outside`` in golden files."""
SECRET = "secret_token: hunter2"


CASES: dict[str, tuple[Edit, ...]] = {
    # --- YAML the loader refuses -------------------------------------------------------
    "yaml-duplicate-key": (edit(POLICY, "plan: Example Health Plan\n", "plan: Example Health Plan\nplan: Other\n"),),
    "yaml-python-tag": (edit(POLICY, 'title: "Nested', 'title: !!python/object/apply:os.system ["id"]\nx: "Nested'),),
    "yaml-explicit-str-tag": (edit(POLICY, "plan: Example Health Plan", "plan: !!str Example Health Plan"),),
    "yaml-anchor-alias": (edit(POLICY, "plan: Example Health Plan", "plan: &p Example Health Plan\nowner: *p"),),
    "yaml-alias-bomb": (
        edit(POLICY, "id: XX.CP.MP.1\n", "id: XX.CP.MP.1\na: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"),
    ),
    "yaml-non-string-key": (edit(POLICY, "plan: Example Health Plan", "plan: Example Health Plan\n2025: year"),),
    "yaml-two-documents": (edit(POLICY, "references:\n", "---\nreferences:\n"),),
    "yaml-not-utf8": (edit(POLICY, "Age ≥ 18".encode(), "Age \xb3 18".encode("latin-1")),),
    "yaml-oversize": (edit(POLICY, "plan: Example Health Plan", "plan: Example Health Plan\n#" + "x" * 1_000_000),),
    "yaml-syntax-indentation": (edit(POLICY, "    code_system: HCPCS", "   code_system: HCPCS"),),
    "yaml-syntax-unclosed-quote": (edit(POLICY, 'title: "Nested <Criteria> & {Escaping}"', 'title: "Nested'),),
    "yaml-empty-file": (edit(POLICY, None, ""),),
    "yaml-list-at-top": (edit(POLICY, None, "- id: XX.CP.MP.1\n"),),
    # --- YAML 1.1 surprises the schema catches --------------------------------------------
    "yaml11-no-is-false": (edit(POLICY, "plan: Example Health Plan", "plan: NO"),),
    "yaml11-unquoted-code": (edit(POLICY, 'code: "L8699"', "code: 64451"),),
    "yaml11-octal-code": (edit(POLICY, 'code: "L8699"', "code: 0755"),),
    "yaml11-full-date-for-month": (edit(POLICY, "revision_date: 2025-01", "revision_date: 2025-01-15"),),
    # --- the model ------------------------------------------------------------------------
    "model-missing-title": (edit(POLICY, 'title: "Nested <Criteria> & {Escaping}"\n', ""),),
    "model-unknown-field-typo": (edit(POLICY, "effective_date:", "efective_date:"),),
    "model-unknown-nested-field": (edit(POLICY, "      - text: first condition;", "      - txt: first condition;"),),
    "model-bad-determination": (edit(POLICY, "determination: investigational", "determination: maybe"),),
    "model-id-does-not-match-file": (edit(POLICY, "id: XX.CP.MP.1", "id: XX.CP.MP.2"),),
    "model-duplicate-id": (edit("policy/xx-cp-mp-1-copy.yaml", None, (NESTED / POLICY).read_text(encoding="utf-8")),),
    "model-bad-id-format": (edit(POLICY, "id: XX.CP.MP.1", "id: xx-cp-mp-1"),),
    "model-impossible-date": (edit(POLICY, "effective_date: 2025-01-15", "effective_date: 2025-13-01"),),
    "model-us-date": (edit(POLICY, "effective_date: 2025-01-15", "effective_date: 01/15/2025"),),
    "model-us-date-short-year": (edit(POLICY, "effective_date: 2025-01-15", "effective_date: 1/15/25"),),
    "model-date-in-words": (edit(POLICY, "effective_date: 2025-01-15", "effective_date: January 15, 2025"),),
    "model-month-in-wrong-format": (edit(POLICY, "approval_date: 2025-02", "approval_date: 02/25"),),
    "model-empty-description": (edit(POLICY, "description:\n  - >-\n", "description: []\nx:\n  - >-\n"),),
    "model-empty-text": (edit(POLICY, "text: Everything else.", 'text: ""'),),
    "model-unknown-code-system": (edit(POLICY, "code_system: HCPCS", "code_system: LOINC"),),
    "model-criteria-not-a-list": (
        edit(POLICY, "  - determination: investigational\n    text: Everything else.\n", ""),
        edit(
            POLICY,
            "criteria:\n  - determination: medically_necessary",
            "criteria: none\nx:\n  - determination: medically_necessary",
        ),
    ),
    # --- policy rules ---------------------------------------------------------------------
    "rule-cpt-code-format": (
        edit(
            POLICY,
            'code_system: HCPCS\n    rows:\n      - code: "L8699"',
            'code_system: CPT\n    rows:\n      - code: "6445"',
        ),
    ),
    "rule-hcpcs-code-format": (edit(POLICY, 'code: "L8699"', 'code: "Z8699"'),),
    "rule-duplicate-code": (
        edit(
            POLICY,
            "        description: Prosthetic implant, not otherwise specified\n",
            "        description: Prosthetic implant, not otherwise specified\n"
            '      - code: "L8699"\n        description: Again\n',
        ),
    ),
    "rule-revision-out-of-order": (
        edit(
            POLICY,
            "    approval_date: 2025-02\n",
            "    approval_date: 2025-02\n"
            "  - description: Annual review.\n    revision_date: 2024-12\n    approval_date: 2024-12\n",
        ),
    ),
    "rule-approved-before-revised": (edit(POLICY, "approval_date: 2025-02", "approval_date: 2024-12"),),
    "rule-effective-before-developed": (edit(POLICY, "effective_date: 2025-01-15", "effective_date: 2024-11-01"),),
    "rule-effective-date-out-of-range": (
        edit(POLICY, "effective_date: 2025-01-15", "effective_date: 2205-01-15"),
        edit(POLICY, "last_review_date: 2025-12-01", "last_review_date: null"),
    ),
    # --- citations ------------------------------------------------------------------------
    "citation-unknown-key": (edit(POLICY, "[@delta]", "[@dleta]"),),
    "citation-unknown-key-case": (edit(POLICY, "[@delta]", "[@Delta]"),),
    "citation-unknown-key-far": (edit(POLICY, "[@delta]", "[@smith2020]"),),
    "citation-listed-typo": (edit(POLICY, "  - unused\n", "  - unused\n  - gamm\n"),),
    "citation-not-listed": (edit(POLICY, "  - delta\n", ""),),
    "citation-listed-not-in-bib": (edit(POLICY, "  - unused\n", "  - unused\n  - ghost\n"),),
    "citation-listed-twice": (edit(POLICY, "  - unused\n", "  - unused\n  - alpha\n"),),
    # --- the bibliography ----------------------------------------------------------------
    "bib-duplicate-key": (edit(BIB, "@online{unused,", "@online{alpha,"),),
    "bib-duplicate-key-case": (edit(BIB, "@online{unused,", "@online{Alpha,"),),
    "bib-syntax-error": (edit(BIB, "  title = {Second},", "  title = {Second,"),),
    "bib-missing-journal": (edit(BIB, "  journal = {J Test},\n  year = {2021},", "  year = {2021},"),),
    "bib-bad-doi": (edit(BIB, "  pages = {5--6}", "  pages = {5--6},\n  doi = {https://doi.org/10.1000/x}"),),
    "bib-javascript-url": (edit(BIB, "url = {https://example.org/delta}", "url = {javascript:alert(1)}"),),
    "bib-data-url": (edit(BIB, "url = {https://example.org/unused}", "url = {data:text/html,<script>x</script>}"),),
    "bib-latex-macro": (edit(BIB, "author = {Beta, Bob}", "author = {B{\\'e}ta, Bob}"),),
    "bib-bad-date": (edit(BIB, "date = {2023}", "date = {last year}"),),
    "bib-unsupported-type": (edit(BIB, "@online{delta,", "@misc{delta,"),),
    # --- templates and boilerplate ---------------------------------------------------------
    "template-syntax-error": (edit(TEMPLATE, "{% for paragraph in reminder.paragraphs %}", "{% for paragraph in %}"),),
    "template-undefined-variable": (edit(TEMPLATE, "{{ policy.id }}", "{{ policy.number }}"),),
    "boilerplate-missing-reminder": (edit("policy/boilerplate/important-reminder.yaml", None, None),),
    "boilerplate-unknown-field": (
        edit("policy/boilerplate/cpt-notice.yaml", "code_system: CPT", "code_system: CPT\nyear: 2023"),
    ),
    "boilerplate-citation": (
        edit("policy/boilerplate/important-reminder.yaml", "This is a **fixture** reminder.", "Cites [@alpha]."),
    ),
    "bib-empty": (edit(BIB, None, "% no entries yet\n"),),
    # --- citations an author mistyped are errors, not literal text -------------------------
    "citation-comma-separated": (edit(POLICY, "[@gamma; @beta]", "[@gamma, @beta]"),),
    "citation-space-after-at": (edit(POLICY, "[@delta]", "[@ delta]"),),
    "citation-unclosed": (edit(POLICY, "[@delta]", "[@delta"),),
    # --- link ids that would collide on the page -------------------------------------------
    "anchor-heading-reuses-section": (edit(POLICY, "  - content:\n", "  - heading: Background\n    content:\n"),),
    "anchor-heading-looks-numbered": (edit(POLICY, "  - content:\n", "  - heading: Ref 1\n    content:\n"),),
    "anchor-code-in-two-tables": (
        edit(
            POLICY,
            "revision_log:\n",
            "  - heading: Also covered\n    code_system: HCPCS\n    rows:\n"
            '      - code: "L8699"\n        description: Again\nrevision_log:\n',
        ),
    ),
    "templates-missing": (edit(TEMPLATE, None, None),),
    # --- YAML under policy/ that would not be read is named, never left out without a word ---
    "source-policy-named-yml": (edit("policy/xx-cp-mp-2.yml", None, "id: XX.CP.MP.2\n"),),
    "source-policy-named-upper-yaml": (edit("policy/XX-CP-MP-2.YAML", None, "id: XX.CP.MP.2\n"),),
    "source-policy-in-subfolder": (
        edit("policy/drafts/.keep", None, ""),
        edit("policy/drafts/xx-cp-mp-2.yaml", None, "id: XX.CP.MP.2\n"),
    ),
    "source-boilerplate-named-yml": (edit("policy/boilerplate/zz-notice.yml", None, "code_system: CPT\n"),),
    "source-in-boilerplate-subfolder": (
        edit("policy/boilerplate/old/.keep", None, ""),
        edit("policy/boilerplate/old/cpt-notice.yaml", None, "code_system: CPT\n"),
    ),
    # --- a file name is shown with every character a terminal would act on escaped ----------
    "filename-terminal-escapes": (
        edit("policy/xx-cp-mp-1\x1b[2J\x1b]0;owned\x07.yaml", None, (NESTED / POLICY).read_text(encoding="utf-8")),
    ),
    "filename-terminal-escapes-yml": (edit("policy/\x1b[31mred\u202eyml.yml", None, "id: XX.CP.MP.2\n"),),
    "filename-not-utf8": (edit("policy/xx-\udcff.yml", None, "id: XX.CP.MP.2\n"),),
    # --- templates and theme files are sources: none may be a link to outside the project ---
    "template-linked-from-outside": (linked(TEMPLATE, f"{{# {SECRET} #}}\n# {{{{ policy.title }}}}\n"),),
    "override-linked-from-outside": (linked("overrides/partials/copyright.html", f"<p>{SECRET}</p>\n"),),
    "print-template-linked-from-outside": (linked("templates/pdf.typ", f"// {SECRET}\n"),),
    "asset-linked-from-outside": (linked("docs/assets/code-lookup.js", f"// {SECRET}\n"),),
    "code-authorization-not-a-boolean": (
        edit(POLICY, '      - code: "L8699"\n', '      - code: "L8699"\n        prior_authorization: "yes"\n'),
    ),
    # --- Medicare Advantage internal coverage criteria (42 CFR 422.101(b)(6)) ----------------
    "ma-missing-rationale": (
        edit(POLICY, "references:\n  - alpha\n", MA_WITHOUT_RATIONALE + "references:\n  - alpha\n"),
    ),
    "ma-evidence-reference-out-of-range": (
        edit(POLICY, "references:\n  - alpha\n", MA_BLOCK.replace("[1, 2]", "[1, 9]") + "references:\n  - alpha\n"),
    ),
    "ma-declaration-not-a-boolean": (
        edit(
            POLICY,
            "references:\n  - alpha\n",
            MA_BLOCK.replace("internal_coverage_criteria: true", 'internal_coverage_criteria: "yes"')
            + "references:\n  - alpha\n",
        ),
    ),
    # --- several mistakes at once: all reported in one run --------------------------------
    "many-errors-at-once": (
        edit(POLICY, "determination: investigational", "determination: maybe"),
        edit(POLICY, "[@delta]", "[@dleta]"),
        edit(POLICY, 'code: "L8699"', "code: 8699"),
        edit(BIB, "  journal = {J Test},\n  year = {2021},", "  year = {2021},"),
        edit(TEMPLATE, "{% for paragraph in reminder.paragraphs %}", "{% for paragraph in %}"),
    ),
}


def apply(root: Path, change: Edit) -> None:
    path = root / change.file
    if change.outside:
        target = root.parent / OUTSIDE / path.name
        target.parent.mkdir(exist_ok=True)
        target.write_text(str(change.new), encoding="utf-8")
        path.unlink(missing_ok=True)
        path.symlink_to(target)
        return
    if change.new is None:
        path.unlink()
        return
    if change.old is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = change.new.encode() if isinstance(change.new, str) else change.new
        path.write_bytes(data)
        return
    old = change.old.encode() if isinstance(change.old, str) else change.old
    new = change.new.encode() if isinstance(change.new, str) else change.new
    content = path.read_bytes()
    assert old in content, f"{change.file}: {old!r} not found"
    path.write_bytes(content.replace(old, new, 1))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The valid fixture project with its site built once."""
    root = copy_project(tmp_path_factory.mktemp("valid") / "project", NESTED)
    assert main(["-f", str(root / "mkdocs.yml"), "build"]) == 0
    return root


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_and_site_untouched(
    case: str, built_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    root = tmp_path / "project"
    shutil.copytree(built_project, root)
    site_before = snapshot(root / "site")
    for change in CASES[case]:
        apply(root, change)
    capsys.readouterr()
    assert main(["-f", str(root / "mkdocs.yml"), "build"]) == 1
    output = capsys.readouterr()
    assert output.out == ""
    assert "Traceback" not in output.err
    assert all(char.isprintable() or char == "\n" for char in output.err)  # no terminal escape reaches it
    assert "hunter2" not in output.err  # nothing is read from outside the project, not even to report on it
    err = output.err.replace(str(tmp_path.resolve()), "<tmp>")
    golden = GOLDEN / f"{case}.txt"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(err, encoding="utf-8")
    assert err == golden.read_text(encoding="utf-8")
    assert snapshot(root / "site") == site_before
    leftovers = [p.name for p in root.iterdir() if p.name not in {*(q.name for q in built_project.iterdir())}]
    assert leftovers == []


def test_sources_linked_from_outside_the_project_are_refused_unread(
    built_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "project"
    shutil.copytree(built_project, root)
    secret = tmp_path / "secret.yaml"
    secret.write_text("secret_token: hunter2\n", encoding="utf-8")
    (root / "policy" / "boilerplate" / "zz.yaml").symlink_to(secret)
    site_before = snapshot(root / "site")
    capsys.readouterr()
    assert main(["-f", str(root / "mkdocs.yml"), "check"]) == 1
    err = capsys.readouterr().err
    assert "policy/boilerplate/zz.yaml:1:1: links to" in err and "[source.outside_project]" in err
    assert "hunter2" not in err and "secret_token" not in err
    assert snapshot(root / "site") == site_before


@pytest.mark.parametrize("folder", ["overrides/partials", "templates"])
def test_a_template_folder_linked_from_outside_is_refused_unread(
    built_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], folder: str
) -> None:
    root = tmp_path / "project"
    shutil.copytree(built_project, root)
    elsewhere = tmp_path / OUTSIDE / "folder"
    shutil.copytree(root / folder, elsewhere)
    (elsewhere / "secret.html").write_text(SECRET, encoding="utf-8")
    shutil.rmtree(root / folder)
    (root / folder).symlink_to(elsewhere, target_is_directory=True)
    site_before = snapshot(root / "site")
    for command in ("check", "build"):
        capsys.readouterr()
        assert main(["-f", str(root / "mkdocs.yml"), command]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"{folder}:1:1: links to {elsewhere.resolve()}, outside the project")
        assert "hunter2" not in err and "Traceback" not in err
    assert snapshot(root / "site") == site_before


def test_mkdocs_build_refuses_a_template_linked_from_outside(built_project: Path, tmp_path: Path) -> None:
    """The plugin, run by MkDocs itself (in a process of its own), refuses it as the command line does."""
    root = tmp_path / "project"
    shutil.copytree(built_project, root)
    apply(root, linked(TEMPLATE, f"{{# {SECRET} #}}\n"))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(root / "mkdocs.yml"), "-d", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "templates/policy.md.j2:1:1: links to " in done.stderr and "outside the project" in done.stderr
    assert "hunter2" not in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_paths_in_other_errors_are_escaped_too(
    built_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Errors that are not a source's diagnostic (a missing mkdocs.yml, a refused --site-dir) escape them alike."""
    root = tmp_path / "project"
    shutil.copytree(built_project, root)
    for arguments, shown in (
        (["-f", str(root / "nope\x1b[31m.yml"), "check"], "nope\\x1b[31m.yml: no such file"),
        (["-f", str(root / "mkdocs.yml"), "build", "--site-dir", "policy/\x1b[2Jx"], "policy/\\x1b[2Jx: publishing"),
    ):
        capsys.readouterr()
        assert main(arguments) == 1
        err = capsys.readouterr().err
        assert shown in err and "\x1b" not in err and "Traceback" not in err


def test_a_template_folder_configured_outside_the_project_is_refused(
    built_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``templates: ../shared`` in mkdocs.yml is read from outside as a link would be: refused alike."""
    root = tmp_path / "project"
    shutil.copytree(built_project, root)
    shutil.copytree(root / "templates", tmp_path / "shared")
    apply(root, edit("mkdocs.yml", "      templates: templates\n", "      templates: ../shared\n"))
    capsys.readouterr()
    assert main(["-f", str(root / "mkdocs.yml"), "check"]) == 1
    err = capsys.readouterr().err
    shared = (tmp_path / "shared").resolve()
    assert err.startswith(f"../shared:1:1: is {shared}, outside the project; sources must live in the project")
