"""SegmentContract: what segments need of a store, checked against the in-memory evaluator.

Subclass it next to StoreContract and override the ``store`` fixture (an empty
store). A :class:`~replytrack.protocols.ListingStore` is checked for what it
lists; a :class:`~replytrack.protocols.SegmentStore` (one that runs segments
itself, in SQL or otherwise) must give the members the in-memory evaluator
gives over a MemoryStore holding the same records. Tests of a capability the
store lacks are skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from replytrack.errors import ConfigurationError
from replytrack.models import Contact, MarketingEmail, MessageKind, Send
from replytrack.protocols import ListingStore, MembershipStore, SegmentStore, Store
from replytrack.segments import Segment, evaluate_in_memory, parse
from replytrack.stores.memory import MemoryStore
from replytrack.testing.contract import reply_to
from replytrack.testing.factories import make_send

__all__ = ["SegmentContract"]

TENANT = "acme"
OTHER = "globex"
NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 in Warsaw, the night the clocks go forward
PROPERTIES = {"stage": "text", "score": "number", "vip": "boolean"}
CONTACTS = [
    Contact(id="ann", emails=("Ann@Acme.com",), owner_id="Alice", properties={"stage": "Lead"}),
    Contact(id="bob", emails=("bob@acme.co.uk",), owner_id="BOB", properties={"score": 7}),
    Contact(id="cem", emails=("cem@straße.de",), properties={"stage": "STRASSE", "vip": True}),
    Contact(id="dee", emails=("dee@x.org",), owner_id="İlker", properties={"score": "7"}),
    Contact(id="eve", emails=("eve@x.org",), properties={"stage": None, "score": 2.5}),
]
#: (email, contact, when the send went out, hours to the reply or None, the reply's kind)
ACTIVITY: list[tuple[str, str, datetime, float | None, MessageKind]] = [
    ("spring", "ann", NOW - timedelta(days=3), 2, MessageKind.HUMAN),
    ("spring", "bob", NOW - timedelta(days=3), None, MessageKind.HUMAN),
    ("spring", "cem", NOW - timedelta(days=3), 1, MessageKind.AUTO_REPLY),
    ("summer", "ann", NOW - timedelta(days=1), 23.5, MessageKind.HUMAN),  # 30 minutes ago
    ("summer", "cem", datetime(2026, 3, 27, 21, 0, tzinfo=UTC), 1.5, MessageKind.HUMAN),
    ("summer", "dee", NOW - timedelta(days=40), 0.000001, MessageKind.HUMAN),
]
SEGMENTS = [
    'replied to "spring"',
    'not replied to "spring"',
    'sent "spring" and not replied to "spring"',
    "replied to any within last 1 hour",
    "replied to at least 2 emails",
    'replied to at least 2 of ["spring", "summer"] within last 2 days',
    "sent any before 2026-03-01",
    'owner = "alice"',
    'owner != "alice"',
    "owner is unknown",
    "stage is unknown",
    "vip is known",
    'stage = "straße"',
    'stage in ["lead", "strasse"]',
    'stage does not contain "ss"',
    'email ends with "@acme.com" or email_domain = "STRASSE.DE"',
    'email starts with "b"',
    "score > 3",
    "not score between 0 and 3",
    "score in [7, 2.5]",
    "vip = true",
    "vip != true",
    "reply_count >= 2",
    "reply_count < 1",
    "emails_replied = 1",
    "last_reply_at within last 2 days",
    "last_reply_at more than 30 days ago",
    "first_reply_at is unknown",
    "last_reply_at on 2026-03-27",
    "last_reply_at on yesterday",
    "last_reply_at between 2026-03-01 and 2026-03-28",
    "last_reply_at after 2026-03-28T23:59:59Z",
]
ZONES = ["UTC", "Europe/Warsaw", "Pacific/Auckland"]


def load(store: Store, tenant: str = TENANT) -> list[Send]:
    """The contract's records, written to ``store`` under ``tenant``."""
    store.save_contacts(tenant, CONTACTS)
    sends = []
    for n, (email, contact, at, hours, kind) in enumerate(ACTIVITY):
        if store.get_email(tenant, email) is None:
            store.save_email(
                tenant, MarketingEmail(id=email, subject=email, from_address="s@x.com")
            )
        send = make_send(email_id=email, contact_id=contact, sent_at=at)
        store.add_sends(tenant, [send])
        sends.append(send)
        if hours is not None:
            store.add_replies(tenant, [reply_to(send, f"<r{n}@x>", hours=hours, kind=kind)])
    return sends


