"""Defects found by review, each checked on MemoryStore, SQLite and PostgreSQL.

A bounce of a later message in a thread, times in a daylight-saving fold, a threadless
reply-all reaching two inboxes, and reply events on reclassify.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

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
    Store,
    Tracker,
)
from replytrack.stores.sqlite import SQLiteStore
from replytrack.testing import make_message, make_reply

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SPRING = MarketingEmail(
    id="spring",
    subject="Spring sale",
    from_address="sales@example.com",
    reply_to=ReplyTo.inbox("sales@example.com"),
)
BOB = Contact(id="bob", emails=("bob@example.org",))


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


def tracker_on(store: Store) -> Tracker:
    tracker = Tracker(store, secret=b"r" * 32, domain="mail.example.com", clock=lambda: T0)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), T0)
    return tracker


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


# -- a bounce of a later message in the thread -----------------------------------------
def dsn(returned_headers: str, **top: str) -> bytes:
    """A Postfix-style delivery failure for carol, returning ``returned_headers``."""
    headers = "".join(f"{name}: {value}\r\n" for name, value in top.items())
    return (
        "Return-Path: <>\r\n"
        "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n"
        "To: sales@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        f"Message-ID: <dsn-{abs(hash(returned_headers + headers))}@mx.example.com>\r\n"
        f"{headers}"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n"
        "--b1\r\nContent-Type: text/plain\r\n\r\n"
        "Your message could not be delivered to carol@example.net.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        "Final-Recipient: rfc822; carol@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"{returned_headers}"
        "--b1--\r\n"
    ).encode()


def test_a_bounce_of_the_reps_later_reply_all_leaves_the_campaign_send_delivered(
    store: Store,
) -> None:
    tracker = tracker_on(store)
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    bobs = make_reply(send, message_id="<bob-1@example.org>")
    assert tracker.ingest("sales", bobs, received_at=at(2)).outcome is Outcome.REPLY
    # Weeks later the rep answers Bob and Carol; Carol's address bounces. The returned
    # headers thread on the campaign send; a second server also copies them on top.
    returned = (
        "From: sales@example.com\r\nTo: bob@example.org, carol@example.net\r\n"
        "Subject: Re: Spring sale\r\nMessage-ID: <rep-1@example.com>\r\n"
        "In-Reply-To: <bob-1@example.org>\r\n"
        f"References: {send.message_id}\r\n <bob-1@example.org>\r\n"
    )
    copied = {"References": f"{send.message_id} <bob-1@example.org>"}
    for bounce in (dsn(returned), dsn(returned, **copied)):
        result = tracker.ingest("sales", bounce, received_at=at(24 * 20))
        assert result.outcome is Outcome.NOT_A_REPLY, result.reason
    report = tracker.report("spring")
    assert (report.bounced, report.delivered, report.replies) == (0, 1, 1)
    assert report.reply_rate == 1.0


def test_a_bounce_of_the_campaign_send_itself_still_counts_even_when_the_esp_rewrote_its_id(
    store: Store,
) -> None:
    tracker = tracker_on(store)
    ann, bob = Contact(id="ann", emails=("ann@example.org",)), BOB
    ours, rewritten = tracker.record_sends(SPRING, [ann, bob], sent_at=at(1))
    own_id = f"Message-ID: {ours.message_id}\r\nReferences: {ours.message_id}\r\n"
    esp_id = f"Message-ID: <0100-esp@amazonses.com>\r\nReferences: {rewritten.message_id}\r\n"
    for returned in (own_id, esp_id):
        result = tracker.ingest("sales", dsn(returned), received_at=at(2))
        assert result.outcome is Outcome.AUTOMATIC, result.reason
    assert tracker.report("spring").bounced == 2


def test_a_bounce_threads_on_its_direct_parent_only(store: Store) -> None:
    tracker = tracker_on(store)
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    chain = f"{send.message_id} <bob-1@example.org>"
    later = dsn("Subject: Re: Spring sale\r\n", References=chain)
    assert tracker.ingest("sales", later, received_at=at(3)).outcome is Outcome.NOT_A_REPLY
    direct = dsn("Subject: Spring sale\r\n", **{"In-Reply-To": send.message_id})
    assert tracker.ingest("sales", direct, received_at=at(3)).outcome is Outcome.AUTOMATIC
    assert tracker.report("spring").bounced == 1


def test_an_out_of_office_answering_a_later_message_still_threads_on_the_campaign_send(
    store: Store,
) -> None:
    tracker = tracker_on(store)
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    ooo = make_message(
        subject="Automatic reply: Re: Spring sale",
        in_reply_to="<rep-1@example.com>",
        references=f"{send.message_id} <bob-1@example.org> <rep-1@example.com>",
        headers={"Auto-Submitted": "auto-replied"},
        body="I am out of the office until Monday.\n",
    )
    result = tracker.ingest("sales", ooo, received_at=at(3))
    assert result.outcome is Outcome.AUTOMATIC
    assert result.match is not None
    assert result.match.send.id == send.id


# -- a daylight-saving fold ---------------------------------------------------------
NEW_YORK = ZoneInfo("America/New_York")  # 2026-11-01: 01:00-02:00 happens twice


def new_york(hour: int, minute: int, *, fold: int = 0) -> datetime:
    return datetime(2026, 11, 1, hour, minute, tzinfo=NEW_YORK, fold=fold)


def test_replies_in_a_daylight_saving_fold_count_and_order_alike_on_every_store(
    store: Store,
) -> None:
    tracker = tracker_on(store)
    ann = Contact(id="ann", emails=("ann@example.org",))
    # 01:30 EDT is 05:30 UTC; 01:10 in the repeated hour (EST) is 06:10 UTC, later.
    late_send = tracker.record_send(SPRING, ann, sent_at=new_york(1, 30))
    after = tracker.ingest("sales", make_reply(late_send), received_at=new_york(1, 10, fold=1))
    assert after.outcome is Outcome.REPLY, after.reason
    assert after.reply is not None
    assert after.reply.received_at == datetime(2026, 11, 1, 6, 10, tzinfo=UTC)
    # Bob replies at 01:50 EDT (05:50 UTC), then at 01:10 EST (06:10 UTC).
    send = tracker.record_send(SPRING, BOB, sent_at=new_york(0, 30))
    for received in (new_york(1, 50), new_york(1, 10, fold=1)):
        assert tracker.ingest("sales", make_reply(send), received_at=received).outcome is (
            Outcome.REPLY
        )
    props = tracker.contact_properties("bob")
    assert props.first_reply_at == datetime(2026, 11, 1, 5, 50, tzinfo=UTC)
    assert props.last_reply_at == datetime(2026, 11, 1, 6, 10, tzinfo=UTC)
    assert props.first_reply_at.utcoffset() == timedelta(0)
    assert [r.received_at.hour for r in tracker.replies("spring")] == [6, 6, 5]


def test_every_instant_is_kept_in_utc_and_a_naive_one_is_refused(store: Store) -> None:
    tracker = tracker_on(store)
    send = tracker.record_send(SPRING, BOB, sent_at=new_york(1, 10, fold=1))
    assert send.sent_at == datetime(2026, 11, 1, 6, 10, tzinfo=UTC)
    assert send.sent_at.tzinfo is UTC
    stored = store.get_sends(tracker.tenant, [send.id])[send.id]
    assert (stored.sent_at, stored.sent_at.utcoffset()) == (send.sent_at, timedelta(0))
    inbox = tracker.connect_inbox(
        Inbox(id="team", address="team@example.com"), new_york(1, 5, fold=1)
    )
    assert inbox.connected_at == datetime(2026, 11, 1, 6, 5, tzinfo=UTC)
    with pytest.raises(ConfigurationError, match="sent_at must be timezone-aware"):
        tracker.record_send(SPRING, BOB, sent_at=datetime(2026, 11, 1, 1, 10))


# -- a threadless reply-all reaching two connected inboxes ---------------------------
SPRING_TEAM = MarketingEmail(
    id="spring-team",
    subject="Spring sale",  # the same subject, another Reply-To
    from_address="sales@example.com",
    reply_to=ReplyTo.inbox("support@example.com"),
)


def reply_all(delivered_to: str) -> bytes:
    """Bob's threadless answer to both emails, as delivered to one of the two inboxes."""
    return make_message(
        subject="Re: Spring sale",
        to="sales@example.com",
        message_id="<bob-all@example.org>",
        headers={"Cc": "support@example.com", "Delivered-To": delivered_to},
    )


