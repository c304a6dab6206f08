"""A Hypothesis state machine that drives any Store and MemoryStore alike and compares them.

Usage in a test module::

    from replytrack.testing import store_state_machine

    TestMyStoreMachine = store_state_machine(lambda: MyStore(...)).TestCase

The factory is called once per Hypothesis example and must return an empty
store; its ``close()`` is called at teardown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from replytrack._kinds import SUBTYPES_OF
from replytrack.errors import ConfigurationError, ConflictError
from replytrack.headers import normalise_msg_id
from replytrack.models import (
    DeliveryStatus,
    MatchStrategy,
    MessageKind,
    Quarantined,
    Reply,
    Send,
)
from replytrack.protocols import Store
from replytrack.stores.memory import MemoryStore

__all__ = ["store_state_machine"]

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TENANTS = ("acme", "globex")
EMAILS = ("e1", "e2", "e3")
CONTACTS = ("c1", "c2", "c3", "c4")
KINDS = st.sampled_from(list(MessageKind))
SUBTYPES = st.sampled_from([None, "hard", "soft", "out_of_office"])
#: every (kind, subtype) an override may set
OVERRIDES = st.sampled_from(
    [(kind, subtype) for kind in MessageKind for subtype in (None, *sorted(SUBTYPES_OF[kind]))]
)
#: idempotency keys, few so that they repeat; None: a resend
KEYS = st.sampled_from([None, "k1", "k2", "contact:c1"])


def store_state_machine(factory: Callable[[], Store]) -> type[RuleBasedStateMachine]:
    """A state machine class comparing ``factory()`` stores with MemoryStore."""

    class StoreMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.model = MemoryStore()
            self.store = factory()
            self.sends: list[tuple[str, Send]] = []
            self.replies: list[tuple[str, Reply]] = []
            self.counter = 0

        def teardown(self) -> None:
            self.store.close()

        @rule(
            tenant=st.sampled_from(TENANTS),
            email_id=st.sampled_from(EMAILS),
            contact_id=st.sampled_from(CONTACTS),
            minutes=st.integers(0, 60 * 24 * 60),
            tracked=st.booleans(),
            bounced=st.booleans(),
            size=st.integers(1, 3),
            key=KEYS,
        )
        def add_sends(
            self,
            tenant: str,
            email_id: str,
            contact_id: str,
            minutes: int,
            tracked: bool,
            bounced: bool,
            size: int,
            key: str | None,
        ) -> None:
            batch = []
            for _ in range(size):
                self.counter += 1
                send_id = f"s{self.counter:06d}"
                batch.append(
                    Send(
                        id=send_id,
                        email_id=email_id,
                        contact_id=contact_id,
                        address=f"{contact_id}@example.org",
                        message_id=f"<{send_id}@mail.example.com>",
                        sent_at=T0 + timedelta(minutes=minutes),
                        reply_to="sales@example.com" if tracked else None,
                        inbox_id="sales" if tracked else None,
                        tracked=tracked,
                        untracked_reason=None if tracked else "reply-to-not-connected",
                        delivery=DeliveryStatus.BOUNCED if bounced else DeliveryStatus.SENT,
                        idempotency_key=key,
                    )
                )
            kept = self.model.add_sends(tenant, batch)
            assert self.store.add_sends(tenant, batch) == kept
            self.sends.extend((tenant, s) for s in batch if s in kept)

        @precondition(lambda self: self.sends)
        @rule(data=st.data())
        def re_add_a_send(self, data: st.DataObject) -> None:
            tenant, send = data.draw(st.sampled_from(self.sends))
            self.store.add_sends(tenant, [send])
            clash = attrs.evolve(send, address="other@example.org")
            try:
                self.store.add_sends(tenant, [clash])
            except ConflictError:
                pass
            else:
                raise AssertionError("a conflicting send was accepted")

        @precondition(lambda self: self.sends)
        @rule(
            data=st.data(),
            inbound=st.integers(0, 5),
            hours=st.integers(0, 24 * 90),
            micros=st.integers(0, 999_999),
            kind=KINDS,
            subtype=SUBTYPES,
            fallback=st.booleans(),
            count=st.integers(1, 4),
        )
        def add_replies(
            self,
            data: st.DataObject,
            inbound: int,
            hours: int,
            micros: int,
            kind: MessageKind,
            subtype: str | None,
            fallback: bool,
            count: int,
        ) -> None:
            tenant = data.draw(st.sampled_from(TENANTS))
            mine = [s for t, s in self.sends if t == tenant]
            if not mine:
                return
            batch = []
            for offset in range(count):
                send = data.draw(st.sampled_from(mine))
                batch.append(
                    Reply(
                        send_id=send.id,
                        inbound_id=f"in{(inbound + offset) % 6}@example.org",
                        email_id=send.email_id,
                        contact_id=send.contact_id,
                        inbox_id="sales",
                        received_at=send.sent_at + timedelta(hours=hours, microseconds=micros),
                        kind=kind,
                        subtype=subtype,
                        strategy=MatchStrategy.FALLBACK if fallback else MatchStrategy.TOKEN,
                        confidence=0.6 if fallback else 1.0,
                        from_address=send.address,
                    )
                )
            expected = self.model.add_replies(tenant, batch)
            assert self.store.add_replies(tenant, batch) == expected
            self.replies.extend((tenant, r) for r, new in zip(batch, expected, strict=True) if new)

        @precondition(lambda self: self.replies)
        @rule(data=st.data(), override=OVERRIDES)
        def reclassify(self, data: st.DataObject, override: tuple[MessageKind, str | None]) -> None:
            tenant, reply = data.draw(st.sampled_from(self.replies))
            expected = self.model.set_reply_kind(tenant, reply.key, *override)
            assert self.store.set_reply_kind(tenant, reply.key, *override) == expected

        @precondition(lambda self: self.replies)
        @rule(data=st.data(), bad=st.sampled_from([("bounce", None), (MessageKind.HUMAN, "hard")]))
        def refuse_a_bad_override(self, data: st.DataObject, bad: tuple[object, object]) -> None:
            tenant, reply = data.draw(st.sampled_from(self.replies))
            try:
                self.store.set_reply_kind(tenant, reply.key, *bad)  # type: ignore[arg-type]
            except ConfigurationError:
                pass  # the invariants check that nothing changed
            else:
                raise AssertionError(f"set_reply_kind accepted {bad!r}")

        @precondition(lambda self: self.replies)
        @rule(data=st.data())
        def announce(self, data: st.DataObject) -> None:
            tenant, reply = data.draw(st.sampled_from(self.replies))
            expected = self.model.mark_announced(tenant, reply.key)
            assert self.store.mark_announced(tenant, reply.key) is expected

        @precondition(lambda self: self.sends)
        @rule(data=st.data())
        def record_provider_id(self, data: st.DataObject) -> None:
            tenant, send = data.draw(st.sampled_from(self.sends))
            provider = f"<esp-{send.id}@esp.example>"
            assert self.store.set_provider_message_id(
                tenant, send.id, provider
            ) == self.model.set_provider_message_id(tenant, send.id, provider)

        @rule(
            tenant=st.sampled_from(TENANTS),
            number=st.integers(0, 4),
            micros=st.integers(0, 999_999),
            remove=st.booleans(),
        )
        def quarantine(self, tenant: str, number: int, micros: int, remove: bool) -> None:
            if remove:
                ids = [f"q{number}", f"q{number + 1}"]
                expected = self.model.remove_quarantined(tenant, ids)
                assert self.store.remove_quarantined(tenant, ids) == expected
                return
            raw = bytes(range(256)) * number
            item = Quarantined(
                id=f"q{number}",
                inbox_id=None if number % 2 else "sales",
                source_key="src",
                position=str(number),
                received_at=T0 + timedelta(minutes=number % 3, microseconds=micros),
                quarantined_at=T0 + timedelta(days=1, microseconds=micros),
                reason=f"ValueError: {micros}",
                traceback="pipeline.py:1 each",
                size=len(raw),
                sha256="0" * 64,
                raw=raw,
            )
            self.model.add_quarantined(tenant, [item])
            self.store.add_quarantined(tenant, [item])

        @invariant()
        def quarantine_agrees(self) -> None:
            for tenant in TENANTS:
                assert self.store.list_quarantined(tenant) == self.model.list_quarantined(tenant)

        @invariant()
        def reports_agree(self) -> None:
            for tenant in TENANTS:
                assert self.store.report(tenant) == self.model.report(tenant)
                for email_id in EMAILS:
                    assert self.store.report(tenant, email_id) == self.model.report(
                        tenant, email_id
                    )

        @invariant()
        def contact_properties_agree(self) -> None:
            for tenant in TENANTS:
                for contact_id in CONTACTS:
                    assert self.store.contact_properties(
                        tenant, contact_id
                    ) == self.model.contact_properties(tenant, contact_id)

        @invariant()
        def replies_and_lookups_agree(self) -> None:
            for tenant in TENANTS:
                assert self.store.list_replies(tenant) == self.model.list_replies(tenant)
                ids = [normalise_msg_id(s.message_id) for t, s in self.sends if t == tenant]
                ids += [f"esp-{s.id}@esp.example" for t, s in self.sends if t == tenant]
                assert self.store.find_sends_by_message_id(
                    tenant, ids
                ) == self.model.find_sends_by_message_id(tenant, ids)

    return StoreMachine
