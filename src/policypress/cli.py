"""The ``policypress`` command: ``check`` validates, ``build`` publishes; ``pdf``, ``diff``, ``new``, ``schema``.

User errors (every ``PolicyPressError``) print as ``file:line:col: message [code]`` or
``error: …`` and exit 1, never as a traceback; anything unexpected is reported as a
policypress bug (exit 2). This is the only module that prints. ``build`` writes into a
fresh folder beside ``site/`` and swaps it in only after MkDocs finished without a
warning, so a failed build leaves the published site as it was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import importlib.metadata
import logging
import os
import shutil
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from policypress.build.asof import code_on, date_of_service, policy_on
from policypress.build.check import check_site
from policypress.build.history import read_history
from policypress.build.pdfs import PdfMaker, Shard, build_policy_pdfs, cache_shard_pdfs
from policypress.build.provenance import policy_provenance, source_date_epoch
from policypress.build.publish import refuse_unsafe_site_dir, staging_folder, swap_in
from policypress.build.review import error_report, make_review, write_redlines
from policypress.build.skeleton import plan_of_library, write_skeleton
from policypress.build.versions import PublishedVersion, published_versions
from policypress.build.workspace import Workspace
from policypress.errors import (
    INTERRUPTS,
    SIGNALS_RECEIVED,
    BuildInterrupted,
    PolicyPressError,
    ReviewError,
    display_path,
    interrupts_held,
)
from policypress.files import write_atomically
from policypress.model.schema import SCHEMA_FILE, policy_schema_text
from policypress.options import Options, read_options, theme_sources
from policypress.project import PolicySource, Project, ProjectLayout
from policypress.render.pages import PageRenderer
from policypress.render.printjob import Provenance
from policypress.render.urls import PDF_DIR

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_BUG = 2


def _layout(config_file: Path) -> ProjectLayout:
    """Where the sources of the project configured by ``config_file`` are."""
    return read_options(config_file).layout(config_file.resolve().parent)


def _workspace(args: argparse.Namespace, config_file: Path | None = None) -> tuple[Options, Workspace]:
    """The options of the site and its workspace (without the speed layer under ``--plain``)."""
    config_file = config_file or args.config_file
    options = read_options(config_file)
    root = config_file.resolve().parent
    return options, Workspace.for_options(
        options, root, fast=not args.plain, theme_dirs=tuple(theme_sources(config_file))
    )


def command_check(args: argparse.Namespace) -> int:
    """Validate every source and trial-render every page; exit 1 on errors (or warnings with --strict)."""
    _options, workspace = _workspace(args)
    BuildInterrupted.doing("checking the sources")
    project, _renderer = check_site(workspace)
    warnings = [note for note in project.notes if note.severity == "warning"]
    infos = [note for note in project.notes if note.severity == "info"]
    if args.verbose:
        for note in project.notes:
            print(note.format(), file=sys.stderr)
    else:
        for severity, notes in (("warning", warnings), ("info", infos)):
            for code, count in sorted(Counter(n.code for n in notes).items()):
                print(f"{severity}: {count} x {code} (run with -v to list them)", file=sys.stderr)
    policies = f"{len(project.policies)} {'policy' if len(project.policies) == 1 else 'policies'}"
    summary = f"{policies}, {len(project.bibliography.keys)} references: valid, {len(warnings)} warning(s)"
    print(summary + (f", {len(infos)} info" if infos else ""))
    if args.strict and warnings:
        print(f"{len(warnings)} warning(s), refused under --strict", file=sys.stderr)
        return EXIT_USER_ERROR
    return EXIT_OK


def command_build(args: argparse.Namespace) -> int:
    """Build the site into a staging folder, then swap it in place of ``site/`` atomically."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    config_file: Path = args.config_file.resolve()
    root = config_file.parent
    # refuse early, with compiler-style messages; the plugin reuses what was loaded (pages are
    # rendered once, by the build itself, which reports a template error the same way)
    _options, workspace = _workspace(args, config_file)
    site_dir = (root / args.site_dir).resolve()
    refuse_unsafe_site_dir(site_dir, root, _sources(workspace, config_file))  # before anything is written
    BuildInterrupted.doing("loading the sources")
    project, renderer = check_site(workspace, trial_render=False)
    BuildInterrupted.doing("building the pages")
    maker = workspace.pdf_maker()
    try:
        maker.start()  # loads the PDF engine on another core while this one builds the pages
        given = os.environ.get("SOURCE_DATE_EPOCH")
        epoch = source_date_epoch(root, project, given)
        os.environ["SOURCE_DATE_EPOCH"] = epoch  # MkDocs dates the sitemap by it
        _log_mkdocs_warnings()
        staging = site_dir
        try:
            with staging_folder(site_dir) as staging:
                config = load_config(str(config_file), site_dir=str(staging), strict=True)
                config.plugins["policypress"].use_checked(workspace, project, renderer)
                try:
                    build(config)
                except (Abort, ConfigurationError) as exc:  # MkDocs' own user errors, through the one handler
                    raise PolicyPressError(str(exc)) from None
                plugin = config.plugins["policypress"]
                fhir_summary = plugin.fhir_summary
                BuildInterrupted.doing("making the PDFs")
                versions = plugin.published()  # read from the history by the build
                _write_pdfs(
                    config, workspace, staging / PDF_DIR, project, renderer, maker, epoch, versions, given=given
                )
                if versions:
                    print(plugin.version_work.summary())
                BuildInterrupted.doing("publishing the new site")
                with interrupts_held():  # the swap and its record are one step: the message says which site is there
                    swap_in(staging, site_dir)
                    BuildInterrupted.published = True
                BuildInterrupted.doing("finishing")
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise _no_space(exc, staging, site_dir) from None  # said once the staging folder is gone
    finally:
        maker.close()
    print(fhir_summary)
    print(f"site built: {site_dir}")
    return EXIT_OK


