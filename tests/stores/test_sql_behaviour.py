"""Behaviour of the SQL stores beyond the shipped contract (both stores, same expectations)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import attrs
import pytest
from store_helpers import T0

from replytrack import ConflictError, DeliveryStatus, MessageKind, Reply, Send, Store
from replytrack.headers import normalise_msg_id
from replytrack.stores import open_store
from replytrack.testing import make_send

TENANT = "acme"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    store = open_store(store_url)
    yield store
    store.close()  # type: ignore[attr-defined]


def _reply(send: Send, inbound: str, hours: int, kind: MessageKind) -> Reply:
    return Reply(
        send_id=send.id,
        inbound_id=inbound,
        email_id=send.email_id,
        contact_id=send.contact_id,
        inbox_id="sales",
        received_at=T0 + timedelta(hours=hours),
        kind=kind,
    )


def test_a_sql_store_satisfies_the_store_protocol(store: Store) -> None:
    assert isinstance(store, Store)


def test_a_provider_message_id_owned_by_another_send_is_refused(store: Store) -> None:
    first, second = make_send(sent_at=T0), make_send(sent_at=T0)
    store.add_sends(TENANT, [first, second])
    with pytest.raises(ConflictError):
        store.set_provider_message_id(TENANT, second.id, first.message_id)
    assert store.get_sends(TENANT, [second.id])[second.id].provider_message_id is None


def test_a_new_provider_message_id_replaces_the_old_one(store: Store) -> None:
    send = make_send(sent_at=T0)
    store.add_sends(TENANT, [send])
    store.set_provider_message_id(TENANT, send.id, "<old@esp.example>")
    store.set_provider_message_id(TENANT, send.id, "<new@esp.example>")
    found = store.find_sends_by_message_id(
        TENANT, ["old@esp.example", "new@esp.example", normalise_msg_id(send.message_id)]
    )
    assert sorted(found) == sorted(["new@esp.example", normalise_msg_id(send.message_id)])


def test_two_sends_with_one_message_id_in_a_batch_are_refused_whole(store: Store) -> None:
    first = make_send(sent_at=T0, message_id="<dup@mail.example.com>")
    second = make_send(sent_at=T0, message_id="<dup@mail.example.com>")
    with pytest.raises(ConflictError):
        store.add_sends(TENANT, [first, second])
    assert store.get_sends(TENANT, [first.id, second.id]) == {}
    assert store.report(TENANT).sent == 0


def test_a_hard_bounce_on_a_bounced_send_counts_the_send_once(store: Store) -> None:
    send = attrs.evolve(make_send(sent_at=T0), delivery=DeliveryStatus.BOUNCED)
    store.add_sends(TENANT, [send])
    bounce = attrs.evolve(_reply(send, "b@x", 1, MessageKind.BOUNCE), subtype="hard")
    store.add_replies(TENANT, [bounce])
    assert (store.report(TENANT).bounced, store.report(TENANT).delivered) == (1, 0)


def test_reclassifying_the_only_human_reply_clears_the_contact_properties(store: Store) -> None:
    send = make_send(sent_at=T0)
    store.add_sends(TENANT, [send])
    early = _reply(send, "a@x", 1, MessageKind.HUMAN)
    late = _reply(send, "b@x", 5, MessageKind.HUMAN)
    store.add_replies(TENANT, [early, late])
    store.set_reply_kind(TENANT, late.key, MessageKind.AUTO_REPLY, None)
    props = store.contact_properties(TENANT, send.contact_id)
    assert (props.reply_count, props.last_reply_at) == (1, early.received_at)
    store.set_reply_kind(TENANT, early.key, MessageKind.BULK, None)
    props = store.contact_properties(TENANT, send.contact_id)
    assert (props.replied, props.first_reply_at, props.emails_replied) == (False, None, 0)
    assert store.report(TENANT).repliers == 0


def test_empty_batches_and_lookups_touch_nothing(store: Store) -> None:
    store.add_sends(TENANT, [])
    assert store.add_replies(TENANT, []) == []
    assert store.get_sends(TENANT, []) == {}
    assert store.find_sends_by_message_id(TENANT, []) == {}
    assert store.get_contacts(TENANT, []) == {}
    assert store.list_replies(TENANT, kinds=[]) == []
    assert store.report(TENANT).sent == 0
