"""Migrations on open, refusal of a newer schema, open_store URLs and the missing-driver hint."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from pathlib import Path

import attrs
import pytest

from replytrack import (
    ConfigurationError,
    Contact,
    Inbox,
    MarketingEmail,
    MemoryStore,
    MissingDriverError,
    Reply,
    SchemaVersionError,
    Send,
)
from replytrack.stores import _rows, open_store
from replytrack.stores._schema import SCHEMA_VERSION, VERSION_TABLE
from replytrack.stores.sqlite import SQLiteStore


def _version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()[0])
    finally:
        conn.close()


def test_a_new_sqlite_file_is_created_at_the_current_schema_version(sqlite_path: Path) -> None:
    SQLiteStore(sqlite_path).close()
    SQLiteStore(sqlite_path).close()  # opening again migrates nothing
    assert _version(sqlite_path) == SCHEMA_VERSION


def test_a_sqlite_file_written_by_a_newer_replytrack_is_refused_and_left_untouched(
    sqlite_path: Path,
) -> None:
    with SQLiteStore(sqlite_path) as store:
        store.set_cursor("acme", "src", "7")
    conn = sqlite3.connect(sqlite_path)
    try:
        conn.execute(f"UPDATE {VERSION_TABLE} SET version = ?", (SCHEMA_VERSION + 1,))
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    before = hashlib.sha256(sqlite_path.read_bytes()).hexdigest()
    with pytest.raises(SchemaVersionError, match="upgrade replytrack"):
        SQLiteStore(sqlite_path)
    assert hashlib.sha256(sqlite_path.read_bytes()).hexdigest() == before
    assert _version(sqlite_path) == SCHEMA_VERSION + 1


@pytest.mark.postgres
def test_a_postgres_database_written_by_a_newer_replytrack_is_refused(pg_dsn: str) -> None:
    from replytrack.stores.postgres import PostgresStore

    store = PostgresStore(pg_dsn)
    try:
        store._conn.execute(f"UPDATE {VERSION_TABLE} SET version = %s", (SCHEMA_VERSION + 1,))
        with pytest.raises(SchemaVersionError):
            PostgresStore(pg_dsn)
        version = store._conn.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()
        assert version == (SCHEMA_VERSION + 1,)
    finally:
        store._conn.execute(f"UPDATE {VERSION_TABLE} SET version = %s", (SCHEMA_VERSION,))
        store.close()


def test_memory_urls_open_a_memory_store() -> None:
    assert isinstance(open_store("memory://"), MemoryStore)


def test_sqlite_urls_with_four_slashes_are_absolute_paths(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        assert isinstance(store, SQLiteStore)
        assert store.path == tmp_path / "a.db"
    finally:
        store.close()
    assert (tmp_path / "a.db").is_file()


def test_sqlite_urls_with_three_slashes_are_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    open_store("sqlite:///relative.db").close()  # type: ignore[attr-defined]
    assert (tmp_path / "relative.db").is_file()


@pytest.mark.postgres
def test_postgresql_urls_open_a_postgres_store(pg_dsn: str) -> None:
    from replytrack.stores.postgres import PostgresStore

    store = open_store(pg_dsn)
    try:
        assert isinstance(store, PostgresStore)
        assert store.get_cursor("acme", "nothing") is None
    finally:
        store.close()


@pytest.mark.parametrize("url", ["redis://localhost", "replies.db", "sqlite://"])
def test_an_unknown_or_incomplete_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="sqlite:///"):
        open_store(url)


def test_a_missing_postgres_driver_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "replytrack.stores.postgres", raising=False)
    with pytest.raises(MissingDriverError, match=r"pip install 'replytrack\[postgres\]'"):
        open_store("postgresql://localhost/db")


@pytest.mark.parametrize(
    ("model", "columns"),
    [
        (Inbox, _rows.INBOX_COLUMNS),
        (Send, _rows.SEND_COLUMNS),
        (Reply, _rows.REPLY_COLUMNS),
        (Contact, _rows.CONTACT_COLUMNS),
        (MarketingEmail, _rows.EMAIL_COLUMNS.replace("reply_to_mode", "reply_to")),
    ],
    ids=lambda value: getattr(value, "__name__", "columns"),
)
def test_every_field_of_the_records_has_a_column(model: type, columns: str) -> None:
    stored = {c.strip() for c in columns.split(",")}
    assert {f.alias for f in attrs.fields(model)} - stored == set()  # as __init__ names them
