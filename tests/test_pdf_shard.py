"""``policypress pdf --shard K/N``: a CI matrix of N jobs renders a library's PDFs in parallel into
``.cache/pdf``; the caches merged, a build renders none and publishes the site a single build would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from policypress.build.pdfs import Shard
from policypress.cli import main
from policypress.project import PolicySource
from test_bad_inputs import snapshot

COUNT = 8
SHARDS = 4


def run(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["-f", str(root / "mkdocs.yml"), *args]) == 0
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated library of eight policies (``scripts/generate_library.py``), never built."""
    project = tmp_path_factory.mktemp("library") / "project"
    generate = [sys.executable, str(ROOT / "scripts" / "generate_library.py"), str(COUNT), str(project)]
    subprocess.run([*generate, "--bib-size", "200"], check=True, capture_output=True)
    return project


def test_four_shards_in_four_folders_merge_into_the_site_of_one_build(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    straight = shutil.copytree(library, tmp_path / "straight")
    assert f"{COUNT} PDF(s): {COUNT} rendered, 0 reused" in run(straight, capsys, "build")

    merged = shutil.copytree(library, tmp_path / "merged")
    (merged / ".cache" / "pdf").mkdir(parents=True)
    entries: set[str] = set()
    for index in range(1, SHARDS + 1):
        job = shutil.copytree(library, tmp_path / f"shard-{index}")  # a CI job: a fresh checkout, no cache
        out = run(job, capsys, "pdf", "--shard", f"{index}/{SHARDS}")
        assert f"pdf: shard {index}/{SHARDS}: 2 PDF(s) into .cache/pdf: 2 rendered, 0 already in the cache" in out
        assert not (job / "site").exists()  # a shard publishes nothing: its cache is its artifact
        made = {path.name for path in (job / ".cache" / "pdf").glob("*.pdf")}
        assert len(made) == 2 and not made & entries  # the shards share no PDF
        entries |= made
        for name in made:  # the join: every job's .cache/pdf copied into one
            shutil.copy2(job / ".cache" / "pdf" / name, merged / ".cache" / "pdf" / name)
    assert len(entries) == COUNT

    out = run(merged, capsys, "build")
    assert f"{COUNT} PDF(s): 0 rendered, {COUNT} reused from the cache" in out
    assert snapshot(merged / "site") == snapshot(straight / "site")


def test_every_policy_falls_in_exactly_one_shard() -> None:
    stems = [f"xx-cp-mp-{number}" for number in range(1, 11)]
    sources = [PolicySource(None, f"policy/{stem}.yaml", stem) for stem in reversed(stems)]  # type: ignore[arg-type]
    for count in (1, 3, 4, 10, 12):
        shards = [[source.stem for source in Shard(index, count).select(sources)] for index in range(1, count + 1)]
        assert sorted(stem for shard in shards for stem in shard) == sorted(stems)
        assert max(map(len, shards)) - min(map(len, shards)) <= 1  # even to one policy


@pytest.mark.parametrize(
    ("given", "told"),
    [
        ("0/4", "--shard 0/4: K is 1 to 4, shards are numbered from 1 (--shard 1/4 to 4/4)"),
        ("5/4", "--shard 5/4: K is 1 to 4, shards are numbered from 1 (--shard 1/4 to 4/4)"),
        ("x", "--shard x: write K/N, shard K of N, e.g. --shard 2/4"),
        ("2", "--shard 2: write K/N, shard K of N, e.g. --shard 2/4"),
        ("-1/4", "--shard -1/4: write K/N, shard K of N, e.g. --shard 2/4"),
        ("1/0", "--shard 1/0: N, the number of shards, is at least 1"),
    ],
)
def test_a_bad_shard_is_refused_before_anything_is_read(
    given: str, told: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["-f", str(tmp_path / "mkdocs.yml"), "pdf", f"--shard={given}"]) == 1  # no project there
    assert capsys.readouterr().err == f"error: {told}\n"


@pytest.mark.parametrize("option", ["--no-cache", "--plain"])
def test_a_shard_needs_the_cache(option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--plain", "-f", str(tmp_path / "mkdocs.yml"), "pdf", "--shard", "1/2"]
    if option == "--no-cache":
        arguments = ["-f", str(tmp_path / "mkdocs.yml"), "pdf", "--shard", "1/2", "--no-cache"]
    capsys.readouterr()
    assert main(arguments) == 1
    assert (
        capsys.readouterr().err
        == f"error: --shard renders into .cache/pdf, which {option} does not use: leave one out\n"
    )
