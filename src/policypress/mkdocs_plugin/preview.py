"""The live preview (``mkdocs serve``) in a browser that enforces the site's Content-Security-Policy.

``mkdocs serve`` adds an inline reload script to every page as it serves it. The pages'
policy admits only the theme's own scripts, so the browser refused it and the preview never
updated. Here the preview's server admits, by hash, exactly that script (MkDocs' template with
its two numbers) on each page it serves; the published site, built without the server, never
admits it. A rebuild that fails no longer leaves the browser waiting: the error is recorded,
the browser reloads, and every page shows it on top until a rebuild succeeds.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from policypress.render.csp import admit_inline_script
from policypress.render.preview import show_build_error

log = logging.getLogger("mkdocs.plugins.policypress")

_PLACEHOLDER = re.compile(r"\$\{(?:epoch|request_id)\}")


@functools.cache
def reload_script() -> re.Pattern[str]:
    """MkDocs' reload script as it injects it: the template with digits for its epoch and request id.

    Imported on first use: a build (not a preview) never loads MkDocs' server."""
    from mkdocs.livereload import _SCRIPT_TEMPLATE_STR  # the reload script of the pinned MkDocs

    return re.compile(r"\d+".join(re.escape(part) for part in _PLACEHOLDER.split(_SCRIPT_TEMPLATE_STR)))


_INLINE_SCRIPT = re.compile(r"<script>(?P<body>.*?)</script>", re.DOTALL)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class PreviewStatus:
    """Why the last rebuild failed (its error and warning messages), or nothing once one succeeds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._problems: tuple[str, ...] = ()

    @property
    def problems(self) -> tuple[str, ...]:
        with self._lock:
            return self._problems

    def set(self, problems: Iterable[str]) -> None:
        with self._lock:
            self._problems = tuple(problems)


class _Collect(logging.Handler):
    """Keeps the warnings and errors MkDocs and its plugins log during one rebuild."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def reporting_builder(builder: Callable[[], None], status: PreviewStatus) -> Callable[[], None]:
    """``builder`` that records a failure in ``status`` instead of raising.

    MkDocs' server then moves on to the new epoch, so open pages reload and show the error,
    rather than waiting, silently, for a build that never comes."""

    def rebuild() -> None:
        collect = _Collect()
        logger = logging.getLogger("mkdocs")
        logger.addHandler(collect)
        try:
            builder()
        except Exception as exc:  # any failed rebuild is shown; the server keeps running
            problems = collect.messages or [str(exc) or type(exc).__name__]
            status.set(problems)
            log.error("the preview shows this error until an edit fixes it; it still serves the last good pages")
        else:
            status.set(())
        finally:
            logger.removeHandler(collect)

    return rebuild


def preview_page(html: str, problems: Iterable[str]) -> str:
    """A served page: MkDocs' reload script admitted by the page's policy, the last build error on top."""
    for match in _INLINE_SCRIPT.finditer(html):
        if reload_script().fullmatch(match["body"]):
            html = admit_inline_script(html, match["body"])
    return show_build_error(html, tuple(problems))


def preview_app(app: WsgiApp, status: PreviewStatus) -> WsgiApp:
    """The server's WSGI application with every HTML response passed through ``preview_page``."""

    def serve(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        answer: list[Any] = []

        def hold(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            answer[:] = [status_line, headers]
            return lambda data: None

        result = app(environ, hold)
        status_line, headers = answer
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        if not content_type.startswith("text/html"):
            start_response(status_line, headers)
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        page = preview_page(body.decode("utf-8"), status.problems).encode("utf-8")
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status_line, [*headers, ("Content-Length", str(len(page)))])
        return [page]

    return serve


def install(server: Any) -> PreviewStatus:
    """Make MkDocs' live-reload server serve pages the browser may reload, with build errors shown."""
    status = PreviewStatus()
    server.builder = reporting_builder(server.builder, status)
    server.set_app(preview_app(server.get_app(), status))
    return status