def _no_space(exc: OSError, staging: Path, site_dir: Path) -> PolicyPressError:
    """A full disk while building the new site: which file, and how much room the new site needs."""
    written = exc.filename2 or exc.filename  # a copy names its source first, the file it wrote second
    shown = str(site_dir) + "/ (the new site)"
    if written is not None:
        path = Path(os.fsdecode(written))
        shown = str(site_dir / path.relative_to(staging)) if path.is_relative_to(staging) else str(path)
    free = shutil.disk_usage(site_dir.parent).free
    published = sum(p.stat().st_size for p in site_dir.rglob("*") if p.is_file()) if site_dir.is_dir() else 0
    return PolicyPressError(
        f"cannot write {shown}: {exc.strerror} (the new site is built beside the old one before it replaces it: "
        f"it needs more than the {_size(free)} free in {site_dir.parent}; the published site takes "
        f"{_size(published)}); site/ was left as it was"
    )


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.0f} kB"


def _sources(workspace: Workspace, config_file: Path) -> list[Path]:
    """Everything a build reads or keeps, which its output must never replace."""
    layout = workspace.layout
    return [
        config_file,
        layout.policy_path,
        layout.bibliography_path,
        workspace.template_dir,
        layout.cache_path,
        layout.root / ".git",
        *theme_sources(config_file),
    ]


def command_pdf(args: argparse.Namespace) -> int:
    """Write the archival PDF of every policy into ``site/pdf`` (rendering only those whose inputs changed)."""
    from mkdocs.config import load_config

    config_file: Path = args.config_file.resolve()
    shard = None if args.shard is None else Shard.parse(args.shard)
    if shard is not None and (args.no_cache or args.plain):
        option = "--no-cache" if args.no_cache else "--plain"
        raise PolicyPressError(f"--shard renders into .cache/pdf, which {option} does not use: leave one out")
    options, workspace = _workspace(args, config_file)
    site_dir = (config_file.parent / args.site_dir).resolve()
    refuse_unsafe_site_dir(site_dir, config_file.parent, _sources(workspace, config_file))
    maker = workspace.pdf_maker(use_cache=not args.no_cache)
    try:
        maker.start()  # loads the PDF engine on another core while this one loads the sources
        BuildInterrupted.doing("loading the sources")
        project, renderer = check_site(workspace, trial_render=False)  # the PDFs render every page anyway
        given = os.environ.get("SOURCE_DATE_EPOCH")
        epoch = source_date_epoch(config_file.parent, project, given)
        config = load_config(str(config_file), strict=True)
        out_dir = site_dir / PDF_DIR
        if shard is not None:  # the current policies' PDFs only; the versions' PDFs are made by the build
            BuildInterrupted.doing("making the PDFs")
            _cache_shard(config, workspace, shard, project, renderer, maker, epoch, given=given)
            return EXIT_OK
        BuildInterrupted.doing("reading the versions from the history")
        today = dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        versions = published_versions(
            config_file,
            workspace.layout,
            lambda path: options.layout(path.resolve().parent),
            today,
            remember=workspace.kept,
        )
        BuildInterrupted.doing("making the PDFs")
        _write_pdfs(config, workspace, out_dir, project, renderer, maker, epoch, versions, given=given)
    finally:
        maker.close()
    return EXIT_OK


