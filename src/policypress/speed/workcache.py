"""Work derived from sources, kept on disk between runs and filed by the hash of what it is made of.

Reading a thousand policies, checking their citations and rendering their pages takes
seconds, yet an edit changes one file. Each result is filed under a key that hashes
its inputs (file bytes, the bibliography keys, the formatted references …) together
with the code (``speed.fingerprint.content_key``). Any change to an input or to the
code is a new key, so an entry is never stale; it can only go unused, and is pruned.

The entries of all kinds live in one SQLite database, ``.cache/work.sqlite``: thousands
of small files would cost more to create than the work they save (about 0.3 ms per file
here), and SQLite gives atomic writes and safe sharing between two runs at once. It is a
cache: writes are not flushed to the disk, a damaged database is deleted and started
again, and a locked one is simply not written to. Each entry carries the SHA-256 of its
kind, key and value, checked on every read: an entry damaged on disk (a bad sector, an
interrupted write, a tampered CI cache) is discarded and made again, never used, and the
run says so once (``report_discarded``).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

DATABASE = "work.sqlite"
_KEY = re.compile(r"[0-9a-f]{64}")
_DAY = 86400.0
_WRITES_PER_COMMIT = 256
_SECONDS_PER_COMMIT = 0.5
"""Writes are grouped into transactions (one each would cost more than the write), committed after
that many writes or seconds, so another run that wants to write waits little."""
_LOCK_WAIT_SECONDS = 0.2
"""How long a write waits for another run's transaction before it is skipped (reads never wait)."""
_BEGUN: dict[int, float] = {}
_CONNECTIONS: dict[Path, sqlite3.Connection | None] = {}
_INHERITED: list[sqlite3.Connection | None] = []
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries ("
    "kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, used REAL NOT NULL, digest TEXT NOT NULL, "
    "PRIMARY KEY (kind, key))"
)
"""A rowid table: values are kilobytes (pages, models), which SQLite stores better beside a key index
than inside it (``WITHOUT ROWID`` suits small rows)."""
_SCHEMA_VERSION = 3
"""``PRAGMA user_version`` of the database; one with another version is deleted and made anew."""
_PAGE_BYTES = 65536
"""SQLite page size: a rendered page (~30 kB) fits in one page instead of a chain of eight; writing
a thousand of them took a third of the time it took with 4 kB pages."""


def entry_digest(kind: str, key: str, value: str) -> str:
    """The SHA-256 an entry is stored with: of its kind, key and value, so a value moved under
    another key fails the check as surely as a changed one."""
    digest = hashlib.sha256()
    for part in (kind, key, value):
        data = part.encode("utf-8", errors="surrogatepass")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


_REPORTED: set[str] = set()


def report_discarded(cache: str) -> None:
    """Say once per run and cache that damaged entries were found, discarded and made again."""
    if cache in _REPORTED:
        return
    _REPORTED.add(cache)
    logging.getLogger("policypress.cache").warning(
        "note: a damaged entry of the cache %s was discarded and its work done again (nothing damaged was published)",
        cache,
    )


