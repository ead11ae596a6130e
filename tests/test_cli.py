"""The ``policypress`` command as an author meets it: messages, exit codes, and a site left intact."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, copy_project, copy_seed_project
from policypress import cli
from policypress.cli import main

NESTED = ROOT / "tests" / "fixtures" / "nested"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repository reduced to the seed (templates, config, the seed and its references) to break
    at will: its summary lines are the seed's, whatever else the repository holds."""
    return copy_seed_project(tmp_path / "project")


def run(root: Path, *args: str) -> int:
    return main(["-f", str(root / "mkdocs.yml"), *args])


def test_check_strict_passes_on_the_repository_as_it_is(tmp_path: Path) -> None:
    """Every policy policy/ holds, with the whole bibliography: no error and no warning (exact summaries are
    the seed's, below, on a copy reduced to it)."""
    assert run(copy_project(tmp_path / "project"), "check", "--strict") == 0


def test_check_passes_on_the_seed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(project, "check") == 0
    out, err = capsys.readouterr()
    assert out == "1 policy, 29 references: valid, 0 warning(s), 21 info\n"
    assert err == "info: 21 x citation.unused (run with -v to list them)\n"


def test_check_verbose_lists_uncited_references(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(project, "check", "-v") == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 21  # the seed lists 29 references and cites 8
    assert err[0] == (
        "policy/wa-cp-mp-166.yaml:90:5: info: references[0]: 'visser2013' (reference 1) is listed but never "
        "cited [citation.unused]"
    )


def test_check_strict_refuses_warnings(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(project, "check", "--strict") == 0  # information (references never cited) is not a warning
    policy = project / "policy" / "wa-cp-mp-166.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("NIA_CG_305", "<b>NIA_CG_305</b>"), encoding="utf-8")
    capsys.readouterr()
    assert run(project, "check", "--strict") == 1
    assert capsys.readouterr().err.endswith("1 warning(s), refused under --strict\n")


def test_literal_markup_is_a_warning(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = project / "policy" / "wa-cp-mp-166.yaml"
    text = policy.read_text(encoding="utf-8").replace("NIA_CG_305", "[NIA_CG_305](https://example.org/x)")
    policy.write_text(text, encoding="utf-8")
    assert run(project, "check", "-v") == 0
    err = capsys.readouterr().err.splitlines()
    assert (
        "policy/wa-cp-mp-166.yaml:15:5: warning: notes[0]: '[NIA_CG_305](https://example.org/x)' will be shown as "
        "typed; policy text allows only *italic*, **bold**, [@citations], bare https:// links and [words](#id) "
        "[text.literal_markup]"
    ) in err


def test_check_reports_every_error_at_once(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = project / "policy" / "wa-cp-mp-166.yaml"
    text = policy.read_text(encoding="utf-8")
    text = text.replace("determination: not_medically_necessary", "determination: maybe", 1)
    text = text.replace("effective_date:", "efective_date:")
    text = text.replace("[@ho2013]", "[@ho2031]")
    policy.write_text(text, encoding="utf-8")
    assert run(project, "check") == 1
    assert capsys.readouterr().err.splitlines() == [
        "policy/wa-cp-mp-166.yaml:5:1: efective_date: unknown field; did you mean 'effective_date'? "
        "[schema.unknown_field]",
        "policy/wa-cp-mp-166.yaml:20:20: criteria[0].determination: expected one of 'medically_necessary', "
        "'not_medically_necessary', 'investigational', got 'maybe' [schema.literal_error]",
        "2 error(s); nothing was built",
    ]


def test_failed_build_leaves_the_site_untouched(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(project, "build") == 0
    site = project / "site"
    before = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert Path("policies/wa-cp-mp-166/index.html") in before
    bib = project / "references.bib"
    bib.write_text(
        bib.read_text(encoding="utf-8").replace("@article{ho2013,", "@article{ho2013,\n  note = {unterminated,"),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert run(project, "build") == 1
    assert "references.bib:" in capsys.readouterr().err
    after = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert after == before
    # no staging folder left behind (.cache holds the PDF cache, kept between builds on purpose)
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".") and p.name != ".cache") == []


def test_a_site_mkdocs_refuses_is_a_user_error_and_leaves_the_site(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """MkDocs' own refusals (a warning under ``strict``) end as any user error: one line, exit 1."""
    assert run(project, "build") == 0
    site = project / "site"
    before = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    (project / "docs" / "about.md").write_text("# About\n\nSee [the list](missing.md).\n", encoding="utf-8")
    capsys.readouterr()
    assert run(project, "build") == 1
    err = capsys.readouterr().err
    assert "missing.md" in err
    assert err.splitlines()[-1] == "error: Aborted with 2 warnings in strict mode!"
    assert "Traceback" not in err
    assert {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()} == before


def test_build_twice_gives_identical_bytes(project: Path, tmp_path: Path) -> None:
    assert run(project, "build", "--site-dir", str(tmp_path / "one")) == 0
    assert run(project, "build", "--site-dir", str(tmp_path / "two")) == 0
    one = {p.relative_to(tmp_path / "one"): p.read_bytes() for p in (tmp_path / "one").rglob("*") if p.is_file()}
    two = {p.relative_to(tmp_path / "two"): p.read_bytes() for p in (tmp_path / "two").rglob("*") if p.is_file()}
    assert one.keys() == two.keys()
    assert [path for path in one if one[path] != two[path]] == []


def _command(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command as users run it (``run``: ``main``, then the fast exit)."""
    return subprocess.run(
        [sys.executable, "-m", "policypress", "-f", str(root / "mkdocs.yml"), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_command_exits_with_mains_code_and_all_its_output(project: Path) -> None:
    ok = _command(project, "check", "-v")
    assert (ok.returncode, ok.stdout) == (0, "1 policy, 29 references: valid, 0 warning(s), 21 info\n")
    assert len(ok.stderr.splitlines()) == 21  # every warning, each on its line, none lost at exit
    policy = project / "policy" / "wa-cp-mp-166.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("effective_date:", "efective_date:"), "utf-8")
    broken = _command(project, "check")
    assert broken.returncode == 1
    assert broken.stderr.endswith("1 error(s); nothing was built\n")


def _run_in_a_script(project: Path, prelude: str) -> subprocess.CompletedProcess[str]:
    """``cli.run`` for ``check`` in a fresh interpreter, after ``prelude``."""
    script = (
        f"{prelude}\n"
        "import sys\n"
        "from policypress.cli import run\n"
        f"sys.argv = ['policypress', '-f', {str(project / 'mkdocs.yml')!r}, 'check']\n"
        "run()\n"
        "print('not reached')\n"
    )
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60)


VALID = "1 policy, 29 references: valid, 0 warning(s), 21 info\n"


def test_the_fast_exit_runs_the_exit_handlers_but_frees_nothing(project: Path, tmp_path: Path) -> None:
    """``run`` skips the interpreter's freeing of objects, not what was registered to run at exit."""
    handler, freed = tmp_path / "handler-ran", tmp_path / "object-freed"
    done = _run_in_a_script(
        project,
        "import atexit, pathlib\n"
        f"atexit.register(pathlib.Path({str(handler)!r}).write_text, 'yes')\n"
        "class Freed:\n"
        f"    def __del__(self): pathlib.Path({str(freed)!r}).write_text('yes')\n"
        "kept = Freed()",
    )
    assert (done.returncode, done.stdout) == (0, VALID)
    assert handler.read_text() == "yes"
    assert not freed.exists()  # a plain exit would have freed ``kept``


def test_with_a_worker_still_running_the_command_exits_the_ordinary_way(project: Path, tmp_path: Path) -> None:
    """A pool left running (a command that ended early) is stopped by the interpreter's exit, not left
    waited on forever by the exit handlers."""
    freed = tmp_path / "object-freed"
    done = _run_in_a_script(
        project,
        "import os, pathlib\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "pool = ProcessPoolExecutor(1)\n"
        "pool.submit(os.getpid).result()\n"
        "class Freed:\n"
        f"    def __del__(self): pathlib.Path({str(freed)!r}).write_text('yes')\n"
        "kept = Freed()",
    )
    assert (done.returncode, done.stdout) == (0, VALID)
    assert freed.read_text() == "yes"


@pytest.mark.parametrize(("flags", "fast"), [([], True), (["--plain"], False)])
def test_only_the_speed_layer_ends_the_command_with_the_fast_exit(
    project: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], fast: bool
) -> None:
    """``--plain`` leaves every runtime trick out, the fast exit too: the interpreter ends as usual."""
    taken: list[int] = []

    def fake_exit_fast(code: int) -> None:
        taken.append(code)
        raise SystemExit(code)

    monkeypatch.setattr("policypress.speed.fastexit.exit_fast", fake_exit_fast)
    monkeypatch.setattr(sys, "argv", ["policypress", *flags, "-f", str(project / "mkdocs.yml"), "check"])
    with pytest.raises(SystemExit) as exited:
        cli.run()
    assert exited.value.code == 0
    assert taken == ([0] if fast else [])
