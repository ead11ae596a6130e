"""Faults end in one clear line, never a traceback, and leave ``site/`` as it was (or the new site
already published): interrupts at many moments of a build, a full disk, outputs that are folders."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SEED_STEM, copy_project
from policypress.cli import main
from test_site_dir import _digest


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("faults") / "project")
    command = [sys.executable, "-m", "policypress", "-f", str(root / "mkdocs.yml"), "build"]
    subprocess.run(command, capture_output=True, check=True, cwd=root)
    return root


# Interrupts at twenty moments of a build -----------------------------------------------------

EVENTS = ("answering", "loading", "workers", "staging", "pdf folder", "pdf written", "published")
"""What can be seen of a build from outside, in the order it happens: its signal handlers are in place
(before that, the interpreter itself is starting and no program can answer), it opened the work cache
(it loads the sources), the PDF workers are started (the pages are next), the staging folder exists
(MkDocs runs), its ``pdf/`` exists (the PDFs are made), the PDF is written (the swap is next),
``site/`` is another folder (the swap happened)."""

SHARED_BY = {"answering": "command", "loading": "command", "workers": "command", "staging": "command"}
"""Whose CPU time measures progress after each event: the command's own while it loads and runs MkDocs
(the worker starting beside it would blur that), the whole process group's while the workers render."""

MOMENTS: tuple[tuple[str, float], ...] = (
    *(("answering", share) for share in (0.0, 0.15, 0.3, 0.45, 0.6, 0.8)),
    *(("loading", share) for share in (0.0, 0.5)),
    ("workers", 0.0),
    *(("staging", share) for share in (0.0, 0.25, 0.5, 0.75)),
    *(("pdf folder", share) for share in (0.0, 0.2, 0.4, 0.6, 0.8)),
    ("pdf written", 0.0),
    ("published", 0.0),
)
"""Twenty moments, each an event and a share of the CPU time the build spent from it to the next one
(measured once per run by ``phases``): progress, not seconds, so they land in the same steps of the
build on a fast machine, a slow one or a busy one (and a moment whose next event comes first is
taken then)."""

STEPS = (
    "starting",
    "loading the sources",
    "building the pages",
    "making the PDFs",
    "publishing the new site",
    "finishing",
)
"""What an interrupted build says it was doing, in order; ``finishing`` and a signal held back during
``publishing the new site`` come after the swap."""

FIRST_STEP = {
    "answering": "starting",
    "loading": "loading the sources",
    "workers": "building the pages",
    "staging": "building the pages",
    "pdf folder": "making the PDFs",
    "pdf written": "making the PDFs",
    "published": "publishing the new site",
}
"""The earliest step an interrupt after each event can name (the step is recorded before its event)."""

