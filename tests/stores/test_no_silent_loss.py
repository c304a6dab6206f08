"""Issue 12, silent loss or wrong numbers, through the Tracker on MemoryStore, SQLite and
PostgreSQL: inboxes keep every connected period, mail ingested without a time takes the
message's own, record_sends is idempotent, a bounce of an untracked send counts, and a
reclassification that does not fit changes nothing."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import attrs
import pytest
from store_helpers import empty_postgres

from replytrack import (
    ConfigurationError,
    Contact,
    Inbox,
    MarketingEmail,
    MemoryStore,
    MessageKind,
    Outcome,
    ReplyEvent,
    ReplyTo,
    ReplytrackError,
    Send,
    Store,
    Tracker,
    UnknownInboxError,
)
from replytrack.sources import MemorySource
from replytrack.stores import open_store
from replytrack.stores._rows import micros
from replytrack.stores._schema import MIGRATIONS, VERSION_TABLE
from replytrack.stores.sqlite import SQLiteStore
from replytrack.testing import make_reply

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SPRING = MarketingEmail(
    id="spring",
    subject="Spring sale",
    from_address="sales@example.com",
    reply_to=ReplyTo.inbox("sales@example.com"),
)
PEOPLE = [Contact(id=f"c{n}", emails=(f"c{n}@example.org",)) for n in range(3)]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind."""
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        sql: SQLiteStore = SQLiteStore(tmp_path / "replies.db")
    else:
        sql = empty_postgres(request.getfixturevalue("pg_dsn"))  # type: ignore[assignment]
    try:
        yield sql
    finally:
        sql.close()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def tracker_on(store: Store, clock: Clock | None = None) -> Tracker:
    return Tracker(store, secret=b"r" * 32, domain="mail.example.com", clock=clock or Clock())


def received(send: Send, when: datetime, **options: str) -> bytes:
    """A reply to ``send`` whose newest Received field says it arrived ``when``; its Date
    (the sender's clock) is an hour earlier."""
    stamp = format_datetime(when)
    reply = make_reply(send, date=format_datetime(when - timedelta(hours=1)), **options)
    return (
        f"Received: from mx.example.org (mx.example.org [192.0.2.1])\r\n"
        f"\tby mail.example.com with ESMTPS id 4Tq; {stamp}\r\n"
        f"Received: from laptop by mx.example.org; {format_datetime(when - timedelta(days=3))}\r\n"
    ).encode() + reply


# -- 1. inboxes keep every connected period -------------------------------------------
def test_connecting_an_inbox_again_keeps_its_start_and_the_mail_waiting_in_it_counts(
    store: Store,
) -> None:
    clock = Clock()
    tracker = tracker_on(store, clock)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), T0)
    send = tracker.record_send(SPRING, PEOPLE[0], sent_at=at(1))
    clock.now = at(5)  # re-authorised, an alias added: connected again, no date given
    again = tracker.connect_inbox(
        Inbox(id="sales", address="sales@example.com", aliases=("hello@example.com",))
    )
    assert again.periods == ((T0, None),)
    stored = store.get_inbox("default", "sales")
    assert stored == again
    assert stored.aliases == ("hello@example.com",)  # type: ignore[union-attr]
    result = tracker.ingest("sales", make_reply(send), received_at=at(2))
    assert result.outcome is Outcome.REPLY


def test_a_reconnected_inbox_keeps_its_first_period_and_mail_from_it_counts_later(
    store: Store,
) -> None:
    clock = Clock()
    tracker = tracker_on(store, clock)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), T0)
    send = tracker.record_send(SPRING, PEOPLE[0], sent_at=at(1))
    tracker.disconnect_inbox("sales", at(3))
    clock.now = at(10)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"))
    periods = ((T0, at(3)), (at(10), None))
    assert tracker_on(store).store.get_inbox("default", "sales").periods == periods  # type: ignore[union-attr]
    during = tracker.ingest("sales", make_reply(send), received_at=at(2))
    assert during.outcome is Outcome.REPLY
    gap = tracker.ingest("sales", make_reply(send), received_at=at(4))
    assert gap.outcome is Outcome.BEFORE_TRACKING
    assert gap.reason == (
        "received 2026-03-01T13:00:00+00:00 (as given) while inbox sales was not connected"
        " (connected 2026-03-01T09:00:00+00:00 to 2026-03-01T12:00:00+00:00,"
        " from 2026-03-01T19:00:00+00:00 on)"
    )
    assert tracker.report("spring").replies == 1


