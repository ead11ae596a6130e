"""The scale benchmark (``make bench``): time policypress against plain MkDocs on a synthetic library.

Usage: ``python scripts/bench.py [--n 1000] [--keep DIR] [--seed S] [--bib-size 5000]``

In one run, on one library made by ``scripts/generate_library.py``:

- naive    plain mkdocs-material build (default navigation, search, no policypress plugin) of the
           same pages, pre-rendered to Markdown with policypress's ``PageRenderer`` (untimed): every
           page lists every policy in its sidebar
- prune    the same plain build with Material's ``navigation.prune`` (the strongest setting a site
           with the default navigation would ship); ``ratio_prune`` = site / prune
- samenav  the same plain build with policypress's own navigation (home page and code index, the
           policy pages reached from them): the honest baseline; ``ratio_samenav`` = site / samenav,
           ``ratio_samenav_cold`` = site_cold / samenav
- check    ``policypress check`` with an empty ``.cache`` (``check_s``), and again after editing one policy
- pdf_all  ``policypress pdf`` with an empty PDF cache (every PDF), if a ``pdf`` subcommand exists
- pdf_floor the plain Typst compile of the same documents on as many processes (``scripts/pdf_floor.py``:
           sources prepared untimed), the floor of the PDF stage; ``pdf_ratio`` = pdf_all / pdf_floor
- pdf_one  ``policypress pdf`` after editing one policy
- site     ``policypress build`` (run after the PDF steps, so its PDFs come from the PDF cache, and
           after a first build, so its pages come from the work cache: warm)
- site_cold ``policypress build`` with the work cache emptied (the PDFs still from the PDF cache)
- preview  ``mkdocs serve``: from writing a new title into one policy to the page showing it (over HTTP)
- preview_browser the same in Debian's Chromium (Playwright): one tab open on the page, from writing the
           title to the open tab showing it, reloaded only by the preview's own script
- site_mb  size of the built site/ (apparent size of its files, 10^6 bytes)

Every command runs as a subprocess; its peak memory is the child's max RSS (``os.wait4``). Prints a
table, then as the last line: ``bench: N=… site_s=… naive_s=… ratio=… prune_s=… ratio_prune=…
samenav_s=… ratio_samenav=… site_cold_s=… ratio_samenav_cold=… check_s=… pdf_all_s=… pdf_floor_s=…
pdf_ratio=… pdf_one_s=… preview_s=… preview_browser_s=… site_mb=…`` (``nan`` for a step that could
not run).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "scripts" / "generate_library.py"
PDF_FLOOR = ROOT / "scripts" / "pdf_floor.py"
NAN = float("nan")

NAIVE_MKDOCS_YML = """\
site_name: Clinical Policies (naive)
docs_dir: docs
site_dir: site
use_directory_urls: true
theme:
  name: material
  font: false
{features}extra_css:
  - assets/policypress.css
plugins:
  - search
markdown_extensions:
  - attr_list
  - toc:
      permalink: true
{nav}"""
PRUNE_FEATURES = "  features:\n    - navigation.prune\n"
SAME_NAV = "nav:\n  - Policies: index.md\n  - Code Index: codes.md\n"
"""policypress's own navigation (the generated mkdocs.yml): two entries, however many policies."""


@dataclass(frozen=True)
class Run:
    """One timed subprocess."""

    seconds: float
    max_rss_mb: float
    returncode: int


@dataclass
class Row:
    """One line of the result table."""

    step: str
    seconds: float
    max_rss_mb: float = NAN
    note: str = ""


class _ProgressRows(list[Row]):
    """The result rows; each is also reported on stderr as soon as its step is done."""

    def append(self, row: Row) -> None:
        super().append(row)
        print(f"bench: {row.step}: {fmt(row.seconds)} s {row.note}", file=sys.stderr, flush=True)


def run_timed(cmd: list[str], cwd: Path, log: Path) -> Run:
    """Run ``cmd`` to completion; wall time and the child's peak RSS (output appended to ``log``)."""
    with log.open("ab") as out:
        out.write(f"$ {' '.join(cmd)}\n".encode())
        out.flush()
        start = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_maxrss / 1024, process.returncode)


def require_ok(run: Run, what: str, log: Path) -> Run:
    if run.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:])
        raise SystemExit(f"bench: {what} failed (exit {run.returncode}); last lines of {log}:\n{tail}")
    return run


def policypress(project: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "policypress", "-f", str(project / "mkdocs.yml"), *args]


def tree_megabytes(path: Path) -> float:
    """Apparent size of every file under ``path`` in MB (10^6 bytes)."""
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return total / 1e6


