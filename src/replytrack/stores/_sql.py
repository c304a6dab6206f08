"""The Store operations shared by SQLiteStore and PostgresStore, over a small Tx interface.

A subclass supplies :meth:`SQLStore._transact`: run a function in one
transaction (retrying it when the database asks to), wrapping driver errors.
Uniqueness is the database's: inserts use ON CONFLICT DO NOTHING and read back
what was really written; Python only compares contents to report conflicts.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any, Self, TypeVar

import attrs

from replytrack._kinds import check_kind
from replytrack.errors import ConflictError, NotFoundError
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
    Send,
)
from replytrack.reports import ContactProperties, EmailReport, newest_first
from replytrack.stores import _rows as r
from replytrack.stores._aggregates import (
    Deltas,
    DuplicateKey,
    Tx,
    delivery_counters,
    read_contact,
    read_report,
    send_counters,
)
from replytrack.stores._leases import LeaseQueries
from replytrack.stores._segments import SegmentQueries

__all__ = ["RetryTransaction", "SQLStore"]

T = TypeVar("T")

_SENDS = f"sends (tenant, {r.SEND_COLUMNS})"
_MSG_IDS = "message_ids (tenant, message_id, send_id)"
_REPLIES = f"replies (tenant, {r.REPLY_COLUMNS}, announced)"
_REPLY_TYPES = (*r.REPLY_TYPES, "boolean")
_CLAIMS = "fallback_claims (tenant, contact_id, inbound_id, send_id)"
_CLAIM_TYPES = ("text",) * 4
_QUARANTINE = f"quarantine (tenant, {r.QUARANTINE_COLUMNS})"
_NEW_ONLY = "ON CONFLICT DO NOTHING"


def _on_conflict_update(columns: str) -> str:
    """``ON CONFLICT (tenant, id) DO UPDATE`` of every column but the key, from one list."""
    names = [c.strip() for c in columns.split(",") if c.strip() != "id"]
    return "ON CONFLICT (tenant, id) DO UPDATE SET " + ", ".join(
        f"{c} = excluded.{c}" for c in names
    )


def _upsert_one(table: str, columns: str) -> str:
    """Insert-or-replace of one row of ``table`` keyed by (tenant, id)."""
    marks = ", ".join("?" * (columns.count(",") + 2))  # the columns and the tenant
    return (
        f"INSERT INTO {table} (tenant, {columns}) VALUES ({marks}) {_on_conflict_update(columns)}"
    )


class RetryTransaction(Exception):
    """Raised inside a transaction when a concurrent writer raced it: run it again."""


class _NotAllNew(Exception):
    """The fast path of add_sends or add_replies met records that already exist."""


class SQLStore(SegmentQueries, LeaseQueries, abc.ABC):
    """Store methods in SQL; each public method is one transaction."""

    @abc.abstractmethod
    def _transact(self, work: Callable[[Tx], T], *, write: bool = True) -> T:
        """Run ``work`` in one transaction and commit; roll back if it raises."""

    # Set by each store: its one connection, and the lock that serialises calls on it.
    _conn: Any
    _lock: threading.RLock

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""
        with self._lock:
            self._conn.close()

    def reopen(self) -> Self:
        """A new connection to the same database, with the same settings (for a worker process)."""
        return attrs.evolve(self)  # type: ignore[misc]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- inboxes, emails, contacts -----------------------------------------------
    def save_inbox(self, tenant: str, inbox: Inbox) -> None:
        sql = _upsert_one("inboxes", r.INBOX_COLUMNS)
        self._transact(lambda tx: tx.execute(sql, r.inbox_row(tenant, inbox)))

    def get_inbox(self, tenant: str, inbox_id: str) -> Inbox | None:
        sql = f"SELECT {r.INBOX_COLUMNS} FROM inboxes WHERE tenant = ? AND id = ?"
        rows = self._transact(lambda tx: tx.query(sql, (tenant, inbox_id)), write=False)
        return r.inbox_from_row(rows[0]) if rows else None

    def list_inboxes(self, tenant: str) -> list[Inbox]:
        sql = f"SELECT {r.INBOX_COLUMNS} FROM inboxes WHERE tenant = ?"
        rows = self._transact(lambda tx: tx.query(sql, (tenant,)), write=False)
        return sorted((r.inbox_from_row(row) for row in rows), key=lambda i: i.id)

    def save_email(self, tenant: str, email: MarketingEmail) -> None:
        sql = _upsert_one("emails", r.EMAIL_COLUMNS)
        self._transact(lambda tx: tx.execute(sql, r.email_row(tenant, email)))

    def get_email(self, tenant: str, email_id: str) -> MarketingEmail | None:
        sql = f"SELECT {r.EMAIL_COLUMNS} FROM emails WHERE tenant = ? AND id = ?"
        rows = self._transact(lambda tx: tx.query(sql, (tenant, email_id)), write=False)
        return r.email_from_row(rows[0]) if rows else None

    def save_contacts(self, tenant: str, contacts: Sequence[Contact]) -> None:
        into = f"contacts (tenant, {r.CONTACT_WRITE_COLUMNS})"
        upsert = _on_conflict_update(r.CONTACT_WRITE_COLUMNS)
        latest = {c.id: c for c in contacts}  # one row per id: the last one wins
        rows = [r.contact_write_row(tenant, c) for c in latest.values()]
        if rows:
            self._transact(lambda tx: tx.bulk(into, r.CONTACT_WRITE_TYPES, rows, upsert))

    def get_contacts(self, tenant: str, contact_ids: Collection[str]) -> dict[str, Contact]:
        if not contact_ids:
            return {}

        def work(tx: Tx) -> list[tuple[object, ...]]:
            fragment, param = tx.in_list(contact_ids)
            sql = f"SELECT {r.CONTACT_COLUMNS} FROM contacts WHERE tenant = ? AND id{fragment}"
            return tx.query(sql, (tenant, param))

        contacts = (r.contact_from_row(row) for row in self._transact(work, write=False))
        return {c.id: c for c in contacts}

    # -- sends -------------------------------------------------------------------
    def add_sends(self, tenant: str, sends: Sequence[Send]) -> list[Send]:
        unique: dict[str, Send] = {}
        for send in sends:
            known = unique.setdefault(send.id, send)
            if known is not send and not _same_send(known, send):
                raise ConflictError(f"send {send.id!r} appears twice with other content")
        if not unique:
            return []
        try:
            kept = self._transact(lambda tx: self._insert_sends(tx, tenant, unique, fast=True))
        except _NotAllNew:
            kept = self._transact(lambda tx: self._insert_sends(tx, tenant, unique, fast=False))
        return [kept[send.id] for send in sends]

    def _insert_sends(
        self, tx: Tx, tenant: str, unique: dict[str, Send], *, fast: bool
    ) -> dict[str, Send]:
        """Insert sends; the stored send each given id stands for (itself when new, the
        first send of its idempotency key otherwise). The fast path assumes all are new
        and backs off when they are not."""
        new = list(unique.values())
        if fast:  # plain inserts, cheaper than ON CONFLICT; the keys still decide
            try:
                tx.bulk(_SENDS, r.SEND_TYPES, [r.send_row(tenant, s) for s in new], "")
                rows = [r.message_id_row(tenant, s) for s in new]
                tx.bulk(_MSG_IDS, r.MESSAGE_ID_TYPES, rows, "")
            except DuplicateKey:
                raise _NotAllNew() from None
            send_counters(tx, tenant, new)
            return unique
        kept = self._sends_by_id(tx, tenant, unique)
        for send_id, stored in kept.items():
            if not _same_send(stored, unique[send_id]):
                raise ConflictError(f"send {send_id!r} already exists with other content")
        firsts = self._sends_by_key(tx, tenant, [s for s in new if s.id not in kept])
        new = []
        for send in unique.values():
            if send.id in kept:
                continue
            key = _key(send)
            if key is not None and key in firsts:  # recorded before: the first send stands
                kept[send.id] = firsts[key]
                continue
            if key is not None:
                firsts[key] = send
            kept[send.id] = send
            new.append(send)
        rows = [r.send_row(tenant, s) for s in new]
        if tx.bulk(_SENDS, r.SEND_TYPES, rows, _NEW_ONLY) != len(new):
            raise RetryTransaction()  # a concurrent writer stored one of these meanwhile
        rows = [r.message_id_row(tenant, s) for s in new]
        if tx.bulk(_MSG_IDS, r.MESSAGE_ID_TYPES, rows, _NEW_ONLY) != len(new):
            raise ConflictError("a Message-ID of these sends already belongs to another send")
        send_counters(tx, tenant, new)
        return kept

    def _sends_by_key(
        self, tx: Tx, tenant: str, sends: Sequence[Send]
    ) -> dict[tuple[str, str], Send]:
        """The stored sends holding the idempotency keys of ``sends``, by (email, key)."""
        wanted = {key for key in map(_key, sends) if key is not None}
        if not wanted:
            return {}
        emails, email_param = tx.in_list(sorted({email for email, _ in wanted}))
        keys, key_param = tx.in_list(sorted({key for _, key in wanted}))
        sql = (
            f"SELECT {r.SEND_COLUMNS} FROM sends WHERE tenant = ?"
            f" AND email_id{emails} AND idempotency_key{keys}"
        )
        firsts: dict[tuple[str, str], Send] = {}
        for row in tx.query(sql, (tenant, email_param, key_param)):
            send = r.send_from_row(row)
            key = _key(send)
            if key is not None and key in wanted:
                firsts[key] = send
        return firsts

    def _sends_by_id(self, tx: Tx, tenant: str, send_ids: Collection[str]) -> dict[str, Send]:
        fragment, param = tx.in_list(send_ids)
        sql = f"SELECT {r.SEND_COLUMNS} FROM sends WHERE tenant = ? AND id{fragment}"
        sends = (r.send_from_row(row) for row in tx.query(sql, (tenant, param)))
        return {s.id: s for s in sends}

    def get_sends(self, tenant: str, send_ids: Collection[str]) -> dict[str, Send]:
        if not send_ids:
            return {}
        return self._transact(lambda tx: self._sends_by_id(tx, tenant, send_ids), write=False)

    def find_sends_by_message_id(
        self, tenant: str, message_ids: Collection[str]
    ) -> dict[str, Send]:
        if not message_ids:
            return {}

        def work(tx: Tx) -> dict[str, Send]:
            fragment, param = tx.in_list(message_ids)
            columns = ", ".join(f"s.{c}" for c in r.SEND_COLUMNS.split(", "))
            sql = (
                f"SELECT m.message_id, {columns} FROM message_ids m JOIN sends s"
                " ON s.tenant = m.tenant AND s.id = m.send_id"
                f" WHERE m.tenant = ? AND m.message_id{fragment}"
            )
            return {row[0]: r.send_from_row(row[1:]) for row in tx.query(sql, (tenant, param))}

        return self._transact(work, write=False)

    def find_sends_to(self, tenant: str, addresses: Collection[str], since: datetime) -> list[Send]:
        if not addresses:
            return []

        def work(tx: Tx) -> list[tuple[object, ...]]:
            fragment, param = tx.in_list(addresses)
            sql = (
                f"SELECT {r.SEND_COLUMNS} FROM sends"
                f" WHERE tenant = ? AND address{fragment} AND sent_at >= ?"
            )
            return tx.query(sql, (tenant, param, r.micros(since)))

        sends = [r.send_from_row(row) for row in self._transact(work, write=False)]
        return sorted(sends, key=lambda s: (s.sent_at, s.id), reverse=True)

    def set_provider_message_id(self, tenant: str, send_id: str, message_id: str) -> Send:
        def work(tx: Tx) -> Send:
            sql = f"SELECT {r.SEND_COLUMNS} FROM sends WHERE tenant = ? AND id = ?"
            rows = tx.query(sql + tx.for_update, (tenant, send_id))
            if not rows:
                raise NotFoundError(f"no send {send_id!r} in tenant {tenant!r}")
            send = r.send_from_row(rows[0])
            wanted = normalise_msg_id(message_id)
            if not tx.bulk(_MSG_IDS, r.MESSAGE_ID_TYPES, [(tenant, wanted, send_id)], _NEW_ONLY):
                owner = tx.query(
                    "SELECT send_id FROM message_ids WHERE tenant = ? AND message_id = ?",
                    (tenant, wanted),
                )
                if not owner:
                    raise RetryTransaction()
                if owner[0][0] != send_id:
                    raise ConflictError(
                        f"Message-ID {message_id} already belongs to send {owner[0][0]!r}"
                    )
            old = send.provider_message_id
            if old and normalise_msg_id(old) != wanted:
                tx.execute(
                    "DELETE FROM message_ids WHERE tenant = ? AND message_id = ? AND send_id = ?",
                    (tenant, normalise_msg_id(old), send_id),
                )
            tx.execute(
                "UPDATE sends SET provider_message_id = ? WHERE tenant = ? AND id = ?",
                (message_id, tenant, send_id),
            )
            return attrs.evolve(send, provider_message_id=message_id)

        return self._transact(work)

    def set_delivery(self, tenant: str, send_id: str, delivery: DeliveryStatus) -> Send:
        status = DeliveryStatus(delivery)

        def work(tx: Tx) -> Send:
            sql = f"SELECT {r.SEND_COLUMNS} FROM sends WHERE tenant = ? AND id = ?"
            rows = tx.query(sql + tx.for_update, (tenant, send_id))
            if not rows:
                raise NotFoundError(f"no send {send_id!r} in tenant {tenant!r}")
            send = r.send_from_row(rows[0])
            if send.delivery is status:
                return send
            tx.execute(
                "UPDATE sends SET delivery = ? WHERE tenant = ? AND id = ?",
                (status.value, tenant, send_id),
            )
            bounced = DeliveryStatus.BOUNCED
            delivery_counters(tx, tenant, send, (status is bounced) - (send.delivery is bounced))
            return attrs.evolve(send, delivery=status)

        return self._transact(work)

    # -- replies -----------------------------------------------------------------
    def add_replies(self, tenant: str, replies: Sequence[Reply]) -> list[bool]:
        if not replies:
            return []
        rows = [_reply_row(tenant, reply) for reply in replies]
        claims: dict[tuple[str, str], str] = {}  # the first fallback claim of each message
        for reply in replies:
            if reply.strategy is MatchStrategy.FALLBACK:
                claims.setdefault((reply.contact_id, reply.inbound_id), reply.send_id)

        def work(tx: Tx, *, fast: bool) -> list[bool]:
            """The fast path is a plain insert, cheaper than ON CONFLICT and RETURNING,
            and backs off when a key already exists; the keys decide either way."""
            held = _claim(tx, tenant, claims, fast=fast) if claims else {}
            firsts: dict[tuple[str, str], int] = {}
            for index, reply in enumerate(replies):
                pair = (reply.contact_id, reply.inbound_id)
                if reply.strategy is not MatchStrategy.FALLBACK or held[pair] == reply.send_id:
                    firsts.setdefault(reply.key, index)
            order = sorted(firsts.items())  # key order: concurrent batches lock alike
            new_rows = [rows[index] for _, index in order]
            if fast:
                try:
                    tx.bulk(_REPLIES, _REPLY_TYPES, new_rows, "")
                except DuplicateKey:
                    raise _NotAllNew() from None
                inserted = [index for _, index in order]
            else:
                suffix = _NEW_ONLY + " RETURNING send_id, inbound_id"
                keys = tx.bulk_returning(_REPLIES, _REPLY_TYPES, new_rows, suffix)
                inserted = [firsts[(key[0], key[1])] for key in keys]
            fresh = [False] * len(replies)
            deltas = Deltas()
            for index in inserted:
                fresh[index] = True
                deltas.add(replies[index], +1)
            deltas.apply(tx, tenant)
            return fresh

        try:
            return self._transact(lambda tx: work(tx, fast=True))
        except _NotAllNew:
            return self._transact(lambda tx: work(tx, fast=False))

    def set_reply_kind(
        self, tenant: str, key: tuple[str, str], kind: MessageKind, subtype: str | None
    ) -> Reply:
        kind, subtype = check_kind(kind, subtype)  # before anything changes

        def work(tx: Tx) -> Reply:
            where = " WHERE tenant = ? AND send_id = ? AND inbound_id = ?"
            rows = tx.query(
                f"SELECT {r.REPLY_COLUMNS} FROM replies" + where + tx.for_update, (tenant, *key)
            )
            if not rows:
                raise NotFoundError(f"no reply {key!r} in tenant {tenant!r}")
            old = r.reply_from_row(rows[0])
            new = attrs.evolve(old, kind=kind, subtype=subtype)
            if new != old:
                tx.execute(
                    "UPDATE replies SET kind = ?, subtype = ?" + where,
                    (kind.value, subtype, tenant, *key),
                )
                deltas = Deltas()
                deltas.add(old, -1)
                deltas.add(new, +1)
                deltas.apply(tx, tenant)
            return new

        return self._transact(work)

    def mark_announced(self, tenant: str, key: tuple[str, str]) -> bool:
        def work(tx: Tx) -> bool:
            where = " WHERE tenant = ? AND send_id = ? AND inbound_id = ?"
            update = "UPDATE replies SET announced = TRUE" + where + " AND NOT announced"
            if tx.execute(update, (tenant, *key)):
                return True
            if not tx.query("SELECT 1 FROM replies" + where, (tenant, *key)):
                raise NotFoundError(f"no reply {key!r} in tenant {tenant!r}")
            return False

        return self._transact(work)

    def list_replies(
        self,
        tenant: str,
        *,
        email_id: str | None = None,
        contact_id: str | None = None,
        kinds: Collection[MessageKind] | None = None,
    ) -> list[Reply]:
        if kinds is not None and not kinds:
            return []

        def work(tx: Tx) -> list[tuple[object, ...]]:
            sql = f"SELECT {r.REPLY_COLUMNS} FROM replies WHERE tenant = ?"
            params: list[object] = [tenant]
            for column, value in (("email_id", email_id), ("contact_id", contact_id)):
                if value is not None:
                    sql += f" AND {column} = ?"
                    params.append(value)
            if kinds is not None:
                fragment, param = tx.in_list(sorted(k.value for k in kinds))
                sql += f" AND kind{fragment}"
                params.append(param)
            return tx.query(sql, params)

        return newest_first(r.reply_from_row(row) for row in self._transact(work, write=False))

    # -- aggregates and cursors -------------------------------------------------
    def report(self, tenant: str, email_id: str | None = None) -> EmailReport:
        return self._transact(lambda tx: read_report(tx, tenant, email_id), write=False)

    def contact_properties(self, tenant: str, contact_id: str) -> ContactProperties:
        return self._transact(lambda tx: read_contact(tx, tenant, contact_id), write=False)

    def get_cursor(self, tenant: str, source_key: str) -> str | None:
        sql = "SELECT position FROM cursors WHERE tenant = ? AND source_key = ?"
        rows = self._transact(lambda tx: tx.query(sql, (tenant, source_key)), write=False)
        return str(rows[0][0]) if rows else None

    def set_cursor(self, tenant: str, source_key: str, cursor: str) -> None:
        sql = (
            "INSERT INTO cursors (tenant, source_key, position) VALUES (?, ?, ?)"
            " ON CONFLICT (tenant, source_key) DO UPDATE SET position = excluded.position"
        )
        self._transact(lambda tx: tx.execute(sql, (tenant, source_key, cursor)))

    # -- quarantine --------------------------------------------------------------
    def add_quarantined(self, tenant: str, items: Sequence[Quarantined]) -> None:
        latest = {q.id: q for q in items}  # one row per id: the last one wins
        rows = [r.quarantined_row(tenant, q) for q in latest.values()]
        upsert = _on_conflict_update(r.QUARANTINE_COLUMNS)
        if rows:
            self._transact(lambda tx: tx.bulk(_QUARANTINE, r.QUARANTINE_TYPES, rows, upsert))

    def list_quarantined(
        self, tenant: str, *, inbox_id: str | None = None, ids: Collection[str] | None = None
    ) -> list[Quarantined]:
        if ids is not None and not ids:
            return []

        def work(tx: Tx) -> list[tuple[object, ...]]:
            sql = f"SELECT {r.QUARANTINE_COLUMNS} FROM quarantine WHERE tenant = ?"
            params: list[object] = [tenant]
            if inbox_id is not None:
                sql += " AND inbox_id = ?"
                params.append(inbox_id)
            if ids is not None:
                fragment, param = tx.in_list(ids)
                sql += f" AND id{fragment}"
                params.append(param)
            return tx.query(sql, params)

        # sorted here, not by the database's collation: the same order on every store
        kept = (r.quarantined_from_row(row) for row in self._transact(work, write=False))
        return sorted(kept, key=lambda q: (q.received_at, q.id))

    def remove_quarantined(self, tenant: str, ids: Collection[str]) -> int:
        if not ids:
            return 0

        def work(tx: Tx) -> int:
            fragment, param = tx.in_list(ids)
            return tx.execute(
                f"DELETE FROM quarantine WHERE tenant = ? AND id{fragment}", (tenant, param)
            )

        return self._transact(work)


def _reply_row(tenant: str, reply: Reply) -> tuple[object, ...]:
    """A reply's row; one stored as human is announced to subscribers when it is stored."""
    return (*r.reply_row(tenant, reply), reply.kind is MessageKind.HUMAN)


