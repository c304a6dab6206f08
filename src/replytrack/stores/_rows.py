"""Records to SQL rows and back, shared by the SQL stores (column order as in _schema)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from replytrack.headers import normalise_msg_id
from replytrack.models import (
    Contact,
    DeliveryStatus,
    Inbox,
    MarketingEmail,
    MatchStrategy,
    MessageKind,
    Quarantined,
    Reply,
    ReplyTo,
    ReplyToMode,
    Send,
)
from replytrack.segments._fields import segment_values

__all__ = [
    "CONTACT_COLUMNS",
    "CONTACT_TYPES",
    "CONTACT_WRITE_COLUMNS",
    "CONTACT_WRITE_TYPES",
    "EMAIL_COLUMNS",
    "INBOX_COLUMNS",
    "MESSAGE_ID_TYPES",
    "QUARANTINE_COLUMNS",
    "QUARANTINE_TYPES",
    "REPLY_COLUMNS",
    "REPLY_TYPES",
    "SEND_COLUMNS",
    "SEND_TYPES",
    "contact_from_row",
    "contact_row",
    "contact_write_row",
    "email_from_row",
    "email_row",
    "from_micros",
    "inbox_from_row",
    "inbox_row",
    "message_id_row",
    "micros",
    "quarantined_from_row",
    "quarantined_row",
    "reply_from_row",
    "reply_row",
    "send_from_row",
    "send_row",
]

Row = Sequence[Any]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)

INBOX_COLUMNS = (
    "id, address, kind, owner_id, aliases, connected_at, disconnected_at,"
    " provider, send_as, member_ids, periods"
)
EMAIL_COLUMNS = "id, subject, from_address, reply_to_mode, reply_to_address, name"
CONTACT_COLUMNS = "id, emails, owner_id, properties"
SEND_COLUMNS = (
    "id, email_id, contact_id, address, message_id, sent_at, reply_to, inbox_id, "
    "tracked, untracked_reason, delivery, provider_message_id, idempotency_key"
)
REPLY_COLUMNS = (
    "send_id, inbound_id, email_id, contact_id, inbox_id, received_at, kind, subtype, "
    "strategy, confidence, from_address, alternate_address, subject, snippet"
)

QUARANTINE_COLUMNS = (
    "id, inbox_id, source_key, position, received_at, quarantined_at, reason, traceback,"
    " size, sha256, raw"
)


#: PostgreSQL array types of each table's columns (tenant first), for bulk inserts
CONTACT_TYPES = ("text",) * 5
#: contacts as written: the columns above, then the values segments compare
CONTACT_WRITE_COLUMNS = CONTACT_COLUMNS + ", seg_owner, seg_email, seg_domain, seg_props"
CONTACT_WRITE_TYPES = (*CONTACT_TYPES, "text", "text", "text", "jsonb")
SEND_TYPES = ("text",) * 6 + ("bigint", "text", "text", "boolean") + ("text",) * 4
MESSAGE_ID_TYPES = ("text",) * 3
REPLY_TYPES = ("text",) * 6 + ("bigint", "text", "text", "text", "float8") + ("text",) * 4
QUARANTINE_TYPES = ("text",) * 5 + ("bigint", "bigint", "text", "text", "bigint", "text", "bytea")


def micros(value: datetime) -> int:
    """Microseconds since the epoch, exactly (no float rounding)."""
    return (value - _EPOCH) // _MICRO


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _opt_micros(value: datetime | None) -> int | None:
    return None if value is None else micros(value)


def _opt_time(value: int | None) -> datetime | None:
    return None if value is None else from_micros(value)


def inbox_row(tenant: str, inbox: Inbox) -> tuple[Any, ...]:
    return (
        tenant,
        inbox.id,
        inbox.address,
        inbox.kind,
        inbox.owner_id,
        json.dumps(list(inbox.aliases)),
        _opt_micros(inbox.connected_at),
        _opt_micros(inbox.disconnected_at),
        inbox.provider,
        json.dumps(list(inbox.send_as)),
        json.dumps(list(inbox.member_ids)),
        json.dumps([[micros(start), _opt_micros(end)] for start, end in inbox.periods]),
    )


def inbox_from_row(row: Row) -> Inbox:
    return Inbox(
        id=row[0],
        address=row[1],
        kind=row[2],
        owner_id=row[3],
        aliases=tuple(json.loads(row[4])),
        # row[5] and row[6] (connected_at, disconnected_at) repeat the latest period
        periods=[(from_micros(start), _opt_time(end)) for start, end in json.loads(row[10])],
        provider=row[7],
        send_as=tuple(json.loads(row[8])),
        member_ids=tuple(json.loads(row[9])),
    )


def email_row(tenant: str, email: MarketingEmail) -> tuple[Any, ...]:
    reply_to = email.reply_to
    return (
        tenant,
        email.id,
        email.subject,
        email.from_address,
        reply_to.mode.value,
        reply_to.address,
        email.name,
    )


def email_from_row(row: Row) -> MarketingEmail:
    return MarketingEmail(
        id=row[0],
        subject=row[1],
        from_address=row[2],
        reply_to=ReplyTo(ReplyToMode(row[3]), row[4]),
        name=row[5],
    )


def contact_row(tenant: str, contact: Contact) -> tuple[Any, ...]:
    properties = contact.properties
    return (
        tenant,
        contact.id,
        json.dumps(contact.emails),
        contact.owner_id,
        json.dumps(dict(properties), sort_keys=True, default=str) if properties else "{}",
    )


def contact_write_row(tenant: str, contact: Contact) -> tuple[Any, ...]:
    """:func:`contact_row` and the contact's values as segments compare them."""
    values = segment_values(contact)
    seg = (values.owner, values.email, values.email_domain, values.properties_json())
    return (*contact_row(tenant, contact), *seg)


