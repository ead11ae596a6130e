"""Load a policypress project as it was at a git revision, or as it is in the working tree.

A revision is read straight from git's object store (``git ls-tree`` and one
``git cat-file --batch``) into a temporary folder — nothing is checked out, and only
regular files under the policy folder plus the bibliography are written — then
loaded with the same ``load_project`` as the site build, with the policy folder and
bibliography named by that revision's own mkdocs.yml. The working tree is loaded in
place. Every problem becomes a ``ReviewError`` whose lines name the side and the
revision: an unknown revision, a commit missing from a shallow clone, a policy that
fails validation (``base (1a2b3c4): policy/x.yaml:3:1: …``).
"""

from __future__ import annotations

import posixpath
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from policypress.build.git import GitUnavailable, run_git
from policypress.errors import ReviewError, SourceError, display_path
from policypress.load.loader import load_project
from policypress.project import Project, ProjectLayout
from policypress.review.sides import Side, Snapshot

LayoutFor = Callable[[Path], ProjectLayout]
"""Reads a config file (mkdocs.yml) into the project layout; the CLI passes its own reader."""
Loader = Callable[[ProjectLayout], Project]
"""Loads a project (``load_project``, or the command line's workspace with the speed layer)."""

_REGULAR_FILE_MODES = {"100644", "100755"}


