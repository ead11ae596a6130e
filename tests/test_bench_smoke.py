"""``make bench`` at a tiny size: the harness runs end to end and its last line parses (no timing checks).

Also: the synthetic library generator is deterministic and its output passes ``policypress check``.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

GENERATOR = ROOT / "scripts" / "generate_library.py"
BENCH = ROOT / "scripts" / "bench.py"
FIELDS = (
    "site_s",
    "naive_s",
    "ratio",
    "prune_s",
    "ratio_prune",
    "samenav_s",
    "ratio_samenav",
    "site_cold_s",
    "ratio_samenav_cold",
    "check_s",
    "pdf_all_s",
    "pdf_floor_s",
    "pdf_ratio",
    "pdf_one_s",
    "preview_s",
    "preview_browser_s",
    "site_mb",
)
LAST_LINE = re.compile(r"bench: N=(\d+) " + " ".join(rf"{name}=(\S+)" for name in FIELDS))


def generate(count: int, out: Path, *extra: str) -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), str(count), str(out), *extra], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_generator_is_deterministic_and_valid(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    generate(12, first, "--seed", "7", "--bib-size", "300")
    generate(12, second, "--seed", "7", "--bib-size", "300")
    files = snapshot(first)
    assert files == snapshot(second)
    assert len([name for name in files if name.startswith("policy/xx-cp-mp-")]) == 12
    other = tmp_path / "c"
    generate(12, other, "--seed", "8", "--bib-size", "300")
    assert snapshot(other)["references.bib"] != files["references.bib"]
    result = subprocess.run(
        [sys.executable, "-m", "policypress", "-f", str(first / "mkdocs.yml"), "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "12 policies, 300 references: valid" in result.stdout


def test_bench_smoke_last_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--n", "3", "--bib-size", "60", "--keep", str(tmp_path), "--serve-timeout", "60"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    match = LAST_LINE.fullmatch(last)
    assert match, last
    assert match.group(1) == "3"
    values = dict(zip(FIELDS, (float(v) for v in match.groups()[1:]), strict=True))
    for name in ("site_s", "naive_s", "ratio", "check_s", "preview_s", "preview_browser_s", "site_mb"):
        assert math.isfinite(values[name]) and values[name] > 0, (name, last)
    for name in ("pdf_all_s", "pdf_floor_s", "pdf_ratio", "pdf_one_s"):  # nan only when there is no `policypress pdf`
        assert math.isnan(values[name]) or values[name] > 0, (name, last)