def contact_from_row(row: Row) -> Contact:
    return Contact(
        id=row[0],
        emails=tuple(json.loads(row[1])),
        owner_id=row[2],
        properties=json.loads(row[3]),
    )


def send_row(tenant: str, send: Send) -> tuple[Any, ...]:
    return (
        tenant,
        send.id,
        send.email_id,
        send.contact_id,
        send.address,
        send.message_id,
        micros(send.sent_at),
        send.reply_to,
        send.inbox_id,
        send.tracked,
        send.untracked_reason,
        send.delivery.value,
        send.provider_message_id,
        send.idempotency_key,
    )


def message_id_row(tenant: str, send: Send) -> tuple[str, str, str]:
    return (tenant, normalise_msg_id(send.message_id), send.id)


def send_from_row(row: Row) -> Send:
    return Send(
        id=row[0],
        email_id=row[1],
        contact_id=row[2],
        address=row[3],
        message_id=row[4],
        sent_at=from_micros(row[5]),
        reply_to=row[6],
        inbox_id=row[7],
        tracked=bool(row[8]),
        untracked_reason=row[9],
        delivery=DeliveryStatus(row[10]),
        provider_message_id=row[11],
        idempotency_key=row[12],
    )


def reply_row(tenant: str, reply: Reply) -> tuple[Any, ...]:
    return (
        tenant,
        reply.send_id,
        reply.inbound_id,
        reply.email_id,
        reply.contact_id,
        reply.inbox_id,
        micros(reply.received_at),
        reply.kind.value,
        reply.subtype,
        reply.strategy.value,
        reply.confidence,
        reply.from_address,
        reply.alternate_address,
        reply.subject,
        reply.snippet,
    )


def reply_from_row(row: Row) -> Reply:
    return Reply(
        send_id=row[0],
        inbound_id=row[1],
        email_id=row[2],
        contact_id=row[3],
        inbox_id=row[4],
        received_at=from_micros(row[5]),
        kind=MessageKind(row[6]),
        subtype=row[7],
        strategy=MatchStrategy(row[8]),
        confidence=row[9],
        from_address=row[10],
        alternate_address=row[11],
        subject=row[12],
        snippet=row[13],
    )


def quarantined_row(tenant: str, item: Quarantined) -> tuple[Any, ...]:
    return (
        tenant,
        item.id,
        item.inbox_id,
        item.source_key,
        item.position,
        micros(item.received_at),
        micros(item.quarantined_at),
        item.reason,
        item.traceback,
        item.size,
        item.sha256,
        item.raw,
    )


def quarantined_from_row(row: Row) -> Quarantined:
    return Quarantined(
        id=row[0],
        inbox_id=row[1],
        source_key=row[2],
        position=row[3],
        received_at=from_micros(row[4]),
        quarantined_at=from_micros(row[5]),
        reason=row[6],
        traceback=row[7],
        size=int(row[8]),
        sha256=row[9],
        raw=bytes(row[10]),
    )
