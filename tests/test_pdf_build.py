"""How PDFs are made: only from the project's own files, byte for byte reproducible, re-rendered only
when their inputs change, and never published half-done."""

from __future__ import annotations

import datetime as dt
import http.server
import io
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOT, copy_project, copy_seed_project, seed_of
from policypress.build.check import check_site
from policypress.build.provenance import source_provenance
from policypress.build.workspace import Workspace
from policypress.cli import ProgressBar, main
from policypress.errors import PdfError
from policypress.options import DateFormats
from policypress.pdf.engine import ASSET_BASE_URL, AssetFetcher, engine_fingerprint, render_pdf
from policypress.project import ProjectLayout
from policypress.render.printjob import Attachment, PdfJob, PrintRenderer, Provenance
from policypress.render.urls import pdf_url
from policypress.speed.pdfcache import PdfCache

TEMPLATES = ROOT / "templates"
EPOCH = "1730419200"  # 2024-11-01T00:00:00Z


def add_policy(root: Path, number: int) -> Path:
    """A second policy: the seed under another reference number (``root`` is reduced to the seed)."""
    text = (root / "policy" / "wa-cp-mp-166.yaml").read_text(encoding="utf-8")
    path = root / "policy" / f"wa-cp-mp-{number}.yaml"
    path.write_text(text.replace("id: WA.CP.MP.166", f"id: WA.CP.MP.{number}", 1), encoding="utf-8")
    return path


def run(root: Path, *args: str) -> int:
    return main(["-f", str(root / "mkdocs.yml"), *args])


def tiny_job(html: str, **fields: object) -> PdfJob:
    values: dict[str, object] = {
        "stem": "tiny",
        "page": "",
        "wrapper": html,
        "css": "body { font-family: 'DejaVu Sans'; }",
        "date": dt.datetime(2024, 11, 1, tzinfo=dt.UTC),
        "asset_dir": str(TEMPLATES),
    }
    values.update(fields)
    return PdfJob(**values)  # type: ignore[arg-type]


