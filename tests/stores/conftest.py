"""Fixtures for the SQL stores: a SQLite file per test, a PostgreSQL database per session.

PostgreSQL: the admin URL comes from ``REPLYTRACK_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``). Each session (each xdist worker)
creates its own database, named after the worker and process, and drops it at
the end. When the server cannot be reached the PostgreSQL tests are skipped,
unless ``CI`` is set: then they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from store_helpers import empty_postgres

from replytrack.stores.sqlite import SQLiteStore

ADMIN_URL = os.environ.get("REPLYTRACK_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _with_dbname(url: str, dbname: str) -> str:
    return urlsplit(url)._replace(path=f"/{dbname}").geturl()


@pytest.fixture(scope="session")
def pg_dsn(worker_id: str) -> Iterator[str]:
    """The DSN of a fresh database for this session, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    name = f"replytrack_test_{worker_id}_{os.getpid()}"
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL unreachable at {ADMIN_URL} and CI is set: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield _with_dbname(ADMIN_URL, name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "replies.db"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store of each SQL kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'replies.db'}"
    dsn: str = request.getfixturevalue("pg_dsn")
    empty_postgres(dsn).close()
    return dsn


@pytest.fixture
def sqlite_store(sqlite_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(sqlite_path) as store:
        yield store
