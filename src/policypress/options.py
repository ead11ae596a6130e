"""The policypress options of a site, as written under ``plugins: - policypress:`` in mkdocs.yml.

Readable without MkDocs: ``policypress check`` and ``diff`` need the options but not the
site generator. The MkDocs plugin declares the same options (``mkdocs_plugin.plugin``)
with the defaults given here. Paths are relative to the folder of mkdocs.yml.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from policypress.errors import Diagnostic, SourceError, display_path
from policypress.project import ProjectLayout
from policypress.sources.yamlsource import check_config_file


@dataclass(frozen=True)
class DateFormats:
    """How dates are shown; sources always hold ISO dates."""

    day: str = "%m/%d/%y"
    month: str = "%m/%y"


@dataclass(frozen=True)
class Options:
    """The policypress options: text, but for the notice period (a whole number of days)."""

    policy_dir: str = ProjectLayout.policy_dir
    bibliography: str = ProjectLayout.bibliography
    templates: str = "templates"
    date_format: str = DateFormats.day
    """Display format of full dates (effective date, last review); the seed shows 11/01/24."""
    month_format: str = DateFormats.month
    """Display format of revision-log months; the seed shows 09/24."""
    pages_dir: str = "policies"
    """Folder of the site that holds one page per policy."""
    notice_days: int = 0
    """Days a change that restricts coverage must be posted before it takes effect (state rules: 45 or
    60); ``diff --check`` refuses one posted later. 0: no notice period."""
    ama_licence_notice: str = ""
    """The AMA licence notice the plan publishes with CPT descriptions; empty (the default): the public FHIR
    files (``api/fhir/``) give CPT codes without their descriptions."""

    def layout(self, root: Path) -> ProjectLayout:
        """Where the sources are, for a project whose mkdocs.yml is in ``root``."""
        return ProjectLayout(root, self.policy_dir, self.bibliography)

    def formats(self) -> DateFormats:
        return DateFormats(day=self.date_format, month=self.month_format)

    def template_dir(self, root: Path) -> Path:
        return root / self.templates


def options_from(values: Mapping[str, Any], shown_file: str) -> Options:
    """``values`` (the plugin's entry in mkdocs.yml) as ``Options``; ``SourceError`` naming each wrong one.

    Unknown names are left alone, as MkDocs leaves them (it warns); an empty value (or an ``!ENV`` tag,
    read as empty here) means the default, as in MkDocs.
    """
    known = {f.name for f in dataclasses.fields(Options)}
    given = {name: value for name, value in values.items() if name in known and value is not None}
    kinds = {f.name: type(f.default) for f in dataclasses.fields(Options)}
    problems = [
        Diagnostic(
            shown_file,
            1,
            1,
            "config.invalid",
            f"plugins.policypress.{name}: Expected type: {kinds[name]!r} but received: {type(value)!r}",
        )
        for name, value in given.items()
        if not isinstance(value, kinds[name]) or isinstance(value, bool) or (kinds[name] is int and value < 0)
    ]
    if problems:
        raise SourceError(problems)
    return Options(**given)


def read_options(config_file: Path) -> Options:
    """The policypress options of ``config_file`` (mkdocs.yml), with their defaults."""
    return options_from(_plugin_options(config_file), display_path(config_file, Path.cwd()))


def theme_sources(config_file: Path) -> list[Path]:
    """The folders of mkdocs.yml that hold site sources: ``docs_dir`` and the theme's ``custom_dir``."""
    config = _read_config(config_file)
    root = config_file.resolve().parent
    theme = config.get("theme")
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    docs = config.get("docs_dir", "docs")
    return [root / str(folder) for folder in (docs, custom) if isinstance(folder, str) and folder]


def _read_config(config_file: Path) -> dict[str, Any]:
    check_config_file(config_file, config_file.name)
    with config_file.open(encoding="utf-8") as handle:
        config = yaml.load(handle, Loader=_MkDocsYamlLoader)
    return config if isinstance(config, dict) else {}


def _plugin_options(config_file: Path) -> dict[str, Any]:
    """The policypress plugin's entry in mkdocs.yml (without MkDocs)."""
    config = _read_config(config_file)
    for plugin in config.get("plugins", []) or []:
        if isinstance(plugin, dict) and "policypress" in plugin:
            return dict(plugin["policypress"] or {})
    return {}


class _MkDocsYamlLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, which may use MkDocs' ``!ENV`` / ``!relative`` tags (kept as plain values)."""


_MkDocsYamlLoader.add_multi_constructor("!", lambda loader, suffix, node: None)
