"""``policypress diff``: review reports between real git commits, compared with golden files.

Each test builds a throwaway git repository from the repository's own sources reduced
to the seed (the seed policy and the references it lists, mkdocs.yml), commits a base, changes something, and
compares the report with ``tests/golden/diff/<name>.md`` (commit ids replaced by
``<base>`` / ``<head>``). Run ``pytest --update-golden`` to rewrite the golden files
after an intended change, then read their diff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, reduce_to_seed
from policypress.cli import main

GOLDEN = ROOT / "tests" / "golden" / "diff"
SEED = "policy/wa-cp-mp-166.yaml"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Policy Author",
    "GIT_AUTHOR_EMAIL": "author@example.org",
    "GIT_COMMITTER_NAME": "Policy Author",
    "GIT_COMMITTER_EMAIL": "author@example.org",
    "GIT_AUTHOR_DATE": "2025-01-01T12:00:00+00:00",
    "GIT_COMMITTER_DATE": "2025-01-01T12:00:00+00:00",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


class Repo:
    """A throwaway git repository holding a copy of the project's sources."""

    def __init__(self, top: Path, root: Path) -> None:
        self.top = top
        self.root = root
        self.commits: list[str] = []

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=self.top, capture_output=True, text=True, check=False, env={**os.environ, **GIT_ENV}
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--no-gpg-sign", "-m", message)
        self.commits.append(self.git("rev-parse", "HEAD"))
        return self.commits[-1]

    def path(self, relative: str) -> Path:
        return self.root / relative

    def read(self, relative: str) -> str:
        return self.path(relative).read_text(encoding="utf-8")

    def write(self, relative: str, text: str) -> None:
        self.path(relative).parent.mkdir(parents=True, exist_ok=True)
        self.path(relative).write_text(text, encoding="utf-8")

    def replace(self, relative: str, old: str, new: str, count: int = 1) -> None:
        """Replace text in a source file; fail loudly if the seed no longer contains it."""
        text = self.read(relative)
        assert text.count(old) >= count, f"{relative} no longer contains {old!r}"
        self.write(relative, text.replace(old, new, count))

    def normalize(self, text: str) -> str:
        """Commit ids as ``<base>``, ``<head>``, ``<commit 3>``…: golden files must not depend on them."""
        names = ["<base>", "<head>"] + [f"<commit {n}>" for n in range(3, len(self.commits) + 1)]
        for commit, name in zip(self.commits, names, strict=False):
            text = text.replace(commit, name)
            text = text.replace(self.git("rev-parse", "--short", commit), name)
        return text


def make_repo(tmp_path: Path, subdir: str = "") -> Repo:
    top = tmp_path / "repo"
    root = top / subdir if subdir else top
    root.mkdir(parents=True)
    shutil.copytree(ROOT / "policy", root / "policy")
    for name in ("mkdocs.yml", "references.bib"):
        shutil.copy(ROOT / name, root / name)
    reduce_to_seed(root)  # reports count every policy: whatever else policy/ holds stays out
    repo = Repo(top, root)
    repo.git("init", "-q", "-b", "main")
    repo.commit("base")
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return make_repo(tmp_path)


def diff(repo: Repo, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["-f", str(repo.root / "mkdocs.yml"), "diff", *args])
    out, err = capsys.readouterr()
    return code, repo.normalize(out), repo.normalize(err)


