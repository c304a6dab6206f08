"""The part of :class:`~replytrack.testing.StoreContract` on delivery reported by the
sending service (``Store.set_delivery``, behind ``Tracker.record_delivery``): the report's
``bounced`` follows a send's status, counts a send once however often it is set and
whether a bounce message was stored too, and falls back when the status changes back.
``tests/test_contract_catches_delivery_bugs.py`` keeps a store broken in each way and
checks that it fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from replytrack.errors import NotFoundError
from replytrack.models import DeliveryStatus, MessageKind, Reply, Send
from replytrack.protocols import Store
from replytrack.testing.factories import make_send

__all__ = ["DeliveryContract"]

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TENANT = "acme"


def _sends(store: Store, count: int) -> list[Send]:
    sends = [make_send(sent_at=T0, email_id="e1", contact_id=f"c{i}") for i in range(count)]
    store.add_sends(TENANT, sends)
    return sends


def _counts(store: Store) -> tuple[int, int, int]:
    report = store.report(TENANT, "e1")
    return (report.sent, report.bounced, report.delivered)


class DeliveryContract:
    """Delivery statuses set by the sending service; mixed into StoreContract."""

    def test_a_hard_bounce_set_on_a_send_counts_once_however_often_it_is_set(
        self, store: Store
    ) -> None:
        first, second, _ = _sends(store, 3)
        updated = store.set_delivery(TENANT, first.id, DeliveryStatus.BOUNCED)
        assert updated.delivery is DeliveryStatus.BOUNCED
        assert store.get_sends(TENANT, [first.id])[first.id].delivery is DeliveryStatus.BOUNCED
        store.set_delivery(TENANT, first.id, DeliveryStatus.BOUNCED)
        assert _counts(store) == (3, 1, 2)
        store.set_delivery(TENANT, second.id, DeliveryStatus.BOUNCED)
        assert _counts(store) == (3, 2, 1)
        assert store.report(TENANT).bounced == 2

    def test_other_statuses_count_as_delivered_and_a_change_back_uncounts(
        self, store: Store
    ) -> None:
        (send,) = _sends(store, 1)
        for status in (DeliveryStatus.SOFT_BOUNCED, DeliveryStatus.COMPLAINED):
            assert store.set_delivery(TENANT, send.id, status).delivery is status
            assert _counts(store) == (1, 0, 1)
        store.set_delivery(TENANT, send.id, DeliveryStatus.BOUNCED)
        assert _counts(store) == (1, 1, 0)
        store.set_delivery(TENANT, send.id, DeliveryStatus.DELIVERED)
        assert _counts(store) == (1, 0, 1)
        assert store.get_sends(TENANT, [send.id])[send.id].delivery is DeliveryStatus.DELIVERED

    def test_a_send_bounced_by_status_and_by_message_counts_once(self, store: Store) -> None:
        (send,) = _sends(store, 1)
        store.set_delivery(TENANT, send.id, DeliveryStatus.BOUNCED)
        bounce = Reply(
            send_id=send.id,
            inbound_id="dsn@mx.example.org",
            email_id="e1",
            contact_id=send.contact_id,
            inbox_id="sales",
            received_at=T0 + timedelta(hours=1),
            kind=MessageKind.BOUNCE,
            subtype="hard",
        )
        store.add_replies(TENANT, [bounce])
        assert _counts(store) == (1, 1, 0)
        store.set_delivery(TENANT, send.id, DeliveryStatus.DELIVERED)
        assert _counts(store) == (1, 1, 0)  # the bounce message still says so

    def test_a_send_added_again_keeps_the_delivery_set_since(self, store: Store) -> None:
        (send,) = _sends(store, 1)
        store.set_delivery(TENANT, send.id, DeliveryStatus.BOUNCED)
        (again,) = store.add_sends(TENANT, [send])  # a retried batch: no conflict
        assert again.delivery is DeliveryStatus.BOUNCED
        assert store.get_sends(TENANT, [send.id])[send.id].delivery is DeliveryStatus.BOUNCED
        assert _counts(store) == (1, 1, 0)

    def test_setting_the_delivery_of_an_unknown_send_raises_not_found(self, store: Store) -> None:
        (send,) = _sends(store, 1)
        with pytest.raises(NotFoundError):
            store.set_delivery(TENANT, "no-such-send", DeliveryStatus.BOUNCED)
        with pytest.raises(NotFoundError):
            store.set_delivery("other-tenant", send.id, DeliveryStatus.BOUNCED)
        assert _counts(store) == (1, 0, 1)
