"""A message that breaks ingest costs that message only: it is MALFORMED with the exception,
kept in the quarantine with its source position, and the batch and the mailbox go on."""

from __future__ import annotations

import builtins
import hashlib
import logging
import subprocess
import sys
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import pytest

from crashes import CRASHES, MARK, STEP_FUNCTIONS, crash_messages, inject_crashes
from replytrack import (
    Contact,
    Inbox,
    MarketingEmail,
    MemorySource,
    MemoryStore,
    Outcome,
    ReplyEvent,
    ReplyTo,
    Send,
    StoreError,
    Tracker,
    pipeline,
)
from replytrack.testing import make_reply

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SPRING = MarketingEmail(
    id="spring",
    subject="Spring sale",
    from_address="sales@example.com",
    reply_to=ReplyTo.inbox("sales@example.com"),
)
BOB = Contact(id="c1", emails=("bob@example.org",))


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def make_tracker(store: MemoryStore | None = None, clock: list[datetime] | None = None) -> Tracker:
    now = clock or [T0]
    tracker = Tracker(
        store or MemoryStore(), secret=b"s" * 32, domain="mail.example.com", clock=lambda: now[0]
    )
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), connected_at=T0)
    return tracker


def marked(send: Send, name: str) -> bytes:
    """A plain reply that raises only through :func:`crashes.inject_crashes`."""
    return make_reply(send, message_id=f"<crash-{name}@example.org>", headers={MARK: name})


def raised(reason: str) -> type[BaseException]:
    """The builtin exception class a reason starts with."""
    found = getattr(builtins, reason.partition(":")[0])
    assert isinstance(found, type)
    assert issubclass(found, BaseException)
    return found


def test_a_sync_counts_the_good_reply_quarantines_each_crash_and_moves_past_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inject_crashes(monkeypatch)
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    bad = crash_messages(send)
    source = MemorySource(key="sales-inbox")
    source.add(make_reply(send, body="Yes please, call me.\n"), at(2))
    for raw in bad.values():
        source.add(raw, at(3))

    summary = tracker.sync("sales", source, batch_size=3)  # crashes in every batch

    last = str(len(bad) + 1)
    assert summary.counts == {Outcome.REPLY: 1, Outcome.MALFORMED: len(bad)}
    assert summary.quarantined == tuple(str(n) for n in range(2, len(bad) + 2))
    assert summary.cursor == last
    assert tracker.store.get_cursor("default", "sales-inbox") == last
    assert tracker.report("spring").replies == 1
    kept = {q.position: q for q in tracker.quarantined()}
    assert len(kept) == len(bad)
    for position, (name, raw) in enumerate(bad.items(), start=2):
        item = kept[str(position)]
        assert issubclass(raised(item.reason), CRASHES[name][1]), (name, item.reason)
        assert item.traceback, name
        assert (item.inbox_id, item.source_key, item.received_at) == ("sales", "sales-inbox", at(3))
        assert (item.raw, item.size, item.complete) == (raw, len(raw), True)
        assert item.sha256 == hashlib.sha256(raw).hexdigest()

    again = tracker.sync("sales", source)
    assert (again.counts, again.cursor, again.quarantined) == ({}, last, ())
    assert tracker.quarantined() == sorted(kept.values(), key=lambda q: (q.received_at, q.id))
    assert tracker.report("spring").replies == 1


def test_every_step_that_reads_a_message_runs_under_the_guard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inject_crashes(monkeypatch)
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    names = list(CRASHES)
    good = make_reply(send, body="Count me.\n")
    results = tracker.ingest_many(
        "sales", [(marked(send, n), at(2)) for n in names] + [(good, at(2))]
    )
    assert [r.outcome for r in results] == [Outcome.MALFORMED] * len(names) + [Outcome.REPLY]
    steps = {CRASHES[n][0] for n in names}
    assert steps == {"scan", "classify", "correlate", "body", "snippet", "record"}
    for name, result in zip(names, results[:-1], strict=True):
        step, error = CRASHES[name]
        assert result.reason == f"{error.__name__}: injected at {step} for {name}"
        *_, step_function, innermost = result.traceback.split(" > ")
        assert step_function.endswith(f" {STEP_FUNCTIONS[step]}")
        assert innermost.endswith(" _crash")
        assert result.traceback.count(" > ") <= 7  # the innermost frames only
        assert (result.reply, result.match) == (None, None)
    kept = {q.id: q for q in tracker.quarantined()}
    assert {r.quarantine_id for r in results[:-1]} == set(kept)
    assert {q.position for q in kept.values()} == {None}
    assert tracker.report("spring").replies == 1


def test_a_quarantined_message_is_ingested_again_after_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inject_crashes(monkeypatch)
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    events: list[ReplyEvent] = []
    tracker.subscribe(events.append)
    failed = tracker.ingest("sales", marked(send, "idna-boundary-charset"), received_at=at(2))
    assert failed.outcome is Outcome.MALFORMED
    assert events == []

    monkeypatch.undo()  # the fix
    retried = tracker.retry_quarantined()

    assert list(retried) == [failed.quarantine_id]
    result = retried[failed.quarantine_id]
    assert result.outcome is Outcome.REPLY
    assert result.reply is not None
    assert result.reply.received_at == at(2)  # as when it first arrived
    assert [e.reply for e in events] == [result.reply]
    assert tracker.quarantined() == []
    assert tracker.report("spring").replies == 1
    assert tracker.retry_quarantined() == {}


