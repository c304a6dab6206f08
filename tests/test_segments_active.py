"""Active lists: saved segments kept up to date contact by contact, with join and leave events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from replytrack import (
    ConfigurationError,
    Contact,
    Inbox,
    MarketingEmail,
    MemoryStore,
    MessageKind,
    NotFoundError,
    ReplyTo,
    Store,
    Tracker,
)
from replytrack.segments import ActiveLists, SegmentEvent
from replytrack.stores.sqlite import SQLiteStore
from replytrack.testing import make_reply

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SPRING = MarketingEmail(
    id="spring",
    subject="Spring sale",
    from_address="sales@example.com",
    reply_to=ReplyTo.inbox("sales@example.com"),
)
PEOPLE = [
    Contact(id="ann", emails=("ann@example.org",), owner_id="alice"),
    Contact(id="bob", emails=("bob@example.org",), owner_id="bob"),
]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    with SQLiteStore(tmp_path / "lists.db") as sqlite:
        yield sqlite


def make(store: Store, clock: Clock) -> Tracker:
    tracker = Tracker(
        store, secret=b"k" * 32, domain="mail.example.com", tenant="acme", clock=clock
    )
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), connected_at=T0)
    return tracker


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tracker(store: Store, clock: Clock) -> Tracker:
    return make(store, clock)


def names(events: list[SegmentEvent]) -> list[tuple[str, str, str]]:
    return [(e.name, e.segment, e.contact_id) for e in events]


def test_saving_a_segment_fills_it_and_announces_each_member(tracker: Tracker) -> None:
    tracker.record_sends(SPRING, PEOPLE, sent_at=T0)
    lists = tracker.active_lists()
    heard: list[SegmentEvent] = []
    lists.subscribe(heard.append)
    events = lists.save("alices", 'owner = "alice"')
    assert names(events) == [("segment.joined", "alices", "ann")]
    assert heard == events
    assert lists.members("alices") == ["ann"]
    assert lists.lists_of("ann") == ["alices"]
    assert lists.save("alices", 'owner = "ALICE"') == [], "the same meaning, already filled"
    assert names(lists.save("alices", 'owner = "bob"')) == [
        ("segment.joined", "alices", "bob"),
        ("segment.left", "alices", "ann"),
    ]


def test_a_reply_enrols_its_contact_in_the_segments_that_depend_on_replies(
    tracker: Tracker, clock: Clock
) -> None:
    sends = tracker.record_sends(SPRING, PEOPLE, sent_at=T0)
    lists = tracker.active_lists()
    lists.save("repliers", 'replied to "spring"')
    lists.save("silent", 'sent "spring" and not replied to "spring"')
    heard: list[SegmentEvent] = []
    lists.subscribe(heard.append)
    clock.now = T0 + timedelta(hours=2)
    tracker.ingest("sales", make_reply(sends[1]), received_at=clock.now)
    assert names(heard) == [
        ("segment.joined", "repliers", "bob"),
        ("segment.left", "silent", "bob"),
    ]
    assert heard[0].at == clock.now
    assert lists.members("repliers") == ["bob"]
    assert lists.members("silent") == ["ann"]


def test_only_the_segments_that_depend_on_what_changed_are_evaluated(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker.record_sends(SPRING, PEOPLE, sent_at=T0)
    lists = tracker.active_lists()
    lists.save("owners", "owner is known")
    lists.save("repliers", "replied to any")
    evaluated: list[str] = []
    original = ActiveLists._predicate

    def spy(self: ActiveLists, name: str, when: datetime) -> Any:
        evaluated.append(name)
        return original(self, name, when)

    monkeypatch.setattr(ActiveLists, "_predicate", spy)
    lists.changed(["ann"], ("replies",))
    assert evaluated == ["repliers"]


def test_contacts_saved_again_with_their_sends_are_evaluated_again(tracker: Tracker) -> None:
    tracker.record_sends(SPRING, PEOPLE, sent_at=T0)
    lists = tracker.active_lists()
    lists.save("alices", 'owner = "alice"')
    summer = MarketingEmail(id="summer", subject="Summer", from_address="sales@example.com")
    moved = Contact(id="ann", emails=("ann@example.org",), owner_id="carol")
    tracker.record_sends(summer, [moved], sent_at=T0 + timedelta(days=1))
    assert lists.members("alices") == []


def test_reclassifying_a_reply_moves_its_contact(tracker: Tracker) -> None:
    sends = tracker.record_sends(SPRING, PEOPLE, sent_at=T0)
    lists = tracker.active_lists()
    reply = tracker.ingest("sales", make_reply(sends[0]), received_at=T0 + timedelta(hours=1)).reply
    assert reply is not None
    lists.save("repliers", "replied to any")
    assert lists.members("repliers") == ["ann"]
    tracker.reclassify(reply.key, MessageKind.AUTO_REPLY, "out_of_office")
    assert lists.members("repliers") == []


def test_refresh_moves_rolling_windows_and_checks_only_contacts_a_boundary_crossed(
    tracker: Tracker, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    sends = tracker.record_sends(SPRING, PEOPLE, sent_at=T0)
    tracker.ingest("sales", make_reply(sends[0]), received_at=T0 + timedelta(days=1))
    tracker.ingest("sales", make_reply(sends[1]), received_at=T0 + timedelta(days=5))
    lists = tracker.active_lists()
    clock.now = T0 + timedelta(days=6)
    assert names(lists.save("recent", "last_reply_at within last 7 days")) == [
        ("segment.joined", "recent", "ann"),
        ("segment.joined", "recent", "bob"),
    ]
    checked: list[list[str]] = []
    original = ActiveLists._reevaluate

    def spy(self: ActiveLists, contact_ids: Any, segment_names: list[str], when: datetime) -> Any:
        checked.append(sorted(contact_ids))
        return original(self, contact_ids, segment_names, when)

    monkeypatch.setattr(ActiveLists, "_reevaluate", spy)
    assert lists.refresh(T0 + timedelta(days=7)) == []
    assert checked == [[]], "no reply time was crossed"
    events = lists.refresh(T0 + timedelta(days=8, hours=1))
    assert names(events) == [("segment.left", "recent", "ann")]
    assert checked[-1] == ["ann"]
    assert lists.members("recent") == ["bob"]


def test_today_moves_at_midnight_in_the_segments_zone(tracker: Tracker, clock: Clock) -> None:
    sends = tracker.record_sends(SPRING, PEOPLE, sent_at=T0)
    tracker.ingest(
        "sales", make_reply(sends[0]), received_at=datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
    )
    clock.now = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # already March 3rd in Warsaw
    lists = tracker.active_lists()
    lists.save("today", "last_reply_at on today", tz="Europe/Warsaw")
    assert lists.members("today") == []  # 23:30 on March 2nd in Warsaw
    events = lists.refresh(datetime(2026, 3, 3, 23, 0, tzinfo=UTC))
    assert events == []
    lists.save(
        "yesterday",
        "last_reply_at on yesterday",
        tz="Europe/Warsaw",
        now=datetime(2026, 3, 2, 23, 0, tzinfo=UTC),
    )
    assert lists.members("yesterday") == ["ann"]
    assert names(lists.refresh(datetime(2026, 3, 3, 23, 0, tzinfo=UTC))) == [
        ("segment.left", "yesterday", "ann")
    ]


def test_members_persist_in_the_store_across_trackers(tmp_path: Path) -> None:
    clock = Clock()
    with SQLiteStore(tmp_path / "persist.db") as store:
        first = make(store, clock)
        first.record_sends(SPRING, PEOPLE, sent_at=T0)
        assert len(first.active_lists().save("bobs", 'owner = "bob"')) == 1
    with SQLiteStore(tmp_path / "persist.db") as store:
        lists = make(store, clock).active_lists()
        assert lists.save("bobs", 'owner = "bob"') == []
        assert lists.members("bobs") == ["bob"]


def test_a_failing_subscriber_does_not_stop_the_others(
    tracker: Tracker, caplog: pytest.LogCaptureFixture
) -> None:
    tracker.record_sends(SPRING, PEOPLE, sent_at=T0)
    lists = tracker.active_lists()

    def broken(event: SegmentEvent) -> None:
        raise RuntimeError("boom")

    heard: list[SegmentEvent] = []
    lists.subscribe(broken)
    unsubscribe = lists.subscribe(heard.append)
    lists.save("all", "owner is known")
    assert len(heard) == 2
    assert "segment subscriber" in caplog.text
    unsubscribe()
    lists.save("all", "owner is unknown")
    assert len(heard) == 2


def test_dropping_a_segment_forgets_its_members(tracker: Tracker) -> None:
    tracker.record_sends(SPRING, PEOPLE, sent_at=T0)
    lists = tracker.active_lists()
    lists.save("all", "owner is known")
    lists.drop("all")
    with pytest.raises(NotFoundError, match="no saved segment 'all'"):
        lists.members("all")
    assert lists.lists_of("ann") == []


def test_a_store_that_cannot_keep_members_is_refused() -> None:
    class NoMembers(MemoryStore):
        get_segment_list = None  # type: ignore[assignment]

    tracker = Tracker(NoMembers(), secret=b"k" * 32, domain="mail.example.com")
    with pytest.raises(
        ConfigurationError, match=r"implement replytrack\.protocols\.MembershipStore"
    ):
        tracker.active_lists()


def test_rebuild_catches_up_with_changes_made_behind_the_lists_back(tracker: Tracker) -> None:
    tracker.record_sends(SPRING, PEOPLE, sent_at=T0)
    lists = tracker.active_lists()
    lists.save("alices", 'owner = "alice"')
    tracker.store.save_contacts(
        "acme", [Contact(id="bob", emails=("bob@example.org",), owner_id="alice")]
    )
    assert lists.members("alices") == ["ann"]
    assert names(lists.rebuild("alices")) == [("segment.joined", "alices", "bob")]
    assert lists.members("alices") == ["ann", "bob"]
