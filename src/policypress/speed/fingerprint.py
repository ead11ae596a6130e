"""What cache keys are made of: the code that made an entry, and the inputs it was made from.

Every cache of the speed layer files its entries under a hash of their inputs together
with a fingerprint of the code. The fingerprint takes every ``.py`` file of the package
(every folder, recursively, by its path inside the package) and the versions of the
libraries that decide the output, so moving, adding or editing a module can never leave
an entry that looks current.
"""

from __future__ import annotations

import functools
import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

FORMAT = 2
"""Version of the keys' layout."""
PACKAGE = Path(__file__).resolve().parents[1]
"""The ``policypress`` package folder."""
_LIBRARIES = ("pydantic", "pydantic-core", "pyyaml", "jinja2", "markupsafe", "pybtex")


def package_modules(*parts: str) -> list[Path]:
    """Every ``.py`` file of the package's ``parts`` (folders, recursively, or single modules, by their path
    inside the package; ``""``: the whole package), sorted."""
    found: set[Path] = set()
    for part in parts:
        path = PACKAGE / part
        if path.is_file():
            found.add(path)
        elif path.is_dir():
            found.update(p for p in path.rglob("*.py") if p.is_file())
    return sorted(found)


def modules_digest(modules: list[Path], *extra: str) -> str:
    """Hash of the modules' paths inside the package and their bytes, and of ``extra`` text."""
    digest = hashlib.sha256(f"policypress code {FORMAT}".encode())
    for line in extra:
        digest.update(f"\n{line}".encode())
    for path in modules:
        digest.update(f"\n{path.relative_to(PACKAGE).as_posix()}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def library_versions(*names: str) -> list[str]:
    """``name version`` (``name -`` when not installed) for each library."""
    lines = []
    for name in names:
        try:
            lines.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            lines.append(f"{name} -")
    return lines


@functools.cache
def code_fingerprint() -> str:
    """Hash of every policypress module's source and of the libraries that read and render sources."""
    return modules_digest(package_modules(""), *library_versions(*_LIBRARIES))


def content_key(*parts: str | bytes) -> str:
    """A key for ``parts`` under the current code: any change to a part or to the code changes it."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()
