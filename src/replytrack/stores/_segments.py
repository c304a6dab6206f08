"""Segments on the SQL stores: compiled to SQL, plus the listings the in-memory evaluator
reads (so SQLiteStore and PostgresStore are both SegmentStore and ListingStore).

Contacts written before the segments migration have no ``seg_*`` values yet; the
first segment query of a tenant fills them (found through a partial index, so
the check costs one index probe once they are filled).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar

from replytrack.models import Contact, Send, require_aware
from replytrack.segments import Segment, segment_values
from replytrack.segments._sql import Dialect, compile_segment
from replytrack.stores import _rows as r
from replytrack.stores._aggregates import Tx

__all__ = ["SegmentQueries"]

T = TypeVar("T")
_UNFILLED = "SELECT id FROM contacts WHERE tenant = ? AND seg_props IS NULL"
_FILL_CHUNK = 5_000


class SegmentQueries:
    """Mixed into SQLStore: segments in SQL, and contacts, sends and emails listed."""

    _conn: Any

    def _transact(self, work: Callable[[Tx], T], *, write: bool = True) -> T:
        raise NotImplementedError  # pragma: no cover - SQLStore provides it

    @property
    def _dialect(self) -> Dialect:
        return "sqlite" if isinstance(self._conn, sqlite3.Connection) else "postgres"

    # -- listings ------------------------------------------------------------------
    def list_contacts(self, tenant: str) -> list[Contact]:
        sql = f"SELECT {r.CONTACT_COLUMNS} FROM contacts WHERE tenant = ?"
        rows = self._transact(lambda tx: tx.query(sql, (tenant,)), write=False)
        return sorted((r.contact_from_row(row) for row in rows), key=lambda c: c.id)

    def list_sends(
        self, tenant: str, *, email_id: str | None = None, contact_id: str | None = None
    ) -> list[Send]:
        sql = f"SELECT {r.SEND_COLUMNS} FROM sends WHERE tenant = ?"
        params: list[object] = [tenant]
        if email_id is not None:
            sql += " AND email_id = ?"
            params.append(email_id)
        elif contact_id is not None:
            # through sends_by_email, one probe per email the tenant sent
            sql += (
                " AND email_id IN (SELECT email_id FROM email_counters"
                " WHERE tenant = ? AND name = 'sent')"
            )
            params.append(tenant)
        if contact_id is not None:
            sql += " AND contact_id = ?"
            params.append(contact_id)
        rows = self._transact(lambda tx: tx.query(sql, params), write=False)
        return sorted((r.send_from_row(row) for row in rows), key=lambda s: (s.sent_at, s.id))

    def list_email_ids(self, tenant: str) -> list[str]:
        sql = "SELECT id FROM emails WHERE tenant = ?"
        rows = self._transact(lambda tx: tx.query(sql, (tenant,)), write=False)
        return sorted(str(row[0]) for row in rows)

    # -- saved segments' members ---------------------------------------------------
    def get_segment_list(self, tenant: str, name: str) -> tuple[str, datetime | None] | None:
        sql = "SELECT definition, refreshed_at FROM segment_lists WHERE tenant = ? AND name = ?"
        rows = self._transact(lambda tx: tx.query(sql, (tenant, name)), write=False)
        if not rows:
            return None
        definition, refreshed = rows[0]
        return str(definition), None if refreshed is None else r.from_micros(refreshed)

    def save_segment_list(
        self, tenant: str, name: str, definition: str, refreshed_at: datetime | None
    ) -> None:
        sql = (
            "INSERT INTO segment_lists (tenant, name, definition, refreshed_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (tenant, name) DO UPDATE SET definition = excluded.definition,"
            " refreshed_at = excluded.refreshed_at"
        )
        at = None if refreshed_at is None else r.micros(refreshed_at)
        self._transact(lambda tx: tx.execute(sql, (tenant, name, definition, at)))

    def drop_segment_list(self, tenant: str, name: str) -> None:
        def work(tx: Tx) -> None:
            tx.execute(
                "DELETE FROM segment_members WHERE tenant = ? AND segment = ?", (tenant, name)
            )
            tx.execute("DELETE FROM segment_lists WHERE tenant = ? AND name = ?", (tenant, name))

        self._transact(work)

    def list_members(self, tenant: str, name: str) -> list[str]:
        sql = "SELECT contact_id FROM segment_members WHERE tenant = ? AND segment = ?"
        rows = self._transact(lambda tx: tx.query(sql, (tenant, name)), write=False)
        return sorted(str(row[0]) for row in rows)

    def member_of(self, tenant: str, contact_ids: Collection[str]) -> dict[str, list[str]]:
        if not contact_ids:
            return {}

        def work(tx: Tx) -> list[tuple[Any, ...]]:
            fragment, param = tx.in_list(list(contact_ids))
            sql = f"SELECT contact_id, segment FROM segment_members WHERE tenant = ? AND contact_id{fragment}"
            return tx.query(sql, (tenant, param))

        found: dict[str, list[str]] = {}
        for contact_id, name in self._transact(work, write=False):
            found.setdefault(str(contact_id), []).append(str(name))
        return {c: sorted(names) for c, names in found.items()}

    def change_members(
        self, tenant: str, changes: Sequence[tuple[str, str, bool]], at: datetime
    ) -> None:
        joins = sorted({(tenant, n, c, r.micros(at)) for n, c, member in changes if member})
        leaves = sorted({(tenant, n, c) for n, c, member in changes if not member})

        def work(tx: Tx) -> None:
            into = "segment_members (tenant, segment, contact_id, joined_at)"
            tx.bulk(into, ("text", "text", "text", "bigint"), joins, "ON CONFLICT DO NOTHING")
            tx.many(
                "DELETE FROM segment_members WHERE tenant = ? AND segment = ? AND contact_id = ?",
                leaves,
            )

        if joins or leaves:
            self._transact(work)

    # -- segments ------------------------------------------------------------------
    def segment_contact_ids(self, tenant: str, segment: Segment, now: datetime) -> list[str]:
        rows = self._segment_rows(tenant, segment, now, "c.id")
        return sorted(str(row[0]) for row in rows)

    def segment_count(self, tenant: str, segment: Segment, now: datetime) -> int:
        return int(self._segment_rows(tenant, segment, now, "COUNT(*)")[0][0])

    def _segment_rows(
        self, tenant: str, segment: Segment, now: datetime, what: str
    ) -> list[tuple[Any, ...]]:
        require_aware(now, "now")
        sql, params = compile_segment(segment, now, tenant, self._dialect).select(what)

        def work(tx: Tx) -> list[tuple[Any, ...]] | None:
            if tx.query(_UNFILLED + " LIMIT 1", (tenant,)):
                return None
            return tx.query(sql, params)

        rows = self._transact(work, write=False)
        if rows is None:
            self._transact(lambda tx: self._fill(tx, tenant))
            rows = self._transact(lambda tx: tx.query(sql, params), write=False)
        return rows

    def _fill(self, tx: Tx, tenant: str) -> None:
        """Compute the ``seg_*`` values of the tenant's contacts that have none."""
        props = "?" if self._dialect == "sqlite" else "CAST(? AS JSONB)"
        update = (
            f"UPDATE contacts SET seg_owner = ?, seg_email = ?, seg_domain = ?, seg_props = {props}"
            " WHERE tenant = ? AND id = ?"
        )
        select = f"SELECT {r.CONTACT_COLUMNS} FROM contacts WHERE tenant = ?"
        while True:
            ids = [row[0] for row in tx.query(_UNFILLED + f" LIMIT {_FILL_CHUNK}", (tenant,))]
            if not ids:
                return
            fragment, param = tx.in_list(ids)
            rows = tx.query(f"{select} AND id{fragment}", (tenant, param))
            updates = []
            for row in rows:
                values = segment_values(r.contact_from_row(row))
                seg = (values.owner, values.email, values.email_domain, values.properties_json())
                updates.append((*seg, tenant, row[0]))
            tx.many(update, updates)