def _pdf_provenance(
    config: Any, workspace: Workspace, epoch: str, given: str | None
) -> Callable[[PolicySource], Provenance]:
    """Each current PDF's source commit and date: the last commit that changed what it is made of, unless
    the command was given ``SOURCE_DATE_EPOCH`` (``given``; then the sources' own, for every PDF)."""
    layout = workspace.layout
    return policy_provenance(
        layout,
        [os.path.relpath(workspace.template_dir, layout.root)],
        epoch,
        per_policy=not (given or "").isdigit(),
        settings=[os.path.relpath(config.config_file_path, layout.root)],
    )


def _write_pdfs(
    config: Any,
    workspace: Workspace,
    out_dir: Path,
    project: Project,
    renderer: PageRenderer,
    maker: PdfMaker,
    epoch: str,
    versions: Mapping[str, Sequence[PublishedVersion]],
    *,
    given: str | None,
) -> None:
    """Render the PDFs (the current policies' and every version's) from the same model, page renderer and
    Markdown settings as the site."""
    layout = workspace.layout
    provenance = _pdf_provenance(config, workspace, epoch, given)
    bar = ProgressBar(len(project.policies) + sum(len(found) for found in versions.values()), sys.stderr)
    report = build_policy_pdfs(
        project,
        layout,
        renderer,
        workspace.template_dir,
        out_dir,
        maker,
        provenance,
        markdown_extensions=config.markdown_extensions,
        extension_configs=config.mdx_configs,
        progress=lambda _done, _total: bar.advance(),
        versions=versions,
        remember=workspace.kept if workspace.fast else None,
    )
    bar.close()
    workspace.pages_written()  # the versions' PDF digests kept, for the next run
    print(report.summary())


def _cache_shard(
    config: Any,
    workspace: Workspace,
    shard: Shard,
    project: Project,
    renderer: PageRenderer,
    maker: PdfMaker,
    epoch: str,
    *,
    given: str | None,
) -> None:
    """Render shard ``shard``'s PDFs into the cache, with the same jobs as ``_write_pdfs`` would make."""
    layout = workspace.layout
    provenance = _pdf_provenance(config, workspace, epoch, given)
    bar = ProgressBar(len(shard.select(project.policies)), sys.stderr)
    report = cache_shard_pdfs(
        project,
        layout,
        renderer,
        workspace.template_dir,
        maker,
        provenance,
        shard,
        markdown_extensions=config.markdown_extensions,
        extension_configs=config.mdx_configs,
        progress=lambda _done, _total: bar.advance(),
    )
    bar.close()
    print(report.summary())


def command_diff(args: argparse.Namespace) -> int:
    """Review report between two git revisions; ``--check`` fails on governance violations.

    Without ``--check`` the report goes to ``--output`` or stdout. With ``--check`` the
    violations go to stderr (compiler style) and the report only to ``--output``.
    """
    if args.output is not None:
        _refuse_folder(args.output)  # before two revisions are loaded, not after
    redline_link = None
    if args.redline is not None:
        base_folder = args.output.parent if args.output is not None else Path.cwd()
        redline_link = os.path.relpath(args.redline.absolute(), base_folder.absolute())
    try:
        outcome = make_review(
            args.config_file,
            args.base,
            args.head,
            _layout,
            output_format=args.format,
            merge_base=args.merge_base,
            load=lambda layout: Workspace(layout, fast=not args.plain).load(),
            redline_folder=redline_link,
        )
    except ReviewError as exc:
        if args.output is not None:
            _write_text(args.output, error_report(exc.messages, args.format))
        raise
    if args.redline is not None:
        try:
            write_redlines(args.redline, outcome.redlines)
        except OSError as exc:
            raise PolicyPressError(f"--redline {args.redline}: cannot be written ({exc.strerror or exc})") from None
    if args.output is not None:
        _write_text(args.output, outcome.report)
    elif not args.check:
        sys.stdout.write(outcome.report)
    if not args.check:
        return EXIT_OK
    for violation in outcome.violations:
        print(violation.format(), file=sys.stderr)
    problems = [v for v in outcome.violations if v.severity == "error"]
    if problems:
        print(f"governance check failed: {len(problems)} problem(s)", file=sys.stderr)
        return EXIT_USER_ERROR
    warnings = len(outcome.violations)
    print(f"governance check passed ({outcome.summary}" + (f"; {warnings} warning(s))" if warnings else ")"))
    return EXIT_OK