@dataclass(frozen=True)
class Repository:
    """The git repository holding a project: its top folder and the project's place in it."""

    top: Path
    prefix: str
    """The project root relative to ``top`` (``""`` or ``"site-a/"``)."""
    config_name: str
    """The config file relative to the project root (normally ``mkdocs.yml``)."""

    def git(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return _run_git(self.top, *args, stdin=stdin)

    def resolve(self, revision: str, side: str) -> str:
        """The full commit id of ``revision``; a clear error for a bad name or a shallow clone."""
        if not revision or revision.startswith("-"):
            raise ReviewError([f"error: {side} revision {revision!r} is not a valid revision name"])
        result = self.git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
        if result.returncode == 0:
            return result.stdout.decode().strip()
        shallow = self.git("rev-parse", "--is-shallow-repository").stdout.decode().strip() == "true"
        if shallow:
            raise ReviewError(
                [
                    f"error: {side} revision {revision!r} is not available: {self.top} is a shallow clone "
                    "whose history does not reach it",
                    "hint: fetch the full history (git fetch --unshallow, or actions/checkout with fetch-depth: 0)",
                ]
            )
        raise ReviewError([f"error: {side} revision {revision!r} is not a commit in {self.top}"])

    def short(self, commit: str) -> str:
        return self.git("rev-parse", "--short", commit).stdout.decode().strip() or commit[:7]

    def merge_base(self, base: str, head: str) -> str:
        """The common ancestor of two commits (what a pull request is compared against)."""
        result = self.git("merge-base", base, head)
        if result.returncode != 0:
            raise ReviewError(
                [
                    f"error: {base[:12]} and {head[:12]} have no common ancestor in the available history "
                    "(a shallow clone? fetch the full history)"
                ]
            )
        return result.stdout.decode().strip()


def _run_git(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return run_git(cwd, *args, stdin=stdin)
    except GitUnavailable as exc:
        raise ReviewError([f"error: cannot run git: {exc.reason}"]) from None


def open_repository(config_file: Path) -> Repository:
    """The repository that holds ``config_file``; an error when there is none."""
    config_file = config_file.resolve()
    root = config_file.parent
    if not root.is_dir():
        raise ReviewError([f"error: {root}: no such folder"])
    result = _run_git(root, "rev-parse", "--show-toplevel", "--show-prefix")
    if result.returncode != 0:
        raise ReviewError([f"error: {root} is not inside a git repository (policypress diff compares git revisions)"])
    top, prefix = [*result.stdout.decode().split("\n"), ""][:2]
    return Repository(Path(top), prefix, config_file.name)


def _inside(base: str, relative: str) -> str | None:
    """``base/relative`` normalized as a repository path, or ``None`` when it leaves the repository."""
    joined = posixpath.normpath(posixpath.join(base, relative)) if relative else posixpath.normpath(base or ".")
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        return None
    return "" if joined == "." else joined


def _read_blobs(repo: Repository, ids: list[str]) -> list[bytes]:
    """The contents of blobs, in order, through one ``git cat-file --batch``."""
    if not ids:
        return []
    result = repo.git("cat-file", "--batch", stdin="".join(f"{i}\n" for i in ids).encode())
    if result.returncode != 0:
        raise ReviewError([f"error: git cat-file failed: {result.stderr.decode(errors='replace').strip()}"])
    out = result.stdout
    blobs: list[bytes] = []
    position = 0
    for _ in ids:
        header_end = out.index(b"\n", position)
        header = out[position:header_end].split()
        if len(header) != 3:
            raise ReviewError([f"error: git object {header[0].decode(errors='replace')} is missing"])
        size = int(header[2])
        blobs.append(out[header_end + 1 : header_end + 1 + size])
        position = header_end + 1 + size + 1
    return blobs


def _tree_files(repo: Repository, commit: str, paths: list[str]) -> dict[str, str]:
    """Repository path -> blob id of every regular file at or under ``paths`` in ``commit``."""
    result = repo.git("ls-tree", "-r", "-z", "--full-tree", commit, "--", *paths)
    if result.returncode != 0:
        raise ReviewError([f"error: git ls-tree failed: {result.stderr.decode(errors='replace').strip()}"])
    files: dict[str, str] = {}
    for record in result.stdout.decode("utf-8", errors="surrogateescape").split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        mode, kind, object_id = meta.split()
        if kind == "blob" and mode in _REGULAR_FILE_MODES:
            files[path] = object_id
    return files


def _safe_relative(path: str) -> PurePosixPath | None:
    """A repository path as a relative path that cannot leave the folder it is written into."""
    parts = PurePosixPath(path).parts
    if not parts or any(part in ("", ".", "..") or "\\" in part for part in parts) or path.startswith("/"):
        return None
    return PurePosixPath(*parts)


def load_revision(
    config_file: Path, revision: str, side: str, layout_for: LayoutFor, load: Loader = load_project
) -> Snapshot:
    """The project as committed at ``revision`` (loaded from a temporary folder, removed afterwards)."""
    repo = open_repository(config_file)
    commit = repo.resolve(revision, side)
    info = Side(side, revision, commit, repo.short(commit))
    config_path = _inside(repo.prefix, repo.config_name) or repo.config_name
    with tempfile.TemporaryDirectory(prefix="policypress-diff-") as folder:
        root = Path(folder)
        config_blob = _tree_files(repo, commit, [config_path]).get(config_path)
        if config_blob is None:
            raise ReviewError([f"{info.label}: {repo.config_name}: no such file at this revision"])
        (root / repo.config_name).write_bytes(_read_blobs(repo, [config_blob])[0])
        try:
            layout = layout_for(root / repo.config_name)
        except Exception as exc:  # a broken mkdocs.yml at that revision is the user's problem
            raise ReviewError([f"{info.label}: {repo.config_name}: cannot read the configuration: {exc}"]) from None
        wanted: dict[str, str] = {}
        for relative in (layout.policy_dir, layout.bibliography):
            inside = _inside(repo.prefix, relative)
            if inside is None:
                raise ReviewError([f"{info.label}: {relative!r} lies outside the repository"])
            wanted[inside] = relative
        files = _tree_files(repo, commit, list(wanted))
        prefix_length = len(repo.prefix)
        selected = [(path, blob) for path, blob in sorted(files.items()) if _safe_relative(path[prefix_length:])]
        for (path, _), content in zip(selected, _read_blobs(repo, [b for _, b in selected]), strict=True):
            target = root / str(_safe_relative(path[prefix_length:]))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return _load(info, layout, load)


def load_worktree(config_file: Path, side: str, layout_for: LayoutFor, load: Loader = load_project) -> Snapshot:
    """The project as it is on disk, committed or not."""
    return _load(Side(side, None, None, None), layout_for(config_file), load)


def _load(side: Side, layout: ProjectLayout, load: Loader) -> Snapshot:
    try:
        project = load(layout)
    except SourceError as exc:
        raise ReviewError(f"{side.label}: {d.format()}" for d in exc.diagnostics) from None
    return Snapshot(side, project, _source_texts(layout), display_path(layout.bibliography_path, layout.root))


def _source_texts(layout: ProjectLayout) -> dict[str, str]:
    """The text of every file ``load_project`` reads, by the path users see."""
    paths = [
        *layout.policy_files(),
        *sorted(layout.boilerplate_path.glob("*.yaml")),
        layout.bibliography_path,
    ]
    texts: dict[str, str] = {}
    for path in paths:
        if path.is_file():
            texts[display_path(path, layout.root)] = path.read_text(encoding="utf-8", errors="replace")
    return texts
