"""What a CRM expects of the Tracker (issue 12), on MemoryStore, SQLite and PostgreSQL:
inboxes listed and fetched, an event for each new automatic mail tied to a send, and
delivery recorded from the sending service's webhook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from store_helpers import empty_postgres

from replytrack import (
    ConfigurationError,
    Contact,
    DeliveryStatus,
    Inbox,
    MarketingEmail,
    MemoryStore,
    MessageKind,
    NotFoundError,
    Outcome,
    ReplyEvent,
    ReplyTo,
    Send,
    Store,
    Tracker,
    UnknownInboxError,
)
from replytrack.stores.sqlite import SQLiteStore
from replytrack.testing import make_reply

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SPRING = MarketingEmail(
    id="spring",
    subject="Spring sale",
    from_address="sales@example.com",
    reply_to=ReplyTo.inbox("sales@example.com"),
)
PEOPLE = [Contact(id=cid, emails=(f"{cid}@example.org",)) for cid in ("bob", "carol", "dave")]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def tracker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tracker]:
    """A tracker on an empty store of each kind, with the 'sales' inbox connected."""
    store: Store
    if request.param == "memory":
        store = MemoryStore()
    elif request.param == "sqlite":
        store = SQLiteStore(tmp_path / "replies.db")
    else:
        store = empty_postgres(request.getfixturevalue("pg_dsn"))
    engine = Tracker(store, secret=b"c" * 32, domain="mail.example.com", clock=lambda: T0)
    engine.connect_inbox(Inbox(id="sales", address="sales@example.com"), connected_at=T0)
    try:
        yield engine
    finally:
        store.close()


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


# -- list_inboxes / get_inbox ---------------------------------------------------------
def test_inboxes_are_listed_by_id_and_fetched_with_their_periods(tracker: Tracker) -> None:
    tracker.connect_inbox(Inbox(id="ann", address="ann@example.com"), connected_at=at(1))
    tracker.disconnect_inbox("ann", at(2))
    assert [inbox.id for inbox in tracker.list_inboxes()] == ["ann", "sales"]
    ann = tracker.get_inbox("ann")
    assert (ann.address, ann.periods) == ("ann@example.com", ((at(1), at(2)),))
    assert tracker.get_inbox("sales").is_connected_at(at(5))


def test_an_unknown_inbox_raises_not_found_naming_the_known_ones(tracker: Tracker) -> None:
    with pytest.raises(UnknownInboxError, match=r"inbox 'sale' .*\(known: sales\)"):
        tracker.get_inbox("sale")
    with pytest.raises(NotFoundError):
        tracker.get_inbox("")


def test_inboxes_of_another_tenant_are_not_listed(tracker: Tracker) -> None:
    other = Tracker(tracker.store, secret=b"c" * 32, domain="mail.example.com", tenant="globex")
    assert other.list_inboxes() == []
    with pytest.raises(UnknownInboxError):
        other.get_inbox("sales")


# -- reply.automatic events -----------------------------------------------------------
def bounce_of(send: Send) -> bytes:
    """A delivery failure (5.1.1, hard) returning ``send``'s headers."""
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
        f"From: sales@example.com\r\nTo: {send.address}\r\nMessage-ID: {send.message_id}\r\n"
        "Subject: Spring sale\r\n"
        "--b1--\r\n"
    ).encode()


def test_a_bounce_and_an_out_of_office_each_publish_one_automatic_event(
    tracker: Tracker,
) -> None:
    bob, carol, dave = tracker.record_sends(SPRING, PEOPLE, sent_at=at(1))
    events: list[ReplyEvent] = []
    tracker.subscribe(events.append)
    bounced = tracker.ingest("sales", bounce_of(bob), received_at=at(2))
    away = make_reply(
        carol,
        headers={"Auto-Submitted": "auto-replied"},
        subject="Out of office",
        body="I am out of the office until 16 March 2026 with no access to email.\n",
    )
    ooo = tracker.ingest("sales", away, received_at=at(3))
    human = tracker.ingest("sales", make_reply(dave), received_at=at(4))
    assert [r.outcome for r in (bounced, ooo, human)] == [
        Outcome.AUTOMATIC,
        Outcome.AUTOMATIC,
        Outcome.REPLY,
    ]
    assert [(e.name, e.reply.contact_id) for e in events] == [
        ("reply.automatic", "bob"),
        ("reply.automatic", "carol"),
        ("reply.received", "dave"),
    ]
    bounce, out = events[0], events[1]
    assert (bounce.reply.kind, bounce.reply.subtype, bounce.return_date) == (
        MessageKind.BOUNCE,
        "hard",
        None,
    )
    assert bounce.reply == bounced.reply
    assert bounce.tenant == "default"
    assert out.reply.kind is MessageKind.AUTO_REPLY
    assert out.reply.subtype == "out_of_office"
    assert out.return_date == date(2026, 3, 16)