def members(store: Store, segment: Segment, now: datetime = NOW, tenant: str = TENANT) -> list[str]:
    """The store's own answer: its SQL (or other engine) when it has one."""
    if isinstance(store, SegmentStore):
        return store.segment_contact_ids(tenant, segment, now)
    return evaluate_in_memory(store, tenant, segment, now)


def reference(segment: Segment, now: datetime = NOW) -> list[str]:
    memory = MemoryStore()
    load(memory)
    return evaluate_in_memory(memory, TENANT, segment, now)


@pytest.mark.replytrack_contract
class SegmentContract:
    """Conformance tests for segments on a store; override the ``store`` fixture."""

    @pytest.fixture
    def store(self) -> Store:
        raise NotImplementedError("override the 'store' fixture to return an empty store")

    def listing(self, store: Store) -> ListingStore:
        if not isinstance(store, ListingStore):
            pytest.skip(f"{type(store).__name__} is not a ListingStore")
        return store

    def engine(self, store: Store) -> SegmentStore:
        if not isinstance(store, SegmentStore):
            pytest.skip(f"{type(store).__name__} is not a SegmentStore")
        return store

    def keeper(self, store: Store) -> MembershipStore:
        if not isinstance(store, MembershipStore):
            pytest.skip(f"{type(store).__name__} is not a MembershipStore")
        return store

    # -- listings ------------------------------------------------------------------
    def test_contacts_are_listed_by_id_within_the_tenant(self, store: Store) -> None:
        listing = self.listing(store)
        load(store)
        store.save_contacts(OTHER, [Contact(id="zed", emails=("z@x.org",))])
        listed = listing.list_contacts(TENANT)
        assert [c.id for c in listed] == sorted(c.id for c in CONTACTS)
        assert {c.id: dict(c.properties) for c in listed} == {
            c.id: dict(c.properties) for c in CONTACTS
        }
        assert [c.id for c in listing.list_contacts(OTHER)] == ["zed"]

    def test_sends_are_listed_oldest_first_by_email_and_by_contact(self, store: Store) -> None:
        listing = self.listing(store)
        sends = load(store)
        store.add_sends(OTHER, [make_send(email_id="spring", contact_id="ann", sent_at=NOW)])
        by_time = sorted(sends, key=lambda s: (s.sent_at, s.id))
        assert listing.list_sends(TENANT) == by_time
        assert listing.list_sends(TENANT, email_id="summer") == [
            s for s in by_time if s.email_id == "summer"
        ]
        assert listing.list_sends(TENANT, contact_id="ann") == [
            s for s in by_time if s.contact_id == "ann"
        ]
        assert listing.list_sends(TENANT, email_id="spring", contact_id="cem") == [
            s for s in by_time if (s.email_id, s.contact_id) == ("spring", "cem")
        ]

    def test_email_ids_are_listed_sorted_within_the_tenant(self, store: Store) -> None:
        listing = self.listing(store)
        load(store)
        store.save_email(OTHER, MarketingEmail(id="autumn", subject="a", from_address="s@x.com"))
        assert listing.list_email_ids(TENANT) == ["spring", "summer"]

    # -- the store's own engine ------------------------------------------------------
    @pytest.mark.parametrize("text", SEGMENTS)
    def test_a_segment_has_the_members_the_reference_evaluator_gives(
        self, store: Store, text: str
    ) -> None:
        self.listing(store)
        load(store)
        for tz in ZONES:
            segment = parse(text, tz=tz, properties=PROPERTIES)
            assert members(store, segment) == reference(segment), f"{text} in {tz}"

    @pytest.mark.parametrize("text", SEGMENTS)
    def test_not_is_the_exact_complement(self, store: Store, text: str) -> None:
        self.listing(store)
        load(store)
        segment = parse(text, properties=PROPERTIES)
        negated = parse(f"not ({text})", properties=PROPERTIES)
        inside, outside = members(store, segment), members(store, negated)
        assert sorted(inside + outside) == sorted(c.id for c in CONTACTS)

    def test_the_count_is_the_number_of_members(self, store: Store) -> None:
        engine = self.engine(store)
        load(store)
        for text in SEGMENTS:
            segment = parse(text, properties=PROPERTIES)
            assert engine.segment_count(TENANT, segment, NOW) == len(members(store, segment)), text

    def test_rolling_windows_follow_the_now_given_not_a_clock_of_the_store(
        self, store: Store
    ) -> None:
        self.listing(store)
        load(store)
        segment = parse("last_reply_at within last 1 hour")
        assert members(store, segment) == ["ann"]
        assert members(store, segment, NOW + timedelta(hours=2)) == []
        assert members(store, segment, NOW - timedelta(days=1, hours=2)) == ["cem"]

    def test_a_segment_sees_only_its_tenants_contacts(self, store: Store) -> None:
        self.listing(store)
        load(store)
        store.save_contacts(OTHER, [Contact(id="zed", emails=("z@x.org",), owner_id="alice")])
        assert members(store, parse('owner = "alice" or not replied to any')) == [
            "ann",
            "bob",
            "eve",
        ]
        assert members(store, parse("owner is known"), tenant=OTHER) == ["zed"]

    def test_a_naive_now_is_refused(self, store: Store) -> None:
        engine = self.engine(store)
        with pytest.raises(ConfigurationError, match="timezone-aware"):
            engine.segment_contact_ids(TENANT, parse("owner is known"), datetime(2026, 1, 1))

    def test_contacts_saved_again_are_compared_by_their_new_values(self, store: Store) -> None:
        self.listing(store)
        load(store)
        changed = [
            Contact(id="ann", emails=("ann@new.org",), owner_id=None, properties={"stage": "ß"})
        ]
        store.save_contacts(TENANT, changed)
        segment = parse(
            'owner is unknown and stage = "SS" and email_domain = "new.org"', properties=PROPERTIES
        )
        assert members(store, segment) == ["ann"]

    # -- saved segments' members ------------------------------------------------------
    def test_a_saved_segment_keeps_its_definition_and_last_refresh(self, store: Store) -> None:
        keeper = self.keeper(store)
        assert keeper.get_segment_list(TENANT, "hot") is None
        keeper.save_segment_list(TENANT, "hot", "one", None)
        assert keeper.get_segment_list(TENANT, "hot") == ("one", None)
        later = NOW + timedelta(microseconds=1)
        keeper.save_segment_list(TENANT, "hot", "two", later)
        assert keeper.get_segment_list(TENANT, "hot") == ("two", later)
        assert keeper.get_segment_list(OTHER, "hot") is None

    def test_members_join_and_leave_in_one_call_and_are_listed_sorted(self, store: Store) -> None:
        keeper = self.keeper(store)
        keeper.save_segment_list(TENANT, "hot", "d", NOW)
        keeper.change_members(
            TENANT, [("hot", "b", True), ("hot", "a", True), ("cold", "a", True)], NOW
        )
        keeper.change_members(TENANT, [("hot", "a", True), ("cold", "zz", False)], NOW)  # no-ops
        assert keeper.list_members(TENANT, "hot") == ["a", "b"]
        assert keeper.member_of(TENANT, ["a", "b", "c"]) == {"a": ["cold", "hot"], "b": ["hot"]}
        keeper.change_members(TENANT, [("hot", "a", False)], NOW)
        assert keeper.list_members(TENANT, "hot") == ["b"]
        assert keeper.member_of(OTHER, ["a", "b"]) == {}
        assert keeper.list_members(OTHER, "hot") == []

    def test_dropping_a_saved_segment_forgets_its_members_only(self, store: Store) -> None:
        keeper = self.keeper(store)
        keeper.save_segment_list(TENANT, "hot", "d", NOW)
        keeper.change_members(TENANT, [("hot", "a", True), ("cold", "a", True)], NOW)
        keeper.change_members(OTHER, [("hot", "a", True)], NOW)
        keeper.drop_segment_list(TENANT, "hot")
        assert keeper.get_segment_list(TENANT, "hot") is None
        assert keeper.list_members(TENANT, "hot") == []
        assert keeper.member_of(TENANT, ["a"]) == {"a": ["cold"]}
        assert keeper.list_members(OTHER, "hot") == ["a"]
