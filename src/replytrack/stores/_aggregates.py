"""Maintained aggregates: what a change to the reply rows does to the counters.

A write collects :class:`Deltas` from the records it really inserted or changed
(the database says which, through ON CONFLICT and RETURNING), then applies them
with upserts in the same transaction. Distinct counts (repliers, emails replied,
bounced sends) move when a per-pair count crosses zero, read back from the
upsert's RETURNING under the row lock, so concurrent writers add up correctly.

The definitions are those of :mod:`replytrack.reports`; the state machine and
tests/stores check that the counters equal a recomputation from the rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from typing import Any, Protocol

import attrs

from replytrack.models import DeliveryStatus, MatchStrategy, MessageKind, Reply, Send
from replytrack.reports import ContactProperties, EmailReport, is_hard_bounce
from replytrack.stores._rows import from_micros, micros

__all__ = [
    "Deltas",
    "DuplicateKey",
    "Tx",
    "delivery_counters",
    "read_contact",
    "read_report",
    "send_counters",
]


class DuplicateKey(Exception):
    """A plain :meth:`Tx.bulk` insert (no ON CONFLICT clause) hit a unique key;
    the transaction is spoilt and must be rolled back."""


_HUMAN = MessageKind.HUMAN.value


class Tx(Protocol):
    """One open transaction of a SQL store; SQL uses ``?`` placeholders."""

    #: " FOR UPDATE" where the database supports row locks, else ""
    for_update: str

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int: ...

    def in_list(self, values: Collection[Any]) -> tuple[str, Any]:
        """A ``col<fragment>`` membership test for ``values`` and its one parameter."""
        ...

    def bulk(
        self, into: str, types: Sequence[str], rows: Sequence[Sequence[Any]], suffix: str
    ) -> int:
        """Insert ``rows`` into ``into`` ("table (col, ...)") followed by ``suffix`` (an
        ON CONFLICT clause); the number inserted. ``types``: the PostgreSQL column types.
        Without a suffix, a duplicate key raises :class:`DuplicateKey`."""
        ...

    def bulk_returning(
        self, into: str, types: Sequence[str], rows: Sequence[Sequence[Any]], suffix: str
    ) -> list[tuple[Any, ...]]:
        """As :meth:`bulk`, ``suffix`` ending in RETURNING: the rows it returned."""
        ...


# Upserts as (table and columns, PostgreSQL types, conflict clause) for Tx.bulk.
_COUNTERS = (
    "email_counters (tenant, email_id, name, value)",
    ("text", "text", "text", "bigint"),
    "ON CONFLICT (tenant, email_id, name)"
    " DO UPDATE SET value = email_counters.value + excluded.value",
)
_PAIRS = (
    "reply_pairs (tenant, contact_id, email_id, replies)",
    ("text", "text", "text", "bigint"),
    "ON CONFLICT (tenant, contact_id, email_id)"
    " DO UPDATE SET replies = reply_pairs.replies + excluded.replies"
    " RETURNING contact_id, email_id, replies",
)
_BOUNCES = (
    "bounced_sends (tenant, email_id, send_id, delivery, hard_replies)",
    ("text", "text", "text", "bigint", "bigint"),
    "ON CONFLICT (tenant, email_id, send_id) DO UPDATE SET"
    " delivery = bounced_sends.delivery + excluded.delivery,"
    " hard_replies = bounced_sends.hard_replies + excluded.hard_replies"
    " RETURNING email_id, send_id, delivery + hard_replies",
)
_CONTACTS = (
    "contact_stats (tenant, contact_id, first_reply_at, last_reply_at, reply_count,"
    " emails_replied)",
    ("text", "text", "bigint", "bigint", "bigint", "bigint"),
    """ON CONFLICT (tenant, contact_id) DO UPDATE SET
reply_count = contact_stats.reply_count + excluded.reply_count,
emails_replied = contact_stats.emails_replied + excluded.emails_replied,
first_reply_at = CASE WHEN contact_stats.first_reply_at IS NULL
    OR excluded.first_reply_at < contact_stats.first_reply_at
    THEN excluded.first_reply_at ELSE contact_stats.first_reply_at END,
last_reply_at = CASE WHEN contact_stats.last_reply_at IS NULL
    OR excluded.last_reply_at > contact_stats.last_reply_at
    THEN excluded.last_reply_at ELSE contact_stats.last_reply_at END""",
)
_RECOMPUTE_TIMES = f"""UPDATE contact_stats SET
first_reply_at = (SELECT MIN(received_at) FROM replies
    WHERE tenant = ? AND contact_id = ? AND kind = '{_HUMAN}'),
last_reply_at = (SELECT MAX(received_at) FROM replies
    WHERE tenant = ? AND contact_id = ? AND kind = '{_HUMAN}')