def render_naive_project(project: Path, naive: Path) -> int:
    """Write the policypress pages as plain Markdown into ``naive/docs`` with a policypress-free mkdocs.yml."""
    from policypress.build.check import check_site
    from policypress.build.workspace import Workspace
    from policypress.options import DateFormats, Options
    from policypress.project import ProjectLayout
    from policypress.render.exports import codes_export

    # plain: the untimed pre-render must leave .cache empty for the cold check that follows
    project_model, renderer = check_site(
        Workspace(ProjectLayout(project), project / "templates", DateFormats(), fast=False)
    )
    docs = naive / "docs"
    shutil.copytree(project / "docs", docs)
    (docs / "index.md").write_text(renderer.render_index(project_model), encoding="utf-8")
    codes = codes_export(project_model, Options.pages_dir).codes
    (docs / "codes.md").write_text(renderer.render_codes(codes, Options.pages_dir), encoding="utf-8")
    pages = docs / "policies"
    pages.mkdir()
    for source in project_model.policies:
        (pages / f"{source.stem}.md").write_text(renderer.render_policy(project_model, source), encoding="utf-8")
    (naive / "mkdocs.yml").write_text(NAIVE_MKDOCS_YML.format(features="", nav=""), encoding="utf-8")
    return len(project_model.policies)


def naive_variant(naive: Path, variant: Path, *, features: str = "", nav: str = "") -> None:
    """A copy of the pre-rendered plain project with other theme features or navigation."""
    shutil.copytree(naive / "docs", variant / "docs")
    (variant / "mkdocs.yml").write_text(NAIVE_MKDOCS_YML.format(features=features, nav=nav), encoding="utf-8")


def plain_build(project: Path, log: Path, what: str) -> tuple[Run, float]:
    """A timed plain ``mkdocs build`` of ``project`` and its site's size in MB."""
    run = require_ok(
        run_timed([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(project / "mkdocs.yml")], project, log),
        what,
        log,
    )
    return run, tree_megabytes(project / "site")


def has_pdf_command() -> bool:
    """Whether ``policypress pdf`` exists at run time (other work may add or change it)."""
    top = subprocess.run(
        [sys.executable, "-m", "policypress", "--help"], capture_output=True, text=True, check=False
    ).stdout
    return re.search(r"[{,]pdf[,}]", top) is not None


