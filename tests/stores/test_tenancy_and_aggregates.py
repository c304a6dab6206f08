"""Tenancy through the tracker, and maintained aggregates equal to recomputation from the rows."""

from __future__ import annotations

import random
from datetime import timedelta

import attrs
from store_helpers import RECEIVED, T0, make_tracker, seed

from replytrack import Contact, DeliveryStatus, MatchStrategy, MessageKind, Outcome, Reply, Send
from replytrack._kinds import SUBTYPES_OF
from replytrack.headers import normalise_msg_id
from replytrack.protocols import Store
from replytrack.reports import compute_contact_properties, compute_report
from replytrack.stores import open_store
from replytrack.testing import make_message, make_send

TENANTS = ("acme", "globex")
EMAILS = ("e1", "e2", "e3")
CONTACTS = tuple(f"c{n}" for n in range(6))


def test_a_message_carrying_another_tenants_valid_message_id_never_matches(store_url: str) -> None:
    theirs = seed(store_url, 3, tenant="globex")
    seed(store_url, 3, tenant="acme", domain="acme.example")
    store = open_store(store_url)
    try:
        globex = make_tracker(store, "globex")
        send = store.find_sends_to("globex", ["c0@example.org"], T0)
        globex.record_provider_message_id(send[0].id, "<esp-1@esp.example>")
        acme = make_tracker(store, "acme")
        by_provider = make_message(from_address="c0@example.org", in_reply_to="<esp-1@esp.example>")
        results = acme.ingest_many("sales", [(m, RECEIVED) for m in [*theirs, by_provider]])
        assert {r.outcome for r in results} == {Outcome.NOT_A_REPLY}
        assert store.find_sends_by_message_id("acme", ["esp-1@esp.example"]) == {}
        ours = normalise_msg_id(send[0].message_id)
        assert store.find_sends_by_message_id("acme", [ours]) == {}
        assert store.report("acme").replies == 0
        assert [r.outcome for r in globex.ingest_many("sales", [(theirs[0], RECEIVED)])] == [
            Outcome.REPLY
        ]
        assert (store.report("globex").replies, store.report("acme").replies) == (1, 0)
    finally:
        store.close()  # type: ignore[attr-defined]


def _random_ops(store: Store, rng: random.Random, sends: dict[str, list[Send]]) -> None:
    keys: dict[str, list[tuple[str, str]]] = {t: [] for t in TENANTS}
    for step in range(150):
        tenant = rng.choice(TENANTS)
        roll = rng.random()
        if roll < 0.3 or not sends[tenant]:
            batch = [
                attrs.evolve(
                    make_send(
                        email_id=rng.choice(EMAILS),
                        contact_id=rng.choice(CONTACTS),
                        sent_at=T0 + timedelta(minutes=rng.randrange(5000)),
                        tracked=rng.random() < 0.8,
                        untracked_reason=rng.choice([None, "no-inbox", "disconnected"]),
                    ),
                    delivery=rng.choice([DeliveryStatus.SENT, DeliveryStatus.BOUNCED]),
                )
                for _ in range(rng.randint(1, 4))
            ]
            store.add_sends(tenant, batch)
            sends[tenant].extend(batch)
        elif roll < 0.8 or not keys[tenant]:
            batch = []
            for n in range(rng.randint(1, 6)):
                send = rng.choice(sends[tenant])
                batch.append(
                    Reply(
                        send_id=send.id,
                        inbound_id=f"in{step}-{n % 3}@x",
                        email_id=send.email_id,
                        contact_id=send.contact_id,
                        inbox_id="sales",
                        received_at=send.sent_at + timedelta(hours=rng.randrange(500)),
                        kind=rng.choice(list(MessageKind)),
                        subtype=rng.choice([None, "hard", "soft", "delayed"]),
                        strategy=rng.choice(list(MatchStrategy)),
                    )
                )
            for reply, new in zip(batch, store.add_replies(tenant, batch), strict=True):
                if new:
                    keys[tenant].append(reply.key)
        else:
            kind = rng.choice(list(MessageKind))
            subtype = rng.choice([None, *sorted(SUBTYPES_OF[kind])])  # the kind's own
            store.set_reply_kind(tenant, rng.choice(keys[tenant]), kind, subtype)


def test_reports_and_contact_properties_equal_recomputation_after_random_operations(
    store_url: str,
) -> None:
    store = open_store(store_url)
    try:
        sends: dict[str, list[Send]] = {t: [] for t in TENANTS}
        for seed_value in range(3):  # checked after each round, on a growing store
            _random_ops(store, random.Random(seed_value), sends)
            for tenant in TENANTS:
                replies = store.list_replies(tenant)
                assert store.report(tenant) == compute_report(None, sends[tenant], replies)
                for email in EMAILS:
                    assert store.report(tenant, email) == compute_report(
                        email,
                        [s for s in sends[tenant] if s.email_id == email],
                        [r for r in replies if r.email_id == email],
                    )
                for contact in CONTACTS:
                    assert store.contact_properties(tenant, contact) == (
                        compute_contact_properties(contact, replies)
                    )
    finally:
        store.close()  # type: ignore[attr-defined]


def test_saved_contacts_keep_their_properties(store_url: str) -> None:
    store = open_store(store_url)
    try:
        contact = Contact(id="c1", emails=("a@x.example",), properties={"plan": "pro", "n": [1]})
        store.save_contacts("acme", [contact])
        assert dict(store.get_contacts("acme", ["c1"])["c1"].properties) == {
            "plan": "pro",
            "n": [1],
        }
    finally:
        store.close()  # type: ignore[attr-defined]
