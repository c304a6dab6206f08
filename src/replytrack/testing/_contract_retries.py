"""The part of :class:`~replytrack.testing.StoreContract` on what a CRM's retries and
overrides rely on: an inbox keeps every connected period, a send is stored once per
idempotency key, an override with a kind or subtype that does not fit is refused before
anything changes, and a bounce counts against delivery whatever the send's Reply-To was.
``tests/test_contract_catches_retry_bugs.py`` keeps a store broken in each way and checks
that it fails here.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from replytrack.errors import ReplytrackError
from replytrack.models import Inbox, MessageKind, Reply, Send
from replytrack.protocols import SharedStore, Store
from replytrack.testing.factories import make_send

__all__ = ["RetryContract"]

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
TENANT = "acme"
OTHER = "globex"


def _keyed(key: str | None, **changes: Any) -> Send:
    """A new send (fresh id and Message-ID) of email e1 to contact c1, under ``key``."""
    options: dict[str, Any] = {"sent_at": T0, "email_id": "e1", "contact_id": "c1"} | changes
    return attrs.evolve(make_send(**options), idempotency_key=key)


def _reply(send: Send, **changes: Any) -> Reply:
    reply = Reply(
        send_id=send.id,
        inbound_id="m@example.org",
        email_id=send.email_id,
        contact_id=send.contact_id,
        inbox_id="sales",
        received_at=send.sent_at + timedelta(hours=1),
        from_address=send.address,
        subject="Re: hello",
        snippet="yes",
    )
    return attrs.evolve(reply, **changes)


class RetryContract:
    """Inbox periods, idempotent sends, refused overrides, untracked bounces; mixed into
    StoreContract."""

    # -- an inbox keeps every connected period ---------------------------------------
    def test_an_inbox_keeps_every_connected_period_to_the_microsecond(self, store: Store) -> None:
        paris = timezone(timedelta(hours=1))
        periods = (
            (T0, T0 + DAY + timedelta(microseconds=7)),
            (datetime(2026, 3, 5, 10, 0, 0, 1, tzinfo=paris), T0 + 6 * DAY),
            (T0 + 9 * DAY, None),
        )
        inbox = Inbox(id="sales", address="sales@example.com", periods=periods)
        store.save_inbox(TENANT, inbox)
        stored = store.get_inbox(TENANT, "sales")
        assert stored == inbox
        assert stored.periods == inbox.periods
        assert len(stored.periods) == 3
        assert store.list_inboxes(TENANT) == [inbox]
        assert [stored.is_connected_at(T0 + n * DAY) for n in range(11)] == [
            True,
            True,
            False,
            False,
            False,
            True,
            False,
            False,
            False,
            True,
            True,
        ]  # fmt: skip  (ends are excluded; the second period starts a microsecond late)

    def test_an_inbox_never_connected_and_one_disconnected_are_read_back_as_such(
        self, store: Store
    ) -> None:
        never = Inbox(id="never", address="never@example.com")
        gone = Inbox(id="gone", address="gone@example.com", periods=[(T0, T0 + DAY)])
        store.save_inbox(TENANT, never)
        store.save_inbox(TENANT, gone)
        assert store.get_inbox(TENANT, "never") == never
        assert store.get_inbox(TENANT, "never").periods == ()  # type: ignore[union-attr]
        assert store.get_inbox(TENANT, "gone") == gone
        assert store.get_inbox(TENANT, "gone").disconnected_at == T0 + DAY  # type: ignore[union-attr]

    # -- a send is stored once per idempotency key -----------------------------------
    def test_a_send_added_again_under_its_key_returns_the_first_and_stores_nothing(
        self, store: Store
    ) -> None:
        first = _keyed("crm-1")
        assert store.add_sends(TENANT, [first]) == [first]
        retry = _keyed("crm-1", sent_at=T0 + timedelta(minutes=5))
        assert store.add_sends(TENANT, [retry]) == [first]
        assert store.get_sends(TENANT, [first.id, retry.id]) == {first.id: first}
        assert store.find_sends_by_message_id(TENANT, [retry.message_id.strip("<>")]) == {}
        assert store.report(TENANT).sent == store.report(TENANT, "e1").sent == 1

    def test_within_one_batch_the_first_send_of_a_key_stands(self, store: Store) -> None:
        a, b, c = _keyed("contact:c1"), _keyed("contact:c1"), _keyed("contact:c2")
        assert store.add_sends(TENANT, [a, b, c, b]) == [a, a, c, a]
        assert set(store.get_sends(TENANT, [a.id, b.id, c.id])) == {a.id, c.id}
        assert store.report(TENANT).sent == 2

    def test_sends_without_a_key_are_resends_and_always_stored(self, store: Store) -> None:
        keyed, resends = _keyed("k"), [_keyed(None), _keyed(None)]
        assert store.add_sends(TENANT, [keyed, *resends]) == [keyed, *resends]
        assert store.add_sends(TENANT, [_keyed("k")]) == [keyed]
        assert store.report(TENANT).sent == 3

    def test_a_key_is_unique_per_email_and_tenant(self, store: Store) -> None:
        first, other_email = _keyed("k"), _keyed("k", email_id="e2")
        assert store.add_sends(TENANT, [first, other_email]) == [first, other_email]
        elsewhere = _keyed("k")
        assert store.add_sends(OTHER, [elsewhere]) == [elsewhere]
        assert store.add_sends(TENANT, [_keyed("k", email_id="e2")]) == [other_email]
        assert (store.report(TENANT).sent, store.report(OTHER).sent) == (2, 1)

    def test_re_adding_a_stored_send_returns_it_as_stored(self, store: Store) -> None:
        send = _keyed("k")
        store.add_sends(TENANT, [send])
        updated = store.set_provider_message_id(TENANT, send.id, "<esp-1@esp.example>")
        assert store.add_sends(TENANT, [send]) == [updated]

    def test_two_connections_adding_one_key_at_once_store_it_once(self, store: Store) -> None:
        if not isinstance(store, SharedStore):
            pytest.skip(f"{type(store).__name__} is not a SharedStore (it has no reopen())")
        others = [store.reopen() for _ in range(4)]
        start = threading.Barrier(len(others))
        got: list[list[Send]] = [[] for _ in others]
        errors: list[BaseException] = []

        def retry(number: int, connection: Store) -> None:
            try:
                start.wait(30)
                got[number] = connection.add_sends(TENANT, [_keyed("crm-1"), _keyed(None)])
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=retry, args=item) for item in enumerate(others)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        finally:
            for other in others:
                other.close()
        assert not errors, errors
        firsts = {sends[0] for sends in got}
        assert len(firsts) == 1
        assert store.report(TENANT).sent == 1 + len(others)  # the key once, every resend

    # -- an override that does not fit is refused before anything changes -------------
    def test_set_reply_kind_refuses_a_kind_or_subtype_that_does_not_fit_and_changes_nothing(
        self, store: Store
    ) -> None:
        send = _keyed(None)
        store.add_sends(TENANT, [send])
        reply = _reply(send)
        store.add_replies(TENANT, [reply])
        before = store.report(TENANT)
        misfits: list[tuple[Any, Any]] = [
            ("bounce", None),
            (MessageKind.BOUNCE, "out_of_office"),
            (MessageKind.HUMAN, "hard"),
            (MessageKind.AUTO_REPLY, "no-such-subtype"),
        ]
        for kind, subtype in misfits:
            with pytest.raises(ReplytrackError, match=r"kind|subtype") as refused:
                store.set_reply_kind(TENANT, reply.key, kind, subtype)
            assert isinstance(refused.value, ValueError), (kind, subtype)
            assert store.list_replies(TENANT) == [reply], (kind, subtype)
            assert store.report(TENANT) == before, (kind, subtype)
        assert store.report(TENANT, "e1").replies == 1
        assert store.contact_properties(TENANT, "c1").reply_count == 1
        bounced = store.set_reply_kind(TENANT, reply.key, MessageKind.BOUNCE, "hard")
        assert (bounced.kind, bounced.subtype) == (MessageKind.BOUNCE, "hard")
        assert store.report(TENANT).bounced == 1

    # -- a bounce counts against delivery whatever the Reply-To was --------------------
    def test_a_hard_bounce_of_an_untracked_send_counts_against_delivery(self, store: Store) -> None:
        send = make_send(sent_at=T0, email_id="e1", tracked=False, untracked_reason="no-inbox")
        store.add_sends(TENANT, [send])
        store.add_replies(TENANT, [_reply(send, kind=MessageKind.BOUNCE, subtype="hard")])
        report = store.report(TENANT, "e1")
        assert (report.sent, report.untracked, report.bounced, report.delivered) == (1, 1, 1, 0)
        assert dict(report.automatic) == {"bounce": 1}
