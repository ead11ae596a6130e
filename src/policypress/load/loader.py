"""Load a whole policypress project: every policy, the bibliography and the shared boilerplate.

This is the front of the pipeline (load -> validate -> model). It reads files through
the reader it is handed (``load.reader``), collects every diagnostic from every file
before giving up, and returns a ``Project`` only when all sources are valid, so nothing
downstream ever sees a half-valid policy.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from policypress.errors import Diagnostic, SourceError, display_path
from policypress.load.policyfile import located
from policypress.load.reader import PlainReader, SourceReader
from policypress.model.policy import YEAR_PLACEHOLDER
from policypress.project import BOILERPLATE_DIR, PolicySource, Project, ProjectLayout


def _inside(root: Path, path: Path) -> bool:
    """Whether ``path`` (following symbolic links) is within ``root``; a missing file counts as inside."""
    if not path.exists():
        return True
    return path.resolve().is_relative_to(root.resolve())


def _outside_diagnostic(path: Path, root: Path) -> Diagnostic:
    """The source named where the project has it (a link where it sits, not where it points; a folder
    configured as ``../shared`` as written), and where it really is."""
    shown = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(root))).as_posix()
    where = "links to" if path.is_symlink() else "is"
    return Diagnostic(
        shown,
        1,
        1,
        "source.outside_project",
        f"{where} {path.resolve()}, outside the project; sources must live in the project",
    )


def links_outside(root: Path, folders: Iterable[Path]) -> list[Diagnostic]:
    """Every file or folder in ``folders`` (searched through, without following links) that is a
    symbolic link to somewhere outside ``root``, named: templates and theme overrides are published
    as sources are, so one linked from elsewhere on the machine is refused as a policy would be."""
    found: list[Path] = []
    for folder in folders:
        if not folder.exists():
            continue
        if not _inside(root, folder):
            found.append(folder)
            continue
        for parent, dirs, files in os.walk(folder):
            base = Path(parent)
            for name in sorted([*dirs, *files]):
                entry = base / name
                if entry.is_symlink() and not _inside(root, entry):
                    found.append(entry)
            dirs[:] = sorted(name for name in dirs if not (base / name).is_symlink())
    return [_outside_diagnostic(path, root) for path in sorted(set(found))]


YAML_SUFFIXES = (".yaml", ".yml")


def _not_read(layout: ProjectLayout) -> list[Diagnostic]:
    """YAML files under ``policy/`` that no step would read, each named with what to do: a name not
    ending in ``.yaml`` (``x.yml``, ``x.YAML``) and anything in a subfolder other than ``boilerplate/``
    (or deeper in it). Left out without a word, a policy would silently be missing from the site.
    Hidden files and folders (editor and system files) are not looked at."""
    diagnostics = []
    folder = layout.policy_path
    if not folder.is_dir() or folder.resolve() == layout.root.resolve():
        return []  # policies kept beside mkdocs.yml (policy_dir: .): the rest of the project is not theirs
    for parent, dirs, files in os.walk(folder):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        base = Path(parent)
        for name in sorted(files):
            path = base / name
            if name.startswith(".") or not name.lower().endswith(YAML_SUFFIXES):
                continue
            where = path.parent.relative_to(folder).parts
            stem = name.rsplit(".", 1)[0]
            if where in ((), (BOILERPLATE_DIR,)):
                if name.endswith(".yaml"):
                    continue
                message = f"is not read: sources end in .yaml; rename it to {stem}.yaml"
            else:
                policy_dir = display_path(folder, layout.root)
                kind, home = "policies sit", f"{policy_dir}/"
                if where[0] == BOILERPLATE_DIR:
                    kind, home = "shared legal text sits", f"{policy_dir}/{BOILERPLATE_DIR}/"
                message = (
                    f"is not read: {kind} directly in {home}, never in a subfolder; "
                    f"move it to {home}{stem}.yaml (or out of {policy_dir}/)"
                )
            diagnostics.append(Diagnostic(display_path(path, layout.root), 1, 1, "source.not_read", message))
    return diagnostics


def _not_a_file(path: Path) -> str | None:
    """What a source path is when it exists but is not a regular file (``None`` otherwise)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # missing: reported where the source is needed
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def load_project(layout: ProjectLayout, reader: SourceReader | None = None, *, report_unread: bool = True) -> Project:
    """Load and validate everything; raise ``SourceError`` with every error found.

    ``reader`` reads each source (default: the plain reader, which keeps nothing); the
    cross-file checks always run here. ``report_unread``: YAML under the policy folder that
    no step reads is an error (for the sources being written; a past commit's stray file
    must not take its versions off the site).
    """
    reader = reader or PlainReader()
    diagnostics: list[Diagnostic] = []
    outside = [
        path
        for path in (layout.bibliography_path, *layout.policy_files(), *layout.boilerplate_path.glob("*.yaml"))
        if not _inside(layout.root, path)
    ]
    diagnostics.extend(_outside_diagnostic(path, layout.root) for path in outside)
    if outside:
        raise SourceError(diagnostics)  # read nothing from outside, not even to report on it
    candidates = (
        layout.bibliography_path,
        *sorted(layout.policy_path.glob("*.yaml")),
        *sorted(layout.boilerplate_path.glob("*.yaml")),
    )
    for path in candidates:
        if (kind := _not_a_file(path)) is not None:
            diagnostics.append(
                Diagnostic(
                    display_path(path, layout.root),
                    1,
                    1,
                    "source.not_a_file",
                    f"is {kind}, not a file; sources must be regular files (rename or remove it)",
                )
            )
    if diagnostics:
        raise SourceError(diagnostics)  # a pipe would block the read for ever
    if report_unread:
        diagnostics.extend(_not_read(layout))  # reported with everything wrong in the files that are read
    # asked for first: a reader may read a large bibliography elsewhere while the policies are read
    pending = reader.bibliography(layout)
    boilerplate, problems = reader.boilerplate(layout)
    diagnostics.extend(problems)
    files = []
    for path in layout.policy_files():
        display = display_path(path, layout.root)
        files.append((path, display, reader.policy(path, display)))
    keys = pending.keys  # known before every entry is formatted: the citations are checked meanwhile
    known_keys = frozenset(keys or ())
    policies: list[PolicySource] = []
    seen_ids: dict[str, str] = {}
    for path, display, read in files:
        document, policy, problems, source_key = read
        diagnostics.extend(problems)
        if document is None or policy is None:
            continue
        if policy.id in seen_ids:
            message = f"id: {policy.id!r} is also used by {seen_ids[policy.id]}"
            diagnostics.append(located(display, document, ("id",), "policy.duplicate_id", message))
        seen_ids.setdefault(policy.id, display)
        if keys is not None:
            diagnostics.extend(reader.citations(policy, display, document, read, keys, known_keys))
        if boilerplate is not None and YEAR_PLACEHOLDER in boilerplate.important_reminder.copyright_for(policy):
            message = f"copyright_year: required, since the shared copyright line has {YEAR_PLACEHOLDER}"
            diagnostics.append(located(display, document, ("id",), "policy.copyright_year", message))
        policies.append(PolicySource(policy, display, path.stem, source_key))
    bibliography, problems = pending.result
    diagnostics.extend(problems)
    if not layout.policy_files():
        diagnostics.append(
            Diagnostic(
                display_path(layout.policy_path, layout.root),
                1,
                1,
                "project.no_policies",
                "no policy files (*.yaml) found",
            )
        )
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors or bibliography is None or boilerplate is None:
        raise SourceError(errors)
    notes = tuple(sorted(d for d in diagnostics if d.severity != "error"))
    reader.loaded()
    return Project(tuple(policies), bibliography, boilerplate, notes)
