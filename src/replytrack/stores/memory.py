"""MemoryStore: the reference Store, kept in dicts; for tests and small jobs."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from datetime import datetime

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
from replytrack.reports import (
    ContactProperties,
    EmailReport,
    compute_contact_properties,
    compute_report,
    newest_first,
)
from replytrack.stores._leases import check_lease

__all__ = ["MemoryStore"]


@attrs.define
class _Tenant:
    inboxes: dict[str, Inbox] = attrs.field(factory=dict)
    emails: dict[str, MarketingEmail] = attrs.field(factory=dict)
    contacts: dict[str, Contact] = attrs.field(factory=dict)
    sends: dict[str, Send] = attrs.field(factory=dict)
    by_message_id: dict[str, str] = attrs.field(factory=dict)
    #: (email id, idempotency key) -> the first send recorded with that key
    by_key: dict[tuple[str, str], str] = attrs.field(factory=dict)
    by_address: dict[str, list[str]] = attrs.field(factory=dict)
    replies: dict[tuple[str, str], Reply] = attrs.field(factory=dict)
    #: records announced to subscribers as a new human reply
    announced: set[tuple[str, str]] = attrs.field(factory=set)
    #: (contact id, inbound id) -> the send the fallback attached that message to
    fallback_claims: dict[tuple[str, str], str] = attrs.field(factory=dict)
    cursors: dict[str, str] = attrs.field(factory=dict)
    quarantine: dict[str, Quarantined] = attrs.field(factory=dict)
    #: lease name -> (holder, expires_at)
    leases: dict[str, tuple[str, datetime]] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class MemoryStore:
    """Everything in process memory; thread-safe; lost when the process ends."""

    _tenants: dict[str, _Tenant] = attrs.field(init=False, factory=dict)
    _lock: threading.RLock = attrs.field(init=False, factory=threading.RLock)
    #: saved segments: (tenant, name) -> (definition, refreshed_at, {member: joined_at})
    _lists: dict[tuple[str, str], tuple[str, datetime | None, dict[str, datetime]]] = attrs.field(
        init=False, factory=dict
    )

    def _t(self, tenant: str) -> _Tenant:
        return self._tenants.setdefault(tenant, _Tenant())

    def save_inbox(self, tenant: str, inbox: Inbox) -> None:
        with self._lock:
            self._t(tenant).inboxes[inbox.id] = inbox

    def get_inbox(self, tenant: str, inbox_id: str) -> Inbox | None:
        return self._t(tenant).inboxes.get(inbox_id)

    def list_inboxes(self, tenant: str) -> list[Inbox]:
        with self._lock:
            return sorted(self._t(tenant).inboxes.values(), key=lambda i: i.id)

    def save_email(self, tenant: str, email: MarketingEmail) -> None:
        with self._lock:
            self._t(tenant).emails[email.id] = email

    def get_email(self, tenant: str, email_id: str) -> MarketingEmail | None:
        return self._t(tenant).emails.get(email_id)

    def save_contacts(self, tenant: str, contacts: Sequence[Contact]) -> None:
        with self._lock:
            self._t(tenant).contacts.update((c.id, c) for c in contacts)

    def get_contacts(self, tenant: str, contact_ids: Collection[str]) -> dict[str, Contact]:
        known = self._t(tenant).contacts
        return {cid: known[cid] for cid in contact_ids if cid in known}

    # -- listings, for segments evaluated in memory (replytrack.protocols.ListingStore) --
    def list_contacts(self, tenant: str) -> list[Contact]:
        with self._lock:
            return sorted(self._t(tenant).contacts.values(), key=lambda c: c.id)

    def list_sends(
        self, tenant: str, *, email_id: str | None = None, contact_id: str | None = None
    ) -> list[Send]:
        with self._lock:
            sends = list(self._t(tenant).sends.values())
        return sorted(
            (
                s
                for s in sends
                if (email_id is None or s.email_id == email_id)
                and (contact_id is None or s.contact_id == contact_id)
            ),
            key=lambda s: (s.sent_at, s.id),
        )

    def list_email_ids(self, tenant: str) -> list[str]:
        with self._lock:
            return sorted(self._t(tenant).emails)

    # -- saved segments' members (replytrack.protocols.MembershipStore) ----------------
    def get_segment_list(self, tenant: str, name: str) -> tuple[str, datetime | None] | None:
        with self._lock:
            saved = self._lists.get((tenant, name))
            return None if saved is None else (saved[0], saved[1])

    def save_segment_list(
        self, tenant: str, name: str, definition: str, refreshed_at: datetime | None
    ) -> None:
        with self._lock:
            members = self._lists.get((tenant, name), ("", None, {}))[2]
            self._lists[tenant, name] = (definition, refreshed_at, members)

    def drop_segment_list(self, tenant: str, name: str) -> None:
        with self._lock:
            self._lists.pop((tenant, name), None)

    def list_members(self, tenant: str, name: str) -> list[str]:
        with self._lock:
            return sorted(self._lists.get((tenant, name), ("", None, {}))[2])

    def member_of(self, tenant: str, contact_ids: Collection[str]) -> dict[str, list[str]]:
        wanted = set(contact_ids)
        found: dict[str, list[str]] = {}
        with self._lock:
            for (t, name), (_, _, members) in self._lists.items():
                for contact_id in wanted.intersection(members) if t == tenant else ():
                    found.setdefault(contact_id, []).append(name)
        return {c: sorted(names) for c, names in found.items()}

    def change_members(
        self, tenant: str, changes: Sequence[tuple[str, str, bool]], at: datetime
    ) -> None:
        with self._lock:
            for name, contact_id, member in changes:
                saved = self._lists.setdefault((tenant, name), ("", None, {}))
                if member:
                    saved[2].setdefault(contact_id, at)
                else:
                    saved[2].pop(contact_id, None)

    def add_sends(self, tenant: str, sends: Sequence[Send]) -> list[Send]:
        with self._lock:
            data = self._t(tenant)
            batch: dict[str, Send] = {}
            ids: dict[str, str] = {}
            keys: dict[tuple[str, str], str] = {}
            kept: list[Send] = []
            for send in sends:
                existing = data.sends.get(send.id) or batch.get(send.id)
                if existing is not None:
                    mine = attrs.evolve(
                        existing,
                        provider_message_id=send.provider_message_id,
                        delivery=send.delivery,
                    )
                    if mine != send:
                        raise ConflictError(f"send {send.id!r} already exists with other content")
                    kept.append(existing)
                    continue
                key = (
                    None if send.idempotency_key is None else (send.email_id, send.idempotency_key)
                )
                first = None if key is None else data.by_key.get(key) or keys.get(key)
                if first is not None:  # recorded before: the first send stands
                    kept.append(data.sends.get(first) or batch[first])
                    continue
                msg_id = normalise_msg_id(send.message_id)
                owner = data.by_message_id.get(msg_id) or ids.get(msg_id)
                if owner is not None and owner != send.id:
                    raise ConflictError(
                        f"Message-ID {send.message_id} already belongs to send {owner!r}"
                    )
                batch[send.id] = send
                ids[msg_id] = send.id
                if key is not None:
                    keys[key] = send.id
                kept.append(send)
            data.sends.update(batch)
            data.by_message_id.update(ids)
            data.by_key.update(keys)
            for send in batch.values():
                data.by_address.setdefault(send.address, []).append(send.id)
            return kept

    def get_sends(self, tenant: str, send_ids: Collection[str]) -> dict[str, Send]:
        sends = self._t(tenant).sends
        return {sid: sends[sid] for sid in send_ids if sid in sends}

    def find_sends_by_message_id(
        self, tenant: str, message_ids: Collection[str]
    ) -> dict[str, Send]:
        data = self._t(tenant)
        found = {}
        for msg_id in message_ids:
            send_id = data.by_message_id.get(msg_id)
            if send_id is not None:
                found[msg_id] = data.sends[send_id]
        return found

    def find_sends_to(self, tenant: str, addresses: Collection[str], since: datetime) -> list[Send]:
        with self._lock:
            data = self._t(tenant)
            ids = {sid for address in addresses for sid in data.by_address.get(address, ())}
            hits = [data.sends[sid] for sid in ids if data.sends[sid].sent_at >= since]
        return sorted(hits, key=lambda s: (s.sent_at, s.id), reverse=True)

    def set_provider_message_id(self, tenant: str, send_id: str, message_id: str) -> Send:
        with self._lock:
            data = self._t(tenant)
            send = data.sends.get(send_id)
            if send is None:
                raise NotFoundError(f"no send {send_id!r} in tenant {tenant!r}")
            msg_id = normalise_msg_id(message_id)
            owner = data.by_message_id.get(msg_id)
            if owner is not None and owner != send_id:
                raise ConflictError(f"Message-ID {message_id} already belongs to send {owner!r}")
            if send.provider_message_id:
                data.by_message_id.pop(normalise_msg_id(send.provider_message_id), None)
            send = attrs.evolve(send, provider_message_id=message_id)
            data.sends[send_id] = send
            data.by_message_id[msg_id] = send_id
            return send

    def set_delivery(self, tenant: str, send_id: str, delivery: DeliveryStatus) -> Send:
        with self._lock:
            data = self._t(tenant)
            send = data.sends.get(send_id)
            if send is None:
                raise NotFoundError(f"no send {send_id!r} in tenant {tenant!r}")
            send = attrs.evolve(send, delivery=DeliveryStatus(delivery))
            data.sends[send_id] = send
            return send

    def add_replies(self, tenant: str, replies: Sequence[Reply]) -> list[bool]:
        with self._lock:
            data = self._t(tenant)
            stored, claims = data.replies, data.fallback_claims
            new = []
            for reply in replies:
                fresh = reply.key not in stored
                if reply.strategy is MatchStrategy.FALLBACK:  # claims, stored or not
                    claim = (reply.contact_id, reply.inbound_id)
                    fresh &= claims.setdefault(claim, reply.send_id) == reply.send_id
                if fresh:
                    stored[reply.key] = reply
                    if reply.kind is MessageKind.HUMAN:
                        data.announced.add(reply.key)
                new.append(fresh)
            return new

    def mark_announced(self, tenant: str, key: tuple[str, str]) -> bool:
        with self._lock:
            data = self._t(tenant)
            if key not in data.replies:
                raise NotFoundError(f"no reply {key!r} in tenant {tenant!r}")
            if key in data.announced:
                return False
            data.announced.add(key)
            return True

    def set_reply_kind(
        self, tenant: str, key: tuple[str, str], kind: MessageKind, subtype: str | None
    ) -> Reply:
        kind, subtype = check_kind(kind, subtype)  # before anything changes
        with self._lock:
            stored = self._t(tenant).replies
            if key not in stored:
                raise NotFoundError(f"no reply {key!r} in tenant {tenant!r}")
            stored[key] = attrs.evolve(stored[key], kind=kind, subtype=subtype)
            return stored[key]

    def list_replies(
        self,
        tenant: str,
        *,
        email_id: str | None = None,
        contact_id: str | None = None,
        kinds: Collection[MessageKind] | None = None,
    ) -> list[Reply]:
        with self._lock:
            replies = list(self._t(tenant).replies.values())
        return newest_first(
            r
            for r in replies
            if (email_id is None or r.email_id == email_id)
            and (contact_id is None or r.contact_id == contact_id)
            and (kinds is None or r.kind in kinds)
        )

    def report(self, tenant: str, email_id: str | None = None) -> EmailReport:
        with self._lock:
            data = self._t(tenant)
            sends = [s for s in data.sends.values() if email_id is None or s.email_id == email_id]
            replies = [
                r for r in data.replies.values() if email_id is None or r.email_id == email_id
            ]
        return compute_report(email_id, sends, replies)

    def contact_properties(self, tenant: str, contact_id: str) -> ContactProperties:
        return compute_contact_properties(
            contact_id, self.list_replies(tenant, contact_id=contact_id)
        )

    def get_cursor(self, tenant: str, source_key: str) -> str | None:
        return self._t(tenant).cursors.get(source_key)

    def close(self) -> None:
        """Nothing to release: the records live as long as the object."""

    def set_cursor(self, tenant: str, source_key: str, cursor: str) -> None:
        with self._lock:
            self._t(tenant).cursors[source_key] = cursor

    def add_quarantined(self, tenant: str, items: Sequence[Quarantined]) -> None:
        with self._lock:
            self._t(tenant).quarantine.update((q.id, q) for q in items)

    def list_quarantined(
        self, tenant: str, *, inbox_id: str | None = None, ids: Collection[str] | None = None
    ) -> list[Quarantined]:
        with self._lock:
            kept = list(self._t(tenant).quarantine.values())
        wanted = None if ids is None else set(ids)
        return sorted(
            (
                q
                for q in kept
                if (inbox_id is None or q.inbox_id == inbox_id)
                and (wanted is None or q.id in wanted)
            ),
            key=lambda q: (q.received_at, q.id),
        )

    def remove_quarantined(self, tenant: str, ids: Collection[str]) -> int:
        with self._lock:
            kept = self._t(tenant).quarantine
            return sum(kept.pop(q, None) is not None for q in set(ids))

    # -- leases (replytrack.protocols.LeaseStore) ------------------------------------
    def acquire_lease(
        self, tenant: str, name: str, holder: str, *, now: datetime, expires_at: datetime
    ) -> bool:
        check_lease(holder, now, expires_at)
        with self._lock:
            leases = self._t(tenant).leases
            held = leases.get(name)
            if held is not None and held[0] != holder and held[1] > now:
                return False
            leases[name] = (holder, expires_at)
            return True

    def release_lease(self, tenant: str, name: str, holder: str) -> bool:
        with self._lock:
            leases = self._t(tenant).leases
            if name not in leases or leases[name][0] != holder:
                return False
            del leases[name]
            return True