_TICK = os.sysconf("SC_CLK_TCK")
_SIGTERM_CAUGHT = 1 << (signal.SIGTERM - 1)


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (``None`` once the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _cpu(pid: int) -> float:
    """Seconds of CPU the process has used (all its threads)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICK if fields else 0.0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):  # the process, or one of its threads, ended meanwhile
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                found += [int(child) for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return found


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        for child in _children(queue.pop()):
            found.append(child)
            queue.append(child)
    return found


def _catches_sigterm(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) & _SIGTERM_CAUGHT)


def _in_group(group: int) -> list[int]:
    """The live (not zombie) processes of a process group."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and fields[2] == str(group) and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


class Watch:
    """A running build seen from outside: which of ``EVENTS`` happened, and the CPU it used meanwhile."""

    def __init__(self, process: subprocess.Popen[str], root: Path) -> None:
        self.process = process
        self.root = root
        self.site = (root / "site").stat().st_ino
        self.seen: dict[str, dict[str, float]] = {}
        self._stem = f".site-build-{process.pid}-"

    def progress(self) -> dict[str, float]:
        command = _cpu(self.process.pid)
        return {"command": command, "group": command + sum(_cpu(p) for p in _descendants(self.process.pid))}

    def poll(self) -> None:
        """Record the events that happened since the last poll, each with the progress when it was seen."""
        happened = self._happened()
        now = self.progress()
        for event in EVENTS[: happened + 1]:
            self.seen.setdefault(event, now)

    def _happened(self) -> int:
        """The index in ``EVENTS`` of the latest event that happened (-1: none yet)."""
        pid = self.process.pid
        try:
            if (self.root / "site").stat().st_ino != self.site:
                return EVENTS.index("published")
        except FileNotFoundError:
            pass
        staging = [p for p in self.root.iterdir() if p.name.startswith(self._stem)]
        if staging:
            pdf = staging[0] / "pdf"
            if (pdf / f"{SEED_STEM}.pdf").exists():
                return EVENTS.index("pdf written")
            return EVENTS.index("pdf folder" if pdf.exists() else "staging")
        if any(b"multiprocessing" in _cmdline(child) for child in _children(pid)):
            return EVENTS.index("workers")
        if self.root / ".cache" / "work.sqlite" in _open_files(pid):
            return EVENTS.index("loading")
        return EVENTS.index("answering") if _catches_sigterm(pid) else -1

    def wait_for(self, event: str, share: float, length: float) -> bool:
        """Wait until ``event`` happened and ``share`` of ``length`` CPU seconds were used since; ``False``
        if the build ended first."""
        measure = SHARED_BY.get(event, "group")
        following = EVENTS[EVENTS.index(event) + 1 :][:1]
        while self.process.poll() is None:
            self.poll()
            if event in self.seen and (
                any(later in self.seen for later in following)
                or self.progress()[measure] - self.seen[event][measure] >= share * length
            ):
                return True
            time.sleep(0.001)
        return False


def _open_files(pid: int) -> set[Path]:
    found = set()
    with contextlib.suppress(OSError):
        for descriptor in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                found.add(Path(os.readlink(f"/proc/{pid}/fd/{descriptor}")))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _start_build(project: Path, text: str) -> subprocess.Popen[str]:
    """A build of the project whose policy says ``text``, so its page and PDF are new (nothing cached)."""
    policy = project / "policy" / f"{SEED_STEM}.yaml"
    original = policy.read_text(encoding="utf-8")
    policy.write_text(original.replace("Policy developed for services", f"Policy {text} developed for services"))
    command = [sys.executable, "-m", "policypress", "-f", str(project / "mkdocs.yml"), "build"]
    return subprocess.Popen(
        command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


@pytest.fixture(scope="module")
def phases(project: Path) -> dict[str, float]:
    """The CPU seconds a build (new page, new PDF) spends from each event to the next, measured here."""
    policy = project / "policy" / f"{SEED_STEM}.yaml"
    original = policy.read_text(encoding="utf-8")
    try:
        process = _start_build(project, "measured")
        watch = Watch(process, project)
        while process.poll() is None:
            watch.poll()
            time.sleep(0.001)
        _out, err = process.communicate()
    finally:
        policy.write_text(original, encoding="utf-8")
    assert process.returncode == 0, err
    watch.poll()
    assert list(watch.seen) == list(EVENTS), f"a build was seen doing only {list(watch.seen)}"
    lengths = {}
    for event, following in itertools.pairwise(EVENTS):
        measure = SHARED_BY.get(event, "group")
        lengths[event] = watch.seen[following][measure] - watch.seen[event][measure]
    assert lengths["answering"] > 0.1 and lengths["pdf folder"] > 0.1, lengths  # else the moments bunch up
    lengths["published"] = 0.0
    return lengths


NAMED: dict[str, dict[str, str]] = {}
"""What each interrupted build said it was doing, by signal and moment (for the coverage test)."""


@pytest.mark.parametrize(("event", "share"), MOMENTS, ids=[f"{e.replace(' ', '-')}+{s}" for e, s in MOMENTS])
@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_interrupt_at_any_moment_ends_in_one_line(
    project: Path, phases: dict[str, float], sent: signal.Signals, event: str, share: float
) -> None:
    before = _digest(project / "site")
    policy = project / "policy" / f"{SEED_STEM}.yaml"
    original = policy.read_text(encoding="utf-8")
    text = f"{sent.name} {event} {share}"
    try:
        process = _start_build(project, text)
        watch = Watch(process, project)
        if watch.wait_for(event, share, phases[event]):
            os.killpg(process.pid, sent)  # as a terminal's Ctrl-C reaches the whole process group
        out, err = process.communicate(timeout=120)
        deadline = time.monotonic() + 20
        while (left := _in_group(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        policy.write_text(original, encoding="utf-8")
    assert left == [], f"worker processes {left} outlived the command"
    assert "Traceback" not in err and "Exception ignored" not in err, err
    leftovers = [p.name for p in project.iterdir() if p.name.startswith(".site-build-")]
    assert leftovers == [], f"{leftovers} left behind; the build said {err!r} {out!r} ({process.returncode})"
    page = project / "site" / "policies" / SEED_STEM / "index.html"
    if process.returncode == 0:  # the signal came once the build had reported its site: nothing to stop
        assert event == "published", f"the build ended before {event} + {share}: {out}"
        assert err == "" and out.strip().endswith("site built: " + str(project / "site")), out + err
        assert f"Policy {text} developed" in page.read_text(encoding="utf-8")
        NAMED.setdefault(sent.name, {})[f"{event} {share}"] = "done"
        return
    assert process.returncode == 1, err
    assert len(err.splitlines()) == 1, f"more than one line on stderr:\n{err}"
    said = re.fullmatch(r"error: stopped by (SIG\w+)(?: \(Ctrl-C\))? while (.+?); (.*)\n", err)
    assert said, repr(err)
    assert said[1] == sent.name, err
    step = said[2]
    assert step in STEPS and STEPS.index(step) >= STEPS.index(FIRST_STEP[event]), err
    NAMED.setdefault(sent.name, {})[f"{event} {share}"] = step
    if STEPS.index(step) >= STEPS.index("publishing the new site"):  # the signal came once the swap was done
        assert said[3] == "the new site/ was already published, complete", err
        assert _digest(project / "site") != before
        assert f"Policy {text} developed" in page.read_text(encoding="utf-8")
        assert (project / "site" / "pdf" / f"{SEED_STEM}.pdf").read_bytes().startswith(b"%PDF-")
    else:
        assert said[3] == "site/ was left as it was", err
        assert _digest(project / "site") == before


@pytest.mark.parametrize("sent", ["SIGTERM", "SIGINT"])
def test_the_twenty_moments_reach_every_step_of_a_build(sent: str) -> None:
    """Run after the moments (same module, in order): together they interrupted each step, and at most
    the last moment came too late to stop anything."""
    named = NAMED.get(sent, {})
    if len(named) < len(MOMENTS):
        pytest.skip("needs every moment of test_an_interrupt_at_any_moment_ends_in_one_line in the same run")
    steps = set(named.values())
    assert {"starting", "loading the sources", "building the pages", "making the PDFs"} <= steps, named
    assert steps & {"publishing the new site", "finishing", "done"}, named
    assert list(named.values()).count("done") <= 1, named


# A full disk ----------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A file system of its own (a 16 MB tmpfs), so the kernel itself answers "No space left on device"."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs the suite as root)")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0 and "permission denied" in result.stderr.lower():
        pytest.skip(f"this machine refuses mounts even to root: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _fill(disk: Path, leave: int) -> None:
    """Take all the room on ``disk`` but ``leave`` bytes."""
    free = shutil.disk_usage(disk).free
    with (disk / "filler").open("wb") as filler:
        os.posix_fallocate(filler.fileno(), 0, free - leave)
    assert abs(shutil.disk_usage(disk).free - leave) <= 4096


def _used(folder: Path) -> int:
    """Bytes ``folder`` takes on its disk (whole blocks, as the file system counts them)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("where", ["theme", "pdf"])
def test_a_full_disk_is_named_and_the_site_stays(project: Path, small_disk: Path, where: str) -> None:
    """The new site is built beside the old: with room for almost nothing, the theme's files fail; with
    room for all but half the PDF, the PDF (written last) does. Either way one line names the file and the
    kernel's reason, the published site stays byte for byte, no staging folder is left."""
    site = small_disk / "site"
    shutil.copytree(project / "site", site)
    before = _digest(site)
    pdf = site / "pdf" / f"{SEED_STEM}.pdf"
    leave = 64 * 1024 if where == "theme" else _used(site) - pdf.stat().st_blocks * 512 // 2
    _fill(small_disk, leave)
    command = [sys.executable, "-m", "policypress", "-f", str(project / "mkdocs.yml"), "build", "--site-dir", str(site)]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    assert result.returncode == 1, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    said = re.fullmatch(
        rf"error: cannot write ({re.escape(str(site))}/\S+): No space left on device \(the new site is built beside "
        rf"the old one before it replaces it: it needs more than the ([0-9.]+) (kB|MB) free in "
        rf"{re.escape(str(small_disk))}; "
        rf"the published site takes ([0-9.]+) MB\); site/ was left as it was\n",
        result.stderr,
    )
    assert said, result.stderr
    if where == "pdf":
        assert said[1] == str(pdf)
    else:
        assert said[1].startswith(f"{site}/assets/")
    free = float(said[2]) * (1e3 if said[3] == "kB" else 1e6)
    assert abs(free - shutil.disk_usage(small_disk).free) < 0.1e6
    assert float(said[4]) == round(sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 1e6, 1)
    assert _digest(site) == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "site"]  # no staging folder left


def test_a_report_onto_a_full_disk_is_named_and_the_old_report_stays(
    project: Path, small_disk: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    report = small_disk / "review.md"
    report.write_text("the last review\n", encoding="utf-8")
    _fill(small_disk, 0)
    _commit(project, monkeypatch)
    capsys.readouterr()
    assert main(["-f", str(project / "mkdocs.yml"), "diff", "HEAD", "-o", str(report)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: -o {report}: cannot be written (No space left on device)\n"
    assert report.read_text(encoding="utf-8") == "the last review\n"
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "review.md"]


def _commit(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the project a git repository with its sources committed, and the folder the commands run from."""
    monkeypatch.chdir(project)  # "site" is the project's built site/, whatever folder the tests run from
    if (project / ".git").exists():
        return
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    env = {
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@b",
        "GIT_COMMITTER_NAME": "a",
        "GIT_COMMITTER_EMAIL": "a@b",
    }
    sources = ["mkdocs.yml", "templates", "docs", "overrides", "policy", "references.bib"]
    subprocess.run(["git", "add", *sources], cwd=project, check=True)
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", "base"], cwd=project, check=True, env={**os.environ, **env}
    )


@pytest.mark.parametrize(("output", "message"), [("site", "is a folder"), ("/proc/version", "cannot be written")])
def test_a_report_output_that_cannot_be_written_is_named(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, output: str, message: str
) -> None:
    _commit(project, monkeypatch)
    capsys.readouterr()
    assert main(["-f", str(project / "mkdocs.yml"), "diff", "HEAD", "-o", output]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: -o {output}: {message}") and "Traceback" not in err
