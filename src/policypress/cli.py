"""The ``policypress`` command: ``check`` validates, ``build`` publishes the site.

User errors print as ``file:line:col: message [code]`` and exit 1, never as a
traceback; anything unexpected is reported as a policypress bug (exit 2). ``build``
writes into a fresh folder beside ``site/`` and swaps it in only after MkDocs
finished without a warning, so a failed build leaves the published site as it was.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import logging
import multiprocessing
import os
import subprocess
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import yaml

from policypress.checks import check_site
from policypress.errors import Diagnostic, SourceError, display_path
from policypress.pdfbuild import RenderPool
from policypress.plugin import PolicyPressConfig
from policypress.project import Project, ProjectLayout
from policypress.publish import BuildInterrupted, staging_folder, swap_in
from policypress.render import PageRenderer
from policypress.schema import SCHEMA_FILE, policy_schema_text

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_BUG = 2


def _plugin_options(config_file: Path) -> dict[str, str]:
    """The policypress plugin's options in mkdocs.yml (without importing MkDocs)."""
    with config_file.open(encoding="utf-8") as handle:
        config = yaml.load(handle, Loader=_MkDocsYamlLoader)
    for plugin in config.get("plugins", []) or []:
        if isinstance(plugin, dict) and "policypress" in plugin:
            return dict(plugin["policypress"] or {})
    return {}


class _MkDocsYamlLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, which may use MkDocs' ``!ENV`` / ``!relative`` tags (kept as plain values)."""


_MkDocsYamlLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _options(config_file: Path) -> PolicyPressConfig:
    """The policypress options of mkdocs.yml, validated (with their defaults) as the plugin sees them."""
    options = PolicyPressConfig()
    options.load_dict(_plugin_options(config_file))
    failed, _warnings = options.validate()
    if failed:
        shown = display_path(config_file, Path.cwd())
        raise SourceError(
            [
                Diagnostic(shown, 1, 1, "config.invalid", f"plugins.policypress.{name}: {error}")
                for name, error in failed
            ]
        )
    return options


def _layout(config_file: Path) -> ProjectLayout:
    """Where the sources of the project configured by ``config_file`` are."""
    return _options(config_file).layout(config_file.resolve().parent)


def _check(config_file: Path, *, trial_render: bool = True) -> tuple[Project, PageRenderer]:
    """Load, cross-check and (unless a build follows) trial-render everything the site is built from."""
    options = _options(config_file)
    root = config_file.resolve().parent
    layout, template_dir = options.layout(root), options.template_dir(root)
    return check_site(layout, template_dir, options.formats(), trial_render=trial_render)


def command_check(args: argparse.Namespace) -> int:
    """Validate every source and trial-render every page; exit 1 on errors (or warnings with --strict)."""
    project, _renderer = _check(args.config_file)
    warnings = [note for note in project.notes if note.severity == "warning"]
    if args.verbose:
        for note in project.notes:
            print(note.format(), file=sys.stderr)
    else:
        for code, count in sorted(Counter(w.code for w in warnings).items()):
            print(f"warning: {count} x {code} (run with -v to list them)", file=sys.stderr)
    policies = f"{len(project.policies)} {'policy' if len(project.policies) == 1 else 'policies'}"
    print(f"{policies}, {len(project.bibliography.keys)} references: valid, {len(warnings)} warning(s)")
    if args.strict and warnings:
        print(f"{len(warnings)} warning(s), refused under --strict", file=sys.stderr)
        return EXIT_USER_ERROR
    return EXIT_OK


def _source_date_epoch(root: Path, project: Project) -> str:
    """The time the output claims to be from, the same for every build of the same sources.

    ``SOURCE_DATE_EPOCH`` when set; else the last commit's time; outside git, the
    latest date any policy mentions (effective, reviewed or approved).
    """
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return os.environ["SOURCE_DATE_EPOCH"]
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "log", "-1", "--format=%ct"], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 and result.stdout.strip().isdigit():
            return result.stdout.strip()
    except OSError:
        pass
    latest = max(
        (
            day
            for source in project.policies
            for day in (
                source.policy.effective_date,
                source.policy.last_review_date,
                *(dt.date.fromisoformat(f"{r.approval_date}-01") for r in source.policy.revision_log),
            )
            if day is not None
        ),
        default=dt.date(1980, 1, 1),
    )
    return str(int(dt.datetime(latest.year, latest.month, latest.day, tzinfo=dt.UTC).timestamp()))


