"""Segments evaluated in memory: missing values, casefolding, time rules, any Store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from replytrack import (
    ConfigurationError,
    Contact,
    MarketingEmail,
    MemoryStore,
    MessageKind,
    SegmentSyntaxError,
    Tracker,
)
from replytrack.protocols import ListingStore, SegmentStore
from replytrack.segments import parse
from replytrack.testing import make_send
from replytrack.testing.contract import reply_to
from replytrack.testing.segments import SegmentContract

TENANT = "acme"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PROPS = {"stage": "text", "score": "number", "vip": "boolean"}


def contact(cid: str, email: str = "", owner: str | None = None, **props: Any) -> Contact:
    return Contact(
        id=cid, emails=(email or f"{cid}@example.org",), owner_id=owner, properties=props
    )


@attrs.define
class World:
    """A MemoryStore with a tracker whose clock is NOW."""

    store: MemoryStore = attrs.field(factory=MemoryStore)

    @property
    def tracker(self) -> Tracker:
        return Tracker(
            self.store,
            secret=b"k" * 32,
            domain="mail.example.com",
            tenant=TENANT,
            clock=lambda: NOW,
        )

    def contacts(self, *contacts: Contact) -> None:
        self.store.save_contacts(TENANT, contacts)

    def send(self, email: str, cid: str, at: datetime) -> Any:
        if self.store.get_email(TENANT, email) is None:
            self.store.save_email(
                TENANT, MarketingEmail(id=email, subject=email, from_address="s@example.com")
            )
        send = make_send(email_id=email, contact_id=cid, sent_at=at)
        self.store.add_sends(TENANT, [send])
        return send

    def reply(
        self, email: str, cid: str, at: datetime, kind: MessageKind = MessageKind.HUMAN
    ) -> None:
        send = self.send(email, cid, at - timedelta(hours=1))
        self.store.add_replies(TENANT, [reply_to(send, f"<{email}.{cid}.{at}>", kind=kind)])

    def members(self, text: str, tz: str = "UTC", now: datetime = NOW) -> list[str]:
        return self.tracker.segment(text, tz=tz, properties=PROPS).contact_ids(now=now)


@pytest.fixture
def world() -> World:
    return World()


# -- reply facts ------------------------------------------------------------------------
def test_not_replied_to_includes_contacts_never_sent_the_email(world: World) -> None:
    world.contacts(contact("a"), contact("b"), contact("c"))
    world.reply("spring", "a", NOW - timedelta(days=1))
    world.send("spring", "b", NOW - timedelta(days=2))
    assert world.members('replied to "spring"') == ["a"]
    assert world.members('not replied to "spring"') == ["b", "c"]
    assert world.members('sent "spring" and not replied to "spring"') == ["b"]


def test_only_human_replies_count(world: World) -> None:
    world.contacts(contact("a"), contact("b"))
    world.reply("spring", "a", NOW, kind=MessageKind.AUTO_REPLY)
    world.reply("spring", "b", NOW)
    assert world.members("replied to any") == ["b"]
    assert world.members("reply_count = 0") == ["a"]


def test_at_least_counts_distinct_emails_in_the_window(world: World) -> None:
    world.contacts(contact("a"), contact("b"))
    for email, days in (("e1", 1), ("e1", 2), ("e2", 100)):
        world.reply(email, "a", NOW - timedelta(days=days))
    world.reply("e1", "b", NOW - timedelta(days=1))
    world.reply("e2", "b", NOW - timedelta(days=3))
    assert world.members("replied to at least 2 emails") == ["a", "b"]
    assert world.members("replied to at least 2 emails within last 90 days") == ["b"]
    assert world.members('replied to at least 2 of ["e1", "e2"] within last 2 days') == []
    assert world.members("emails_replied >= 2 and reply_count = 3") == ["a"]


def test_reply_facts_of_a_contact_who_never_replied(world: World) -> None:
    world.contacts(contact("a"))
    assert world.members("reply_count < 1 and emails_replied = 0") == ["a"]
    assert world.members("last_reply_at is unknown and not first_reply_at is known") == ["a"]
    assert world.members("last_reply_at before 2100-01-01") == []
    assert world.members("not last_reply_at before 2100-01-01") == ["a"]


# -- missing values: two-valued logic ------------------------------------------------------
def test_positive_comparisons_are_false_on_missing_values_and_negations_are_complements(
    world: World,
) -> None:
    world.contacts(contact("a", owner="alice"), contact("b", owner="bob"), contact("c"))
    assert world.members('owner = "alice"') == ["a"]
    assert world.members('owner != "alice"') == ["b", "c"]
    assert world.members('owner not in ["alice"]') == ["b", "c"]
    assert world.members('owner does not contain "li"') == ["b", "c"]
    assert world.members('owner != "alice" and owner is known') == ["b"]  # HubSpot's "is not"
    assert world.members("owner is unknown") == ["c"]


def test_a_property_of_another_type_than_declared_is_unknown(world: World) -> None:
    world.contacts(
        contact("a", score=5),
        contact("b", score="5"),
        contact("c", score=True),
        contact("d", score=None),
        contact("e", score=float("nan")),
        contact("f", vip=1),
        contact("g", vip=True),
        contact("h", stage=3),
    )
    assert world.members("score is known") == ["a"]
    assert world.members("score >= 0") == ["a"]
    assert world.members("not score >= 0") == ["b", "c", "d", "e", "f", "g", "h"]
    assert world.members("vip = true") == ["g"]
    assert world.members("stage is known") == []


def test_numbers_compare_as_numbers(world: World) -> None:
    world.contacts(contact("a", score=1), contact("b", score=2.5), contact("c", score=-3))
    assert world.members("score between -3 and 1") == ["a", "c"]
    assert world.members("score in [2.5, 1.0]") == ["a", "b"]
    assert world.members("score > 1") == ["b"]
    assert world.members("score != 1") == ["b", "c"]


# -- text: Unicode case folding ----------------------------------------------------------------
def test_text_compares_by_unicode_case_folding(world: World) -> None:
    world.contacts(
        contact("a", stage="Straße"),
        contact("b", stage="STRASSE"),
        contact("c", stage="ΣΊΣΥΦΟΣ"),
        contact("d", owner="İlker"),
    )
    assert world.members('stage = "strasse"') == ["a", "b"]
    assert world.members('stage = "σίσυφος"') == ["c"]  # final sigma folds like the others
    assert world.members('stage contains "SS"') == ["a", "b"]
    assert world.members('owner = "i̇lker"') == ["d"]


def test_email_and_domain_come_from_the_first_address(world: World) -> None:
    world.contacts(
        Contact(id="a", emails=("Ann@Acme.COM", "ann@home.org")),
        Contact(id="b", emails=("bob@acme.co.uk",)),
    )
    assert world.members('email_domain = "ACME.com"') == ["a"]
    assert world.members('email_domain = "acme.com" or email ends with "@acme.co.uk"') == ["a", "b"]
    assert world.members('email starts with "ann@"') == ["a"]
    assert world.members('email = "ann@home.org"') == []


# -- time -------------------------------------------------------------------------------------
def test_a_date_range_includes_both_days_whole_in_the_segments_time_zone(world: World) -> None:
    # 2024-03-31 23:30 in Warsaw (UTC+2 from that morning) is 21:30 UTC
    world.contacts(contact("late"), contact("early"), contact("next"))
    world.reply("e", "late", datetime(2024, 3, 31, 21, 30, tzinfo=UTC))
    world.reply("e", "early", datetime(2024, 1, 1, 0, 30, tzinfo=UTC))  # 01:30 in Warsaw
    world.reply("e", "next", datetime(2024, 3, 31, 22, 0, tzinfo=UTC))  # April 1st in Warsaw
    text = "last_reply_at between 2024-01-01 and 2024-03-31"
    assert world.members(text, tz="Europe/Warsaw") == ["early", "late"]
    assert world.members(text) == ["early", "late", "next"]
    assert world.members("last_reply_at on 2024-04-01", tz="Europe/Warsaw") == ["next"]
    assert world.members("last_reply_at after 2024-03-31", tz="Europe/Warsaw") == ["next"]
    assert world.members("last_reply_at before 2024-01-01", tz="America/New_York") == ["early"]


def test_a_day_that_skips_midnight_starts_when_the_clocks_jump() -> None:
    from replytrack.segments._time import day_start
    from replytrack.stores._rows import micros

    # Santiago: on 2024-09-08 the clocks jumped from 00:00 to 01:00 (-04 to -03)
    start = day_start(
        datetime(2024, 9, 8).date(), parse("owner is known", tz="America/Santiago").zone
    )
    assert start == micros(datetime(2024, 9, 8, 4, 0, tzinfo=UTC))


def test_rolling_windows_are_exact_durations_from_the_clock(world: World) -> None:
    world.contacts(contact("edge"), contact("inside"), contact("old"), contact("future"))
    world.reply("e", "edge", NOW - timedelta(days=30))
    world.reply("e", "inside", NOW - timedelta(days=30) + timedelta(microseconds=1))
    world.reply("e", "old", NOW - timedelta(days=30, microseconds=1))
    world.reply("e", "future", NOW + timedelta(microseconds=1))
    assert world.members("last_reply_at within last 30 days") == ["edge", "inside"]
    assert world.members("last_reply_at more than 30 days ago") == ["old"]
    assert world.members("last_reply_at within last 720 hours") == ["edge", "inside"]
    later = NOW + timedelta(microseconds=1)
    assert world.members("last_reply_at within last 30 days", now=later) == ["future", "inside"]


def test_today_and_yesterday_are_days_in_the_segments_zone(world: World) -> None:
    # NOW is 12:00 UTC on 2026-03-10, 01:00 on 2026-03-11 in Auckland (UTC+13)
    world.contacts(contact("a"), contact("b"))
    world.reply("e", "a", datetime(2026, 3, 10, 11, 30, tzinfo=UTC))  # 00:30 on the 11th there
    world.reply("e", "b", datetime(2026, 3, 10, 10, 30, tzinfo=UTC))  # 23:30 on the 10th there
    assert world.members("last_reply_at on today", tz="Pacific/Auckland") == ["a"]
    assert world.members("last_reply_at on yesterday", tz="Pacific/Auckland") == ["b"]
    assert world.members("last_reply_at on today") == ["a", "b"]
    assert world.members("last_reply_at before today", tz="Pacific/Auckland") == ["b"]


def test_a_time_with_an_offset_is_an_instant(world: World) -> None:
    world.contacts(contact("a"), contact("b"))
    world.reply("e", "a", datetime(2024, 5, 1, 8, 0, tzinfo=UTC))
    world.reply("e", "b", datetime(2024, 5, 1, 8, 0, 1, tzinfo=UTC))
    assert world.members("last_reply_at after 2024-05-01T10:00+02:00") == ["b"]
    assert world.members("last_reply_at before 2024-05-01T10:00:01+02:00") == ["a"]
    assert world.members("last_reply_at between 2024-05-01T08:00Z and 2024-05-01T08:00:01Z") == [
        "a",
        "b",
    ]


def test_reply_and_send_windows(world: World) -> None:
    world.contacts(contact("a"), contact("b"))
    world.reply("webinar", "a", NOW - timedelta(days=3))
    world.reply("webinar", "b", NOW - timedelta(days=20))
    world.send("promo", "b", NOW - timedelta(hours=2))
    assert world.members('replied to "webinar" within last 14 days') == ["a"]
    assert world.members('replied to "webinar" before 2026-02-20') == ["b"]
    assert world.members("sent any within last 3 hours") == ["b"]


def test_a_naive_now_is_refused(world: World) -> None:
    world.contacts(contact("a"))
    with pytest.raises(ConfigurationError, match="now must be timezone-aware"):
        world.tracker.segment("owner is known").contact_ids(now=datetime(2026, 1, 1))


# -- the tracker's view ---------------------------------------------------------------------------
def test_count_and_contains_agree_with_the_member_list(world: World) -> None:
    world.contacts(contact("a", owner="x"), contact("b"))
    query = world.tracker.segment('owner = "X"')
    assert query.count() == 1
    assert query.contains("a")
    assert not query.contains("b")
    assert not query.contains("nobody")


def test_an_unknown_email_id_is_an_error_naming_the_closest(world: World) -> None:
    world.send("spring", "a", NOW)
    with pytest.raises(
        SegmentSyntaxError, match='no email has the id "sprng"; did you mean "spring"'
    ):
        world.tracker.segment('replied to "sprng"')
    with pytest.raises(SegmentSyntaxError, match='no email has the id "sprng"'):
        world.tracker.segment(parse('sent "sprng"'))


def test_a_parsed_segment_keeps_its_zone_and_properties(world: World) -> None:
    world.contacts(contact("a", score=3))
    segment = parse("score > 2", properties=PROPS)
    assert world.tracker.segment(segment).contact_ids() == ["a"]


# -- any store -------------------------------------------------------------------------------------
@attrs.define
class IntegratorStore:
    """An integrator's store: delegates everything, lists, compiles nothing."""

    inner: MemoryStore