def test_connect_inbox_honours_the_inbox_own_date_and_an_explicit_one_wins(
    store: Store,
) -> None:
    tracker = tracker_on(store)
    own = tracker.connect_inbox(Inbox(id="a", address="a@example.com", connected_at=at(-24)))
    assert own.periods == ((at(-24), None),)
    explicit = tracker.connect_inbox(
        Inbox(id="b", address="b@example.com", connected_at=at(-24)), connected_at=at(-48)
    )
    assert explicit.periods == ((at(-48), None),)
    assert store.get_inbox("default", "a") == own
    assert store.get_inbox("default", "b") == explicit


def test_update_inbox_changes_the_settings_and_never_the_periods(store: Store) -> None:
    tracker = tracker_on(store)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), T0)
    tracker.disconnect_inbox("sales", at(3))
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), at(6))
    periods = ((T0, at(3)), (at(6), None))
    updated = tracker.update_inbox(
        Inbox(id="sales", address="sales@example.com", provider="gmail", aliases=("x@example.com",))
    )
    assert (updated.periods, updated.provider) == (periods, "gmail")
    assert store.get_inbox("default", "sales") == updated
    with pytest.raises(ConfigurationError, match="update_inbox changes settings only"):
        tracker.update_inbox(Inbox(id="sales", address="sales@example.com", connected_at=at(9)))
    with pytest.raises(UnknownInboxError):
        tracker.update_inbox(Inbox(id="nope", address="nope@example.com"))
    assert store.get_inbox("default", "sales") == updated


def test_disconnecting_twice_keeps_the_first_end_and_an_end_before_the_start_is_refused(
    store: Store,
) -> None:
    tracker = tracker_on(store)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), T0)
    with pytest.raises(ConfigurationError, match="before inbox 'sales' was connected"):
        tracker.disconnect_inbox("sales", at(-1))
    first = tracker.disconnect_inbox("sales", at(2))
    assert tracker.disconnect_inbox("sales", at(5)) == first
    assert store.get_inbox("default", "sales").periods == ((T0, at(2)),)  # type: ignore[union-attr]


# -- 2. mail ingested without a time takes the message's own --------------------------
def test_a_reply_ingested_without_a_time_takes_its_newest_received_header(
    store: Store,
) -> None:
    clock = Clock()
    tracker = tracker_on(store, clock)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), T0)
    send = tracker.record_send(SPRING, PEOPLE[0], sent_at=at(1))
    clock.now = at(240)  # ingested ten days later
    result = tracker.ingest("sales", received(send, at(2)))
    assert (result.outcome, result.received_from) == (Outcome.REPLY, "received-header")
    assert result.received_at == result.reply.received_at == at(2)  # type: ignore[union-attr]
    properties = tracker.contact_properties("c0")
    assert properties.first_reply_at == properties.last_reply_at == at(2)


def test_the_readme_ingest_no_longer_counts_a_reply_that_arrived_while_not_connected(
    store: Store,
) -> None:
    clock = Clock()
    tracker = tracker_on(store, clock)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), T0)
    send = tracker.record_send(SPRING, PEOPLE[0], sent_at=at(1))
    tracker.disconnect_inbox("sales", at(2))
    clock.now = at(30)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"))
    result = tracker.ingest("sales", received(send, at(3)))  # as in the README: no time
    assert (result.outcome, result.received_from) == (Outcome.BEFORE_TRACKING, "received-header")
    assert result.reason.startswith(
        "received 2026-03-01T12:00:00+00:00 (by its newest Received header) while inbox sales"
    )
    assert tracker.report("spring").replies == 0