def command_asof(args: argparse.Namespace) -> int:
    """Which version of a policy (or which policies, for ``--code``) applied on a date of service."""
    day = date_of_service(args.date)
    history = read_history(args.config_file, _layout(args.config_file))
    if args.code is not None:
        print("\n".join(code_on(history, args.code, day)))
    elif args.number is None:
        raise PolicyPressError("asof: give a policy number (asof WA.CP.MP.166 2025-02-10) or --code CODE")
    else:
        print("\n".join(policy_on(history, args.number, day)))
    return EXIT_OK


def _write_text(path: Path, text: str) -> None:
    """Write a report; an output that cannot be written is the user's error, named with its path."""
    _refuse_folder(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, text.encode("utf-8"))  # a full disk leaves the old report, not half a new one
    except OSError as exc:
        raise PolicyPressError(f"-o {path}: cannot be written ({exc.strerror or exc})") from None


def _refuse_folder(path: Path) -> None:
    if path.is_dir():
        raise PolicyPressError(f"-o {path}: is a folder; give the report's file name")


class _StderrHandler(logging.StreamHandler):
    """Writes each record to ``sys.stderr`` as it is when the record comes (one handler for every build
    a process runs, even when a caller replaces the stream in between)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _log_mkdocs_warnings() -> None:
    """Show MkDocs' own warnings (the API does not configure logging)."""
    logger = logging.getLogger("mkdocs")
    logger.setLevel(logging.INFO)
    if any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        return
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)


def command_new(args: argparse.Namespace) -> int:
    """Write a skeleton policy that passes ``check``, named after its number."""
    layout = _layout(args.config_file)
    plan = args.plan or plan_of_library(layout) or "Example Health Plan"
    path = write_skeleton(layout, args.number, args.title, plan, args.effective or dt.date.today())
    print(f"wrote {display_path(path, Path.cwd())}: replace its placeholder text, then run `make check`")
    return EXIT_OK


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"write dates as YYYY-MM-DD, e.g. 2024-11-01; got {text!r}") from None


def command_schema(args: argparse.Namespace) -> int:
    """Write (or with --check, verify) the committed JSON Schema of policy files."""
    path = args.config_file.resolve().parent / SCHEMA_FILE
    text = policy_schema_text()
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(f"{SCHEMA_FILE} is out of date with the model: run `make schema`", file=sys.stderr)
            return EXIT_USER_ERROR
        return EXIT_OK
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return EXIT_OK


