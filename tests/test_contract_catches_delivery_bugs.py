"""The contract on delivery set by the sending service is proven by stores it rejects:
MemoryStores broken in one way each, which every other contract test lets through."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pytest

from broken_stores import failing_contract_tests
from replytrack import DeliveryStatus, EmailReport, MemoryStore, Send
from replytrack.reports import is_hard_bounce
from replytrack.testing import make_send
from replytrack.testing._contract_delivery import DeliveryContract


class ForgetsTheStatus(MemoryStore):
    """Returns the updated send but never stores it."""

    def set_delivery(self, tenant: str, send_id: str, delivery: DeliveryStatus) -> Send:
        send = self._t(tenant).sends.get(send_id)
        if send is None:
            return super().set_delivery(tenant, send_id, delivery)
        return attrs.evolve(send, delivery=delivery)


class NeverUnbounces(MemoryStore):
    """Keeps a bounced send bounced whatever status comes later."""

    def set_delivery(self, tenant: str, send_id: str, delivery: DeliveryStatus) -> Send:
        send = self._t(tenant).sends.get(send_id)
        if send is not None and send.delivery is DeliveryStatus.BOUNCED:
            return send
        return super().set_delivery(tenant, send_id, delivery)


class CountsBothBounces(MemoryStore):
    """Adds bounced statuses and hard bounce messages, a send bounced both ways twice."""

    def report(self, tenant: str, email_id: str | None = None) -> EmailReport:
        data = self._t(tenant)
        report = super().report(tenant, email_id)
        sends = {s.id for s in data.sends.values() if s.delivery is DeliveryStatus.BOUNCED}
        messages = [r for r in data.replies.values() if is_hard_bounce(r) and r.send_id in sends]
        return attrs.evolve(report, bounced=report.bounced + len(messages))


class InventsUnknownSends(MemoryStore):
    """Returns a made-up send for an id it does not hold."""

    def set_delivery(self, tenant: str, send_id: str, delivery: DeliveryStatus) -> Send:
        if send_id not in self._t(tenant).sends:
            return attrs.evolve(make_send(send_id=send_id), delivery=delivery)
        return super().set_delivery(tenant, send_id, delivery)


class ResetsASendAddedAgain(MemoryStore):
    """Takes a send added again as given, losing the delivery set since."""

    def add_sends(self, tenant: str, sends: Sequence[Send]) -> list[Send]:
        stored = self._t(tenant).sends
        for send in sends:
            if send.id in stored:
                stored[send.id] = attrs.evolve(stored[send.id], delivery=send.delivery)
        return super().add_sends(tenant, sends)


DELIVERY_TESTS = {name for name in vars(DeliveryContract) if name.startswith("test_")}
ONCE = "test_a_hard_bounce_set_on_a_send_counts_once_however_often_it_is_set"
BACK = "test_other_statuses_count_as_delivered_and_a_change_back_uncounts"
BOTH = "test_a_send_bounced_by_status_and_by_message_counts_once"
MARKED = "test_a_hard_bounce_on_a_send_marked_bounced_counts_once"  # an older contract test
AGAIN = "test_a_send_added_again_keeps_the_delivery_set_since"
UNKNOWN = "test_setting_the_delivery_of_an_unknown_send_raises_not_found"


@pytest.mark.parametrize(
    ("broken", "caught_by"),
    [
        (ForgetsTheStatus, {ONCE, BACK, AGAIN}),
        (NeverUnbounces, {BACK}),
        (CountsBothBounces, {BOTH, MARKED}),
        (InventsUnknownSends, {UNKNOWN}),
        (ResetsASendAddedAgain, {AGAIN}),
    ],
)
def test_each_broken_store_fails_only_the_contract_tests_written_for_its_bug(
    broken: type[MemoryStore], caught_by: set[str]
) -> None:
    assert caught_by - {MARKED} <= DELIVERY_TESTS
    assert failing_contract_tests(broken) == caught_by


def test_the_reference_store_passes_every_delivery_test() -> None:
    assert len(DELIVERY_TESTS) == 5
    assert not failing_contract_tests(MemoryStore) & DELIVERY_TESTS
