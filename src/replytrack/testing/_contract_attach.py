"""The part of :class:`~replytrack.testing.StoreContract` on what a stored record is
attached to and announced as: a threadless message attaches by the fallback to at most
one send per contact, and a record is announced as a new human reply at most once.
``tests/test_contract_catches_attach_bugs.py`` keeps a store broken in each way and checks
that it fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from replytrack.errors import NotFoundError
from replytrack.models import MatchStrategy, MessageKind, Reply, Send
from replytrack.protocols import SharedStore, Store
from replytrack.testing.factories import make_send

__all__ = ["AttachContract"]

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TENANT = "acme"
OTHER = "globex"
FALLBACK = MatchStrategy.FALLBACK


def _reply(send: Send, inbound_id: str, **changes: Any) -> Reply:
    reply = Reply(
        send_id=send.id,
        inbound_id=inbound_id,
        email_id=send.email_id,
        contact_id=send.contact_id,
        inbox_id=send.inbox_id or "sales",
        received_at=send.sent_at + timedelta(hours=1),
        from_address=send.address,
        subject="Re: Spring sale",
        snippet="yes",
    )
    return attrs.evolve(reply, **changes)


def _two_sends(store: Store, **changes: Any) -> tuple[Send, Send]:
    """Two sends to one contact, through two inboxes (two emails with one subject)."""
    first = make_send(sent_at=T0, email_id="e1", contact_id="c1", inbox_id="sales", **changes)
    second = make_send(sent_at=T0, email_id="e2", contact_id="c1", inbox_id="support", **changes)
    store.add_sends(TENANT, [first, second])
    return first, second


class AttachContract:
    """Fallback attachment and announcements; mixed into StoreContract."""

    # -- a threadless message attaches to one send per contact ----------------------
    def test_a_message_attached_by_the_fallback_is_not_attached_to_the_contacts_other_send(
        self, store: Store
    ) -> None:
        first, second = _two_sends(store)
        assert store.add_replies(TENANT, [_reply(first, "m@x", strategy=FALLBACK)]) == [True]
        assert store.add_replies(TENANT, [_reply(second, "m@x", strategy=FALLBACK)]) == [False]
        assert [r.send_id for r in store.list_replies(TENANT)] == [first.id]
        report = store.report(TENANT)
        assert (report.replies, report.repliers, report.fallback_matches) == (1, 1, 1)
        assert store.contact_properties(TENANT, "c1").emails_replied == 1

    def test_within_one_batch_the_first_fallback_record_of_a_message_wins(
        self, store: Store
    ) -> None:
        first, second = _two_sends(store)
        batch = [_reply(second, "m@x", strategy=FALLBACK), _reply(first, "m@x", strategy=FALLBACK)]
        assert store.add_replies(TENANT, batch) == [True, False]
        assert [r.send_id for r in store.list_replies(TENANT)] == [second.id]
        assert store.report(TENANT).replies == 1

    def test_the_fallback_limit_is_per_contact_and_message_and_leaves_threaded_records_alone(
        self, store: Store
    ) -> None:
        first, second = _two_sends(store)
        other = make_send(sent_at=T0, email_id="e2", contact_id="c2")
        store.add_sends(TENANT, [other])
        records = [
            _reply(first, "m@x", strategy=FALLBACK),
            _reply(other, "m@x", strategy=FALLBACK),  # another contact: its own claim
            _reply(second, "n@x", strategy=FALLBACK),  # another message
            _reply(second, "m@x"),  # matched by token: never limited
        ]
        assert store.add_replies(TENANT, records) == [True, True, True, True]
        again = _reply(first, "m@x", strategy=FALLBACK, received_at=T0 + timedelta(hours=5))
        assert store.add_replies(TENANT, [again]) == [False]
        assert store.report(TENANT).replies == 4

    def test_the_fallback_limit_is_kept_per_tenant(self, store: Store) -> None:
        first, second = _two_sends(store)
        store.add_sends(OTHER, [second])
        assert store.add_replies(TENANT, [_reply(first, "m@x", strategy=FALLBACK)]) == [True]
        assert store.add_replies(OTHER, [_reply(second, "m@x", strategy=FALLBACK)]) == [True]

    def test_two_processes_attaching_one_message_by_the_fallback_store_it_once(
        self, store: Store
    ) -> None:
        if not isinstance(store, SharedStore):
            pytest.skip(f"{type(store).__name__} is not a SharedStore (it has no reopen())")
        first, second = _two_sends(store)
        other = store.reopen()
        try:
            results = [
                other.add_replies(TENANT, [_reply(first, "m@x", strategy=FALLBACK)]),
                store.add_replies(TENANT, [_reply(second, "m@x", strategy=FALLBACK)]),
            ]
            assert results == [[True], [False]]
            assert store.report(TENANT).replies == 1
        finally:
            other.close()

    # -- a record is announced as a new human reply at most once --------------------
    def test_a_record_stored_as_human_is_already_announced(self, store: Store) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        reply = _reply(send, "m@x")
        store.add_replies(TENANT, [reply])
        assert store.mark_announced(TENANT, reply.key) is False

    def test_a_record_stored_as_automatic_is_announced_once_whatever_its_kind_does(
        self, store: Store
    ) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        ooo = _reply(send, "ooo@x", kind=MessageKind.AUTO_REPLY, subtype="out_of_office")
        store.add_replies(TENANT, [ooo])
        store.set_reply_kind(TENANT, ooo.key, MessageKind.HUMAN, None)
        assert store.mark_announced(TENANT, ooo.key) is True
        store.set_reply_kind(TENANT, ooo.key, MessageKind.AUTO_REPLY, None)
        store.set_reply_kind(TENANT, ooo.key, MessageKind.HUMAN, None)
        assert store.mark_announced(TENANT, ooo.key) is False

    def test_announcements_are_kept_per_tenant_and_record(self, store: Store) -> None:
        send = make_send(sent_at=T0)
        store.add_sends(TENANT, [send])
        store.add_sends(OTHER, [send])
        bounce = _reply(send, "b@x", kind=MessageKind.BOUNCE, subtype="hard")
        store.add_replies(TENANT, [bounce, _reply(send, "other@x", kind=MessageKind.BULK)])
        store.add_replies(OTHER, [bounce])
        assert store.mark_announced(TENANT, bounce.key) is True
        assert store.mark_announced(OTHER, bounce.key) is True
        assert store.mark_announced(TENANT, (send.id, "other@x")) is True

    def test_announcing_an_unknown_record_raises_not_found(self, store: Store) -> None:
        with pytest.raises(NotFoundError):
            store.mark_announced(TENANT, ("nope", "nope"))