def test_a_message_that_fails_again_stays_with_the_new_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inject_crashes(monkeypatch)
    clock = [T0]
    tracker = make_tracker(clock=clock)
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    first = tracker.ingest("sales", marked(send, "ooo-year-9999"), received_at=at(2))
    other = tracker.ingest("sales", marked(send, "html-lt-at-line-end"), received_at=at(2))

    def still_broken(msg: object, **_: object) -> object:
        raise LookupError("still broken")

    monkeypatch.setattr(pipeline, "classify", still_broken)
    clock[0] = at(30)
    retried = tracker.retry_quarantined(ids=[first.quarantine_id or ""])

    assert retried[first.quarantine_id or ""].reason == "LookupError: still broken"
    kept = {q.id: q for q in tracker.quarantined()}
    assert set(kept) == {first.quarantine_id, other.quarantine_id}  # one record per message
    assert kept[first.quarantine_id or ""].reason == "LookupError: still broken"
    assert kept[first.quarantine_id or ""].quarantined_at == at(30)
    assert kept[other.quarantine_id or ""].reason.startswith("IndexError: ")


def test_a_message_kept_only_in_part_is_not_retried() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    big = make_reply(send, body="x" * (pipeline.QUARANTINE_BYTES + 10))
    item = pipeline._quarantine_record(
        big,
        "sales",
        (None, None),
        at(2),
        at(2),
        pipeline.IngestResult(outcome=Outcome.MALFORMED, reason="MemoryError: too big"),
    )
    assert (len(item.raw), item.size, item.complete) == (pipeline.QUARANTINE_BYTES, len(big), False)
    assert item.sha256 == hashlib.sha256(big).hexdigest()
    tracker.store.add_quarantined("default", [item])
    assert tracker.retry_quarantined() == {}
    assert tracker.quarantined() == [item]


def test_unreadable_mail_is_quarantined_too_with_the_readers_own_words() -> None:
    tracker = make_tracker()
    result = tracker.ingest("sales", b"\r\nbody only", received_at=at(1))
    assert result.outcome is Outcome.MALFORMED
    assert result.reason == "no header fields found before the first empty line"
    [item] = tracker.quarantined()
    assert (item.id, item.raw, item.inbox_id) == (result.quarantine_id, b"\r\nbody only", "sales")
    assert tracker.quarantined(inbox_id="support") == []


def test_the_same_bad_message_read_again_keeps_one_record(monkeypatch: pytest.MonkeyPatch) -> None:
    inject_crashes(monkeypatch)
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = marked(send, "token-non-ascii")
    ids = {tracker.ingest("sales", raw, received_at=at(n)).quarantine_id for n in (2, 3)}
    assert len(ids) == 1
    [item] = tracker.quarantined()
    assert item.received_at == at(3)


class BrokenStore(MemoryStore):
    def get_sends(self, tenant: str, send_ids: Collection[str]) -> dict[str, Send]:
        raise StoreError("the database went away")


def test_a_store_error_is_the_stores_and_leaves_the_cursor_and_quarantine_alone() -> None:
    store = BrokenStore()
    tracker = make_tracker(store)
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    source = MemorySource(key="src")
    source.add(make_reply(send), at(2))
    with pytest.raises(StoreError, match="went away"):
        tracker.sync("sales", source)
    assert store.get_cursor("default", "src") is None
    assert tracker.quarantined() == []


def test_each_quarantined_message_is_logged_with_its_reason_and_position(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    inject_crashes(monkeypatch)
    caplog.set_level(logging.WARNING, logger="replytrack")
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    source = MemorySource(key="src")
    source.add(make_reply(send), at(2))
    source.add(marked(send, "ooo-naive-vs-aware"), at(2))
    tracker.sync("sales", source)
    lines = [r.getMessage() for r in caplog.records if r.name == "replytrack"]
    [item] = tracker.quarantined()
    assert any(item.id in line and "TypeError: injected" in line for line in lines)
    assert any("src quarantined 1 message(s), at 2" in line for line in lines)


def test_nothing_is_printed_when_the_application_configured_no_logging() -> None:
    code = (
        "from datetime import UTC, datetime\n"
        "from replytrack import Inbox, MemoryStore, Outcome, Tracker\n"
        "t = Tracker(MemoryStore(), secret=b's' * 32, domain='mail.example.com')\n"
        "t.connect_inbox(Inbox(id='sales', address='sales@example.com'))\n"
        "assert t.ingest('sales', b'\\r\\nno headers').outcome is Outcome.MALFORMED\n"
        "assert len(t.quarantined()) == 1\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_real_crash_messages_never_raise_out_of_ingest() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    for name, raw in crash_messages(send).items():
        result = tracker.ingest("sales", raw, received_at=at(2))
        if result.outcome is Outcome.MALFORMED:  # not fixed yet: kept, with the reason
            assert issubclass(raised(result.reason), CRASHES[name][1]), name
            assert result.quarantine_id in {q.id for q in tracker.quarantined()}


def test_a_long_exception_message_is_cut_to_a_bounded_reason() -> None:
    failure = pipeline._failure(ValueError("x" * 5000))
    assert len(failure.reason) == 1000
    assert failure.reason.startswith("ValueError: xxx")
    assert failure.reason.endswith("…")


def test_an_exception_whose_message_raises_still_gives_a_reason() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert pipeline._failure(Unprintable()).reason == (
        "Unprintable: (the message of the exception cannot be shown)"
    )