def _delegate(name: str) -> Any:
    def method(self: IntegratorStore, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.inner, name)(*args, **kwargs)

    return method


# Methods defined on the class, not found through __getattr__: from Python 3.12 on,
# isinstance() with a runtime protocol looks attributes up statically.
for _name in (n for n in dir(ListingStore) if not n.startswith("_")):
    setattr(IntegratorStore, _name, _delegate(_name))


def test_an_integrators_listing_store_gets_segments_without_sql(world: World) -> None:
    world.contacts(contact("a"), contact("b", owner="z"))
    world.reply("spring", "a", NOW)
    store = IntegratorStore(world.store)
    assert isinstance(store, ListingStore)
    assert not isinstance(store, SegmentStore)
    tracker = Tracker(
        store, secret=b"k" * 32, domain="mail.example.com", tenant=TENANT, clock=lambda: NOW
    )  # type: ignore[arg-type]
    assert tracker.segment('replied to "spring" or owner = "z"').contact_ids() == ["a", "b"]


def test_a_store_that_cannot_list_contacts_says_what_to_implement(world: World) -> None:
    class Bare:
        def __init__(self, inner: MemoryStore) -> None:
            self.inner = inner

        def get_email(self, tenant: str, email_id: str) -> None:
            return None

    tracker = Tracker(Bare(world.store), secret=b"k" * 32, domain="mail.example.com", tenant=TENANT)  # type: ignore[arg-type]
    with pytest.raises(
        ConfigurationError, match="implement list_contacts, list_sends and list_email_ids"
    ):
        tracker.segment("owner is known").count()


class TestMemoryStoreSegments(SegmentContract):
    @pytest.fixture
    def store(self) -> MemoryStore:
        return MemoryStore()
