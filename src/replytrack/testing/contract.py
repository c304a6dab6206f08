"""StoreContract: the conformance suite every Store must pass.

Subclass it in your test module and override the ``store`` fixture::

    from replytrack.testing import StoreContract

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            store = MyStore(tmp_path / "db")
            yield store
            store.close()

Each test starts from an empty store. The expected values are those of
MemoryStore, the reference model, and of ``replytrack.reports``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from replytrack.errors import ConflictError, NotFoundError
from replytrack.headers import normalise_msg_id
from replytrack.models import (
    Contact,
    DeliveryStatus,
    Inbox,
    MarketingEmail,
    MatchStrategy,
    MessageKind,
    Reply,
    ReplyTo,
    Send,
)
from replytrack.protocols import SharedStore, Store
from replytrack.reports import compute_contact_properties, compute_report
from replytrack.testing._contract_attach import AttachContract
from replytrack.testing._contract_delivery import DeliveryContract
from replytrack.testing._contract_lease import LeaseContract
from replytrack.testing._contract_retries import RetryContract
from replytrack.testing._contract_safety import SafetyContract
from replytrack.testing.factories import make_send

__all__ = ["StoreContract"]

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TENANT = "acme"
OTHER = "globex"


def reply_to(send: Send, inbound_id: str, *, hours: float = 1.0, **changes: Any) -> Reply:
    """A human reply record to ``send``, ``hours`` after it went out."""
    reply = Reply(
        send_id=send.id,
        inbound_id=inbound_id,
        email_id=send.email_id,
        contact_id=send.contact_id,
        inbox_id=send.inbox_id or "sales",
        received_at=send.sent_at + timedelta(hours=hours),
        from_address=send.address,
        subject="Re: hello",
        snippet="yes",
    )
    return attrs.evolve(reply, **changes)


@pytest.mark.replytrack_contract
class StoreContract(SafetyContract, AttachContract, RetryContract, LeaseContract, DeliveryContract):
    """Conformance tests for a Store; override the ``store`` fixture.

    The tests on the quarantine, text from mail, counts across batches and exact
    times come from :class:`~replytrack.testing._contract_safety.SafetyContract`.
    Those on fallback attachment and announcements come from
    :class:`~replytrack.testing._contract_attach.AttachContract`; those on inbox periods,
    idempotent sends, refused overrides and untracked bounces from
    :class:`~replytrack.testing._contract_retries.RetryContract`; those on leases from
    :class:`~replytrack.testing._contract_lease.LeaseContract`; those on delivery set by
    the sending service from :class:`~replytrack.testing._contract_delivery.DeliveryContract`.
    """

    @pytest.fixture
    def store(self) -> Store:
        raise NotImplementedError("override the 'store' fixture to return an empty store")

    # -- inboxes, emails, contacts --------------------------------------------------
    def test_an_inbox_saved_is_read_back_equal(self, store: Store) -> None:
        inbox = Inbox(
            id="sales",
            address="sales@example.com",
            aliases=("info@example.com",),
            provider="gmail",
            send_as=("hello@example.com",),
            member_ids=("u1", "u2"),
            connected_at=T0,
        )
        store.save_inbox(TENANT, inbox)
        assert store.get_inbox(TENANT, "sales") == inbox

    def test_saving_an_inbox_again_replaces_it(self, store: Store) -> None:
        store.save_inbox(TENANT, Inbox(id="sales", address="sales@example.com", connected_at=T0))
        later = Inbox(
            id="sales",
            address="sales@example.com",
            connected_at=T0,
            disconnected_at=T0 + timedelta(1),
        )
        store.save_inbox(TENANT, later)
        assert store.get_inbox(TENANT, "sales") == later
        assert store.list_inboxes(TENANT) == [later]

    def test_inboxes_are_listed_by_id(self, store: Store) -> None:
        for inbox_id in ("b", "c", "a"):
            store.save_inbox(TENANT, Inbox(id=inbox_id, address=f"{inbox_id}@example.com"))
        assert [i.id for i in store.list_inboxes(TENANT)] == ["a", "b", "c"]

    def test_an_unknown_inbox_is_none(self, store: Store) -> None:
        assert store.get_inbox(TENANT, "nope") is None

    def test_a_personal_inbox_keeps_its_owner(self, store: Store) -> None:
        inbox = Inbox(id="ann", address="ann@example.com", kind="personal", owner_id="u1")
        store.save_inbox(TENANT, inbox)
        assert store.get_inbox(TENANT, "ann") == inbox

    def test_an_email_saved_is_read_back_equal(self, store: Store) -> None:
        email = MarketingEmail(
            id="spring",
            subject="Spring sale",
            from_address="sales@example.com",
            reply_to=ReplyTo.inbox("sales@example.com"),
            name="Spring",
        )
        store.save_email(TENANT, email)
        assert store.get_email(TENANT, "spring") == email
        assert store.get_email(TENANT, "autumn") is None

    def test_contacts_are_read_back_by_id_and_unknown_ids_are_left_out(self, store: Store) -> None:
        ann = Contact(id="c1", emails=("ann@example.org", "ann@home.example"), owner_id="u1")
        bob = Contact(id="c2", emails=("bob@example.org",), properties={"plan": "pro", "seats": 3})
        store.save_contacts(TENANT, [ann, bob])
        found = store.get_contacts(TENANT, ["c1", "c2", "c3"])
        assert found == {"c1": ann, "c2": bob}
        assert dict(found["c2"].properties) == {"plan": "pro", "seats": 3}

    # -- sends -------------------------------------------------------------------
    def test_sends_are_read_back_by_id(self, store: Store) -> None:
        sends = [make_send(sent_at=T0), make_send(sent_at=T0, tracked=False, untracked_reason="x")]
        store.add_sends(TENANT, sends)
        assert store.get_sends(TENANT, [s.id for s in sends] + ["missing"]) == {
            s.id: s for s in sends
        }

    def test_adding_an_identical_send_again_is_a_no_op(self, store: Store) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        store.add_sends(TENANT, [send])
        assert store.report(TENANT).sent == 1

    def test_a_send_id_reused_with_other_content_is_refused_and_nothing_of_the_batch_is_written(
        self, store: Store
    ) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        fresh = make_send(sent_at=T0)
        clash = attrs.evolve(send, address="someone@else.example")
        with pytest.raises(ConflictError):
            store.add_sends(TENANT, [fresh, clash])
        assert store.get_sends(TENANT, [fresh.id]) == {}
        assert store.get_sends(TENANT, [send.id]) == {send.id: send}

    def test_a_message_id_reused_by_another_send_is_refused(self, store: Store) -> None:
        first = make_send(sent_at=T0, message_id="<same@mail.example.com>")
        second = make_send(sent_at=T0, message_id="<same@MAIL.example.com>")
        store.add_sends(TENANT, [first])
        with pytest.raises(ConflictError):
            store.add_sends(TENANT, [second])
        assert store.get_sends(TENANT, [second.id]) == {}

    def test_sends_are_found_by_normalised_message_id(self, store: Store) -> None:
        send = make_send(sent_at=T0, message_id="<Abc.1@Mail.Example.com>")
        store.add_sends(TENANT, [send])
        found = store.find_sends_by_message_id(TENANT, ["Abc.1@mail.example.com", "x@y"])
        assert found == {"Abc.1@mail.example.com": send}

    def test_a_recorded_provider_message_id_matches_as_well_as_ours(self, store: Store) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        updated = store.set_provider_message_id(TENANT, send.id, "<XYZ@esp.example>")
        assert updated.provider_message_id == "<XYZ@esp.example>"
        ours = normalise_msg_id(send.message_id)
        found = store.find_sends_by_message_id(TENANT, [ours, "XYZ@esp.example"])
        assert found == {ours: updated, "XYZ@esp.example": updated}

    def test_a_provider_message_id_for_an_unknown_send_raises_not_found(self, store: Store) -> None:
        with pytest.raises(NotFoundError):
            store.set_provider_message_id(TENANT, "nope", "<a@b>")

    def test_sends_to_addresses_since_a_time_come_newest_first(self, store: Store) -> None:
        old = make_send(address="ann@example.org", sent_at=T0 - timedelta(days=40))
        mid = make_send(address="ann@example.org", sent_at=T0 - timedelta(days=5))
        new = make_send(address="ann@example.org", sent_at=T0)
        other = make_send(address="bob@example.org", sent_at=T0)
        store.add_sends(TENANT, [old, mid, new, other])
        found = store.find_sends_to(TENANT, ["ann@example.org"], T0 - timedelta(days=30))
        assert [s.id for s in found] == [new.id, mid.id]

    def test_times_keep_their_instant_whatever_the_zone(self, store: Store) -> None:
        paris = timezone(timedelta(hours=1))
        send = make_send(sent_at=datetime(2026, 3, 1, 10, 0, tzinfo=paris))
        store.add_sends(TENANT, [send])
        stored = store.get_sends(TENANT, [send.id])[send.id]
        assert stored.sent_at == T0
        assert stored.sent_at.utcoffset() is not None

    def test_a_provider_message_id_owned_by_another_send_is_refused(self, store: Store) -> None:
        first, second = make_send(sent_at=T0), make_send(sent_at=T0)
        store.add_sends(TENANT, [first, second])
        store.set_provider_message_id(TENANT, first.id, "<esp-1@esp.example>")
        with pytest.raises(ConflictError):
            store.set_provider_message_id(TENANT, second.id, "<esp-1@esp.example>")
        assert store.get_sends(TENANT, [second.id])[second.id].provider_message_id is None
        assert (
            store.find_sends_by_message_id(TENANT, ["esp-1@esp.example"])["esp-1@esp.example"].id
            == first.id
        )

    def test_recording_a_new_provider_message_id_retires_the_old_one(self, store: Store) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        store.set_provider_message_id(TENANT, send.id, "<old@esp.example>")
        store.set_provider_message_id(TENANT, send.id, "<new@esp.example>")
        found = store.find_sends_by_message_id(TENANT, ["old@esp.example", "new@esp.example"])
        assert list(found) == ["new@esp.example"]

    def test_two_sends_with_one_message_id_in_a_batch_are_refused_whole(self, store: Store) -> None:
        first = make_send(sent_at=T0, message_id="<dup@mail.example.com>")
        second = make_send(sent_at=T0, message_id="<dup@mail.example.com>")
        with pytest.raises(ConflictError):
            store.add_sends(TENANT, [first, second])
        assert store.get_sends(TENANT, [first.id, second.id]) == {}

    def test_empty_batches_are_accepted_and_change_nothing(self, store: Store) -> None:
        store.add_sends(TENANT, [])
        assert store.add_replies(TENANT, []) == []
        assert store.list_replies(TENANT, kinds=[]) == []
        assert store.report(TENANT).sent == 0

    def test_add_replies_reports_which_records_were_new(self, store: Store) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        first = reply_to(send, "m1@example.org")
        assert store.add_replies(TENANT, [first, reply_to(send, "m2@example.org")]) == [True, True]
        assert store.add_replies(TENANT, [first, reply_to(send, "m3@example.org")]) == [False, True]

    def test_a_key_repeated_within_one_batch_is_stored_once(self, store: Store) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        twice = [reply_to(send, "m1@example.org"), reply_to(send, "m1@example.org", hours=2)]
        assert store.add_replies(TENANT, twice) == [True, False]
        assert store.report(TENANT).replies == 1

    def test_the_same_inbound_message_for_two_sends_is_two_records(self, store: Store) -> None:
        first, second = make_send(sent_at=T0), make_send(sent_at=T0)
        store.add_sends(TENANT, [first, second])
        records = [reply_to(first, "m@example.org"), reply_to(second, "m@example.org")]
        assert store.add_replies(TENANT, records) == [True, True]

    def test_replies_are_listed_newest_first_with_filters(self, store: Store) -> None:
        a = make_send(sent_at=T0, email_id="e1", contact_id="c1")
        b = make_send(sent_at=T0, email_id="e2", contact_id="c2")
        store.add_sends(TENANT, [a, b])
        r1 = reply_to(a, "1@x", hours=1)
        r2 = reply_to(b, "2@x", hours=3)
        r3 = reply_to(a, "3@x", hours=2, kind=MessageKind.AUTO_REPLY, subtype="out_of_office")
        store.add_replies(TENANT, [r1, r2, r3])
        assert store.list_replies(TENANT) == [r2, r3, r1]
        assert store.list_replies(TENANT, email_id="e1") == [r3, r1]
        assert store.list_replies(TENANT, contact_id="c2") == [r2]
        assert store.list_replies(TENANT, kinds=[MessageKind.HUMAN]) == [r2, r1]

    def test_replies_at_the_same_instant_are_ordered_by_key_descending(self, store: Store) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        records = [reply_to(send, f"{n}@x") for n in ("a", "c", "b")]
        store.add_replies(TENANT, records)
        assert [r.inbound_id for r in store.list_replies(TENANT)] == ["c@x", "b@x", "a@x"]

    def test_a_reply_round_trips_every_field(self, store: Store) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        reply = reply_to(
            send,
            "full@x",
            strategy=MatchStrategy.FALLBACK,
            confidence=0.6,
            alternate_address="ann@home.example",
            subject="Re: Grüße ✓",
            snippet="Ja, gerne",
        )
        store.add_replies(TENANT, [reply])
        assert store.list_replies(TENANT) == [reply]

    def test_set_reply_kind_changes_the_record_and_the_counts(self, store: Store) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        reply = reply_to(send, "m@x", kind=MessageKind.AUTO_REPLY, subtype="out_of_office")
        store.add_replies(TENANT, [reply])
        assert store.report(TENANT).replies == 0
        updated = store.set_reply_kind(TENANT, reply.key, MessageKind.HUMAN, None)
        assert updated == attrs.evolve(reply, kind=MessageKind.HUMAN, subtype=None)
        assert store.report(TENANT).replies == 1
        assert store.contact_properties(TENANT, send.contact_id).reply_count == 1

    def test_set_reply_kind_of_an_unknown_record_raises_not_found(self, store: Store) -> None:
        with pytest.raises(NotFoundError):
            store.set_reply_kind(TENANT, ("nope", "nope"), MessageKind.HUMAN, None)

    # -- aggregates --------------------------------------------------------------
    def test_the_report_counts_sends_bounces_replies_and_automatic_mail(self, store: Store) -> None:
        sends = [make_send(sent_at=T0, email_id="e1", contact_id=f"c{n}") for n in range(5)]
        sends.append(
            make_send(sent_at=T0, email_id="e1", tracked=False, untracked_reason="no-inbox")
        )
        sends.append(make_send(sent_at=T0, email_id="e2", contact_id="c0"))
        sends.append(
            attrs.evolve(make_send(sent_at=T0, email_id="e1"), delivery=DeliveryStatus.BOUNCED)
        )
        store.add_sends(TENANT, sends)
        records = [
            reply_to(sends[0], "a@x"),
            reply_to(sends[0], "b@x", hours=5),
            reply_to(sends[1], "c@x", strategy=MatchStrategy.FALLBACK),
            reply_to(sends[2], "d@x", kind=MessageKind.BOUNCE, subtype="hard"),
            reply_to(sends[3], "e@x", kind=MessageKind.BOUNCE, subtype="soft"),
            reply_to(sends[4], "f@x", kind=MessageKind.AUTO_REPLY, subtype="out_of_office"),
            reply_to(sends[6], "g@x"),
        ]
        store.add_replies(TENANT, records)
        e1 = store.report(TENANT, "e1")
        assert e1 == compute_report("e1", [s for s in sends if s.email_id == "e1"], records[:6])
        assert (e1.sent, e1.bounced, e1.delivered, e1.replies, e1.repliers) == (7, 2, 5, 3, 2)
        assert dict(e1.automatic) == {"auto_reply": 1, "bounce": 2}
        assert dict(e1.automatic_subtypes) == {
            "auto_reply:out_of_office": 1,
            "bounce:hard": 1,
            "bounce:soft": 1,
        }
        assert dict(e1.untracked_reasons) == {"no-inbox": 1}
        assert e1.fallback_matches == 1
        overall = store.report(TENANT)
        assert overall == compute_report(None, sends, records)
        assert (overall.sent, overall.repliers) == (8, 3)

    def test_a_hard_bounce_on_a_send_marked_bounced_counts_once(self, store: Store) -> None:
        send = attrs.evolve(make_send(sent_at=T0), delivery=DeliveryStatus.BOUNCED)
        store.add_sends(TENANT, [send])
        store.add_replies(TENANT, [reply_to(send, "b@x", kind=MessageKind.BOUNCE, subtype="hard")])
        report = store.report(TENANT)
        assert (report.bounced, report.delivered) == (1, 0)

    def test_reclassifying_replies_moves_the_contacts_last_reply_and_can_clear_it(
        self, store: Store
    ) -> None:
        send = make_send(sent_at=T0, contact_id="c9")
        store.add_sends(TENANT, [send])
        early, late = reply_to(send, "early@x", hours=1), reply_to(send, "late@x", hours=5)
        store.add_replies(TENANT, [early, late])
        store.set_reply_kind(TENANT, late.key, MessageKind.AUTO_REPLY, "out_of_office")
        assert store.contact_properties(TENANT, "c9").last_reply_at == early.received_at
        store.set_reply_kind(TENANT, early.key, MessageKind.BULK, None)
        props = store.contact_properties(TENANT, "c9")
        assert (props.replied, props.first_reply_at, props.last_reply_at) == (False, None, None)
        assert store.report(TENANT).repliers == 0

    def test_the_report_of_an_email_without_sends_is_all_zero(self, store: Store) -> None:
        report = store.report(TENANT, "nothing")
        assert (report.sent, report.replies, report.reply_rate) == (0, 0, 0.0)

    def test_contact_properties_come_from_human_replies_only(self, store: Store) -> None:
        a = make_send(sent_at=T0, email_id="e1", contact_id="c1")
        b = make_send(sent_at=T0, email_id="e2", contact_id="c1")
        store.add_sends(TENANT, [a, b])
        records = [
            reply_to(b, "late@x", hours=30),
            reply_to(a, "early@x", hours=2),
            reply_to(a, "again@x", hours=3),
            reply_to(a, "ooo@x", hours=1, kind=MessageKind.AUTO_REPLY),
        ]
        store.add_replies(TENANT, records)
        props = store.contact_properties(TENANT, "c1")
        assert props == compute_contact_properties("c1", records)
        assert props.first_reply_at == T0 + timedelta(hours=2)
        assert props.last_reply_at == T0 + timedelta(hours=30)
        assert (props.emails_replied, props.reply_count, props.replied) == (2, 3, True)

    def test_a_contact_who_never_replied_has_empty_properties(self, store: Store) -> None:
        props = store.contact_properties(TENANT, "ghost")
        assert (props.replied, props.first_reply_at, props.reply_count) == (False, None, 0)

    # -- cursors -----------------------------------------------------------------
    def test_a_cursor_is_none_until_set_and_then_the_last_value(self, store: Store) -> None:
        assert store.get_cursor(TENANT, "imap:sales") is None
        store.set_cursor(TENANT, "imap:sales", "10")
        store.set_cursor(TENANT, "imap:sales", "42")
        assert store.get_cursor(TENANT, "imap:sales") == "42"

    # -- several processes -------------------------------------------------------
    def test_a_shared_store_reopened_sees_and_counts_the_same_records(self, store: Store) -> None:
        if not isinstance(store, SharedStore):
            pytest.skip(f"{type(store).__name__} is not a SharedStore (it has no reopen())")
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        other = store.reopen()
        try:
            assert other is not store
            assert other.get_sends(TENANT, [send.id]) == {send.id: send}
            assert other.add_replies(TENANT, [reply_to(send, "m@x")]) == [True]
            assert store.add_replies(TENANT, [reply_to(send, "m@x")]) == [False]
            assert store.report(TENANT).replies == 1
        finally:
            other.close()

    # -- tenancy -----------------------------------------------------------------
    def test_one_tenant_never_sees_another_tenants_records(self, store: Store) -> None:
        send = make_send(sent_at=T0)
        store.save_inbox(TENANT, Inbox(id="sales", address="sales@example.com"))
        store.save_contacts(TENANT, [Contact(id="c1", emails=("a@x.example",))])
        store.add_sends(TENANT, [send])
        store.add_replies(TENANT, [reply_to(send, "m@x")])
        store.set_cursor(TENANT, "src", "1")
        assert store.get_inbox(OTHER, "sales") is None
        assert store.list_inboxes(OTHER) == []
        assert store.get_contacts(OTHER, ["c1"]) == {}
        assert store.get_sends(OTHER, [send.id]) == {}
        assert store.find_sends_by_message_id(OTHER, [normalise_msg_id(send.message_id)]) == {}
        assert store.find_sends_to(OTHER, [send.address], T0 - timedelta(1)) == []
        assert store.list_replies(OTHER) == []
        assert store.report(OTHER).sent == 0
        assert store.contact_properties(OTHER, send.contact_id).replied is False
        assert store.get_cursor(OTHER, "src") is None

    def test_two_tenants_may_use_the_same_ids(self, store: Store) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        store.add_sends(OTHER, [send])
        assert store.add_replies(TENANT, [reply_to(send, "m@x")]) == [True]
        assert store.add_replies(OTHER, [reply_to(send, "m@x")]) == [True]
        assert store.report(TENANT).replies == store.report(OTHER).replies == 1