def test_a_duplicate_automatic_message_publishes_nothing(tracker: Tracker) -> None:
    (bob,) = tracker.record_sends(SPRING, PEOPLE[:1], sent_at=at(1))
    assert tracker.ingest("sales", bounce_of(bob), received_at=at(2)).outcome is Outcome.AUTOMATIC
    events: list[ReplyEvent] = []
    tracker.subscribe(events.append)
    again = tracker.ingest_many("sales", [(bounce_of(bob), at(2)), (bounce_of(bob), at(3))])
    assert [r.outcome for r in again] == [Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert events == []


def test_a_failing_subscriber_to_automatic_mail_is_reported_and_the_record_kept(
    tracker: Tracker,
) -> None:
    (bob,) = tracker.record_sends(SPRING, PEOPLE[:1], sent_at=at(1))

    def broken(event: ReplyEvent) -> None:
        raise RuntimeError("workflow down")

    tracker.subscribe(broken)
    result = tracker.ingest("sales", bounce_of(bob), received_at=at(2))
    assert result.outcome is Outcome.AUTOMATIC
    assert [e.event.name for e in result.subscriber_errors] == ["reply.automatic"]
    assert tracker.report("spring").bounced == 1


# -- record_delivery ------------------------------------------------------------------
def delivery(tracker: Tracker) -> tuple[int, int, int]:
    report = tracker.report("spring")
    return (report.sent, report.bounced, report.delivered)


def test_a_webhook_hard_bounce_counts_against_delivery_once_however_often_it_comes(
    tracker: Tracker,
) -> None:
    bob, carol, dave = tracker.record_sends(SPRING, PEOPLE, sent_at=at(1))
    assert tracker.record_delivery(bob.id, "bounced").delivery is DeliveryStatus.BOUNCED
    tracker.record_delivery(bob.id, DeliveryStatus.BOUNCED)
    tracker.record_delivery(carol.id, "delivered")
    tracker.record_delivery(carol.id, "complained")
    tracker.record_delivery(dave.id, "soft_bounced")
    assert delivery(tracker) == (3, 1, 2)
    human = tracker.ingest("sales", make_reply(carol), received_at=at(2))
    assert human.outcome is Outcome.REPLY
    assert tracker.report("spring").reply_rate == 0.5


def test_a_hard_bounce_stands_against_later_statuses_unless_overridden(
    tracker: Tracker,
) -> None:
    (bob,) = tracker.record_sends(SPRING, PEOPLE[:1], sent_at=at(1))
    tracker.record_delivery(bob.id, "bounced")
    late = tracker.record_delivery(bob.id, "delivered")  # out of order: the bounce stands
    assert late.delivery is DeliveryStatus.BOUNCED
    assert delivery(tracker) == (1, 1, 0)
    fixed = tracker.record_delivery(bob.id, "delivered", override=True)
    assert fixed.delivery is DeliveryStatus.DELIVERED
    assert delivery(tracker) == (1, 0, 1)


def test_a_send_bounced_by_webhook_and_by_bounce_message_counts_once(tracker: Tracker) -> None:
    (bob,) = tracker.record_sends(SPRING, PEOPLE[:1], sent_at=at(1))
    tracker.record_delivery(bob.id, "bounced")
    assert tracker.ingest("sales", bounce_of(bob), received_at=at(2)).outcome is Outcome.AUTOMATIC
    assert delivery(tracker) == (1, 1, 0)


def test_an_unknown_send_or_status_is_refused_and_changes_nothing(tracker: Tracker) -> None:
    (bob,) = tracker.record_sends(SPRING, PEOPLE[:1], sent_at=at(1))
    with pytest.raises(NotFoundError, match="no send 'nope'"):
        tracker.record_delivery("nope", "bounced")
    for wrong in ("hard", "sent", DeliveryStatus.SENT, None):
        with pytest.raises(ConfigurationError, match="a delivery status is one of"):
            tracker.record_delivery(bob.id, wrong)  # type: ignore[arg-type]
    assert delivery(tracker) == (1, 0, 1)


# -- contact_properties_many ----------------------------------------------------------
def test_properties_of_many_contacts_equal_each_ones_in_the_order_given(
    tracker: Tracker,
) -> None:
    _, carol, _ = tracker.record_sends(SPRING, PEOPLE, sent_at=at(1))
    tracker.ingest("sales", make_reply(carol), received_at=at(2))
    tracker.ingest("sales", make_reply(carol, body="And another thing.\n"), received_at=at(3))
    many = tracker.contact_properties_many(["dave", "carol", "bob", "carol"])
    assert list(many) == ["dave", "carol", "bob"]
    assert many == {c: tracker.contact_properties(c) for c in ("dave", "carol", "bob")}
    assert (many["carol"].reply_count, many["carol"].first_reply_at) == (2, at(2))
    assert not many["bob"].replied
    assert tracker.contact_properties_many([]) == {}


def test_one_unknown_contact_among_many_raises_with_the_closest_id(tracker: Tracker) -> None:
    tracker.record_sends(SPRING, PEOPLE, sent_at=at(1))
    with pytest.raises(NotFoundError, match=r"no contact 'carl' .*did you mean 'carol'"):
        tracker.contact_properties_many(["bob", "carl", "zed"])