WHERE tenant = ? AND contact_id = ?"""


@attrs.define
class Deltas:
    """Changes to the aggregates, collected from records added (+1) or removed (-1)."""

    counters: Counter[tuple[str, str]] = attrs.field(factory=Counter)
    pairs: Counter[tuple[str, str]] = attrs.field(factory=Counter)
    bounces: Counter[tuple[str, str]] = attrs.field(factory=Counter)
    replies: Counter[str] = attrs.field(factory=Counter)
    times: dict[str, tuple[int, int]] = attrs.field(factory=dict)
    lowered: set[str] = attrs.field(factory=set)

    def add(self, reply: Reply, sign: int) -> None:
        """Count ``reply`` in (sign +1) or out (sign -1)."""
        if reply.kind is not MessageKind.HUMAN:
            self.counters[reply.email_id, f"auto:{reply.kind.value}"] += sign
            if reply.subtype:
                name = f"subtype:{reply.kind.value}:{reply.subtype}"
                self.counters[reply.email_id, name] += sign
            if is_hard_bounce(reply):
                self.bounces[reply.email_id, reply.send_id] += sign
            return
        self.counters[reply.email_id, "replies"] += sign
        if reply.strategy is MatchStrategy.FALLBACK:
            self.counters[reply.email_id, "fallback"] += sign
        self.pairs[reply.contact_id, reply.email_id] += sign
        self.replies[reply.contact_id] += sign
        if sign < 0:
            self.lowered.add(reply.contact_id)
            return
        at = micros(reply.received_at)
        low, high = self.times.get(reply.contact_id, (at, at))
        self.times[reply.contact_id] = (min(low, at), max(high, at))

    def apply(self, tx: Tx, tenant: str) -> None:
        """Write the changes, a statement per table; rows in key order so that
        concurrent writers lock alike."""
        emails_replied: Counter[str] = Counter()
        rows = [(tenant, c, e, v) for (c, e), v in sorted(self.pairs.items()) if v]
        for contact, email, total in tx.bulk_returning(*_PAIRS[:2], rows, _PAIRS[2]):
            step = _crossing(total - self.pairs[contact, email], total)
            emails_replied[contact] += step
            self.counters[email, "repliers"] += step
        bounces = [(tenant, e, s, 0, v) for (e, s), v in sorted(self.bounces.items()) if v]
        for email, send, total in tx.bulk_returning(*_BOUNCES[:2], bounces, _BOUNCES[2]):
            self.counters[email, "bounced"] += _crossing(total - self.bounces[email, send], total)
        contacts = [
            (tenant, c, *self.times.get(c, (None, None)), self.replies[c], emails_replied[c])
            for c in sorted(set(self.replies) | set(emails_replied) | set(self.times))
            if self.replies[c] or emails_replied[c] or c in self.times
        ]
        tx.bulk(*_CONTACTS[:2], contacts, _CONTACTS[2])
        tx.many(_RECOMPUTE_TIMES, [(tenant, c) * 3 for c in sorted(self.lowered)])
        add_counters(tx, tenant, self.counters)


def _crossing(before: int, after: int) -> int:
    """+1 when a count rises from zero, -1 when it falls to zero, else 0."""
    return (after > 0) - (before > 0)


def add_counters(tx: Tx, tenant: str, counters: Counter[tuple[str, str]]) -> None:
    rows = [(tenant, email, name, v) for (email, name), v in sorted(counters.items()) if v]
    tx.bulk(*_COUNTERS[:2], rows, _COUNTERS[2])


def send_counters(tx: Tx, tenant: str, sends: Collection[Send]) -> None:
    """Count newly inserted sends in: sent, untracked (by reason), bounced on delivery."""
    counters: Counter[tuple[str, str]] = Counter()
    bounced = []
    for send in sends:
        counters[send.email_id, "sent"] += 1
        if not send.tracked:
            counters[send.email_id, "untracked"] += 1
            counters[send.email_id, f"reason:{send.untracked_reason or 'unknown'}"] += 1
        if send.delivery is DeliveryStatus.BOUNCED:
            bounced.append((tenant, send.email_id, send.id, 1, 0))
    for email, _send, total in tx.bulk_returning(*_BOUNCES[:2], sorted(bounced), _BOUNCES[2]):
        counters[email, "bounced"] += _crossing(total - 1, total)
    add_counters(tx, tenant, counters)


def delivery_counters(tx: Tx, tenant: str, send: Send, step: int) -> None:
    """Count ``send`` in (+1) or out (-1) of its email's bounced sends on delivery."""
    if not step:
        return
    row = [(tenant, send.email_id, send.id, step, 0)]
    counters: Counter[tuple[str, str]] = Counter()
    for email, _send, total in tx.bulk_returning(*_BOUNCES[:2], row, _BOUNCES[2]):
        counters[email, "bounced"] += _crossing(total - step, total)
    add_counters(tx, tenant, counters)


def read_report(tx: Tx, tenant: str, email_id: str | None) -> EmailReport:
    """The report from the counters: one index range, never the reply rows."""
    sql = "SELECT name, SUM(value) FROM email_counters WHERE tenant = ?"
    params: list[Any] = [tenant]
    if email_id is not None:
        sql += " AND email_id = ?"
        params.append(email_id)
    totals = {name: int(value) for name, value in tx.query(sql + " GROUP BY name", params)}
    prefixed = {
        prefix: {k[len(prefix) :]: v for k, v in totals.items() if k.startswith(prefix) and v}
        for prefix in ("auto:", "subtype:", "reason:")
    }
    return EmailReport(
        email_id=email_id,
        sent=totals.get("sent", 0),
        untracked=totals.get("untracked", 0),
        bounced=totals.get("bounced", 0),
        replies=totals.get("replies", 0),
        repliers=totals.get("repliers", 0),
        fallback_matches=totals.get("fallback", 0),
        automatic=prefixed["auto:"],
        automatic_subtypes=prefixed["subtype:"],
        untracked_reasons=prefixed["reason:"],
    )


def read_contact(tx: Tx, tenant: str, contact_id: str) -> ContactProperties:
    rows = tx.query(
        "SELECT first_reply_at, last_reply_at, reply_count, emails_replied FROM contact_stats"
        " WHERE tenant = ? AND contact_id = ?",
        (tenant, contact_id),
    )
    if not rows or not rows[0][2]:
        return ContactProperties(contact_id=contact_id)
    first, last, count, emails = rows[0]
    return ContactProperties(
        contact_id=contact_id,
        first_reply_at=from_micros(first),
        last_reply_at=from_micros(last),
        emails_replied=int(emails),
        reply_count=int(count),
    )
