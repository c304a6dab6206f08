"""sync_all over many inboxes on one Dovecot: a bounded pool in one process, and two worker
processes sharing a SQLite file or a PostgreSQL database, where the per-inbox lease keeps
any inbox from being synced by both at once. (bench/bench_imap.py --inboxes 200 runs the
200-inbox variant.)"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from imap_helpers import SECRET
from imapclient import IMAPClient

from dovecot import Dovecot
from replytrack import Contact, Inbox, MarketingEmail, MemoryStore, ReplyTo, Tracker
from replytrack.protocols import SourceMessage, Store
from replytrack.sources.imap import ImapSource
from replytrack.stores import open_store
from replytrack.testing.factories import make_reply

INBOXES = 20
REPLIES = 3
PASSWORD = "many-inboxes-pass"


class Timed(ImapSource):
    """Records when each of its fetches ran, in this process."""

    runs: ClassVar[list[tuple[str, float, float, int]]] = []

    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        start = time.time()
        try:
            yield from super().fetch(after)
        finally:
            Timed.runs.append((self.inbox_id or "", start, time.time(), os.getpid()))


def source_for(server: Dovecot) -> Any:
    def make(inbox: Inbox) -> ImapSource:
        return Timed(
            host=server.host,
            port=server.port,
            username=inbox.id,
            password=PASSWORD,
            security="plain",
            inbox_id=inbox.id,
            timeout=10.0,
            backoff=0.05,
            batch_size=2,
        )

    return make


def tracker_on(store: Store) -> Tracker:
    return Tracker(store, secret=SECRET, domain="mail.example.com")


def many_inboxes(server: Dovecot, store: Store, count: int = INBOXES) -> list[str]:
    """``count`` connected inboxes, each a Dovecot user with a baseline, then REPLIES
    replies delivered to each; their ids."""
    tracker = tracker_on(store)
    now = datetime.now(UTC)
    prefix = uuid.uuid4().hex[:6]
    ids = [f"m{prefix}-{n:03d}" for n in range(count)]
    sources = source_for(server)
    mail: list[tuple[str, list[bytes]]] = []
    for inbox_id in ids:
        server.add_user(inbox_id, PASSWORD)
        address = f"{inbox_id}@example.com"
        inbox = Inbox(id=inbox_id, address=address)
        tracker.connect_inbox(inbox, connected_at=now - timedelta(hours=2))
        email = MarketingEmail(
            id=f"e-{inbox_id}",
            subject="Spring sale",
            from_address=address,
            reply_to=ReplyTo.inbox(address),
        )
        contacts = [
            Contact(id=f"{inbox_id}-c{k}", emails=(f"{inbox_id}-c{k}@example.org",))
            for k in range(REPLIES)
        ]
        sends = tracker.record_sends(email, contacts, sent_at=now - timedelta(hours=1))
        source = sources(tracker.store.get_inbox(tracker.tenant, inbox_id))
        store.set_cursor(tracker.tenant, source.key, source.baseline())
        mail.append((inbox_id, [make_reply(s, to=address) for s in sends]))
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda item: append(server, *item), mail))
    return ids


def append(server: Dovecot, user: str, messages: list[bytes]) -> None:
    """Deliver by IMAP APPEND, much faster than a doveadm process per message."""
    with IMAPClient(server.host, server.port, ssl=False, timeout=10) as client:
        client.login(user, PASSWORD)
        for raw in messages:
            client.append("INBOX", raw)


def check_counted_once(store: Store, ids: list[str]) -> None:
    tracker = tracker_on(store)
    for inbox_id in ids:
        assert tracker.report(f"e-{inbox_id}").replies == REPLIES


def test_sync_all_syncs_every_inbox_with_a_bounded_pool(dovecot: Dovecot) -> None:
    store = MemoryStore()
    ids = many_inboxes(dovecot, store)
    Timed.runs.clear()
    summary = tracker_on(store).sync_all(source_for(dovecot), pool=4)
    assert summary.synced == ids
    assert summary.failed == {}
    assert summary.skipped == {}
    check_counted_once(store, ids)
    # at most four inboxes were being read at any moment
    edges = sorted([(s, 1) for _, s, _, _ in Timed.runs] + [(e, -1) for _, _, e, _ in Timed.runs])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    assert 1 < peak <= 4
    again = tracker_on(store).sync_all(source_for(dovecot), pool=4)
    assert sum(r.summary.total for r in again.inboxes.values() if r.summary) == 0


def test_an_inbox_leased_by_another_worker_is_skipped_until_its_lease_expires(
    dovecot: Dovecot,
) -> None:
    store = MemoryStore()
    ids = many_inboxes(dovecot, store, count=2)
    now = datetime.now(UTC)
    assert store.acquire_lease(
        "default", f"sync:{ids[0]}", "dead-worker", now=now, expires_at=now + timedelta(seconds=1)
    )
    summary = tracker_on(store).sync_all(source_for(dovecot))
    assert summary.skipped == {ids[0]: "leased by another worker"}
    assert summary.synced == [ids[1]]
    time.sleep(1.1)  # the dead worker's lease runs out
    assert tracker_on(store).sync_all(source_for(dovecot)).synced == ids
    check_counted_once(store, ids)


def test_an_inbox_that_fails_is_reported_and_the_others_are_synced(dovecot: Dovecot) -> None:
    store = MemoryStore()
    ids = many_inboxes(dovecot, store, count=3)
    make = source_for(dovecot)

    def sources(inbox: Inbox) -> ImapSource:
        source = make(inbox)
        if inbox.id == ids[1]:
            source.password = "revoked-app-password"
        return source

    summary = tracker_on(store).sync_all(sources)
    assert summary.synced == [ids[0], ids[2]]
    assert list(summary.failed) == [ids[1]]
    assert "refused the password" in str(summary.failed[ids[1]])
    assert "revoked-app-password" not in str(summary.failed[ids[1]])


def _worker(url: str, server: Dovecot, ids: list[str], barrier: Any, results: Any) -> None:
    Timed.runs = []  # not those of the parent
    store = open_store(url)
    try:
        barrier.wait(timeout=30)
        summary = tracker_on(store).sync_all(source_for(server), inbox_ids=ids, pool=4)
        results.put((os.getpid(), summary.synced, dict(summary.skipped), Timed.runs))
    finally:
        store.close()


@pytest.mark.postgres
def test_two_worker_processes_never_sync_one_inbox_at_once(
    dovecot: Dovecot, store_url: str
) -> None:
    store = open_store(store_url)
    try:
        ids = many_inboxes(dovecot, store)
    finally:
        store.close()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_worker, args=(store_url, dovecot, ids, barrier, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    done = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    synced = {i for _, ids_synced, _, _ in done for i in ids_synced}
    assert synced == set(ids)  # every inbox synced, by one worker or the other
    skipped = sum(len(s) for _, _, s, _ in done)
    runs = sorted(run for _, _, _, worker_runs in done for run in worker_runs)
    twice = len(runs) - len(ids)
    assert skipped + twice >= 1  # the workers did meet on some inbox
    for before, after in itertools.pairwise(runs):
        if before[0] == after[0]:  # the same inbox read twice: one after the other
            assert after[1] >= before[2], f"{before[0]} read by two workers at once"
    store = open_store(store_url)
    try:
        check_counted_once(store, ids)
    finally:
        store.close()