def set_title(policy_file: Path, title: str) -> None:
    text = policy_file.read_text(encoding="utf-8")
    new, count = re.subn(r"(?m)^title: .*$", f'title: "{title}"', text, count=1)
    assert count == 1, f"no title line in {policy_file}"
    policy_file.write_text(new, encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def wait_for(url: str, needle: str, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in fetch(url):
            return True
        time.sleep(interval)
    return False


def measure_preview(project: Path, policy_file: Path, log: Path, timeout: float) -> tuple[float, float, str]:
    """Edit-to-preview seconds in ``mkdocs serve``, and the seconds until it first served the page."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/policies/{policy_file.stem}/"
    cmd = [
        sys.executable,
        "-m",
        "mkdocs",
        "serve",
        "--livereload",
        "--dirty",  # as `make serve` runs it
        "-f",
        str(project / "mkdocs.yml"),
        "-a",
        f"127.0.0.1:{port}",
    ]
    with log.open("ab") as out:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=project, stdout=out, stderr=subprocess.STDOUT)
        try:
            if not wait_for(url, "Zzbench", timeout, interval=0.25):
                return NAN, NAN, "serve did not come up"
            startup = time.perf_counter() - start
            time.sleep(1.0)  # let the watcher settle after the first build
            marker = f"Zzpreview{int(time.time() * 1000) % 100000}"
            set_title(policy_file, f"Preview Edit {marker}")
            written = time.perf_counter()
            if not wait_for(url, marker, timeout):
                return NAN, startup, "edit never showed"
            return time.perf_counter() - written, startup, ""
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def measure_preview_in_browser(project: Path, policy_file: Path, log: Path, timeout: float) -> tuple[float, str]:
    """Edit-to-page seconds as an author meets them: ``mkdocs serve`` with the page open in Chromium, which
    enforces the page's Content-Security-Policy, until the open tab shows the edit by itself."""
    try:
        from playwright.sync_api import TimeoutError as PageTimeout
        from playwright.sync_api import sync_playwright
    except ImportError:
        return NAN, "playwright is not installed"
    if not Path(CHROMIUM).exists():
        return NAN, "chromium is not installed (make test installs it)"
    port = free_port()
    url = f"http://127.0.0.1:{port}/policies/{policy_file.stem}/"
    cmd = [sys.executable, "-m", "mkdocs", "serve", "--livereload", "--dirty", "-f", str(project / "mkdocs.yml")]
    with log.open("ab") as out:
        process = subprocess.Popen([*cmd, "-a", f"127.0.0.1:{port}"], cwd=project, stdout=out, stderr=subprocess.STDOUT)
        try:
            if not wait_for(url, "</html>", timeout, interval=0.25):
                return NAN, "serve did not come up"
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page()
                reloaded: list[str] = []
                page.on("console", lambda message: reloaded.append(message.text))
                page.goto(url)
                page.wait_for_function("document.readyState === 'complete'")
                time.sleep(1.0)  # let the watcher settle after the first build
                marker = f"Zzbrowser{int(time.time() * 1000) % 100000}"
                set_title(policy_file, f"Preview Edit {marker}")
                written = time.perf_counter()
                try:
                    page.wait_for_function(
                        "(text) => document.body.innerText.includes(text)",
                        arg=marker,
                        timeout=timeout * 1000,
                        polling=50,
                    )
                except PageTimeout:
                    return NAN, "the open tab never showed the edit"
                seconds = time.perf_counter() - written
                browser.close()
            if not any("live reload" in text.lower() for text in reloaded):
                return NAN, "the reload script did not run in the page"
            return seconds, ""
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def fmt(value: float, digits: int = 2) -> str:
    return "nan" if math.isnan(value) else f"{value:.{digits}f}"


def bench(n: int, work: Path, seed: int, bib_size: int, serve_timeout: float) -> str:
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    project = work / "project"
    naive = work / "naive"
    prune = work / "naive-prune"
    samenav = work / "naive-samenav"
    for old in (project, naive, prune, samenav):
        if old.exists():
            shutil.rmtree(old)
    rows = _ProgressRows()

    gen_log = logs / "generate.log"
    require_ok(
        run_timed(
            [sys.executable, str(GENERATOR), str(n), str(project), "--seed", str(seed), "--bib-size", str(bib_size)],
            work,
            gen_log,
        ),
        "generate_library",
        gen_log,
    )
    victim = sorted((project / "policy").glob("*.yaml"))[n // 2]

    # (a) naive: pre-render untimed, then time a plain mkdocs-material build
    naive.mkdir()
    render_naive_project(project, naive)
    naive_variant(naive, prune, features=PRUNE_FEATURES)
    naive_variant(naive, samenav, nav=SAME_NAV)
    naive_run, naive_mb = plain_build(naive, logs / "naive.log", "naive mkdocs build")
    rows.append(Row("naive mkdocs build", naive_run.seconds, naive_run.max_rss_mb, f"site {naive_mb:.1f} MB"))
    prune_run, prune_mb = plain_build(prune, logs / "naive-prune.log", "navigation.prune mkdocs build")
    rows.append(Row("naive, navigation.prune", prune_run.seconds, prune_run.max_rss_mb, f"site {prune_mb:.1f} MB"))
    samenav_run, samenav_mb = plain_build(samenav, logs / "naive-samenav.log", "same-navigation mkdocs build")
    rows.append(
        Row("plain Material, same navigation", samenav_run.seconds, samenav_run.max_rss_mb, f"site {samenav_mb:.1f} MB")
    )

    # (c) check: first run (nothing in .cache), then after editing one policy (as an author runs it)
    log = logs / "check.log"
    if (project / ".cache").exists():
        raise SystemExit("bench: .cache exists before the cold check; the cold figures would be warm")
    check_run = require_ok(run_timed(policypress(project, "check"), project, log), "policypress check", log)
    rows.append(Row("policypress check (cold)", check_run.seconds, check_run.max_rss_mb, "empty .cache"))
    set_title(victim, f"Zzbench Edited For Check {victim.stem}")
    edited = require_ok(run_timed(policypress(project, "check"), project, log), "policypress check", log)
    rows.append(Row("policypress check, one edited", edited.seconds, edited.max_rss_mb, victim.name))

    # (d), (e) PDFs, only when the command exists
    pdf_exists = has_pdf_command()
    pdf_all = pdf_one = pdf_floor = NAN
    if pdf_exists:
        log = logs / "pdf.log"
        shutil.rmtree(project / ".cache", ignore_errors=True)
        cold = run_timed(policypress(project, "pdf"), project, log)  # empty cache: renders and caches all
        set_title(victim, f"Zzbench Edited For PDF {victim.stem}")
        one = run_timed(policypress(project, "pdf"), project, log) if cold.returncode == 0 else cold
        if cold.returncode == 0 and one.returncode == 0:
            pdf_all, pdf_one = cold.seconds, one.seconds
            rows.append(Row("policypress pdf, all (cold)", cold.seconds, cold.max_rss_mb, f"{n} PDFs"))
            rows.append(Row("policypress pdf, one edited", one.seconds, one.max_rss_mb, victim.name))
            pdf_floor = measure_pdf_floor(project, logs / "pdf-floor.log")
            rows.append(Row("plain Typst compile (floor)", pdf_floor, NAN, f"{n} documents"))
        else:
            failed = f"failed (exit {one.returncode or cold.returncode}), see {log}"
            rows.append(Row("policypress pdf, all (cold)", NAN, NAN, failed))
            rows.append(Row("policypress pdf, one edited", NAN, NAN, failed))
    else:
        set_title(victim, f"Zzbench Edited {victim.stem}")
        rows.append(Row("policypress pdf", NAN, NAN, "n/a: no `policypress pdf` command"))
        rows.append(Row("policypress pdf, one edited", NAN, NAN, "n/a"))

    # (b), (g) the full build: first with the work cache emptied (cold pages, PDFs from the PDF cache),
    # then again unchanged (warm: what an author's next build costs)
    log = logs / "build.log"
    for database in (project / ".cache").glob("work.sqlite*"):  # with its journal files, if any
        database.unlink()
    cold_build = require_ok(run_timed(policypress(project, "build"), project, log), "policypress build", log)
    rows.append(Row("policypress build, no work cache", cold_build.seconds, cold_build.max_rss_mb, "cold pages"))
    build_run = require_ok(run_timed(policypress(project, "build"), project, log), "policypress build", log)
    site_mb = tree_megabytes(project / "site")
    pdf_dir = project / "site" / "pdf"
    pdf_mb = tree_megabytes(pdf_dir) if pdf_dir.is_dir() else 0.0
    note = f"site {site_mb:.1f} MB ({pdf_mb:.1f} MB PDFs)" + ("; PDFs from the PDF cache" if pdf_exists else "")
    rows.append(Row("policypress build (warm)", build_run.seconds, build_run.max_rss_mb, note))

    # (f) edit-to-preview in mkdocs serve
    log = logs / "serve.log"
    preview, startup, problem = measure_preview(project, victim, log, serve_timeout)
    rows.append(Row("mkdocs serve: first page", startup, NAN, problem))
    rows.append(Row("mkdocs serve: edit -> preview", preview, NAN, problem or victim.name))
    in_browser, problem = measure_preview_in_browser(project, victim, log, serve_timeout)
    rows.append(Row("edit -> open tab in Chromium", in_browser, NAN, problem or victim.name))

    ratio = build_run.seconds / naive_run.seconds
    print(f"policypress scale benchmark: N={n} policies, {bib_size} references, seed {seed}, work dir {work}")
    print()
    print(f"| {'step':<32} | {'seconds':>8} | {'peak RSS MB':>11} | note")
    print(f"| {'-' * 32} | {'-' * 8} | {'-' * 11} | ----")
    for row in rows:
        print(f"| {row.step:<32} | {fmt(row.seconds):>8} | {fmt(row.max_rss_mb, 0):>11} | {row.note}")
    print()
    print(f"ratio site/naive = {ratio:.2f}; site {site_mb:.1f} MB vs naive {naive_mb:.1f} MB")
    return (
        f"bench: N={n} site_s={fmt(build_run.seconds)} naive_s={fmt(naive_run.seconds)} ratio={ratio:.2f} "
        f"prune_s={fmt(prune_run.seconds)} ratio_prune={build_run.seconds / prune_run.seconds:.2f} "
        f"samenav_s={fmt(samenav_run.seconds)} ratio_samenav={build_run.seconds / samenav_run.seconds:.2f} "
        f"site_cold_s={fmt(cold_build.seconds)} ratio_samenav_cold={cold_build.seconds / samenav_run.seconds:.2f} "
        f"check_s={fmt(check_run.seconds)} pdf_all_s={fmt(pdf_all)} pdf_floor_s={fmt(pdf_floor)} "
        f"pdf_ratio={fmt(pdf_all / pdf_floor)} pdf_one_s={fmt(pdf_one)} "
        f"preview_s={fmt(preview)} preview_browser_s={fmt(in_browser)} site_mb={fmt(site_mb, 1)}"
    )


def measure_pdf_floor(project: Path, log: Path) -> float:
    """Seconds of the plain Typst compile of every policy's document (``scripts/pdf_floor.py``), or nan."""
    with log.open("ab") as out:
        result = subprocess.run(
            [sys.executable, str(PDF_FLOOR), str(project)], cwd=project, stdout=subprocess.PIPE, stderr=out, check=False
        )
    match = re.search(rb"floor_s=([0-9.]+)", result.stdout)
    return float(match.group(1)) if result.returncode == 0 and match else NAN


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of policies (default: %(default)s)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default: %(default)s)")
    parser.add_argument("--bib-size", type=int, default=5000, help="references.bib entries (default: %(default)s)")
    parser.add_argument(
        "--serve-timeout", type=float, default=900.0, help="seconds to wait for mkdocs serve (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        line = bench(args.n, args.keep.resolve(), args.seed, args.bib_size, args.serve_timeout)
    else:
        with tempfile.TemporaryDirectory(prefix="policypress-bench-") as tmp:
            line = bench(args.n, Path(tmp), args.seed, args.bib_size, args.serve_timeout)
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
