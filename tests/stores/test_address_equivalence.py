"""Ingest applies the address equivalence rules of replytrack.addresses (Gmail dots, +tags,
googlemail.com; Microsoft plus-addressing) to the sender and to the receiving inbox, on
MemoryStore, SQLite and PostgreSQL; the plain comparison still decides first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_helpers import empty_postgres

from replytrack import (
    Contact,
    Inbox,
    MarketingEmail,
    MemoryStore,
    Outcome,
    ReplyTo,
    Send,
    Store,
    Tracker,
    _mailboxes,
)
from replytrack.stores.sqlite import SQLiteStore
from replytrack.testing import make_reply

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=2)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        sql: Store = SQLiteStore(tmp_path / "replies.db")
    else:
        sql = empty_postgres(request.getfixturevalue("pg_dsn"))
    try:
        yield sql
    finally:
        sql.close()


def tracker_with(store: Store, *inboxes: Inbox) -> Tracker:
    tracker = Tracker(store, secret=b"q" * 32, domain="mail.example.com", clock=lambda: T0)
    for inbox in inboxes:
        tracker.connect_inbox(inbox, connected_at=T0)
    return tracker


def send_to(tracker: Tracker, reply_to: str, *emails: str) -> Send:
    email = MarketingEmail(
        id="spring",
        subject="Spring sale",
        from_address=reply_to,
        reply_to=ReplyTo.inbox(reply_to),
    )
    return tracker.record_send(email, Contact(id="c1", emails=emails))


SALES = Inbox(id="sales", address="sales@example.com")


# -- the sender ------------------------------------------------------------------------------
def test_a_gmail_contact_replying_with_dots_a_tag_and_googlemail_is_a_reply(store: Store) -> None:
    tracker = tracker_with(store, SALES)
    send = send_to(tracker, "sales@example.com", "john@gmail.com")
    raw = make_reply(send, from_address="J.O.H.N+x@googlemail.com")
    result = tracker.ingest("sales", raw, received_at=LATER)
    assert result.outcome is Outcome.REPLY, result.reason
    assert result.reply is not None
    assert result.reply.contact_id == "c1"
    assert tracker.report("spring").repliers == 1


def test_any_address_of_the_contact_is_compared_by_its_provider_rules(store: Store) -> None:
    tracker = tracker_with(store, SALES)
    send = send_to(tracker, "sales@example.com", "bob@example.org", "ann.lee@outlook.com")
    raw = make_reply(send, from_address="Ann <Ann.Lee+crm@Outlook.com>")
    assert tracker.ingest("sales", raw, received_at=LATER).outcome is Outcome.REPLY


def test_dots_still_matter_on_a_domain_of_no_known_provider(store: Store) -> None:
    tracker = tracker_with(store, SALES)
    send = send_to(tracker, "sales@example.com", "bob@example.org")
    result = tracker.ingest(
        "sales", make_reply(send, from_address="b.o.b@example.org"), received_at=LATER
    )
    assert result.outcome is Outcome.WRONG_SENDER
    assert result.reason == "b.o.b@example.org is not an address of contact c1"
    other = tracker.ingest(
        "sales", make_reply(send, from_address="john@gmail.com"), received_at=LATER
    )
    assert other.outcome is Outcome.WRONG_SENDER


# -- the receiving inbox -----------------------------------------------------------------------
def test_mail_to_a_gmail_inbox_plus_address_finds_the_inbox(store: Store) -> None:
    jane = Inbox(id="jane", address="jane.doe@gmail.com")
    tracker = tracker_with(store, SALES, jane)
    send = send_to(tracker, "jane.doe@gmail.com", "bob@example.org")
    raw = make_reply(send, to="Jane <janedoe+crm@googlemail.com>")
    result = tracker.ingest(None, raw, received_at=LATER)
    assert result.outcome is Outcome.REPLY, result.reason
    assert result.reply is not None
    assert result.reply.inbox_id == "jane"


def test_a_workspace_inbox_plus_address_finds_it_only_with_its_provider(store: Store) -> None:
    hosted = Inbox(id="sales", address="sales@example.com", provider="gmail")
    tracker = tracker_with(store, hosted)
    send = send_to(tracker, "sales@example.com", "bob@example.org")
    raw = make_reply(send, to="sales+promo@example.com")
    assert tracker.ingest(None, raw, received_at=LATER).outcome is Outcome.REPLY

    plain = tracker_with(MemoryStore(), SALES)
    send = send_to(plain, "sales@example.com", "bob@example.org")
    result = plain.ingest(None, make_reply(send, to="sales+promo@example.com"), received_at=LATER)
    assert result.outcome is Outcome.UNKNOWN_INBOX  # no provider named: '+' is part of the name


def test_an_alias_plus_address_finds_its_inbox(store: Store) -> None:
    team = Inbox(id="team", address="team@outlook.com", aliases=("hello@outlook.com",))
    tracker = tracker_with(store, team)
    send = send_to(tracker, "team@outlook.com", "bob@example.org")
    raw = make_reply(send, to="hello+web@outlook.com")
    result = tracker.ingest(None, raw, received_at=LATER)
    assert result.reply is not None
    assert result.reply.inbox_id == "team"


def test_delivered_to_as_the_provider_spells_it_wins_over_a_later_to(store: Store) -> None:
    jane = Inbox(id="jane", address="jane@gmail.com")
    tracker = tracker_with(store, SALES, jane)
    send = send_to(tracker, "jane@gmail.com", "bob@example.org")
    raw = make_reply(send, to="sales@example.com", headers={"Delivered-To": "ja.ne+x@gmail.com"})
    result = tracker.ingest(None, raw, received_at=LATER)
    assert result.reply is not None
    assert result.reply.inbox_id == "jane"


# -- the cost ----------------------------------------------------------------------------------
def test_mail_addressed_as_written_computes_no_provider_spelling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tracker = tracker_with(MemoryStore(), SALES)
    send = send_to(tracker, "sales@example.com", "bob@example.org")
    computed: list[str] = []
    real = _mailboxes._key

    def counting(address: str, provider: object = None) -> str | None:
        computed.append(address)
        return real(address, provider)  # type: ignore[arg-type]

    monkeypatch.setattr(_mailboxes, "_key", counting)
    assert tracker.ingest(None, make_reply(send), received_at=LATER).outcome is Outcome.REPLY
    assert computed == []
    raw = make_reply(send, from_address="bob+x@example.org", to="sales+x@example.com")
    tracker.ingest(None, raw, received_at=LATER)
    assert computed  # a miss asks for the provider's spelling
