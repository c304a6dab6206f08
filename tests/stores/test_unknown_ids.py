"""An email or contact id that does not exist raises NotFoundError with "did you mean", on
MemoryStore, SQLite and PostgreSQL; a contact that exists but never replied gets zeros."""

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
    NotFoundError,
    ReplyTo,
    Store,
    Tracker,
)
from replytrack._arguments import MAX_SUGGESTION_IDS, closest_id
from replytrack.stores.sqlite import SQLiteStore
from replytrack.testing import make_reply

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def email(email_id: str) -> MarketingEmail:
    return MarketingEmail(
        id=email_id,
        subject="Spring sale",
        from_address="sales@example.com",
        reply_to=ReplyTo.inbox("sales@example.com"),
    )


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def tracker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tracker]:
    """A tracker on an empty store of each kind, with two emails sent to three contacts;
    bob replied to spring-launch."""
    store: Store
    if request.param == "memory":
        store = MemoryStore()
    elif request.param == "sqlite":
        store = SQLiteStore(tmp_path / "replies.db")
    else:
        store = empty_postgres(request.getfixturevalue("pg_dsn"))
    engine = Tracker(store, secret=b"u" * 32, domain="mail.example.com", clock=lambda: T0)
    engine.connect_inbox(Inbox(id="sales", address="sales@example.com"), connected_at=T0)
    contacts = [Contact(id=cid, emails=(f"{cid}@example.org",)) for cid in ("bob", "carol", "dave")]
    sends = engine.record_sends(email("spring-launch"), contacts)
    engine.record_sends(email("autumn-promo"), contacts[:1])
    engine.ingest("sales", make_reply(sends[0]), received_at=T0 + timedelta(hours=1))
    try:
        yield engine
    finally:
        store.close()


def test_a_report_of_an_unknown_email_raises_with_the_closest_id(tracker: Tracker) -> None:
    with pytest.raises(NotFoundError) as caught:
        tracker.report("spring-lanch")
    assert str(caught.value) == (
        "no email 'spring-lanch' in tenant 'default'; did you mean 'spring-launch'?"
    )


def test_replies_of_an_unknown_email_raise_and_a_different_case_is_suggested(
    tracker: Tracker,
) -> None:
    with pytest.raises(NotFoundError, match="did you mean 'spring-launch'"):
        tracker.replies("Spring-Launch")


def test_an_id_nothing_resembles_raises_without_a_suggestion(tracker: Tracker) -> None:
    with pytest.raises(NotFoundError) as caught:
        tracker.report("typo")
    assert str(caught.value) == "no email 'typo' in tenant 'default'"
    with pytest.raises(NotFoundError) as caught:
        tracker.contact_properties("who")
    assert str(caught.value) == "no contact 'who' in tenant 'default'"


def test_properties_and_timeline_of_an_unknown_contact_raise_with_the_closest_id(
    tracker: Tracker,
) -> None:
    with pytest.raises(NotFoundError) as caught:
        tracker.contact_properties("carl")
    assert str(caught.value) == "no contact 'carl' in tenant 'default'; did you mean 'carol'?"
    with pytest.raises(NotFoundError, match=r"no contact 'bobb' .* did you mean 'bob'"):
        tracker.timeline("bobb")


def test_ids_of_another_tenant_are_unknown_here(tracker: Tracker) -> None:
    other = Tracker(tracker.store, secret=b"u" * 32, domain="mail.example.com", tenant="globex")
    with pytest.raises(NotFoundError, match=r"no email 'spring-launch' in tenant 'globex'$"):
        other.report("spring-launch")
    with pytest.raises(NotFoundError, match=r"no contact 'bob' in tenant 'globex'$"):
        other.contact_properties("bob")


def test_known_ids_still_report_and_a_contact_who_never_replied_gets_zeros(
    tracker: Tracker,
) -> None:
    assert tracker.report("spring-launch").replies == 1
    assert tracker.report("autumn-promo").replies == 0
    assert tracker.report().sent == 4  # no id: every email
    assert [r.contact_id for r in tracker.replies("spring-launch")] == ["bob"]
    assert tracker.contact_properties("bob").reply_count == 1
    quiet = tracker.contact_properties("carol")
    assert (quiet.replied, quiet.reply_count, quiet.first_reply_at) == (False, 0, None)
    assert tracker.timeline("carol") == []


def test_the_suggestion_prefers_a_case_insensitive_match_and_caps_the_fuzzy_search() -> None:
    assert closest_id("BOB", ["bobby", "bob"]) == "bob"
    assert closest_id("carl", ["carol", "dave"]) == "carol"
    assert closest_id("zzz", ["carol", "dave"]) is None
    many = [f"contact-{n}" for n in range(MAX_SUGGESTION_IDS + 1)]
    assert closest_id("contact-1x", many) is None  # beyond the cap: no fuzzy search
    assert closest_id("CONTACT-7", many) == "contact-7"
