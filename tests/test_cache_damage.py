"""Nothing wrong is published from a cache: every kind of damage to every cache is caught on read.

A project is built once (filling ``.cache/work.sqlite`` and ``.cache/pdf/``); each case
copies it, damages one cache in one way (truncated, overwritten, a flipped bit, a value
moved under another key), builds again and compares the site byte for byte with a build
from no cache at all. The damaged entry is discarded and made again, and the run says so
once.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import BARIATRIC_FIXTURE, ROOT, copy_project
from policypress.speed.workcache import DATABASE

NOTE = "was discarded and its work done again (nothing damaged was published)"


def _build(root: Path, site: str = "site") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "policypress", "-f", str(root / "mkdocs.yml"), "build", "--site-dir", site]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=root)
    assert result.returncode == 0, result.stderr
    return result


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """The bariatric project built twice: its cache filled, and its site as a build from no cache makes it."""
    root = copy_project(tmp_path_factory.mktemp("cache") / "project", BARIATRIC_FIXTURE)
    _build(root)
    clean = _files(root / "site")
    shutil.rmtree(root / "site")
    _build(root)  # the same bytes from a warm cache
    assert _files(root / "site") == clean
    return root, clean


def _values(root: Path, kind: str) -> list[tuple[str, str]]:
    with sqlite3.connect(root / ".cache" / DATABASE) as database:
        return database.execute("SELECT key, value FROM entries WHERE kind = ? ORDER BY key", (kind,)).fetchall()


def _set(root: Path, kind: str, change: Callable[[str], str], key: str | None = None) -> None:
    with sqlite3.connect(root / ".cache" / DATABASE) as database:
        for entry_key, value in _values(root, kind)[:1] if key is None else [(key, "")]:
            database.execute(
                "UPDATE entries SET value = ? WHERE kind = ? AND key = ?", (change(value), kind, entry_key)
            )


def _flip(text: str) -> str:
    middle = len(text) // 2
    return text[:middle] + chr(ord(text[middle]) ^ 1) + text[middle + 1 :]


def _swap_two(root: Path, kind: str) -> None:
    (key_a, value_a), (key_b, value_b) = _values(root, kind)[:2]
    with sqlite3.connect(root / ".cache" / DATABASE) as database:
        database.execute("UPDATE entries SET value = ? WHERE kind = ? AND key = ?", (value_b, kind, key_a))
        database.execute("UPDATE entries SET value = ? WHERE kind = ? AND key = ?", (value_a, kind, key_b))


def _pdf(root: Path) -> Path:
    (cached,) = (root / ".cache" / "pdf").glob("*.pdf")
    return cached


def _pdf_bytes(root: Path, change: Callable[[bytes], bytes]) -> None:
    path = _pdf(root)
    path.write_bytes(change(path.read_bytes()))


def _pdf_under_another_key(root: Path) -> None:
    """A valid cached PDF of another policy, filed under this one's key."""
    other = copy_project(root.parent / "other", ROOT / "tests" / "fixtures" / "nested")
    _build(other)
    path = _pdf(root)
    path.write_bytes(_pdf(other).read_bytes())


def _references(root: Path, change: Callable[[str], str]) -> None:
    (path,) = (root / ".cache" / "references").glob("*.json")
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "references-truncated": lambda root: _references(root, lambda text: text[: len(text) // 2]),
    "references-reworded": lambda root: _references(root, lambda text: text.replace("Bariatric", "Forged", 1)),
    "page-truncated": lambda root: _set(root, "pages", lambda v: v[: len(v) // 2]),
    "page-overwritten": lambda root: _set(root, "pages", lambda v: "# Clinical Policy: forged\n"),
    "page-bit-flip": lambda root: _set(root, "pages", _flip),
    "source-bit-flip": lambda root: _set(root, "sources", _flip),
    "citations-overwritten": lambda root: _set(root, "citations", lambda v: "[]"),
    "pages-swapped": lambda root: _swap_two(root, "pages"),
    "pdf-truncated": lambda root: _pdf_bytes(root, lambda data: data[:1000]),
    "pdf-overwritten": lambda root: _pdf_bytes(root, lambda data: data[:200] + b"\0" * 500 + data[700:]),
    "pdf-bit-flip": lambda root: _pdf_bytes(root, lambda data: data[:-300] + bytes([data[-300] ^ 1]) + data[-299:]),
    "pdf-under-another-key": _pdf_under_another_key,
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damage_is_caught_and_the_site_is_a_clean_builds(
    case: str, built: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    original, clean = built
    root = tmp_path / "work" / "project"
    shutil.copytree(original, root)
    if case == "pages-swapped" and len(_values(root, "pages")) < 2:
        pytest.fail("the build kept fewer than two pages to swap")
    DAMAGE[case](root)
    result = _build(root, "site2")
    assert _files(root / "site2") == clean
    output = result.stdout + result.stderr
    assert output.count(NOTE) == 1, output
