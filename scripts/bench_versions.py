"""The versions benchmark: a library with git history, built cold, then again after one new commit.

Usage: ``python scripts/bench_versions.py [--n 50] [--versions 5] [--per-commit 10] [--keep DIR]``

Makes a git repository of N generated policies (``scripts/generate_library.py``) and V versions of
each: the first commit adds every policy (version 1); each later round gives every policy a new
revision-log entry and effective date, ``--per-commit`` policies to a commit. Then it times
``policypress build`` with an empty ``.cache/`` (``cold_s``: every version's commit loaded, every
version page and PDF rendered), adds one commit that gives one policy a new version, and times the
build again (``one_commit_s``). ``rendered``, ``reused`` and ``loaded`` are the second build's version
pages rendered and reused and the commits it loaded (its ``versions:`` line); ``pdf_rendered`` the
PDFs it rendered (its ``pdf:`` line). Last line: ``versions: N=… V=… cold_s=… one_commit_s=…
rendered=… reused=… loaded=… pdf_rendered=…``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_library import generate_library  # noqa: E402

POLICYPRESS = Path(sys.executable).parent / "policypress"


def git(root: Path, *args: str, when: dt.datetime) -> None:
    """Run git in ``root`` as a fixed author, dated ``when`` (so the same arguments give the same history)."""
    stamp = when.replace(tzinfo=dt.UTC).isoformat()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Policy Author",
        "GIT_AUTHOR_EMAIL": "author@example.org",
        "GIT_COMMITTER_NAME": "Policy Author",
        "GIT_COMMITTER_EMAIL": "author@example.org",
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def policy_file(root: Path, number: int) -> Path:
    return root / "policy" / f"xx-cp-mp-{number}.yaml"


def new_version(root: Path, number: int, round_: int) -> None:
    """Give policy ``number`` its version ``round_`` (>= 2): a revision-log entry and a later effective date."""
    path = policy_file(root, number)
    text = path.read_text(encoding="utf-8")
    year = 2026 + round_
    text = re.sub(r"^effective_date: .*$", f"effective_date: {year}-01-01", text, count=1, flags=re.M)
    entry = (
        f"  - description: Version {round_}, criteria reviewed.\n"
        f"    revision_date: {year - 1}-10\n    approval_date: {year - 1}-11\n"
    )
    assert "\n\nreferences:" in text
    path.write_text(text.replace("\n\nreferences:", f"\n{entry}\nreferences:", 1), encoding="utf-8", newline="\n")


def make_history(root: Path, count: int, versions: int, per_commit: int = 10, bib_size: int = 200) -> int:
    """The repository of ``count`` policies with ``versions`` versions each; returns the number of commits."""
    generate_library(count, root, seed=0, bib_size=max(bib_size, 40))
    (root / ".gitignore").write_text(".cache/\nsite/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main", when=dt.datetime(2027, 1, 1))
    git(root, "add", "-A", when=dt.datetime(2027, 1, 1))
    git(root, "commit", "-q", "-m", "every policy, version 1", when=dt.datetime(2027, 1, 1))
    commits = 1
    for round_ in range(2, versions + 1):
        for first in range(1, count + 1, per_commit):
            numbers = range(first, min(first + per_commit, count + 1))
            for number in numbers:
                new_version(root, number, round_)
            when = dt.datetime(2026 + round_, 1, 1) + dt.timedelta(hours=first)  # posted once in effect
            git(root, "commit", "-q", "-am", f"version {round_} of policies {first}-{numbers[-1]}", when=when)
            commits += 1
    return commits


def add_one_version(root: Path, number: int, versions: int) -> None:
    """One more commit: policy ``number`` gets version ``versions + 1``."""
    new_version(root, number, versions + 1)
    when = dt.datetime(2027 + versions, 1, 15)  # after every earlier commit; no other version takes effect meanwhile
    git(root, "commit", "-q", "-am", f"version {versions + 1} of policy {number}", when=when)


def build(root: Path) -> tuple[float, str]:
    """``policypress build``'s time and output."""
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    started = time.perf_counter()
    done = subprocess.run(
        [str(POLICYPRESS), "-f", str(root / "mkdocs.yml"), "build"], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"policypress build failed:\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout


def counts(output: str) -> dict[str, str]:
    """The ``versions:`` and ``pdf:`` lines' figures."""
    found = {"rendered": "nan", "reused": "nan", "loaded": "nan", "pdf_rendered": "nan"}
    if line := re.search(r"versions: \d+ version page\(s\): (\d+) rendered, (\d+) reused; (\d+) commit", output):
        found.update(rendered=line[1], reused=line[2], loaded=line[3])
    if line := re.search(r"pdf: \d+ PDF\(s\): (\d+) rendered", output):
        found.update(pdf_rendered=line[1])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="policies (default: %(default)s)")
    parser.add_argument("--versions", type=int, default=5, help="versions of each policy (default: %(default)s)")
    parser.add_argument("--per-commit", type=int, default=10, help="policies a commit revises (default: %(default)s)")
    parser.add_argument("--bib-size", type=int, default=200, help="entries in references.bib (default: %(default)s)")
    parser.add_argument("--keep", type=Path, help="make the repository here and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.versions < 1 or args.per_commit < 1:
        parser.error("--n, --versions and --per-commit are at least 1")
    folder = Path(tempfile.mkdtemp(prefix="policypress-versions-")) if args.keep is None else args.keep
    root = folder / "library" if args.keep is None else folder
    try:
        commits = make_history(root, args.n, args.versions, args.per_commit, args.bib_size)
        print(f"history: {args.n} policies x {args.versions} versions in {commits} commits", file=sys.stderr)
        cold, out = build(root)
        print(out.strip(), file=sys.stderr)
        add_one_version(root, 1, args.versions)
        warm, out = build(root)
        print(out.strip(), file=sys.stderr)
        figures = counts(out)
        print(
            f"versions: N={args.n} V={args.versions} cold_s={cold:.2f} one_commit_s={warm:.2f} "
            + " ".join(f"{name}={value}" for name, value in figures.items())
        )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
