"""The shape of the package: import contracts, light imports where promised, cache keys over every module."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT
from policypress.pdf import engine
from policypress.speed import fingerprint, refcache

PACKAGE = ROOT / "src" / "policypress"


def _python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_import_contracts_hold() -> None:
    """Layers, the speed layer apart, one door per heavy library (pyproject.toml, [tool.importlinter])."""
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_command_module_but_the_workspace_is_kept_from_the_speed_layer() -> None:
    """A new module under build/ must join the contract that keeps it from importing ``speed`` itself."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (kept,) = [c for c in contracts["contracts"] if c["name"].startswith("Only the workspace")]
    build = sorted(f"policypress.build.{path.stem}" for path in (PACKAGE / "build").glob("*.py"))
    assert sorted(kept["source_modules"]) == sorted(
        [name for name in build if name not in ("policypress.build.__init__", "policypress.build.workspace")]
        + ["policypress.mkdocs_plugin"]
    )


LIGHT = ("jinja2", "mkdocs", "material", "sqlite3", "multiprocessing", "concurrent.futures", "typst")


def test_the_review_imports_no_renderer_site_generator_or_speed_machinery() -> None:
    loaded = _python(
        "import sys\n"
        "import policypress.review.diff, policypress.review.governance, policypress.review.report\n"
        f"print(sorted(name for name in {LIGHT!r} if name in sys.modules))"
    )
    assert loaded == "[]"


@pytest.mark.parametrize("command", [["check"], ["diff", "HEAD", "HEAD"], ["--plain", "check"]])
def test_check_and_diff_do_not_load_mkdocs(command: list[str]) -> None:
    loaded = _python(
        "import contextlib, io, sys\n"
        "from policypress.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['-f', {str(ROOT / 'mkdocs.yml')!r}, *{command!r}]) == 0\n"
        "print(sorted(name for name in ('mkdocs', 'material', 'typst') if name in sys.modules))"
    )
    assert loaded == "[]"


@pytest.mark.parametrize("command", [["check"], ["build", "--site-dir", "{site}"]])
def test_a_plain_run_loads_no_speed_machinery(tmp_path: Path, command: list[str]) -> None:
    """``--plain`` is the pipeline alone: not one module of the speed layer, no SQLite, no process pool."""
    arguments = [part.format(site=tmp_path / "site") for part in command]
    loaded = _python(
        "import contextlib, io, sys\n"
        "from policypress.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    assert main(['--plain', '-f', {str(ROOT / 'mkdocs.yml')!r}, *{arguments!r}]) == 0\n"
        "print(sorted(n for n in sys.modules if n.startswith('policypress.speed')\n"
        "             or n in ('sqlite3', 'multiprocessing', 'concurrent.futures')))"
    )
    assert loaded == "[]"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_printing_only_in_the_command_line() -> None:
    """Everything else returns values or raises; the CLI decides what reaches the terminal."""
    found = []
    for path in _modules():
        if path.name in ("cli.py", "entry.py"):  # the command line
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: print()")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("stdout", "stderr", "__stdout__", "__stderr__")
                and isinstance(node.value, ast.Name)
                and node.value.id == "sys"
                and path.name != "fastexit.py"  # flushes them at exit
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: sys.{node.attr}")
    assert found == []


def test_every_module_states_its_job() -> None:
    missing = [str(p.relative_to(PACKAGE)) for p in _modules() if not ast.get_docstring(ast.parse(p.read_bytes()))]
    assert missing == []


def test_every_module_feeds_the_code_fingerprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit to any ``.py`` file of the package, in any folder, or a new one, gives every cache new keys."""
    import shutil

    copy = tmp_path / "policypress"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "PACKAGE", copy)
    modules = sorted(copy.rglob("*.py"))
    assert fingerprint.package_modules("") == modules
    assert len({p.parent for p in modules}) > 5  # the subfolders are in it, not only the top
    seen = {fingerprint.modules_digest(fingerprint.package_modules(""))}
    for path in modules:
        path.write_bytes(path.read_bytes() + b"\n# edited\n")
        seen.add(fingerprint.modules_digest(fingerprint.package_modules("")))
    (copy / "model" / "new_module.py").write_text('"""new"""\n', encoding="utf-8")
    seen.add(fingerprint.modules_digest(fingerprint.package_modules("")))
    moved = copy / "model" / "new_module.py"
    moved.rename(copy / "render" / "new_module.py")  # the same bytes elsewhere are other code
    seen.add(fingerprint.modules_digest(fingerprint.package_modules("")))
    assert len(seen) == len(modules) + 3


def test_the_reference_and_pdf_keys_cover_their_folders_recursively() -> None:
    formatting = set(fingerprint.package_modules(*refcache._FORMATTER_MODULES))
    assert set((PACKAGE / "bibliography").rglob("*.py")) <= formatting
    assert PACKAGE / "model" / "inline.py" in formatting
    pdf_code = set(engine._engine_modules())
    assert set((PACKAGE / "pdf").rglob("*.py")) | {PACKAGE / "render" / "printjob.py"} == pdf_code
