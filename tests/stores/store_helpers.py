"""Helpers for tests/stores (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING

from replytrack import Contact, Inbox, MarketingEmail, ReplyTo, Store, Tracker
from replytrack.stores import open_store
from replytrack.stores._aggregates import Deltas, Tx
from replytrack.stores.sqlite import SQLiteStore
from replytrack.testing import make_reply

if TYPE_CHECKING:
    from multiprocessing.synchronize import Barrier as BarrierType
    from multiprocessing.synchronize import Event as EventType

    from replytrack.stores.postgres import PostgresStore

TABLES = (
    "inboxes, emails, contacts, sends, message_ids, replies, email_counters, reply_pairs,"
    " bounced_sends, contact_stats, cursors, quarantine, fallback_claims, leases"
)


def empty_postgres(dsn: str) -> PostgresStore:
    """A PostgresStore on ``dsn`` with every table emptied."""
    from replytrack.stores.postgres import PostgresStore

    store = PostgresStore(dsn)
    store._conn.execute(f"TRUNCATE {TABLES}")
    return store


class ThrowawaySQLiteStore(SQLiteStore):
    """A store in its own temporary directory, removed on close."""

    def close(self) -> None:
        super().close()
        shutil.rmtree(self.path.parent, ignore_errors=True)


def throwaway_sqlite() -> SQLiteStore:
    return ThrowawaySQLiteStore(Path(tempfile.mkdtemp(prefix="replytrack-sm-")) / "sm.db")


# -- real processes ---------------------------------------------------------------
SECRET = b"replytrack-test-secret-0123456789abcdef"
DOMAIN = "mail.example.com"
TENANT = "acme"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RECEIVED = T0 + timedelta(hours=2)


def make_tracker(store: Store, tenant: str = TENANT) -> Tracker:
    return Tracker(
        store, secret=SECRET, domain=DOMAIN, tenant=tenant, clock=lambda: T0 + timedelta(days=1)
    )


def seed(url: str, count: int, tenant: str = TENANT, domain: str = "example.org") -> list[bytes]:
    """Record ``count`` sends to ``c{n}@{domain}``; one reply message per send."""
    store = open_store(url)
    try:
        tracker = make_tracker(store, tenant)
        tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), connected_at=T0)
        email = MarketingEmail(
            id="spring",
            subject="Spring sale",
            from_address="sales@example.com",
            reply_to=ReplyTo.inbox("sales@example.com"),
        )
        contacts = [Contact(id=f"c{n}", emails=(f"c{n}@{domain}",)) for n in range(count)]
        sends = tracker.record_sends(email, contacts, sent_at=T0)
        dated = format_datetime(RECEIVED)  # for messages ingested without a time
        return [
            make_reply(s, message_id=f"<r{n}@example.org>", date=dated) for n, s in enumerate(sends)
        ]
    finally:
        _close(store)


def ingest(url: str, messages: list[bytes], batch_size: int) -> dict[str, int]:
    """Ingest ``messages`` into the store at ``url``; outcomes counted by name."""
    store = open_store(url)
    try:
        results = make_tracker(store).ingest_many(
            "sales", [(m, RECEIVED) for m in messages], batch_size=batch_size
        )
    finally:
        _close(store)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
    return counts


def ingest_worker(
    url: str, messages: list[bytes], start: BarrierType, out: str, batch_size: int
) -> None:
    """Child process: wait until every child is ready, ingest, write the outcome counts."""
    start.wait(60)
    Path(out).write_text(json.dumps(ingest(url, messages, batch_size)))


def hanging_worker(url: str, messages: list[bytes], batch: int, inside: EventType) -> None:
    """Child process: ingest, and hang inside the transaction of batch number ``batch``."""
    applied = 0
    original = Deltas.apply

    def apply(self: Deltas, tx: Tx, tenant: str) -> None:
        nonlocal applied
        original(self, tx, tenant)
        applied += 1
        if applied == batch:  # rows and counters written, not committed: wait to be killed
            inside.set()
            time.sleep(120)

    Deltas.apply = apply  # type: ignore[method-assign]
    ingest(url, messages, batch_size=50)


def _close(store: Store) -> None:
    close = getattr(store, "close", None)
    if callable(close):
        close()
