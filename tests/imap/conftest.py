"""Fixtures for the IMAP tests: one Dovecot per test session (per xdist worker), a new user
per test (see imap_helpers)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from imap_helpers import Mailbox, new_mailbox

from dovecot import Dovecot, running_dovecot


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="replytrack-imap-"))
    try:
        with running_dovecot(root) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:
    return new_mailbox(dovecot)


ADMIN_URL = os.environ.get("REPLYTRACK_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A schema of this session's own (one per xdist worker) in the server's database,
    dropped at the end: dropping a schema is quick, dropping a database checkpoints."""
    psycopg = pytest.importorskip("psycopg")
    name = f"replytrack_imap_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL unreachable at {ADMIN_URL} and CI is set: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE SCHEMA "{name}"')
        try:
            parts = urlsplit(ADMIN_URL)
            query = "&".join(filter(None, [parts.query, f"options=-csearch_path%3D{name}"]))
            yield parts._replace(query=query).geturl()
        finally:
            admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a store of each SQL kind: a new SQLite file, or the session's PostgreSQL
    database (tests keep apart by their own inbox and email ids)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'replies.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url
