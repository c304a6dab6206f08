"""The part of :class:`~replytrack.testing.StoreContract` on what ingest relies on to lose
nothing and count nothing twice: the quarantine, text from mail, counts across batches
and exact times. Each test was written against a store broken in that one way
(``tests/test_contract_rejects_broken_stores.py`` keeps those stores and checks that
each still fails here).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from replytrack._text import MAX_ID_CHARS, CleanText
from replytrack.models import Contact, MessageKind, Quarantined, Reply, Send
from replytrack.protocols import Store
from replytrack.reports import compute_contact_properties, compute_report
from replytrack.testing.factories import make_send

__all__ = ["SafetyContract"]

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TENANT = "acme"
OTHER = "globex"
# Text a store must keep exactly: controls, BOM, non-characters, astral, combining, RTL.
ODD_TEXT = "a\x01\x1f\x7f\x85\u2028\ufeff\ufffe\uffff\U0001f600 é\u0301 中文 \u202eabc \ufffd z"


def _reply(send: Send, inbound_id: str, at: datetime, **changes: Any) -> Reply:
    reply = Reply(
        send_id=send.id,
        inbound_id=inbound_id,
        email_id=send.email_id,
        contact_id=send.contact_id,
        inbox_id="sales",
        received_at=at,
        from_address=send.address,
        subject="Re: hello",
        snippet="yes",
    )
    return attrs.evolve(reply, **changes)


def _quarantined(number: int, **changes: Any) -> Quarantined:
    raw = b"From: x@example.org\r\nSubject: \x00\xff\xfe\r\n\r\nbody \x00\x80\r\n" * number
    item = Quarantined(
        id=f"q{number:04d}",
        inbox_id="sales",
        source_key="mbox:/var/mail/sales",
        position=str(1000 + number),
        received_at=T0 + timedelta(minutes=number, microseconds=123_457),
        quarantined_at=T0 + timedelta(days=1, microseconds=1),
        reason="TypeError: can't compare naïve and aware datetimes ✓",
        traceback="pipeline.py:301 each > _autoreply_body.py:88 return_date",
        size=len(raw),
        sha256="0" * 64,
        raw=raw,
    )
    return attrs.evolve(item, **changes)


class SafetyContract:
    """Quarantine, text from mail, counts across batches, exact times."""

    # -- quarantine --------------------------------------------------------------
    def test_a_quarantined_message_round_trips_every_field_and_byte(self, store: Store) -> None:
        kept = _quarantined(1)
        unknown = _quarantined(2, inbox_id=None, source_key=None, position=None, raw=b"")
        store.add_quarantined(TENANT, [kept, unknown])
        assert store.list_quarantined(TENANT) == [kept, unknown]
        assert store.list_quarantined(TENANT)[0].raw == kept.raw

    def test_quarantining_an_id_again_replaces_its_record(self, store: Store) -> None:
        store.add_quarantined(TENANT, [_quarantined(1)])
        later = _quarantined(1, reason="ValueError: again", quarantined_at=T0 + timedelta(2))
        last = _quarantined(1, reason="ValueError: last one wins")
        store.add_quarantined(TENANT, [later, last])
        assert store.list_quarantined(TENANT) == [last]

    def test_quarantined_messages_are_listed_by_time_and_filtered(self, store: Store) -> None:
        same_time = T0 + timedelta(hours=5)
        items = [
            _quarantined(3),
            _quarantined(1, inbox_id="support"),
            _quarantined(7, id="b", received_at=same_time),
            _quarantined(8, id="a", received_at=same_time),
        ]
        store.add_quarantined(TENANT, items)
        assert [q.id for q in store.list_quarantined(TENANT)] == ["q0001", "q0003", "a", "b"]
        assert [q.id for q in store.list_quarantined(TENANT, inbox_id="support")] == ["q0001"]
        assert [q.id for q in store.list_quarantined(TENANT, ids=["b", "q0003", "x"])] == [
            "q0003",
            "b",
        ]
        assert store.list_quarantined(TENANT, ids=[]) == []
        store.add_quarantined(TENANT, [])
        assert len(store.list_quarantined(TENANT)) == 4

    def test_removing_quarantined_messages_says_how_many_went(self, store: Store) -> None:
        store.add_quarantined(TENANT, [_quarantined(1), _quarantined(2), _quarantined(3)])
        assert store.remove_quarantined(TENANT, ["q0001", "q0003", "nope"]) == 2
        assert store.remove_quarantined(TENANT, []) == 0
        assert [q.id for q in store.list_quarantined(TENANT)] == ["q0002"]

    def test_one_tenant_never_sees_another_tenants_quarantine(self, store: Store) -> None:
        store.add_quarantined(TENANT, [_quarantined(1)])
        store.add_quarantined(OTHER, [_quarantined(1, reason="theirs")])
        assert store.list_quarantined(OTHER)[0].reason == "theirs"
        assert store.remove_quarantined(OTHER, ["q0001"]) == 1
        assert [q.reason for q in store.list_quarantined(TENANT)] == [_quarantined(1).reason]

    # -- text ------------------------------------------------------------------------
    def test_any_storable_text_round_trips_exactly(self, store: Store) -> None:
        send = make_send(sent_at=T0, address="ann@example.org")
        store.add_sends(TENANT, [send])
        reply = _reply(
            send,
            f"<{ODD_TEXT}@x>",
            T0 + timedelta(hours=1),
            from_address=ODD_TEXT,
            alternate_address=ODD_TEXT,
            subject=ODD_TEXT,
            snippet=ODD_TEXT * 20,
        )
        assert store.add_replies(TENANT, [reply]) == [True]
        assert store.list_replies(TENANT) == [reply]
        assert store.add_replies(TENANT, [reply]) == [False]

    def test_text_from_mail_is_stored_cleaned_the_same_on_every_store(self, store: Store) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        gate = CleanText(store)
        at = T0 + timedelta(hours=1)
        dirty = _reply(
            send,
            "<a\x00b@x>",
            at,
            from_address="bob\x00@example.org",
            alternate_address="\udc80bob@example.org",
            subject="Re: \ud83d hello\x00",
            snippet="yes\x00 \udfff",
        )
        long_id = _reply(send, "<" + "x" * 2 * MAX_ID_CHARS + "@x>", at)
        assert gate.add_replies(TENANT, [dirty, long_id]) == [True, True]
        stored = {r.subject: r for r in store.list_replies(TENANT)}
        cleaned = stored["Re: \ufffd hello\ufffd"]
        assert (cleaned.inbound_id, cleaned.from_address, cleaned.alternate_address) == (
            "<a\ufffdb@x>",
            "bob\ufffd@example.org",
            "\ufffdbob@example.org",
        )
        assert cleaned.snippet == "yes\ufffd \ufffd"
        hashed = stored["Re: hello"].inbound_id
        assert hashed.startswith("sha256:")
        assert len(hashed) == len("sha256:") + 32
        # the same dirty message read again is the same record, never a second one
        assert gate.add_replies(TENANT, [dirty, long_id]) == [False, False]
        assert store.report(TENANT).replies == 2

    def test_lookups_with_text_no_store_holds_find_nothing_and_never_raise(
        self, store: Store
    ) -> None:
        send = make_send(sent_at=T0, message_id="<ours@mail.example.com>")
        store.add_sends(TENANT, [send])
        store.save_contacts(TENANT, [Contact(id="c1", emails=("ann@example.org",))])
        gate = CleanText(store)
        ids = ["ours@mail.example.com", "a\x00b@x", "\ud800@x", "x" * 3000 + "\x00@x"]
        assert gate.find_sends_by_message_id(TENANT, ids) == {"ours@mail.example.com": send}
        assert gate.find_sends_to(TENANT, ["a\x00@x", "\udc80@x"], T0 - timedelta(1)) == []
        assert gate.get_sends(TENANT, [send.id, "s\x00", "\ud800"]) == {send.id: send}
        assert list(gate.get_contacts(TENANT, ["c1", "c\x00", "\udfff"])) == ["c1"]

    def test_a_quarantine_reason_from_mail_is_stored_cleaned(self, store: Store) -> None:
        item = _quarantined(1, reason="ValueError: '\x00\ud800'", position="k\udc80")
        CleanText(store).add_quarantined(TENANT, [item])
        [kept] = store.list_quarantined(TENANT)
        assert (kept.reason, kept.position) == ("ValueError: '\ufffd\ufffd'", "k\ufffd")
        assert kept.raw == item.raw

    # -- counts across batches and exact times ------------------------------------------
    def test_a_reply_delivered_again_in_a_later_batch_changes_no_count(self, store: Store) -> None:
        ann = make_send(sent_at=T0, email_id="e1", contact_id="c1")
        bob = make_send(sent_at=T0, email_id="e1", contact_id="c2")
        store.add_sends(TENANT, [ann, bob])
        first = _reply(ann, "m1@x", T0 + timedelta(hours=1))
        assert store.add_replies(TENANT, [first]) == [True]
        before = (store.report(TENANT, "e1"), store.contact_properties(TENANT, "c1"))
        again = attrs.evolve(first, received_at=T0 + timedelta(hours=9), subject="Re: again")
        assert store.add_replies(TENANT, [_reply(bob, "m2@x", T0), again]) == [True, False]
        assert store.add_replies(TENANT, [again]) == [False]
        report = store.report(TENANT, "e1")
        assert (report.replies, report.repliers) == (before[0].replies + 1, 2)
        assert store.contact_properties(TENANT, "c1") == before[1]
        assert store.list_replies(TENANT, contact_id="c1") == [first]

    def test_repliers_and_emails_replied_count_each_pair_once_across_batches(
        self, store: Store
    ) -> None:
        e1 = make_send(sent_at=T0, email_id="e1", contact_id="c1")
        e2 = make_send(sent_at=T0, email_id="e2", contact_id="c1")
        store.add_sends(TENANT, [e1, e2])
        records = [_reply(e1, f"m{n}@x", T0 + timedelta(hours=n)) for n in range(1, 4)]
        records.append(_reply(e2, "m9@x", T0 + timedelta(hours=9)))
        for record in records:  # one batch each
            assert store.add_replies(TENANT, [record]) == [True]
        assert store.add_replies(TENANT, records[1:3]) == [False, False]
        report = store.report(TENANT, "e1")
        assert (report.replies, report.repliers) == (3, 1)
        assert store.report(TENANT) == compute_report(None, [e1, e2], records)
        assert store.report(TENANT).repliers == 2  # (e1, c1) and (e2, c1)
        props = store.contact_properties(TENANT, "c1")
        assert props == compute_contact_properties("c1", records)
        assert (props.reply_count, props.emails_replied) == (4, 2)

    def test_sub_second_times_round_trip_to_the_microsecond(self, store: Store) -> None:
        sent_at = T0 + timedelta(microseconds=999_999)
        send = make_send(sent_at=sent_at, contact_id="c7")
        store.add_sends(TENANT, [send])
        assert store.get_sends(TENANT, [send.id])[send.id].sent_at == sent_at
        early = _reply(send, "early@x", sent_at + timedelta(seconds=1, microseconds=1))
        late = _reply(send, "late@x", early.received_at + timedelta(microseconds=1))
        store.add_replies(TENANT, [late])
        store.add_replies(TENANT, [early])
        assert store.list_replies(TENANT) == [late, early]
        props = store.contact_properties(TENANT, "c7")
        assert (props.first_reply_at, props.last_reply_at) == (
            early.received_at,
            late.received_at,
        )
        kind = MessageKind.AUTO_REPLY
        store.set_reply_kind(TENANT, late.key, kind, None)
        assert store.contact_properties(TENANT, "c7").last_reply_at == early.received_at
