"""ingest_many and sync with ``workers`` > 1: forked processes, one store, the same counts."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from store_helpers import RECEIVED, TENANT, make_tracker, seed

from replytrack import ConfigurationError, Inbox, ReplyEvent, StoreError
from replytrack.pipeline import Pipeline
from replytrack.sources import MemorySource
from replytrack.stores import MemoryStore, open_store
from replytrack.testing import make_message
from replytrack.tracker import Outcome

COUNT = 300


def _mixed(messages: list[bytes]) -> list[bytes]:
    """Every reply, 30 of them twice, a stranger's mail and an unreadable one, shuffled."""
    extra = [
        *messages[:30],
        make_message(from_address="x@elsewhere.org", message_id="<stranger@elsewhere.org>"),
        b"\r\n\r\nno headers at all",
    ]
    mixed = messages + extra
    random.Random(7).shuffle(mixed)
    return mixed


def test_two_workers_store_and_report_what_one_process_would(store_url: str) -> None:
    mixed = _mixed(seed(store_url, COUNT))
    store = open_store(store_url)
    tracker = make_tracker(store)
    events: list[tuple[int, ReplyEvent]] = []
    tracker.subscribe(lambda event: events.append((os.getpid(), event)))
    try:
        results = tracker.ingest_many(
            "sales", [(m, RECEIVED) for m in mixed], batch_size=25, workers=2
        )
        assert len(results) == len(mixed)
        outcomes = Counter(r.outcome for r in results)
        assert outcomes == {
            Outcome.REPLY: COUNT,
            Outcome.DUPLICATE: 30,
            Outcome.NOT_A_REPLY: 1,
            Outcome.MALFORMED: 1,
        }
        # results come back in the order the messages went in
        assert results[mixed.index(b"\r\n\r\nno headers at all")].outcome is Outcome.MALFORMED
        stranger = next(i for i, m in enumerate(mixed) if b"stranger@" in m)
        assert results[stranger].outcome is Outcome.NOT_A_REPLY
        # events are published here, once per new reply, not in the workers
        assert {pid for pid, _ in events} == {os.getpid()}
        keys = [event.reply.key for _, event in events]
        assert len(keys) == len(set(keys)) == COUNT
        report = tracker.report("spring")
        assert (report.replies, report.repliers, report.sent) == (COUNT, COUNT, COUNT)
    finally:
        store.close()  # type: ignore[attr-defined]


def test_a_sync_with_workers_saves_the_cursor_past_every_batch_and_resumes_with_nothing(
    store_url: str,
) -> None:
    messages = seed(store_url, 120)
    source = MemorySource(messages=[(m, RECEIVED) for m in messages])
    store = open_store(store_url)
    tracker = make_tracker(store)
    try:
        first = tracker.sync("sales", source, batch_size=10, workers=2)
        assert (first.counts, first.cursor) == ({Outcome.REPLY: 120}, "120")
        assert store.get_cursor(TENANT, source.key) == "120"
        source.add(messages[0], RECEIVED)  # one message arrives again
        again = tracker.sync("sales", source, batch_size=10, workers=2)
        assert (again.counts, again.cursor) == ({Outcome.DUPLICATE: 1}, "121")
        assert tracker.report().replies == 120
    finally:
        store.close()  # type: ignore[attr-defined]


def test_messages_from_an_iterator_are_sent_to_the_workers_batch_by_batch(store_url: str) -> None:
    messages = seed(store_url, 50)
    store = open_store(store_url)
    tracker = make_tracker(store)
    try:
        results = tracker.ingest_many("sales", iter(messages), batch_size=7, workers=2)
        assert [r.outcome for r in results] == [Outcome.REPLY] * 50
        assert [r.reply.contact_id for r in results if r.reply] == [f"c{n}" for n in range(50)]
    finally:
        store.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("workers", [0, -1])
def test_fewer_than_one_worker_is_refused(workers: int) -> None:
    tracker = make_tracker(MemoryStore())
    with pytest.raises(ConfigurationError, match=f"workers must be at least 1, got {workers}"):
        tracker.ingest_many(None, [b"Subject: x\r\n\r\nhi"], workers=workers)


def test_workers_over_a_store_only_one_process_can_open_are_refused() -> None:
    tracker = make_tracker(MemoryStore())
    with pytest.raises(ConfigurationError, match=r"MemoryStore has no reopen\(\)"):
        tracker.ingest_many(None, [b"Subject: x\r\n\r\nhi"], workers=2)


def test_a_worker_that_fails_stops_the_sync_before_its_batch_and_a_rerun_counts_once(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = seed(store_url, 120)
    source = MemorySource(messages=[(m, RECEIVED) for m in messages])
    poisoned = messages[65]
    original = Pipeline.run

    def run(
        self: Pipeline, inbox: Inbox | None, batch: Sequence[tuple[bytes, Any]], *rest: Any
    ) -> Any:
        if any(raw == poisoned for raw, _ in batch):
            raise StoreError("the disk is full")
        return original(self, inbox, batch, *rest)

    monkeypatch.setattr(Pipeline, "run", run)  # the forked workers inherit it
    store = open_store(store_url)
    tracker = make_tracker(store)
    try:
        with pytest.raises(StoreError, match="the disk is full"):
            tracker.sync("sales", source, batch_size=10, workers=2)
        saved = int(store.get_cursor(TENANT, source.key) or 0)
        assert saved <= 60  # never past the batch that failed
        monkeypatch.setattr(Pipeline, "run", original)
        rerun = tracker.sync("sales", source, batch_size=10, workers=2)
        assert rerun.total == 120 - saved
        assert set(rerun.counts) <= {Outcome.REPLY, Outcome.DUPLICATE}
        report = tracker.report()
        assert (report.replies, report.repliers) == (120, 120)
    finally:
        store.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("source", ["list", "iterator"])
def test_a_message_listed_twice_is_first_stored_from_its_first_copy_as_in_one_process(
    store_url: str, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    messages = seed(store_url, 40)
    twice = messages[5]
    later = RECEIVED + timedelta(hours=3)
    listed = [(m, RECEIVED) for m in messages]
    listed.insert(15, (twice, later))  # the second copy, in the next batch
    original = Pipeline.run

    def run(self: Pipeline, inbox: Inbox | None, batch: Sequence[Any], *rest: Any) -> Any:
        if (twice, RECEIVED) in batch:
            time.sleep(0.5)  # the batch of the first copy ends last
        return original(self, inbox, batch, *rest)

    monkeypatch.setattr(Pipeline, "run", run)  # the forked workers inherit it
    store = open_store(store_url)
    tracker = make_tracker(store)
    events: list[ReplyEvent] = []
    tracker.subscribe(events.append)
    try:
        given = listed if source == "list" else iter(listed)
        results = tracker.ingest_many("sales", given, batch_size=10, workers=2)
        assert (results[5].outcome, results[15].outcome) == (Outcome.REPLY, Outcome.DUPLICATE)
        first = results[5].reply
        assert first is not None
        assert first.received_at == RECEIVED
        stored = store.list_replies(TENANT, contact_id=first.contact_id)
        assert [r.received_at for r in stored] == [RECEIVED]
        props = store.contact_properties(TENANT, first.contact_id)
        assert props.first_reply_at == props.last_reply_at == RECEIVED
        announced = [e.reply for e in events if e.reply.key == first.key]
        assert [r.received_at for r in announced] == [RECEIVED]
        assert Counter(r.outcome for r in results) == {Outcome.REPLY: 40, Outcome.DUPLICATE: 1}
    finally:
        store.close()  # type: ignore[attr-defined]
