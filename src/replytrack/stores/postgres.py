"""PostgresStore: for many inboxes, tenants and workers (``pip install 'replytrack[postgres]'``).

psycopg 3, one connection per store. Batches cost few round trips: lookups
pass every id in one array (``= ANY(%b)``), and the rows a batch inserts or
upserts in a table go in one ``INSERT ... SELECT FROM unnest(arrays)``, the
arrays sent in binary. Writers that deadlock or race on the same keys are
retried whole.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import attrs
import psycopg
import psycopg.errors

from replytrack.errors import StoreConnectionError, StoreError
from replytrack.stores._aggregates import DuplicateKey
from replytrack.stores._schema import VERSION_TABLE, migrate
from replytrack.stores._sql import RetryTransaction, SQLStore

__all__ = ["PostgresStore"]

T = TypeVar("T")
_ATTEMPTS = 8
_CHUNK = 20_000  # rows per bulk statement
_MIGRATION_LOCK = 0x7265706C79  # pg_advisory_xact_lock key: "reply"
_RETRY = (
    RetryTransaction,
    psycopg.errors.DeadlockDetected,
    psycopg.errors.SerializationFailure,
)


@functools.lru_cache(maxsize=256)
def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


@attrs.define(eq=False)
class _Tx:
    cur: psycopg.Cursor[tuple[Any, ...]]
    for_update: str = " FOR UPDATE"

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.cur.execute(_pg(sql), params)
        return self.cur.fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.cur.execute(_pg(sql), params)
        return max(self.cur.rowcount, 0)

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        self.cur.executemany(_pg(sql), rows)
        return max(self.cur.rowcount, 0)

    def in_list(self, values: Collection[Any]) -> tuple[str, Any]:
        return " = ANY(%b)", list(values)  # binary array: no text escaping

    def bulk(
        self, into: str, types: Sequence[str], rows: Sequence[Sequence[Any]], suffix: str
    ) -> int:
        count = 0
        for _ in self._unnest(into, types, rows, suffix):
            count += max(self.cur.rowcount, 0)
        return count

    def bulk_returning(
        self, into: str, types: Sequence[str], rows: Sequence[Sequence[Any]], suffix: str
    ) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        for _ in self._unnest(into, types, rows, suffix):
            out.extend(self.cur.fetchall())
        return out

    def _unnest(
        self, into: str, types: Sequence[str], rows: Sequence[Sequence[Any]], suffix: str
    ) -> Iterator[None]:
        """One ``INSERT ... SELECT FROM unnest(arrays)`` per chunk: a round trip each."""
        arrays = ", ".join(f"%b::{t}[]" for t in types)  # binary: no text escaping
        sql = f"INSERT INTO {into} SELECT * FROM unnest({arrays}) {suffix}"
        for start in range(0, len(rows), _CHUNK):
            columns = [list(c) for c in zip(*rows[start : start + _CHUNK], strict=True)]
            try:
                self.cur.execute(sql, columns)
            except psycopg.errors.UniqueViolation as exc:
                raise DuplicateKey(str(exc)) from exc
            yield


@attrs.define(eq=False)
class PostgresStore(SQLStore):
    """A Store in a PostgreSQL database (tables created, and migrated, on open).

    ``dsn`` is a libpq connection string or ``postgresql://`` URL. Close the
    store with :meth:`close` or use it as a context manager.
    """

    dsn: str = attrs.field(repr=False)
    connect_timeout: int = attrs.field(default=10, kw_only=True)
    #: statements run this often are prepared server-side; None never (PgBouncer < 1.21)
    prepare_threshold: int | None = attrs.field(default=5, kw_only=True)
    _conn: psycopg.Connection[tuple[Any, ...]] = attrs.field(init=False, repr=False)
    _lock: threading.RLock = attrs.field(init=False, factory=threading.RLock, repr=False)

    def __attrs_post_init__(self) -> None:
        try:
            self._conn = psycopg.connect(
                self.dsn,
                autocommit=True,
                connect_timeout=self.connect_timeout,
                prepare_threshold=self.prepare_threshold,
            )
        except psycopg.Error as exc:
            raise StoreConnectionError(f"cannot connect to PostgreSQL: {exc}") from exc
        try:
            self._transact(self._migrate)
        except BaseException:
            self._conn.close()
            raise

    def _migrate(self, tx: _Tx) -> None:
        tx.query("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
        found = 0
        if tx.query("SELECT to_regclass(?)", (VERSION_TABLE,))[0][0] is not None:
            rows = tx.query(f"SELECT version FROM {VERSION_TABLE}")
            found = int(rows[0][0]) if rows else 0
        migrate(tx, found, f"PostgreSQL database {self._conn.info.dbname!r}", sqlite=False)

    def _transact(self, work: Callable[[Any], T], *, write: bool = True) -> T:
        with self._lock:
            for attempt in range(_ATTEMPTS):
                try:
                    return self._once(work, write)
                except _RETRY as exc:
                    if attempt == _ATTEMPTS - 1:
                        raise StoreError(f"PostgreSQL: gave up after retries: {exc}") from exc
                except psycopg.OperationalError as exc:
                    if self._conn.closed or self._conn.broken:
                        raise StoreConnectionError(f"PostgreSQL: {exc}") from exc
                    raise StoreError(f"PostgreSQL: {exc}") from exc
                except psycopg.InterfaceError as exc:
                    raise StoreConnectionError(f"PostgreSQL: {exc}") from exc
                except psycopg.Error as exc:
                    raise StoreError(f"PostgreSQL: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, work: Callable[[Any], T], write: bool) -> T:
        if not write:  # one statement in autocommit: no BEGIN/COMMIT round trips
            with self._conn.cursor() as cur:
                return work(_Tx(cur))
        with self._conn.transaction(), self._conn.cursor() as cur:
            return work(_Tx(cur))
