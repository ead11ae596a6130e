"""Code style is part of the suite: ruff's lint and format checks must pass on every commit."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_ruff_check_and_format() -> None:
    for args in (["check", "src", "tests", "scripts"], ["format", "--check", "src", "tests", "scripts"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
