"""SQLiteStore: the embedded default, one file, safe for several processes on one machine.

The database runs in WAL mode (readers never block the writer) with
``synchronous=NORMAL`` (a killed process loses nothing committed; only a power
cut may lose the last transactions). Writers take the write lock at ``BEGIN
IMMEDIATE`` and wait up to ``timeout`` seconds for another process to finish.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from replytrack.errors import StoreConnectionError, StoreError
from replytrack.stores._aggregates import DuplicateKey
from replytrack.stores._schema import VERSION_TABLE, check_version, migrate
from replytrack.stores._sql import RetryTransaction, SQLStore

__all__ = ["SQLiteStore"]

T = TypeVar("T")
_ATTEMPTS = 3


@attrs.define(eq=False)
class _Tx:
    conn: sqlite3.Connection
    for_update: str = ""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        return max(self.conn.executemany(sql, rows).rowcount, 0)

    def in_list(self, values: Collection[Any]) -> tuple[str, Any]:
        return " IN (SELECT value FROM json_each(?))", json.dumps(list(values))

    def bulk(
        self, into: str, types: Sequence[str], rows: Sequence[Sequence[Any]], suffix: str
    ) -> int:
        sql = f"INSERT INTO {into} VALUES ({', '.join('?' * len(types))}) {suffix}"
        try:
            return self.many(sql, rows)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" not in str(exc):
                raise
            raise DuplicateKey(str(exc)) from exc

    def bulk_returning(
        self, into: str, types: Sequence[str], rows: Sequence[Sequence[Any]], suffix: str
    ) -> list[tuple[Any, ...]]:
        sql = f"INSERT INTO {into} VALUES ({', '.join('?' * len(types))}) {suffix}"
        out = []
        for row in rows:  # in-process: a statement per row costs microseconds
            out.extend(self.conn.execute(sql, row).fetchall())
        return out


@attrs.define(eq=False)
class SQLiteStore(SQLStore):
    """A Store in one SQLite file (created, and migrated, on open).

    One connection per store; safe to share between threads (calls are
    serialised) and to open from several processes at once. Close it with
    :meth:`close` or use it as a context manager.
    """

    path: Path = attrs.field(converter=Path)
    timeout: float = attrs.field(default=30.0, kw_only=True)
    _conn: sqlite3.Connection = attrs.field(init=False, repr=False)
    _lock: threading.RLock = attrs.field(init=False, factory=threading.RLock, repr=False)

    def __attrs_post_init__(self) -> None:
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreConnectionError(f"cannot open SQLite database {self.path}: {exc}") from exc
        try:
            self._open()
        except BaseException:
            self._conn.close()
            raise

    def __del__(self) -> None:
        # A store never closed releases its file when collected, instead of leaving
        # Python 3.13's "unclosed database" ResourceWarning to the program that forgot.
        conn = getattr(self, "_conn", None)
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _open(self) -> None:
        """Refuse a newer schema before writing anything, then switch to WAL and migrate."""
        check_version(self._transact(_read_version, write=False), str(self.path))
        try:
            self._conn.execute("PRAGMA journal_mode = WAL").fetchall()
            self._conn.execute("PRAGMA synchronous = NORMAL")
            # Checkpoint every ~40 MB of WAL, not 4 MB: each checkpoint writes and syncs
            # the pages dirtied since the last, and a batch of replies dirties hundreds of
            # scattered index pages; a larger page cache keeps reads out of the longer WAL.
            self._conn.execute("PRAGMA wal_autocheckpoint = 10000")
            self._conn.execute("PRAGMA cache_size = -65536")  # KiB
        except sqlite3.Error as exc:
            raise StoreError(f"cannot configure SQLite database {self.path}: {exc}") from exc
        self._transact(self._migrate)

    def _migrate(self, tx: _Tx) -> None:
        migrate(tx, _read_version(tx), str(self.path), sqlite=True)

    def _transact(self, work: Callable[[Any], T], *, write: bool = True) -> T:
        with self._lock:
            for attempt in range(_ATTEMPTS):
                try:
                    return self._once(work, write)
                except RetryTransaction:
                    if attempt == _ATTEMPTS - 1:
                        raise StoreError("a concurrent writer kept changing the rows") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, work: Callable[[Any], T], write: bool) -> T:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            result = work(_Tx(conn))
            conn.execute("COMMIT")
            return result
        except sqlite3.Error as exc:
            _rollback(conn)
            if isinstance(exc, sqlite3.ProgrammingError) or "unable to open" in str(exc):
                raise StoreConnectionError(f"SQLite database {self.path}: {exc}") from exc
            raise StoreError(f"SQLite database {self.path}: {exc}") from exc
        except BaseException:
            _rollback(conn)
            raise


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:  # closed or broken: nothing was committed anyway
        pass


def _read_version(tx: _Tx) -> int:
    exists = tx.query(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
    )
    if not exists:
        return 0
    rows = tx.query(f"SELECT version FROM {VERSION_TABLE}")
    return int(rows[0][0]) if rows else 0
