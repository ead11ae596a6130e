"""Publish a build atomically: the site folder is either the old site or the new one, never a mix.

A build writes into a staging folder beside ``site/`` (same file system, so a rename
is atomic). Only when everything succeeded is it exchanged with ``site/`` in one
``renameat2(RENAME_EXCHANGE)`` call (Linux; elsewhere two renames). A build that
fails, or is interrupted or terminated, deletes its staging folder on the way out;
one killed outright (SIGKILL) leaves it behind, and the next build removes it.
Staging folders carry their process id, so a concurrent build's folder is never taken
for a leftover.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from policypress.errors import SIGNALS_RECEIVED, PolicyPressError, interrupts_held

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def refuse_unsafe_site_dir(site_dir: Path, root: Path, sources: Sequence[Path]) -> None:
    """Refuse, before anything is written, a site folder whose swap would replace sources.

    Publishing exchanges the whole ``site_dir`` for the new build, so a site folder that is
    the project (or holds it), that is or holds a source, or that lies inside a source folder
    would delete what it replaces (``--site-dir policy``, ``--site-dir .``).
    """
    site = site_dir.resolve()
    project = root.resolve()
    if project.is_relative_to(site):
        raise PolicyPressError(
            f"--site-dir {site}: publishing there would replace the project folder {project} itself; "
            "choose a folder of its own, such as site/"
        )
    for source in sources:
        path = source.resolve()
        if path.is_relative_to(site) or site.is_relative_to(path):
            shown = path.relative_to(project) if path.is_relative_to(project) else path
            raise PolicyPressError(
                f"--site-dir {site}: publishing there would replace or write into sources ({shown}); "
                "choose a folder of its own, such as site/"
            )


def _staging_prefix(site_dir: Path) -> str:
    return f".{site_dir.name}-build-"


def remove_stale_staging(site_dir: Path) -> list[Path]:
    """Delete staging folders left by builds whose process no longer exists; return them."""
    removed = []
    prefix = _staging_prefix(site_dir)
    if not site_dir.parent.is_dir():
        return removed
    for candidate in site_dir.parent.iterdir():
        if not (candidate.is_dir() and candidate.name.startswith(prefix)):
            continue
        pid_text = candidate.name[len(prefix) :].split("-", 1)[0]
        if pid_text.isdigit() and _process_alive(int(pid_text)):
            continue
        shutil.rmtree(candidate, ignore_errors=True)
        removed.append(candidate)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM or SIGHUP as a Ctrl-C: a ``KeyboardInterrupt`` passes every ``except Exception`` (MkDocs
    logs and re-raises those as "Error building page"), and the command names the signal it recorded."""
    SIGNALS_RECEIVED.append(signal.Signals(signum).name)
    raise KeyboardInterrupt


@contextmanager
def staging_folder(site_dir: Path) -> Iterator[Path]:
    """A fresh, empty folder beside ``site_dir`` that is removed however the build ends."""
    remove_stale_staging(site_dir)
    try:
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{_staging_prefix(site_dir)}{os.getpid()}-", dir=site_dir.parent))
    except OSError as exc:
        raise PolicyPressError(
            f"cannot build beside {site_dir}: {exc.strerror or exc} in {site_dir.parent} (the new site is "
            "built next to the old one, then swapped in); nothing was changed"
        ) from None
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the published site must be readable
    previous = {sig: signal.signal(sig, _raise_interrupted) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield staging
    finally:
        with interrupts_held():  # a second Ctrl-C must not leave half of the folder behind
            shutil.rmtree(staging, ignore_errors=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def swap_in(staging: Path, site_dir: Path) -> None:
    """Make ``staging`` the new ``site_dir`` atomically; the old site ends up in ``staging``.

    A folder that cannot be replaced (a mount point, a read-only parent) is a clear error, with
    ``site_dir`` as it was."""
    try:
        _swap_in(staging, site_dir)
    except OSError as exc:
        raise PolicyPressError(
            f"cannot publish into {site_dir}: {exc.strerror or exc} (it must be a folder policypress can "
            "replace, not a mount point or inside a read-only folder); it was left as it was"
        ) from None


def _swap_in(staging: Path, site_dir: Path) -> None:
    if not site_dir.exists():
        staging.rename(site_dir)
        staging.mkdir()  # the caller's cleanup expects its folder
        return
    if not _exchange(staging, site_dir):
        old = staging.with_name(staging.name + "-old")
        site_dir.rename(old)
        staging.rename(site_dir)
        old.rename(staging)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one system call; ``False`` where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result != 0:
        errno = ctypes.get_errno()
        if errno in (38, 22, 95):  # ENOSYS, EINVAL, EOPNOTSUPP: not supported here
            return False
        raise OSError(errno, os.strerror(errno), str(b))
    return True
