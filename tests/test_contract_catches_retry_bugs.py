"""The contract on inbox periods, idempotent sends, refused overrides and untracked bounces
is proven by stores it rejects: MemoryStores broken in one way each (the ways this issue's
defects took), which every other contract test lets through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import pytest

from broken_stores import failing_contract_tests
from replytrack import EmailReport, Inbox, MemoryStore, MessageKind, NotFoundError, Reply, Send
from replytrack.reports import compute_report
from replytrack.testing._contract_retries import RetryContract


class KeepsTheLatestPeriodOnly(MemoryStore):
    """Stores an inbox as one (connected_at, disconnected_at) pair, as the schema did."""

    def save_inbox(self, tenant: str, inbox: Inbox) -> None:
        latest = inbox.periods[-1:] if inbox.periods else ()
        super().save_inbox(tenant, attrs.evolve(inbox, periods=latest))


class IgnoresKeys(MemoryStore):
    """Stores every send, whatever its idempotency key (a retry doubles the sends)."""

    def add_sends(self, tenant: str, sends: Sequence[Send]) -> list[Send]:
        return super().add_sends(tenant, [attrs.evolve(s, idempotency_key=None) for s in sends])


class _KeyAlone(dict[Any, str]):
    """(email, key) -> send id, looked up and written by the key alone."""

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(key[1], default)

    def update(self, other: Any = (), /, **_: Any) -> None:
        for (_email, key), send_id in dict(other).items():
            self.setdefault(key, send_id)


class KeysAcrossEmails(MemoryStore):
    """Holds a key across all the tenant's emails instead of per email."""

    def _t(self, tenant: str) -> Any:
        data = super()._t(tenant)
        if not isinstance(data.by_key, _KeyAlone):
            data.by_key = _KeyAlone()
        return data


class ForgetsTheFirstOfABatch(MemoryStore):
    """Dedupes keys against stored sends only: a key repeated within one batch is stored
    twice (the second copy as if it were a resend)."""

    def add_sends(self, tenant: str, sends: Sequence[Send]) -> list[Send]:
        stored = set(self._t(tenant).by_key)
        seen: set[tuple[str, str | None]] = set()
        given = []
        for send in sends:
            key = (send.email_id, send.idempotency_key)
            if send.idempotency_key is not None and key not in stored and key in seen:
                send = attrs.evolve(send, idempotency_key=None)
            seen.add(key)
            given.append(send)
        return super().add_sends(tenant, given)


class SetsAnyKind(MemoryStore):
    """Writes whatever kind it is given, as MemoryStore did: reports fail afterwards."""

    def set_reply_kind(
        self, tenant: str, key: tuple[str, str], kind: MessageKind, subtype: str | None
    ) -> Reply:
        with self._lock:
            stored = self._t(tenant).replies
            if key not in stored:
                raise NotFoundError(f"no reply {key!r}")
            stored[key] = attrs.evolve(stored[key], kind=kind, subtype=subtype)
            return stored[key]


class ChecksTooLate(MemoryStore):
    """Refuses a bad override only after the record was changed."""

    def set_reply_kind(
        self, tenant: str, key: tuple[str, str], kind: MessageKind, subtype: str | None
    ) -> Reply:
        with self._lock:
            stored = self._t(tenant).replies
            if key in stored:
                stored[key] = attrs.evolve(stored[key], subtype=subtype)
        return super().set_reply_kind(tenant, key, kind, subtype)


class SkipsUntrackedBounces(MemoryStore):
    """Counts a bounce against delivery only when the send was tracked."""

    def report(self, tenant: str, email_id: str | None = None) -> EmailReport:
        data = self._t(tenant)
        sends = [s for s in data.sends.values() if email_id in (None, s.email_id)]
        tracked = {s.id for s in sends if s.tracked}
        replies = [
            r
            for r in data.replies.values()
            if email_id in (None, r.email_id)
            and (r.kind is not MessageKind.BOUNCE or r.send_id in tracked)
        ]
        return compute_report(email_id, sends, replies)


RETRY_TESTS = {name for name in vars(RetryContract) if name.startswith("test_")}
PERIODS = "test_an_inbox_keeps_every_connected_period_to_the_microsecond"
AGAIN = "test_a_send_added_again_under_its_key_returns_the_first_and_stores_nothing"
BATCH = "test_within_one_batch_the_first_send_of_a_key_stands"
RESENDS = "test_sends_without_a_key_are_resends_and_always_stored"
PER_EMAIL = "test_a_key_is_unique_per_email_and_tenant"
OVERRIDE = "test_set_reply_kind_refuses_a_kind_or_subtype_that_does_not_fit_and_changes_nothing"
BOUNCE = "test_a_hard_bounce_of_an_untracked_send_counts_against_delivery"


@pytest.mark.parametrize(
    ("broken", "caught_by"),
    [
        (KeepsTheLatestPeriodOnly, {PERIODS}),
        (IgnoresKeys, {AGAIN, BATCH, RESENDS, PER_EMAIL}),
        (KeysAcrossEmails, {PER_EMAIL}),
        (ForgetsTheFirstOfABatch, {BATCH}),
        (SetsAnyKind, {OVERRIDE}),
        (ChecksTooLate, {OVERRIDE}),
        (SkipsUntrackedBounces, {BOUNCE}),
    ],
)
def test_each_broken_store_fails_only_the_contract_tests_written_for_its_bug(
    broken: type[MemoryStore], caught_by: set[str]
) -> None:
    assert caught_by <= RETRY_TESTS
    assert failing_contract_tests(broken) == caught_by


def test_the_reference_store_passes_every_retry_test() -> None:
    assert len(RETRY_TESTS) >= 9
    assert not failing_contract_tests(MemoryStore) & RETRY_TESTS
