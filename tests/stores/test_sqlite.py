"""SQLiteStore passes the shipped contract and the state machine against MemoryStore."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from store_helpers import throwaway_sqlite

from replytrack.stores.sqlite import SQLiteStore
from replytrack.testing import StoreContract, store_state_machine


class TestSQLiteStore(StoreContract):
    @pytest.fixture
    def store(self, sqlite_store: SQLiteStore) -> SQLiteStore:
        return sqlite_store


TestSQLiteStoreMachine = store_state_machine(throwaway_sqlite).TestCase
TestSQLiteStoreMachine.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_the_database_is_one_file_in_wal_mode(sqlite_path: Path) -> None:
    with SQLiteStore(sqlite_path) as store:
        store.set_cursor("acme", "src", "1")
    conn = sqlite3.connect(sqlite_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        conn.close()