def test_a_threadless_reply_all_reaching_two_inboxes_counts_once(store: Store) -> None:
    tracker = tracker_on(store)
    tracker.connect_inbox(Inbox(id="support", address="support@example.com"), T0)
    first = tracker.record_send(SPRING, BOB, sent_at=at(1))
    tracker.record_send(SPRING_TEAM, BOB, sent_at=at(2))
    sales = tracker.ingest("sales", reply_all("sales@example.com"), received_at=at(3))
    support = tracker.ingest("support", reply_all("support@example.com"), received_at=at(4))
    assert (sales.outcome, support.outcome) == (Outcome.REPLY, Outcome.DUPLICATE)
    assert "another send of contact bob" in support.reason
    assert [r.send_id for r in tracker.replies("spring")] == [first.id]
    assert tracker.replies("spring-team") == []
    overall = tracker.report()
    assert (overall.replies, overall.repliers, overall.fallback_matches) == (1, 1, 1)
    assert tracker.contact_properties("bob").emails_replied == 1


def test_a_threadless_reply_all_in_one_batch_counts_once_for_its_first_copy(store: Store) -> None:
    tracker = tracker_on(store)
    tracker.connect_inbox(Inbox(id="support", address="support@example.com"), T0)
    tracker.record_send(SPRING, BOB, sent_at=at(1))
    team = tracker.record_send(SPRING_TEAM, BOB, sent_at=at(2))
    copies = [(reply_all(f"{name}@example.com"), at(3)) for name in ("support", "sales")]
    results = tracker.ingest_many(None, copies)
    assert [r.outcome for r in results] == [Outcome.REPLY, Outcome.DUPLICATE]
    assert [r.send_id for r in store.list_replies(tracker.tenant)] == [team.id]
    assert tracker.report().replies == 1