class WorkCache:
    """One kind of derived work in the project's work database; ``None`` as the folder keeps nothing.

    ``keep_days``: for work that different runs ask for in different variants (a page with
    or without its PDF link), entries are kept while used within that many days instead of
    being pruned when one run did not use them.
    """

    def __init__(self, folder: Path | None, kind: str, keep_days: float | None = None) -> None:
        self.folder = folder
        self.kind = kind
        self.keep_days = keep_days
        self._used: set[str] = set()
        self._written = 0
        self.recorded: dict[str, str] | None = None
        """With ``record()``: what was put, kept here instead of being written."""

    def record(self) -> None:
        """Keep what is put from now on in ``recorded`` instead of writing it: for a forked process,
        whose writes would wait on its parent's open transaction (the parent writes them with ``put_all``)."""
        self.recorded = {}

    def put_all(self, entries: dict[str, str]) -> None:
        """``put_text`` every entry (one transaction)."""
        for key, text in entries.items():
            self.put_text(key, text)
        self.flush()

    def get(self, key: str) -> Any | None:
        """The value filed under ``key``, or ``None`` (absent or unreadable)."""
        text = self.get_text(key)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None

    def put(self, key: str, value: Any) -> None:
        """File ``value`` (JSON-serialisable) under ``key``."""
        self.put_text(key, json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def get_text(self, key: str) -> str | None:
        """The text filed under ``key`` by ``put_text``, or ``None``."""
        self._used.add(_checked(key))
        if self.recorded is not None and key in self.recorded:
            return self.recorded[key]
        database = _database(self.folder)
        if database is None:
            return None
        try:
            row = database.execute(
                "SELECT value, used, digest FROM entries WHERE kind = ? AND key = ?", (self.kind, key)
            ).fetchone()
            if row is None:
                return None
        except sqlite3.Error:
            return None
        if not isinstance(row[0], str) or row[2] != entry_digest(self.kind, key, row[0]):
            self._write("DELETE FROM entries WHERE kind = ? AND key = ?", (self.kind, key))
            report_discarded(f"{DATABASE} ({self.kind})")
            return None
        now = time.time()
        if self.keep_days is not None and row[1] < now - _DAY:  # marked at most once a day
            self._write("UPDATE entries SET used = ? WHERE kind = ? AND key = ?", (now, self.kind, key))
        return row[0] if isinstance(row[0], str) else None

    def put_text(self, key: str, text: str) -> None:
        """File ``text`` under ``key`` as it is (no JSON encoding: for rendered pages)."""
        self._used.add(_checked(key))
        if self.recorded is not None:
            self.recorded[key] = text
            return
        self._write(
            "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)",
            (self.kind, key, text, time.time(), entry_digest(self.kind, key, text)),
        )

    def _write(self, statement: str, values: tuple[Any, ...]) -> None:
        """Run ``statement`` in this process's open write transaction (begun if need be, committed
        every few hundred writes or half second)."""
        database = _database(self.folder)
        if database is None:
            return
        try:
            if not database.in_transaction:
                database.execute("BEGIN")
                _BEGUN[id(database)] = time.monotonic()
            database.execute(statement, values)
            self._written += 1
            if (
                self._written % _WRITES_PER_COMMIT == 0
                or time.monotonic() - _BEGUN.get(id(database), 0.0) > _SECONDS_PER_COMMIT
            ):
                database.commit()
        except sqlite3.Error:
            return  # locked by another run, or the disk is full: a cache that cannot be written only costs time

    def flush(self) -> None:
        """Make what this process wrote visible to other runs (also done every few hundred writes and at exit)."""
        _commit(self.folder)

    def prune(self) -> int:
        """Remove the entries of no use: unused by this run (call after a run that saw the whole
        project), or with ``keep_days``, unused for that long."""
        database = _database(self.folder)
        if database is None:
            return 0
        try:
            _commit(self.folder)
            if self.keep_days is not None:
                limit = time.time() - self.keep_days * _DAY
                cursor = database.execute("DELETE FROM entries WHERE kind = ? AND used < ?", (self.kind, limit))
                return cursor.rowcount
            kept = database.execute("SELECT key FROM entries WHERE kind = ?", (self.kind,)).fetchall()
            unused = [(self.kind, key) for (key,) in kept if key not in self._used]
            database.executemany("DELETE FROM entries WHERE kind = ? AND key = ?", unused)
            return len(unused)
        except sqlite3.Error:
            return 0


def _commit(folder: Path | None) -> None:
    """End the open write transaction of the work database in ``folder``, if any."""
    database = _database(folder)
    if database is not None and database.in_transaction:
        try:
            database.commit()
        except sqlite3.Error:
            database.rollback()


@atexit.register
def _close_all() -> None:
    """At exit: commit and close, which also folds the write-ahead log into the database file
    (otherwise a cold run leaves tens of megabytes of log for the next run to read through)."""
    for folder, database in list(_CONNECTIONS.items()):
        _commit(folder)
        if database is not None:
            database.close()
    _CONNECTIONS.clear()


def _database(folder: Path | None) -> sqlite3.Connection | None:
    """The open work database in ``folder`` (one connection per process), or ``None`` if unusable."""
    if folder is None:
        return None
    if folder not in _CONNECTIONS:
        _CONNECTIONS[folder] = _open(folder)
    return _CONNECTIONS[folder]


def _open(folder: Path) -> sqlite3.Connection | None:
    path = folder / DATABASE
    for _attempt in range(2):
        database = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            database = sqlite3.connect(path, timeout=_LOCK_WAIT_SECONDS, isolation_level=None, check_same_thread=False)
            database.execute(f"PRAGMA page_size = {_PAGE_BYTES}")  # only takes effect in a new database
            database.execute("PRAGMA journal_mode = WAL")
            database.execute("PRAGMA synchronous = OFF")  # a cache: losing the last writes costs only time
            if not _has_schema(database):
                raise sqlite3.DatabaseError("another layout")
            return database
        except sqlite3.Error as error:
            if database is not None:
                database.close()
            if _is_busy(error):
                return None  # another run is making the database: no cache this time
            try:
                # damaged or of another layout: start again. Another run that still has the old file
                # open keeps writing to it, unseen: only cached work is lost, never a result.
                _remove_database(path)
            except OSError:
                return None
        except OSError:
            return None
    return None


def _remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(f"{DATABASE}-wal"), path.with_name(f"{DATABASE}-shm")):
        leftover.unlink(missing_ok=True)


def _has_schema(database: sqlite3.Connection) -> bool:
    """Whether the database has this version's layout; a new (empty) one is given it."""
    version, tables = _schema_version(database)
    if (version, tables) == (0, 0):
        database.execute("BEGIN IMMEDIATE")  # two runs may find it empty: one makes it, in one transaction
        version, tables = _schema_version(database)
        if (version, tables) == (0, 0):
            database.execute(_SCHEMA)
            database.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            version = _SCHEMA_VERSION
        database.execute("COMMIT")
    if version != _SCHEMA_VERSION:
        return False
    database.execute("SELECT count(*) FROM entries WHERE kind = ''").fetchone()
    return True


def _schema_version(database: sqlite3.Connection) -> tuple[int, int]:
    """``(user_version, number of tables)``: ``(0, 0)`` for a new database."""
    (version,) = database.execute("PRAGMA user_version").fetchone()
    (tables,) = database.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    return version, tables


def _is_busy(error: sqlite3.Error) -> bool:
    """Whether ``error`` is another run holding the database (not damage)."""
    code = getattr(error, "sqlite_errorcode", None)  # an extended code: its low byte is the primary one
    return code is not None and (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _forget_connections() -> None:
    """In a forked child: SQLite connections must not cross a fork, so the child opens its own. The
    parent's are kept, unused and never closed (closing one here could act on the parent's locks)."""
    _INHERITED.extend(_CONNECTIONS.values())
    _CONNECTIONS.clear()


os.register_at_fork(after_in_child=_forget_connections)


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a cache key: {key!r}")
    return key