def test_a_sync_of_mail_without_times_reads_them_from_each_message(store: Store) -> None:
    clock = Clock()
    tracker = tracker_on(store, clock)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), T0)
    sends = tracker.record_sends(SPRING, PEOPLE, sent_at=at(1))
    clock.now = at(100)
    source = MemorySource()
    source.add(received(sends[0], at(2)))
    source.add(make_reply(sends[1], date=format_datetime(at(3))))  # no Received: its Date
    source.add(make_reply(sends[2], date="yesterday, probably"))  # nothing readable: the clock
    summary = tracker.sync("sales", source)
    assert summary.counts == {Outcome.REPLY: 3}
    times = {r.contact_id: r.received_at for r in tracker.replies("spring")}
    assert times == {"c0": at(2), "c1": at(3), "c2": at(100)}


# -- 4. record_sends is idempotent --------------------------------------------------------
def test_retrying_record_sends_returns_the_first_sends_and_counts_them_once(
    store: Store,
) -> None:
    clock = Clock()
    tracker = tracker_on(store, clock)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), T0)
    first = tracker.record_sends(SPRING, PEOPLE, sent_at=at(1))
    clock.now = at(1.1)  # the CRM timed out and retries
    retry = tracker.record_sends(SPRING, PEOPLE)
    assert retry == first
    assert [s.headers["Message-ID"] for s in retry] == [s.headers["Message-ID"] for s in first]
    assert [s.idempotency_key for s in first] == ["contact:c0", "contact:c1", "contact:c2"]
    tracker.ingest("sales", make_reply(first[0]), received_at=at(2))
    report = tracker.report("spring")
    assert (report.sent, report.repliers, report.reply_rate) == (3, 1, 1 / 3)


def test_the_crms_own_send_ids_are_the_keys_and_a_resend_is_a_new_send(store: Store) -> None:
    tracker = tracker_on(store)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), T0)
    ann = PEOPLE[0]
    first = tracker.record_send(SPRING, ann, sent_at=at(1), key="crm-send-1")
    assert tracker.record_send(SPRING, ann, sent_at=at(2), key="crm-send-1") == first
    second = tracker.record_send(SPRING, ann, sent_at=at(3), key="crm-send-2")
    resent = tracker.record_send(SPRING, ann, sent_at=at(4), resend=True)
    again = tracker.record_send(SPRING, ann, sent_at=at(5), resend=True)
    assert len({first.id, second.id, resent.id, again.id}) == 4
    assert (resent.idempotency_key, again.idempotency_key) == (None, None)
    default = tracker.record_send(SPRING, ann, sent_at=at(6))
    assert tracker.record_send(SPRING, ann, sent_at=at(7)) == default
    assert tracker.report("spring").sent == 5


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"keys": ["k1"]}, r"one key per contact \(3\), got list of 1"),
        ({"keys": "k1k2k3"}, "one key per contact"),
        ({"keys": ["k1", "", "k3"]}, r"keys\[1\] must be a non-empty str"),
        ({"keys": ["k1", "contact:c9", "k3"]}, r"keys\[1\] 'contact:c9' starts with 'contact:'"),
        ({"keys": ["k1", "k2", "k3"], "resend": True}, "not both"),
    ],
)
def test_keys_that_cannot_work_are_refused_before_anything_is_recorded(
    store: Store, options: dict[str, object], message: str
) -> None:
    tracker = tracker_on(store)
    with pytest.raises(ConfigurationError, match=message):
        tracker.record_sends(SPRING, PEOPLE, sent_at=at(1), **options)  # type: ignore[arg-type]
    assert tracker.report().sent == 0


def _record_in_a_process(url: str, start: object, out: str) -> None:
    """Child process: wait for the other one, then record the campaign's sends."""
    store = open_store(url)
    try:
        start.wait(60)  # type: ignore[attr-defined]
        sends = tracker_on(store).record_sends(SPRING, PEOPLE, sent_at=at(1))
        Path(out).write_text(" ".join(s.id for s in sends))
    finally:
        store.close()  # type: ignore[attr-defined]