@pytest.fixture
def http_requests() -> Iterator[tuple[str, list[str]]]:
    """A web server on loopback that records every request it gets."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red; }")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_fetcher_serves_the_project_templates_only(tmp_path: Path) -> None:
    templates = tmp_path / "project" / "templates"
    shutil.copytree(TEMPLATES, templates)
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (templates / "link-outside").symlink_to(tmp_path / "secret.txt")
    fetcher = AssetFetcher(str(templates))
    response = fetcher.fetch(ASSET_BASE_URL + "pdf.typ")
    assert response.read() == (TEMPLATES / "pdf.typ").read_bytes()
    refused = [
        "file:///etc/passwd",
        ASSET_BASE_URL + "../../../etc/passwd",
        ASSET_BASE_URL + "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        ASSET_BASE_URL + "missing.css",
        f"file://{tmp_path}/secret.txt",
        "http://example.org/style.css",
        "https://example.org/logo.png",
        "data:text/css,body{}",
        ASSET_BASE_URL + "link-outside",
    ]
    for url in refused:
        with pytest.raises(ValueError, match="does not fetch"):
            fetcher.fetch(url)
    assert fetcher.refused == refused


def test_a_page_that_reaches_outside_fails_and_fetches_nothing(http_requests: tuple[str, list[str]]) -> None:
    server, seen = http_requests
    html = (
        f'<html><head><link rel="stylesheet" href="{server}/style.css"></head><body>'
        '<p>text</p><img src="file:///etc/passwd" alt="">'
        f'<img src="{server}/image.png" alt=""><img src="http://example.org/x.png" alt="">'
        "</body></html>"
    )
    with pytest.raises(PdfError, match="refused to fetch") as error:
        render_pdf(tiny_job(html))
    for url in ("file:///etc/passwd", f"{server}/style.css", f"{server}/image.png", "http://example.org/x.png"):
        assert url in str(error.value)
    assert seen == []


def test_cache_key_covers_everything_that_makes_the_bytes() -> None:
    engine = engine_fingerprint()
    job = tiny_job("<p>a</p>", attachments=(Attachment("a.yaml", "source", "application/yaml", b"x: 1\n"),))
    key = job.cache_key(engine)
    changed = [
        tiny_job("<p>b</p>", attachments=job.attachments),
        tiny_job("<p>a</p>", attachments=(Attachment("a.yaml", "source", "application/yaml", b"x: 2\n"),)),
        tiny_job("<p>a</p>", attachments=job.attachments, css="p { color: red; }"),
        tiny_job("<p>a</p>", attachments=job.attachments, date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)),
        tiny_job("<p>a</p>", attachments=job.attachments, metadata=(("sourceCommit", "abc"),)),
        tiny_job("<p>a</p>", attachments=job.attachments, asset_digest="other templates"),
        tiny_job("<p>a</p>", attachments=job.attachments, page="# Another page"),
        tiny_job("<p>a</p>", attachments=job.attachments, markdown_configs={"toc": {"permalink": True}}),
    ]
    keys = {key, *(other.cache_key(engine) for other in changed), job.cache_key("another engine")}
    assert len(keys) == len(changed) + 2
    assert tiny_job("<p>a</p>", attachments=job.attachments).cache_key(engine) == key


def test_editing_one_policy_re_renders_only_its_pdf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    project = copy_seed_project(tmp_path / "project")
    other = add_policy(project, 167)
    pdfs = project / "site" / "pdf"

    assert run(project, "pdf") == 0
    assert "2 PDF(s): 2 rendered, 0 reused" in capsys.readouterr().out
    first = {path.name: path.read_bytes() for path in pdfs.iterdir()}
    assert sorted(first) == ["wa-cp-mp-166.pdf", "wa-cp-mp-167.pdf"]
    assert len(list((project / ".cache" / "pdf").glob("*.pdf"))) == 2

    assert run(project, "pdf") == 0
    assert "2 PDF(s): 0 rendered, 2 reused" in capsys.readouterr().out
    assert {path.name: path.read_bytes() for path in pdfs.iterdir()} == first

    other.write_text(
        other.read_text(encoding="utf-8").replace("is usually conservative", "is mostly conservative"),
        encoding="utf-8",
    )
    assert run(project, "pdf") == 0
    assert "2 PDF(s): 1 rendered, 1 reused" in capsys.readouterr().out
    assert (pdfs / "wa-cp-mp-166.pdf").read_bytes() == first["wa-cp-mp-166.pdf"]
    assert (pdfs / "wa-cp-mp-167.pdf").read_bytes() != first["wa-cp-mp-167.pdf"]

    other.unlink()  # a policy that is gone loses its PDF
    assert run(project, "pdf") == 0
    assert "1 PDF(s): 0 rendered, 1 reused" in capsys.readouterr().out
    assert sorted(path.name for path in pdfs.iterdir()) == ["wa-cp-mp-166.pdf"]


def test_same_sources_give_identical_bytes_in_any_process_and_folder(tmp_path: Path) -> None:
    outputs = []
    first = copy_seed_project(tmp_path / "one" / "project")
    second = shutil.copytree(first, tmp_path / "two" / "elsewhere")
    for project, seed in ((first, "1"), (second, "2")):
        env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
        env["PYTHONHASHSEED"] = seed
        result = subprocess.run(
            [sys.executable, "-m", "policypress", "-f", str(project / "mkdocs.yml"), "pdf", "--no-cache"],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "1 rendered" in result.stdout
        assert not (project / ".cache" / "pdf").exists()
        outputs.append((project / "site" / "pdf" / "wa-cp-mp-166.pdf").read_bytes())
    assert outputs[0] == outputs[1]


def test_a_failed_pdf_leaves_the_published_site_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    project = copy_project(tmp_path / "project")
    assert run(project, "build") == 0
    site = project / "site"
    before = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert Path("pdf/wa-cp-mp-166.pdf") in before
    template = project / "templates" / "pdf.html.j2"
    template.write_text(
        template.read_text(encoding="utf-8").replace("<main", '<img src="file:///etc/passwd" alt=""><main'),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert run(project, "build") == 1
    assert "refused to fetch file:///etc/passwd" in capsys.readouterr().err
    after = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".site")) == []


def test_provenance_names_the_commit_and_whether_sources_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    project = copy_project(tmp_path / "project")
    layout = ProjectLayout(project)
    assert source_provenance(layout).commit == "unknown"
    assert source_provenance(layout).date is None

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
            cwd=project,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "GIT_COMMITTER_DATE": "2024-11-01T12:00:00Z", "GIT_AUTHOR_DATE": "2024-11-01T12:00Z"},
        )
        return result.stdout.strip()

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "sources")
    head = git("rev-parse", "HEAD")
    assert source_provenance(layout) == source_provenance(layout)
    provenance = source_provenance(layout, ["templates"])
    assert provenance.commit == head
    assert provenance.date == dt.datetime(2024, 11, 1, 12, tzinfo=dt.UTC)
    (project / "site").mkdir()
    (project / "site" / "stray.html").write_text("not a source", encoding="utf-8")
    assert source_provenance(layout, ["templates"]).commit == head
    (project / "templates" / "pdf.typ").write_text("// changed", encoding="utf-8")
    assert source_provenance(layout, ["templates"]).commit == f"{head}-dirty"
    assert source_provenance(layout, epoch=EPOCH).date == dt.datetime(2024, 11, 1, tzinfo=dt.UTC)


def test_pdf_link_from_the_page() -> None:
    assert pdf_url("policies/wa-cp-mp-166.md", "wa-cp-mp-166", use_directory_urls=True) == "../../pdf/wa-cp-mp-166.pdf"
    assert pdf_url("policies/wa-cp-mp-166.md", "wa-cp-mp-166", use_directory_urls=False) == "../pdf/wa-cp-mp-166.pdf"
    assert pdf_url("a/b/x.md", "x", use_directory_urls=True) == "../../../pdf/x.pdf"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        bar = ProgressBar(3, stream, width=6, clock=iter(range(0, 100, 1)).__next__)
        for _ in range(3):
            bar.advance()
        bar.close()
    assert terminal.getvalue() == "\rpdf [##----] 1/3\rpdf [####--] 2/3\rpdf [######] 3/3\n"
    assert pipe.getvalue() == ""


def test_cache_prunes_only_old_entries(tmp_path: Path) -> None:
    cache = PdfCache(tmp_path)
    old, new = "a" * 64, "b" * 64
    cache.put(old, b"%PDF old")
    cache.put(new, b"%PDF new")
    os.utime(tmp_path / f"{old}.pdf", (0, 0))
    assert cache.prune() == 1
    assert cache.get(old) is None and cache.get(new) == b"%PDF new"
    assert (cache.hits, cache.misses) == (1, 1)
    with pytest.raises(ValueError):
        cache.get("../../etc/passwd")


def test_a_pdf_does_not_depend_on_what_the_process_rendered_before(tmp_path: Path) -> None:
    """Workers share fonts and collect garbage once per PDF: neither may leak from one PDF into the next."""
    root = copy_project(tmp_path / "project")
    policy = add_policy(root, 167)
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("Sacroiliac", "Ünïcode “Sacroiliac”"), encoding="utf-8"
    )
    project, renderer = check_site(
        Workspace(ProjectLayout(root), root / "templates", DateFormats()), trial_render=False
    )
    printer = PrintRenderer(renderer, root / "templates")
    provenance = Provenance("abc", dt.datetime(2024, 11, 1, tzinfo=dt.UTC))
    (added,) = [source for source in project.policies if source.policy.id == "WA.CP.MP.167"]
    seed, other = (
        printer.job(project, source, ProjectLayout(root), provenance) for source in (seed_of(project), added)
    )
    alone = render_pdf(seed)
    render_pdf(other)
    assert render_pdf(seed) == alone


def test_the_running_header_takes_any_title_as_text(tmp_path: Path) -> None:
    """The header's text is written into a <style> element: quotes, backslashes and tags stay text."""
    root = copy_project(tmp_path / "project")
    policy = root / "policy" / "wa-cp-mp-166.yaml"
    hostile = 'Evil "quoted" \\ title </style><style>body{display:none}</style> end'
    text, count = re.subn(r"(?m)^title: .*$", f"title: '{hostile}'", policy.read_text(encoding="utf-8"), count=1)
    assert count == 1
    policy.write_text(text, encoding="utf-8")
    assert run(root, "pdf") == 0
    pages = [
        " ".join(page.extract_text().split()) for page in PdfReader(root / "site" / "pdf" / "wa-cp-mp-166.pdf").pages
    ]
    assert len(pages) >= 4
    assert all(hostile in page for page in pages)
    assert "Description" in pages[0]  # the body is still there


def test_workers_end_when_the_command_is_killed() -> None:
    """SIGKILL gives a build no chance to stop its workers: they must end with it on their own."""
    script = (
        "import sys, time\n"
        "from policypress.speed.pdfpool import RenderPool\n"
        "pool = RenderPool(workers=1)\n"
        "pool.engine()\n"
        "print(*pool._executor._processes, flush=True)\n"
        "time.sleep(60)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as command:
        assert command.stdout is not None
        workers = [int(pid) for pid in command.stdout.readline().split()]
        assert workers
        command.kill()
    deadline = time.monotonic() + 20
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in workers)


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].split()[0]
    except FileNotFoundError:
        return False
    return status != "Z"
