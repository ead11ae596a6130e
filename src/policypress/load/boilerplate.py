"""The shared legal text (Important Reminder, coding notices) in ``policy/boilerplate/``.

Written once for every policy; it has no reference list of its own, so it may not cite.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from policypress.errors import Diagnostic, Path_, SourceError, display_path, field_name
from policypress.load.validate import validate_document
from policypress.model.inline import iter_citations, parse_inline
from policypress.model.policy import Boilerplate, CodingNotice, ImportantReminder
from policypress.project import IMPORTANT_REMINDER_FILE, ProjectLayout
from policypress.sources.yamlsource import YamlDocument, load_yaml

T = TypeVar("T")


def collect(diagnostics: list[Diagnostic], load: Callable[[], T]) -> T | None:
    """Run a loader; on ``SourceError`` keep its diagnostics and return ``None``."""
    try:
        return load()
    except SourceError as exc:
        diagnostics.extend(exc.diagnostics)
        return None


def _load_model(path: Path, root: Path, model: type[BaseModel], diagnostics: list[Diagnostic]) -> BaseModel | None:
    document: YamlDocument | None = collect(diagnostics, lambda: load_yaml(path, display_path(path, root)))
    if document is None:
        return None
    value, problems = validate_document(document, model)
    diagnostics.extend(problems)
    if value is not None:
        diagnostics.extend(_citations_in_boilerplate(document))
    return value


def _citations_in_boilerplate(document: YamlDocument) -> list[Diagnostic]:
    """Shared legal text has no reference list of its own, so it may not cite."""
    texts: list[tuple[Path_, Any]] = [
        (("paragraphs", i), p) for i, p in enumerate(document.data.get("paragraphs") or [])
    ]
    texts.append((("copyright",), document.data.get("copyright")))
    found = []
    for path, text in texts:
        if isinstance(text, str) and any(iter_citations(parse_inline(text))):
            line, col = document.position(path)
            found.append(
                Diagnostic(
                    document.file,
                    line,
                    col,
                    "boilerplate.citation",
                    f"{field_name(path)}: shared legal text cannot cite references (it has no reference list)",
                )
            )
    return found


def read_boilerplate(layout: ProjectLayout) -> tuple[Boilerplate | None, list[Diagnostic]]:
    """The shared legal text, or ``None``, and every problem found in it."""
    diagnostics: list[Diagnostic] = []
    return _load_boilerplate(layout, diagnostics), diagnostics


def _load_boilerplate(layout: ProjectLayout, diagnostics: list[Diagnostic]) -> Boilerplate | None:
    """The Important Reminder plus every coding notice in ``policy/boilerplate/``."""
    reminder_path = layout.boilerplate_path / IMPORTANT_REMINDER_FILE
    if not reminder_path.is_file():
        diagnostics.append(
            Diagnostic(
                display_path(reminder_path, layout.root),
                1,
                1,
                "boilerplate.missing",
                "the Important Reminder is missing",
            )
        )
        return None
    reminder = _load_model(reminder_path, layout.root, ImportantReminder, diagnostics)
    notices = []
    for path in sorted(layout.boilerplate_path.glob("*.yaml")):
        if path.name != IMPORTANT_REMINDER_FILE:
            notice = _load_model(path, layout.root, CodingNotice, diagnostics)
            if notice is not None:
                notices.append(notice)
    if not isinstance(reminder, ImportantReminder):
        return None
    return Boilerplate(important_reminder=reminder, coding_notices=tuple(notices))  # type: ignore[arg-type]