def test_two_processes_retrying_at_once_record_each_send_once(
    store_url: str, tmp_path: Path
) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    outs = [str(tmp_path / f"out{n}") for n in range(2)]
    children = [
        context.Process(target=_record_in_a_process, args=(store_url, start, out)) for out in outs
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    assert [c.exitcode for c in children] == [0, 0]
    first, second = (Path(out).read_text() for out in outs)
    assert first == second
    store = open_store(store_url)
    try:
        assert tracker_on(store).report("spring").sent == 3
    finally:
        store.close()  # type: ignore[attr-defined]


# -- 5. a bounce of an untracked send counts against delivery -------------------------
def bounce_of(send: Send) -> bytes:
    """A delivery failure returning ``send``'s headers."""
    return (
        "Return-Path: <>\r\n"
        "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\n"
        "To: sales@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        f"Message-ID: <dsn-{send.id}@mx.example.org>\r\n"
        "Date: Sun, 01 Mar 2026 12:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n"
        "--b1\r\nContent-Type: text/plain\r\n\r\n"
        f"Your message could not be delivered to {send.address}.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {send.address}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: news@example.com\r\nTo: {send.address}\r\nMessage-ID: {send.message_id}\r\n"
        "Subject: Autumn sale\r\n"
        "--b1--\r\n"
    ).encode()


def test_a_bounce_of_an_untracked_send_counts_against_delivery(store: Store) -> None:
    tracker = tracker_on(store)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), T0)
    autumn = MarketingEmail(
        id="autumn",
        subject="Autumn sale",
        from_address="news@example.com",
        reply_to=ReplyTo.inbox("nobody-watches@example.com"),
    )
    bounced, replied = tracker.record_sends(autumn, PEOPLE[:2], sent_at=at(1))
    assert not bounced.tracked
    result = tracker.ingest("sales", bounce_of(bounced), received_at=at(2))
    assert result.outcome is Outcome.AUTOMATIC
    assert result.reply is not None
    assert (result.reply.kind, result.reply.subtype) == (MessageKind.BOUNCE, "hard")
    human = tracker.ingest("sales", make_reply(replied), received_at=at(3))
    assert human.outcome is Outcome.UNTRACKED  # a human reply to it is still not counted
    report = tracker.report("autumn")
    assert (report.sent, report.untracked, report.bounced, report.delivered) == (2, 2, 1, 1)
    assert (report.replies, report.reply_rate) == (0, 0.0)


# -- 7. a reclassification that does not fit changes nothing --------------------------
@pytest.mark.parametrize(
    ("kind", "subtype", "message"),
    [
        ("bounce", None, r"kind must be a MessageKind, got str 'bounce' \(MessageKind\('bounce'\)"),
        (MessageKind.BOUNCE, "out_of_office", "'out_of_office' is a subtype of AUTO_REPLY"),
        (MessageKind.HUMAN, "hard", "HUMAN takes no subtype"),
    ],
)
def test_reclassify_refuses_what_does_not_fit_before_anything_changes(
    store: Store, kind: object, subtype: object, message: str
) -> None:
    tracker = tracker_on(store)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), T0)
    send = tracker.record_send(SPRING, PEOPLE[0], sent_at=at(1))
    reply = tracker.ingest("sales", make_reply(send), received_at=at(2)).reply
    assert reply is not None
    heard: list[ReplyEvent] = []
    tracker.subscribe(heard.append)
    before = tracker.report()
    with pytest.raises(ReplytrackError, match=message):
        tracker.reclassify(reply.key, kind, subtype)  # type: ignore[arg-type]
    assert heard == []
    assert tracker.report() == before
    assert tracker.report("spring").replies == 1
    assert tracker.replies("spring") == [reply]
    moved = tracker.reclassify(reply.key, MessageKind.AUTO_REPLY, "out_of_office")
    assert (moved.kind, moved.subtype) == (MessageKind.AUTO_REPLY, "out_of_office")
    assert tracker.report().replies == 0


