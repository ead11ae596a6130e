"""A ``PageRenderer`` that keeps each rendered policy page in the work database between runs.

A page is filed under the hash of everything it is rendered from: the policy file (its
content key), its formatted references, the pages of the other policies it names, the
boilerplate, the templates, the date formats, the extra values and the code. An unchanged page is read back instead of
rendered; the bytes are the plain renderer's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from policypress.bibliography.citations import number_references
from policypress.options import DateFormats
from policypress.project import PolicySource, Project
from policypress.render.pages import TEMPLATE_CACHE, PageRenderer, compiled_templates_cache
from policypress.render.xrefs import policy_pages
from policypress.sources.digest import tree_digest
from policypress.speed.fingerprint import content_key
from policypress.speed.workcache import WorkCache

PAGE_DAYS = 30
"""Rendered pages unused for this long are removed (a page is kept in several variants: with and
without its PDF link)."""


class StoredPageRenderer(PageRenderer):
    """``PageRenderer`` with the page store ``store`` (``.cache/work.sqlite``, kind ``pages``)."""

    def __init__(self, template_dir: Path, formats: DateFormats | None, store: WorkCache) -> None:
        super().__init__(template_dir, formats)
        self.store = store
        if store.folder is not None:
            self.env.bytecode_cache = compiled_templates_cache(store.folder / TEMPLATE_CACHE)
        self._shared_inputs: tuple[Project, str] | None = None

    def render_policy(self, project: Project, source: PolicySource, **extra: Any) -> str:
        """The Markdown page of one policy, from the store when nothing it is made of has changed."""
        references = number_references(source.policy, project.bibliography)
        if not source.key:  # read by a plain reader: nothing to file it under
            return self._render_policy(project, source, references, extra)
        key = content_key(
            "page",
            source.key,
            source.file,
            source.stem,
            self._inputs_shared_by_pages(project),
            json.dumps([[r.number, r.key, r.html, r.text] for r in references]),
            json.dumps(policy_pages(source.policy, project), sort_keys=True),
            json.dumps(extra, sort_keys=True, default=repr),
        )
        stored = self.store.get_text(key)
        if stored is not None:
            return stored
        page = self._render_policy(project, source, references, extra)
        self.store.put_text(key, page)
        return page

    def _inputs_shared_by_pages(self, project: Project) -> str:
        """Hash of what every page of ``project`` depends on: templates, date formats, boilerplate."""
        if self._shared_inputs is None or self._shared_inputs[0] is not project:
            shared = content_key(
                repr(self.formats), project.boilerplate.model_dump_json(), tree_digest(self.template_dir)
            )
            self._shared_inputs = (project, shared)
        return self._shared_inputs[1]


def page_store(cache_path: Path) -> WorkCache:
    """Where rendered policy pages are kept between runs."""
    return WorkCache(cache_path, "pages", keep_days=PAGE_DAYS)