def check_golden(name: str, actual: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden file (pytest --update-golden)"


def add_revision(repo: Repo, description: str, revision: str = "2025-01", approval: str = "2025-02") -> None:
    """Append an entry to the seed's revision log."""
    entry = (
        f"  - description: {json.dumps(description, ensure_ascii=False)}\n"
        f"    revision_date: {revision}\n    approval_date: {approval}\n"
    )
    repo.replace(SEED, "\n\nreferences:", f"\n{entry}\nreferences:")


# ----------------------------------------------------------------------------- every kind of change


def test_no_change(repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool) -> None:
    code, out, err = diff(repo, capsys, "main")
    assert (code, err) == (0, "")
    check_golden("no-change.md", out, update_golden)
    code, out, err = diff(repo, capsys, "main", "--check")
    assert code == 0, err
    assert out == "governance check passed (Policies: 0 changed · 0 added · 0 removed · 0 renamed · 1 unchanged)\n"


def flip_criterion_and_swap_code(repo: Repo) -> None:
    """The realistic change of the issue: criterion I now covers, CPT 64451 → 64454, a new log entry."""
    repo.replace(SEED, "  - determination: not_medically_necessary", "  - determination: medically_necessary")
    repo.replace(
        SEED,
        "considered **not medically necessary** because effectiveness has not been established.\n  - determination",
        "considered **medically necessary** when six weeks of conservative therapy have failed.\n  - determination",
    )
    repo.replace(SEED, 'code: "64451"', 'code: "64454"')
    repo.replace(
        SEED,
        "steroid; nerves innervating the sacroiliac joint,\n          with image guidance",
        "steroid; genicular nerve branches,\n          including imaging guidance, when performed, with image guidance",
    )
    repo.replace(SEED, "effective_date: 2024-11-01", "effective_date: 2025-03-01")
    add_revision(repo, "Criterion I covers sacroiliac nerve blocks after failed conservative therapy; 64451 → 64454.")


def test_determination_flip_and_code_swap(repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool) -> None:
    flip_criterion_and_swap_code(repo)
    code, out, err = diff(repo, capsys, "main")
    assert (code, err) == (0, "")
    assert "- **Criterion I**: *not medically necessary* → *medically necessary* (**coverage expanded**)" in out
    check_golden("determination-and-codes.md", out, update_golden)


def test_json_report_is_stable_and_complete(
    repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    flip_criterion_and_swap_code(repo)
    repo.commit("flip criterion I")
    code, out, err = diff(repo, capsys, "main~1", "main", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["schema"] == "policypress.review/2"
    assert list(data) == sorted(data)
    (policy,) = data["policies"]
    assert policy["criteria"][0]["direction"] == "coverage expanded"
    assert [(c["change"], c["code"]) for c in policy["codes"]] == [("removed", "64451"), ("added", "64454")]
    check_golden("determination-and-codes.json", out, update_golden)
    assert diff(repo, capsys, "main~1", "main", "--format", "json")[1] == out


def test_criteria_added_removed_and_restricted(
    repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    text = repo.read(SEED)
    start = text.index("  - determination: not_medically_necessary\n    text: >-\n      It is the policy of", 10)
    start = text.index("  - determination: not_medically_necessary", start + 1)  # criterion II
    end = text.index("\nbackground:")
    nested = (
        "  - determination: medically_necessary\n"
        "    text: 'Conventional radiofrequency ablation is medically necessary when all of the following:'\n"
        "    criteria:\n"
        "      - text: Dual diagnostic blocks gave at least 75% relief;\n"
        "      - text: Pain has lasted more than 3 months.\n"
    )
    repo.write(SEED, text[:start] + nested + text[end:])
    add_revision(repo, "Criterion II covers conventional RFA.")
    repo.commit("criterion II covers conventional RFA")
    code, out, err = diff(repo, capsys, "main~1", "main")
    assert code == 0, err
    assert "- **Criterion II**: *not medically necessary* → *medically necessary* (**coverage expanded**)" in out
    assert "- **Criterion II.A** inserted first under II:" in out
    check_golden("criteria-added.md", out, update_golden)

    repo.replace(
        SEED,
        "  - determination: medically_necessary\n    text: 'Conventional",
        "  - determination: investigational\n    text: 'Conventional",
    )
    repo.replace(SEED, "      - text: Pain has lasted more than 3 months.\n", "")
    add_revision(repo, "Criterion II is investigational.", "2025-02", "2025-02")
    code, out, err = diff(repo, capsys, "main")
    assert code == 0, err
    assert "- **Criterion II**: *medically necessary* → *investigational* (**coverage restricted**)" in out
    assert "- **Criterion II.B** deleted:" in out
    check_golden("criteria-restricted-removed.md", out, update_golden)


def test_text_changes_redline(repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool) -> None:
    repo.replace(SEED, "is usually conservative (non-surgical)", "is usually conservative (non-operative)")
    repo.replace(
        SEED,
        "      - >-\n        Ho and colleagues noted",
        "      - >-\n        A new paragraph about a 2024 trial of cooled RFA.[@chou2024]\n"
        "      - >-\n        Ho and colleagues noted",
    )
    repo.replace(SEED, 'heading: "*SIJ Radiofrequency Neurotomy*"', 'heading: "*SIJ Radiofrequency Denervation*"')
    repo.replace(SEED, "NOTE: SIJ injections are managed by Evolent.", "NOTE: SIJ injections are managed by *Evolent*.")
    repo.replace(
        SEED,
        "The authors concluded that denervation showed\n        long-term effectiveness for up to two years",
        "The authors concluded that denervation showed\n        long-term effectiveness for up to three years",
    )
    code, out, err = diff(repo, capsys, "main")
    assert code == 0, err
    assert "~~two~~ **three**" in out
    assert "- **Notes ¶1**: emphasis changed, same words" in out
    check_golden("text.md", out, update_golden)


def test_metadata_changes(repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool) -> None:
    repo.replace(SEED, "effective_date: 2024-11-01", "effective_date: 2025-01-01")
    repo.replace(SEED, "last_review_date: null", "last_review_date: 2024-12-15")
    repo.replace(SEED, "plan: Coordinated Care Corporation", "plan: Coordinated Care of Washington")
    code, out, err = diff(repo, capsys, "main")
    assert code == 0, err
    check_golden("metadata.md", out, update_golden)


def test_codes_moved_described_and_tables(repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool) -> None:
    text = repo.read(SEED)
    start = text.index('      - code: "64625"')
    end = text.index("\nrevision_log:")
    row = text[start:end].rstrip("\n")
    text = text[:start] + text[end:]
    text = text.replace(
        "\nrevision_log:",
        "  - heading: CPT code that supports coverage criteria\n    code_system: CPT\n    rows:\n"
        + row.replace("Radiofrequency ablation", "Radiofrequency ablation (RFA)")
        + "\n  - heading: HCPCS codes\n    code_system: HCPCS\n    rows:\n"
        '      - code: "C9752"\n        description: Destruction of intraosseous basivertebral nerve\n'
        "\nrevision_log:",
        1,
    )
    repo.write(SEED, text)
    repo.replace(
        SEED,
        "heading: CPT code that does not support coverage criteria",
        "heading: CPT codes that do not support coverage criteria",
    )
    add_revision(repo, "Coding updated.")
    code, out, err = diff(repo, capsys, "main")
    assert code == 0, err
    check_golden("codes.md", out, update_golden)


def test_references_added_removed_renumbered_and_changed(
    repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    # hayes2022 (5) moves after chou2021 (25); wu2023 (29) leaves; smith2024 arrives and is cited
    repo.replace(SEED, "  - hayes2022\n", "")
    repo.replace(SEED, "  - chou2021\n", "  - chou2021\n  - hayes2022\n")
    repo.replace(SEED, "  - wu2023\n", "  - smith2024\n")
    repo.replace(
        SEED,
        "functional ability and quality of life.[@hayes2022; @nass2020guidelines]",
        "functional ability and quality of life.[@hayes2022; @nass2020guidelines; @smith2024]",
    )
    bib = repo.read("references.bib")
    repo.write(
        "references.bib",
        bib + "\n@article{smith2024,\n  author = {Smith, Jane and Doe, John},\n"
        "  title = {Cooled radiofrequency ablation of the sacroiliac joint: a randomized trial},\n"
        "  journal = {Pain Med},\n  year = {2024},\n  volume = {25},\n  number = {3},\n  pages = {101--109},\n}\n",
    )
    entry = bib[bib.index("@article{ho2013") :]
    title = entry[entry.index("title") : entry.index("\n", entry.index("title"))]
    repo.replace("references.bib", title, title.replace("sacroiliac", "sacro-iliac", 1))
    code, out, err = diff(repo, capsys, "main")
    assert code == 0, err
    cited = "Background › SIJ Radiofrequency Neurotomy ¶1; Background › SIJ Radiofrequency Neurotomy ¶2"
    assert f"| hayes2022 | 5 | 25 | {cited} |" in out
    check_golden("references.md", out, update_golden)


def test_revision_log_and_boilerplate(repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool) -> None:
    repo.replace(
        SEED,
        "description: Policy developed for services not managed by Evolent.",
        "description: Policy developed for services not managed by Evolent (NIA).",
    )
    add_revision(repo, "Annual review; references updated.", "2025-09", "2025-09")
    repo.replace("policy/boilerplate/important-reminder.yaml", "title: Important Reminder", "title: Important reminder")
    repo.replace("policy/boilerplate/cpt-notice.yaml", "copyrighted\n    2023,", "copyrighted\n    2024,")
    code, out, err = diff(repo, capsys, "main")
    assert code == 0, err
    check_golden("revision-log-and-boilerplate.md", out, update_golden)


def new_policy(repo: Repo, policy_id: str, title: str) -> None:
    text = repo.read(SEED).replace("id: WA.CP.MP.166", f"id: {policy_id}")
    text = text.replace("title: Sacroiliac Joint Interventions for Pain Management", f"title: {title}")
    repo.write(f"policy/{policy_id.lower().replace('.', '-')}.yaml", text)


def test_policies_added_removed_and_renamed(
    repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    new_policy(repo, "WA.CP.MP.170", "Genicular Nerve Blocks")
    new_policy(repo, "WA.CP.MP.171", "Basivertebral Nerve Ablation")
    repo.commit("two more policies")
    repo.path("policy/wa-cp-mp-170.yaml").unlink()  # removed
    new_policy(repo, "WA.CP.MP.172", "Spinal Cord Stimulation")  # added
    text = repo.read("policy/wa-cp-mp-171.yaml").replace("id: WA.CP.MP.171", "id: WA.CP.MP.175")
    repo.path("policy/wa-cp-mp-171.yaml").unlink()
    repo.write("policy/wa-cp-mp-175.yaml", text)  # renamed: new id and file, same title
    code, out, err = diff(repo, capsys, "main")
    assert code == 0, err
    assert "Policies: 0 changed · 1 added · 1 removed · 1 renamed · 1 unchanged" not in out  # renamed counts as changed
    assert "*changed, renamed* · policy/wa-cp-mp-171.yaml → policy/wa-cp-mp-175.yaml" in out
    check_golden("policies.md", out, update_golden)


def test_project_in_a_subfolder_and_head_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    repo = make_repo(tmp_path, "site-a")
    repo.replace(SEED, "determination: not_medically_necessary", "determination: investigational")
    add_revision(repo, "Criterion I: investigational.")
    repo.commit("head")
    code, out, err = diff(repo, capsys, "main~1", "main")
    assert code == 0, err
    assert "**Base:** main\\~1 (<base>) · **Head:** main (<head>)" in out
    assert "*not medically necessary* → *investigational*\n" in out  # no coverage direction
    code, out, err = diff(repo, capsys, "main~1", "HEAD", "--merge-base")
    assert code == 0, err


# ----------------------------------------------------------------------------- governance


def test_check_refuses_substantive_change_without_revision_entry(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo.replace(SEED, "  - determination: not_medically_necessary", "  - determination: medically_necessary")
    repo.replace(SEED, 'code: "64451"', 'code: "64454"')
    line = repo.read(SEED).splitlines().index("revision_log:") + 1
    report = tmp_path / "out" / "report.md"
    code, out, err = diff(repo, capsys, "main", "--check", "--output", str(report))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"policy/wa-cp-mp-166.yaml:{line}:1: WA.CP.MP.166: criteria or codes changed (criterion I determination; "
        "CPT 64451 replaced by 64454) without a new revision_log entry; add one that describes the change "
        "[governance.no_revision_entry]",
        "governance check failed: 1 problem(s)",
    ]
    assert "### ❌ Governance check: 1 problem(s)" in report.read_text(encoding="utf-8")
    add_revision(repo, "Criterion I covered.")
    assert diff(repo, capsys, "main", "--check")[0] == 0


def test_check_allows_text_only_edits_without_revision_entry(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.replace(SEED, "is usually conservative", "is generally conservative")
    assert diff(repo, capsys, "main", "--check")[0] == 0


def test_check_refuses_revision_date_going_backwards(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    add_revision(repo, "Annual review.", "2025-09", "2025-09")
    repo.commit("annual review")
    # an existing entry re-dated into the past
    repo.replace(SEED, "    revision_date: 2025-09", "    revision_date: 2025-03")
    line = repo.read(SEED).splitlines().index("    revision_date: 2025-03") + 1
    code, _, err = diff(repo, capsys, "main", "--check")
    assert code == 1
    assert err.splitlines() == [
        f"policy/wa-cp-mp-166.yaml:{line}:20: WA.CP.MP.166: revision_log[1].revision_date 2025-03 goes backwards: "
        "the latest revision recorded before this change is 2025-09 [governance.revision_date_backwards]",
        "governance check failed: 1 problem(s)",
    ]
    # the latest entry dropped
    repo.replace(
        SEED, '  - description: "Annual review."\n    revision_date: 2025-03\n    approval_date: 2025-09\n', ""
    )
    line = repo.read(SEED).splitlines().index("revision_log:") + 1
    code, _, err = diff(repo, capsys, "main", "--check")
    assert code == 1
    assert err.splitlines()[0] == (
        f"policy/wa-cp-mp-166.yaml:{line}:1: WA.CP.MP.166: the revision log goes backwards: its latest revision is "
        "now 2024-09, it was 2025-09 [governance.revision_date_backwards]"
    )


def test_out_of_order_revision_is_a_validation_error_on_head(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    add_revision(repo, "Coding updated.", "2024-08", "2024-09")
    code, out, err = diff(repo, capsys, "main", "--check")
    assert (code, out) == (1, "")
    assert err.startswith("head (working tree): policy/wa-cp-mp-166.yaml:")


def test_check_refuses_hidden_characters(repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool) -> None:
    repo.replace(SEED, "considered **not medically necessary**", "considered **\u202enot medically necessary**")
    repo.replace("references.bib", "sacroiliac joint pain: two-year", "sacroiliac joint pain: two\u200b-year")
    repo.replace(
        SEED,
        "title: Sacroiliac Joint Interventions for Pain Management",
        'title: "Sacroiliac Joint\\u2066 Interventions for Pain Management"',
    )
    add_revision(repo, "Edited.")
    code, out, err = diff(repo, capsys, "main", "--check")
    assert code == 1
    messages = err.splitlines()
    assert len(messages) == 4
    assert messages[0].startswith(
        "policy/wa-cp-mp-166.yaml:3:25: an escape for hidden character U+2066 LEFT-TO-RIGHT ISOLATE"
    )
    line = next(n for n, text in enumerate(repo.read(SEED).splitlines(), 1) if "\u202e" in text)
    assert messages[1].startswith(f"policy/wa-cp-mp-166.yaml:{line}:") and "U+202E RIGHT-TO-LEFT" in messages[1]
    assert messages[2].startswith("references.bib:") and "U+200B ZERO WIDTH SPACE" in messages[2]
    code, out, err = diff(repo, capsys, "main")
    assert "\u202e" not in out and "\u200b" not in out and "\u2066" not in out
    assert "⟨U+202E⟩" in out
    check_golden("hidden-characters.md", out, update_golden)


def test_policy_text_cannot_inject_markdown_or_ping(
    repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    hostile = (
        "Ask @octocat or @github/security about #12 and GH-7: <script>alert(1)</script> <img src=x onerror=alert(1)> "
        "[link](javascript:alert(1)) ![img](https://x.test/a.png) `code` ~~gone~~ | cell | $x^2$ &amp; <!-- hidden -->"
    )
    repo.replace(SEED, "is usually conservative (non-surgical)", f"is usually conservative (non-surgical). {hostile}")
    code, out, err = diff(repo, capsys, "main")
    assert code == 0, err
    for raw in (
        "<script",
        "<img",
        "<!-- hidden",
        "[link](",
        "![img](",
        "`code`",
        "~~gone~~",
        "@octocat",
        "#12",
        "GH-7",
        "$x^2$",
    ):
        assert raw not in out, raw
    assert "@<!-- -->octocat" in out and "\\#<!-- -->12" in out and "GH<!-- -->-7" in out
    assert "&amp;amp;" in out and "&lt;script&gt;" in out
    check_golden("injection.md", out, update_golden)


# ----------------------------------------------------------------------------- errors


def test_bad_revision(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = diff(repo, capsys, "no-such-branch")
    assert (code, out) == (1, "")
    assert err == f"error: base revision 'no-such-branch' is not a commit in {repo.top}\n"
    code, out, err = diff(repo, capsys, "no-such-branch", "nor-this")
    assert err.splitlines() == [
        f"error: base revision 'no-such-branch' is not a commit in {repo.top}",
        f"error: head revision 'nor-this' is not a commit in {repo.top}",
    ]
    code, _, err = diff(repo, capsys, "main", "--", "--oops")
    assert code == 1 and err == "error: head revision '--oops' is not a valid revision name\n"


def test_validation_error_names_the_side(repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repo.replace(SEED, "effective_date: 2024-11-01", "effective_date: someday")
    code, out, err = diff(repo, capsys, "main")
    assert (code, out) == (1, "")
    assert err.startswith("head (working tree): policy/wa-cp-mp-166.yaml:5:17: effective_date: ")
    assert err.count("\n") == 1 and "someday" in err
    repo.commit("broken")
    repo.replace(SEED, "effective_date: someday", "effective_date: 2024-11-01")
    report = tmp_path / "report.md"
    code, _, err = diff(repo, capsys, "main", "--check", "--output", str(report))
    assert code == 1
    assert err.startswith("base (<head>): policy/wa-cp-mp-166.yaml:5:17: effective_date:")
    assert err.count("\n") == 1  # the head is valid
    written = repo.normalize(report.read_text(encoding="utf-8"))
    assert "### ❌ No review: the sources could not be compared" in written
    assert "- base (<head>): policy/wa-cp-mp-166.yaml:5:17: effective\\_date:" in written


def test_shallow_clone_names_the_missing_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    base = repo.commits[0]
    repo.replace(SEED, "is usually conservative", "is generally conservative")
    repo.commit("second")
    clone = tmp_path / "clone"
    repo.git("clone", "-q", "--depth", "1", f"file://{repo.top}", str(clone))
    code = main(["-f", str(clone / "mkdocs.yml"), "diff", base])
    _, err = capsys.readouterr()
    assert code == 1
    assert err == (
        f"error: base revision '{base}' is not available: {clone} is a shallow clone whose history does not reach it\n"
        "hint: fetch the full history (git fetch --unshallow, or actions/checkout with fetch-depth: 0)\n"
    )


def test_outside_git(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    code = main(["-f", str(root / "mkdocs.yml"), "diff", "main"])
    assert code == 1
    assert "is not inside a git repository" in capsys.readouterr().err


def test_prior_authorization_and_medicare_advantage_changes(
    repo: Repo, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    """A code's prior authorization turning required is named per code and needs a revision entry; the
    Medicare Advantage block's declaration and texts are reviewed like the rest of the policy."""
    repo.replace(
        SEED,
        "    meaning: does_not_support_coverage\n",
        "    meaning: does_not_support_coverage\n    prior_authorization: false\n",
    )
    repo.commit("authorization stated")
    repo.replace(SEED, "    prior_authorization: false\n", "    prior_authorization: true\n")
    repo.replace(
        SEED,
        "\nreferences:",
        "\nmedicare_advantage:\n  internal_coverage_criteria: true\n  medicare_basis: No NCD or LCD applies.\n"
        "  rationale: Effectiveness is not established.\n  evidence_summary:\n"
        "    - claim: Trials found no lasting benefit.\n      references: [1]\n"
        "  benefit_over_harm: Not applicable.\n\nreferences:",
    )
    code, out, err = diff(repo, capsys, "HEAD")
    assert code == 0, err
    assert "prior authorization of CPT 64451" in out and "not required" in out
    assert "Medicare Advantage" in out
    check_golden("authorization.md", out, update_golden)
    capsys.readouterr()
    assert main(["-f", str(repo.root / "mkdocs.yml"), "diff", "--check", "HEAD"]) == 1
    assert "prior authorization of CPT 64451" in capsys.readouterr().err