def test_an_inbox_with_periods_round_trips_through_attrs_evolve_unchanged() -> None:
    inbox = Inbox(id="s", address="s@example.com", periods=[(T0, at(1)), (at(2), None)])
    assert attrs.evolve(inbox, aliases=("t@example.com",)).periods == inbox.periods
    assert attrs.evolve(inbox, disconnected_at=at(3)).periods == ((T0, at(1)), (at(2), at(3)))
    assert (inbox.connected_at, inbox.disconnected_at) == (at(2), None)


# -- the migration: inboxes and sends stored before schema version 6 -------------------
def _database_at_version_5(execute: Callable[..., object], *, sqlite: bool) -> None:
    """The tables as replytrack wrote them before inbox periods and send keys, with rows."""
    execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)")
    execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (5)")
    suffix = "WITHOUT ROWID" if sqlite else ""
    for migration in MIGRATIONS[:5]:
        for sql in migration:
            execute(sql.format(without_rowid=suffix))
    start, end = micros(T0), micros(at(3))
    inbox = f"INSERT INTO inboxes VALUES ({', '.join(['?'] * 11)})"
    execute(
        inbox,
        ("acme", "gone", "gone@example.com", "team", None, "[]", start, end, None, "[]", "[]"),
    )
    execute(
        inbox,
        ("acme", "open", "open@example.com", "team", None, "[]", start, None, None, "[]", "[]"),
    )
    execute(
        inbox,
        ("acme", "never", "never@example.com", "team", None, "[]", None, None, None, "[]", "[]"),
    )
    send = f"INSERT INTO sends VALUES ({', '.join(['?'] * 13)})"
    for send_id, hours in (("s1", 1), ("s2", 2)):  # two sends of spring to c0: a resend
        execute(send, ("acme", send_id, "spring", "c0", "c0@example.org", f"<{send_id}@x>",
                       micros(at(hours)), "sales@example.com", "sales", True, None, "sent", None))  # fmt: skip


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_inboxes_and_sends_stored_before_version_6_keep_their_period_and_get_keys(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "sqlite":
        path = tmp_path / "v5.db"
        conn = sqlite3.connect(path)  # "with" would commit but never close it
        try:
            with conn:
                _database_at_version_5(conn.execute, sqlite=True)
        finally:
            conn.close()
        url = f"sqlite:///{path}"
    else:
        psycopg = pytest.importorskip("psycopg")
        dsn: str = request.getfixturevalue("pg_dsn")
        schema = f"v5_{abs(hash(str(tmp_path))) % 10**9}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
            conn.execute(f"SET search_path TO {schema}")
            _database_at_version_5(
                lambda sql, params=(): conn.execute(sql.replace("?", "%s"), params), sqlite=False
            )
        url = f"{dsn}?options=-csearch_path%3D{schema}"
    store = open_store(url)
    try:
        assert store.get_inbox("acme", "gone").periods == ((T0, at(3)),)  # type: ignore[union-attr]
        assert store.get_inbox("acme", "open").periods == ((T0, None),)  # type: ignore[union-attr]
        assert store.get_inbox("acme", "never").periods == ()  # type: ignore[union-attr]
        sends = store.get_sends("acme", ["s1", "s2"])
        assert (sends["s1"].idempotency_key, sends["s2"].idempotency_key) == ("contact:c0", None)
        tracker = Tracker(store, secret=b"r" * 32, domain="mail.example.com", tenant="acme")
        [again] = tracker.record_sends(SPRING, [PEOPLE[0]], sent_at=at(9))
        assert again == sends["s1"]  # the first send of the pair, recorded before the upgrade
        assert len(store.list_sends("acme", email_id="spring")) == 2  # type: ignore[attr-defined]
    finally:
        store.close()  # type: ignore[attr-defined]