def _claim(
    tx: Tx, tenant: str, claims: dict[tuple[str, str], str], *, fast: bool
) -> dict[tuple[str, str], str]:
    """Claim each (contact, inbound message) for the send given, unless it is claimed
    already; the send that holds each claim then.

    The claim's primary key decides, also between concurrent writers. The fast path
    assumes every claim is new and backs off when one is not.
    """
    rows = [(tenant, contact, inbound, send) for (contact, inbound), send in sorted(claims.items())]
    if fast:
        try:
            tx.bulk(_CLAIMS, _CLAIM_TYPES, rows, "")
        except DuplicateKey:
            raise _NotAllNew() from None
        return claims
    tx.bulk(_CLAIMS, _CLAIM_TYPES, rows, _NEW_ONLY)
    fragment, param = tx.in_list(sorted({contact for contact, _ in claims}))
    held = {
        (contact, inbound): send
        for contact, inbound, send in tx.query(
            "SELECT contact_id, inbound_id, send_id FROM fallback_claims"
            f" WHERE tenant = ? AND contact_id{fragment}",
            (tenant, param),
        )
    }
    if not claims.keys() <= held.keys():  # a concurrent claim was rolled back meanwhile
        raise RetryTransaction()
    return {pair: held[pair] for pair in claims}


def _key(send: Send) -> tuple[str, str] | None:
    """The (email, idempotency key) a send is unique by, or None for a resend."""
    return None if send.idempotency_key is None else (send.email_id, send.idempotency_key)


def _same_send(stored: Send, given: Send) -> bool:
    """Re-adding a send is a no-op when it matches; the provider id and the delivery are
    not compared (as MemoryStore): the stored ones, recorded later, are kept."""
    kept = attrs.evolve(
        stored, provider_message_id=given.provider_message_id, delivery=given.delivery
    )
    return kept == given