def command_build(args: argparse.Namespace) -> int:
    """Build the site into a staging folder, then swap it in place of ``site/`` atomically."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    config_file: Path = args.config_file.resolve()
    root = config_file.parent
    # refuse early, with compiler-style messages; the plugin reuses what was loaded (pages are
    # rendered once, by the build itself, which reports a template error the same way)
    project, renderer = _check(config_file, trial_render=False)
    pool = RenderPool().start()  # loads WeasyPrint on another core while this one builds the pages
    os.environ["SOURCE_DATE_EPOCH"] = _source_date_epoch(root, project)
    _log_mkdocs_warnings()
    site_dir = (root / args.site_dir).resolve()
    with pool, staging_folder(site_dir) as staging:
        config = load_config(str(config_file), site_dir=str(staging), strict=True)
        config.plugins["policypress"].use_checked(project, renderer)
        try:
            build(config)
        except (Abort, ConfigurationError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USER_ERROR
        if _write_pdfs(config, staging / "pdf", project, renderer, pool) != EXIT_OK:
            return EXIT_USER_ERROR
        swap_in(staging, site_dir)
    print(f"site built: {site_dir}")
    return EXIT_OK


def command_pdf(args: argparse.Namespace) -> int:
    """Write the archival PDF of every policy into ``site/pdf`` (rendering only those whose inputs changed)."""
    from mkdocs.config import load_config

    config_file: Path = args.config_file.resolve()
    with RenderPool().start() as pool:  # loads WeasyPrint on another core while this one loads the sources
        project, renderer = _check(config_file, trial_render=False)  # the PDFs render every page anyway
        os.environ["SOURCE_DATE_EPOCH"] = _source_date_epoch(config_file.parent, project)
        config = load_config(str(config_file), strict=True)
        out_dir = (config_file.parent / args.site_dir).resolve() / "pdf"
        return _write_pdfs(config, out_dir, project, renderer, pool, use_cache=not args.no_cache)


def _write_pdfs(
    config: Any, out_dir: Path, project: Project, renderer: PageRenderer, pool: RenderPool, *, use_cache: bool = True
) -> int:
    """Render the PDFs from the same model, page renderer and Markdown settings as the site."""
    from policypress.pdfbuild import build_policy_pdfs
    from policypress.pdfjob import PdfError

    options = config.plugins["policypress"].config
    root = Path(config.config_file_path).resolve().parent
    try:
        report = build_policy_pdfs(
            project,
            options.layout(root),
            renderer,
            options.template_dir(root),
            out_dir,
            markdown_extensions=config.markdown_extensions,
            extension_configs=config.mdx_configs,
            use_cache=use_cache,
            pool=pool,
        )
    except PdfError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    print(report.summary())
    return EXIT_OK


def command_diff(args: argparse.Namespace) -> int:
    """Review report between two git revisions; ``--check`` fails on governance violations."""
    from policypress.review import run_diff

    return run_diff(
        args.config_file,
        args.base,
        args.head,
        _layout,
        output_format=args.format,
        output=args.output,
        check=args.check,
        merge_base=args.merge_base,
    )


def _log_mkdocs_warnings() -> None:
    """Show MkDocs' own warnings (the API does not configure logging)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handler.setLevel(logging.WARNING)
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policypress", description=__doc__.splitlines()[0])
    parser.add_argument(
        "-f",
        "--config-file",
        type=Path,
        default=Path("mkdocs.yml"),
        help="the site's mkdocs.yml (default: %(default)s)",
    )
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
    pdf.set_defaults(run=command_pdf)
    schema = commands.add_parser("schema", help=f"write {SCHEMA_FILE}, the JSON Schema of policy files")
    schema.add_argument("--check", action="store_true", help="only verify that the committed schema is current")
    schema.set_defaults(run=command_schema)
    diff = commands.add_parser("diff", help="review what changed between two git revisions (Markdown or JSON)")
    diff.add_argument("base", help="git revision to compare against, e.g. origin/main")
    diff.add_argument("head", nargs="?", help="git revision with the changes (default: the working tree)")
    diff.add_argument("--format", choices=("markdown", "json"), default="markdown", help="report format")
    diff.add_argument("-o", "--output", type=Path, help="write the report to this file instead of stdout")
    diff.add_argument(
        "--check", action="store_true", help="exit 1 on governance violations (report only with --output)"
    )
    diff.add_argument("--merge-base", action="store_true", help="compare against the common ancestor of BASE and HEAD")
    diff.set_defaults(run=command_diff)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except SourceError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        print(f"{len(exc.diagnostics)} error(s); nothing was built", file=sys.stderr)
        return EXIT_USER_ERROR
    except (BuildInterrupted, KeyboardInterrupt) as exc:
        print(f"error: {exc or 'build interrupted'}; site/ was left as it was", file=sys.stderr)
        return EXIT_USER_ERROR
    except FileNotFoundError as exc:
        print(f"error: {exc.filename}: no such file", file=sys.stderr)
        return EXIT_USER_ERROR
    except Exception:  # a bug in policypress, not the user's fault
        traceback.print_exc()
        print(
            "internal error: this is a bug in policypress, please report it with the output above",
            file=sys.stderr,
        )
        return EXIT_BUG


def run() -> NoReturn:
    """The ``policypress`` command: ``main``, then an exit that leaves the memory to the system.

    A plain interpreter exit frees every object one by one (a thousand policies' models,
    positions and references: about 0.3 s, a tenth of a check). When nothing but this thread
    is left running, the exit handlers run (the work cache commits and closes), the output is
    flushed and the process ends without that freeing. If a thread or a worker process is
    still alive (a command that ended early, with an error), the interpreter's own exit is
    taken: it stops them in order, which the exit handlers alone do not.
    """
    code = main()
    if threading.active_count() > 1 or multiprocessing.active_children():
        sys.exit(code)
    atexit._run_exitfuncs()  # what the interpreter would run at exit, before freeing everything
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):  # closed, or a pipe whose reader left
                stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