# -- reply events on reclassify --------------------------------------------------------
def test_reclassifying_back_and_forth_announces_a_reply_once_and_every_change(
    store: Store,
) -> None:
    tracker = tracker_on(store)
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    seen: list[tuple[str, str | None, str]] = []

    def listen(event: ReplyEvent) -> None:
        old = event.old_kind.value if event.old_kind else None
        seen.append((event.name, old, event.new_kind.value))

    tracker.subscribe(listen)
    ooo = make_reply(send, headers={"Auto-Submitted": "auto-replied"}, body="I am away.\n")
    stored = tracker.ingest("sales", ooo, received_at=at(2)).reply
    assert stored is not None
    assert seen == [("reply.automatic", None, "auto_reply")]  # announced, never counted
    seen.clear()
    human, auto = MessageKind.HUMAN, MessageKind.AUTO_REPLY
    tracker.reclassify(stored.key, human)
    tracker.reclassify(stored.key, auto)
    tracker.reclassify(stored.key, auto)  # no change: no event
    # a tracker in another process (over the same store) knows it was announced
    again = Tracker(store, secret=b"r" * 32, domain="mail.example.com", clock=lambda: T0)
    again.subscribe(listen)
    again.reclassify(stored.key, human)
    assert seen == [
        ("reply.reclassified", "auto_reply", "human"),
        ("reply.received", None, "human"),
        ("reply.reclassified", "human", "auto_reply"),
        ("reply.reclassified", "auto_reply", "human"),
    ]
    assert [e.snippet for e in tracker.timeline("bob")] == ["I am away."]


def test_a_human_reply_announced_at_ingest_is_never_announced_again(store: Store) -> None:
    tracker = tracker_on(store)
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    names: list[str] = []
    tracker.subscribe(lambda event: names.append(event.name))
    stored = tracker.ingest("sales", make_reply(send), received_at=at(2)).reply
    assert stored is not None
    tracker.reclassify(stored.key, MessageKind.BULK)
    assert tracker.contact_properties("bob").replied is False
    tracker.reclassify(stored.key, MessageKind.HUMAN)
    assert names == ["reply.received", "reply.reclassified", "reply.reclassified"]
    assert tracker.contact_properties("bob").replied is True