class ProgressBar:
    """``[#####-----] 12/40 PDFs`` on one terminal line; silent when the stream is not a terminal."""

    def __init__(self, total: int, stream: TextIO, width: int = 30, clock: Callable[[], float] = time.monotonic):
        self.total = total
        self.stream = stream
        self.width = width
        self.done = 0
        self.enabled = total > 0 and _isatty(stream)
        self._clock = clock
        self._drawn = -1.0

    def advance(self) -> None:
        self.done += 1
        now = self._clock()
        if self.enabled and (self.done == self.total or now - self._drawn >= 0.1):
            self._drawn = now
            filled = self.width * self.done // self.total
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\rpdf [{bar}] {self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policypress", description=__doc__.splitlines()[0])
    parser.add_argument(
        "-f",
        "--config-file",
        type=Path,
        default=Path("mkdocs.yml"),
        help="the site's mkdocs.yml (default: %(default)s)",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="no caches and no second processes: slower, the same output (to rule out a cache)",
    )
    parser.add_argument("--version", action="version", version=f"policypress {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate policies, the bibliography and boilerplate")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("-v", "--verbose", action="store_true", help="list every warning (e.g. uncited references)")
    check.set_defaults(run=command_check)
    build = commands.add_parser("build", help="validate, then build the site (replaces site/ only on success)")
    build.add_argument("--site-dir", type=Path, default=Path("site"), help="output folder (default: %(default)s)")
    build.set_defaults(run=command_build)
    pdf = commands.add_parser("pdf", help="write the archival PDF/A of every policy into SITE_DIR/pdf")
    pdf.add_argument("--site-dir", type=Path, default=Path("site"), help="site folder (default: %(default)s)")
    pdf.add_argument("--no-cache", action="store_true", help="render every PDF, ignoring .cache/pdf")
    pdf.add_argument(
        "--shard",
        metavar="K/N",
        help="render only the PDFs of shard K of N into .cache/pdf (not site/), for a CI job of a matrix of N",
    )
    pdf.set_defaults(run=command_pdf)
    new = commands.add_parser("new", help="start a policy: write policy/NUMBER.yaml, a skeleton that passes check")
    new.add_argument("number", help="its reference number, e.g. WA.CP.MP.167")
    new.add_argument("title", help='its title, e.g. "Lumbar Facet Joint Interventions"')
    new.add_argument("--plan", help="the plan it is written for (default: the plan of the library's policies)")
    new.add_argument("--effective", type=_iso_date, metavar="YYYY-MM-DD", help="its effective date (default: today)")
    new.set_defaults(run=command_new)
    schema = commands.add_parser("schema", help=f"write {SCHEMA_FILE}, the JSON Schema of policy files")
    schema.add_argument("--check", action="store_true", help="only verify that the committed schema is current")
    schema.set_defaults(run=command_schema)
    diff = commands.add_parser("diff", help="review what changed between two git revisions (Markdown or JSON)")
    diff.add_argument("base", help="git revision to compare against, e.g. origin/main")
    diff.add_argument("head", nargs="?", help="git revision with the changes (default: the working tree)")
    diff.add_argument("--format", choices=("markdown", "json"), default="markdown", help="report format")
    diff.add_argument("-o", "--output", type=Path, help="write the report to this file instead of stdout")
    diff.add_argument(
        "--check",
        action="store_true",
        help="exit 1 on governance errors; warnings are printed (report only with --output)",
    )
    diff.add_argument(
        "--redline",
        type=Path,
        metavar="DIR",
        help="write a redlined document (HTML and PDF) of every changed policy into DIR; the report links them",
    )
    diff.add_argument("--merge-base", action="store_true", help="compare against the common ancestor of BASE and HEAD")
    diff.set_defaults(run=command_diff)
    asof = commands.add_parser(
        "asof", help="which version of a policy was in effect on a date of service, from the git history"
    )
    asof.add_argument("number", nargs="?", help="the policy number, e.g. WA.CP.MP.166")
    asof.add_argument("date", help="the date of service, YYYY-MM-DD")
    asof.add_argument("--code", help="list the policies whose version in effect on DATE lists this code")
    asof.set_defaults(run=command_asof)
    return parser


def _version() -> str:
    """The installed package's version (pyproject.toml), as ``pip show policypress`` gives it."""
    return importlib.metadata.version("policypress")


def main(argv: Sequence[str] | None = None) -> int:
    return _run_command(build_parser().parse_args(argv))


def _run_command(args: argparse.Namespace) -> int:
    """The command's exit code; every user error goes through ``_report``."""
    BuildInterrupted.published = False  # each command of a process (the tests run many) starts afresh
    BuildInterrupted.doing("starting")
    try:
        code = int(args.run(args))
        if _signalled():  # a signal that a C extension swallowed: the user still asked to stop
            return _report(_interruption())
        return code
    except KeyboardInterrupt:
        return _report(_interruption())
    except PolicyPressError as exc:
        return _report(_interruption() if _signalled() else exc)
    except FileNotFoundError as exc:
        return _report(PolicyPressError(f"{exc.filename}: no such file"))
    except OSError as exc:
        if exc.errno not in _WRITE_ERRORS:
            raise
        written = exc.filename2 or exc.filename  # a copy names its source first, the file it wrote second
        where = f" {os.fsdecode(written)}" if written else ""
        return _report(PolicyPressError(f"cannot write{where}: {exc.strerror}; site/ was left as it was"))
    except Exception:  # a bug in policypress, not the user's fault
        if _signalled():  # a signal that landed inside a C extension surfaces as some other failure
            return _report(_interruption())
        traceback.print_exc()
        print(
            "internal error: this is a bug in policypress, please report it with the output above",
            file=sys.stderr,
        )
        return EXIT_BUG


_WRITE_ERRORS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR, errno.EIO}
)
"""What the file system answers when an output cannot be written: the user's to fix, not a bug."""


def _signalled() -> bool:
    return bool(SIGNALS_RECEIVED)


def _interruption() -> BuildInterrupted:
    return BuildInterrupted.received()


def _report(error: PolicyPressError) -> int:
    """The one handler of user errors: each error's own lines on stderr, exit 1."""
    for line in error.lines():
        print(line, file=sys.stderr)
    return EXIT_USER_ERROR


def run() -> NoReturn:
    """The ``policypress`` command: the command, then an exit that leaves the memory to the system
    (``speed.fastexit``), or under ``--plain`` the interpreter's own exit."""
    args = build_parser().parse_args()
    code = _run_command(args)
    # the outcome is decided and reported: an interrupt from here on would only cut the exit in two
    for sent in INTERRUPTS:
        signal.signal(sent, signal.SIG_IGN)
    if args.plain:
        sys.exit(code)
    from policypress.speed.fastexit import exit_fast

    exit_fast(code)


if __name__ == "__main__":
    run()
