"""The GitHub workflows keep their safety properties: untrusted code never runs with write access.

- ``policy-review.yml`` runs pull-request code (``pull_request``), read-only, and only
  writes the report as an artifact.
- ``policy-review-comment.yml`` has permission to comment (``workflow_run``) and so
  must never check out or run anything: it reads the artifact as data.
- ``pages.yml`` publishes the site from main.
Every action is pinned at least to a major version; workflows call the Makefile.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


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
    for step in steps(workflow):
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]
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


def test_comment_workflow_never_runs_pull_request_code() -> None:
    workflow = load("policy-review-comment.yml")
    assert workflow["on"] == {
        "workflow_run": {"workflows": [load("policy-review.yml")["name"]], "types": ["completed"]}
    }
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
    assert [s["uses"].split("@")[0] for s in steps(workflow)] == ["actions/download-artifact", "actions/github-script"]
    assert runs(workflow) == ""
    script = steps(workflow)[1]["with"]["script"]
    assert "<!-- policypress-review -->" in script and "updateComment" in script and "createComment" in script
    assert "pull.head.sha !== process.env.HEAD_SHA" in script


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
        r"^diff: \$\(STAMP\)\n\t\$\(BIN\)/policypress diff \$\(DIFF_FLAGS\) \$\(BASE\) \$\(HEAD\)$", makefile, re.M
    )
