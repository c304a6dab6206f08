"""The plug points: :class:`Store` keeps records, :class:`InboxSource` yields inbound mail.

Both are ``typing.Protocol`` classes: implement the methods, no base class
needed. :class:`replytrack.MemoryStore` is the reference implementation of
Store; ``replytrack.testing.StoreContract`` checks any implementation against it.

Every Store method takes the tenant first and must never read or write
another tenant's rows. The errors a method may raise are part of its contract:

* any method: :class:`~replytrack.errors.StoreError` (driver errors chained),
  :class:`~replytrack.errors.StoreConnectionError` when the database is gone;
* ``add_sends``: :class:`~replytrack.errors.ConflictError` when a send id or
  Message-ID already exists in the tenant with other content; nothing of the
  batch is written then;
* ``set_provider_message_id``, ``set_delivery``, ``set_reply_kind`` and ``mark_announced``:
  :class:`~replytrack.errors.NotFoundError` for an unknown send or reply.

Text read from mail reaches a store cleaned (no NUL, no lone surrogates, ids at
most 500 characters: see ``replytrack._text``); a store must keep and return every
other str exactly, and every ``datetime`` to the microsecond.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

from replytrack.models import (
    Contact,
    DeliveryStatus,
    Inbox,
    MarketingEmail,
    MessageKind,
    Quarantined,
    Reply,
    Send,
)
from replytrack.reports import ContactProperties, EmailReport

if TYPE_CHECKING:
    from replytrack.segments import Segment

__all__ = [
    "InboxSource",
    "LeaseStore",
    "ListingStore",
    "MembershipStore",
    "ReportingSource",
    "SegmentStore",
    "SharedStore",
    "SourceMessage",
    "Store",
]


@runtime_checkable
class Store(Protocol):
    """Where sends, replies and their aggregates live, scoped by tenant."""

    def save_inbox(self, tenant: str, inbox: Inbox) -> None:
        """Insert or replace an inbox, every connected period (``Inbox.periods``) included."""

    def get_inbox(self, tenant: str, inbox_id: str) -> Inbox | None:
        """The inbox with this id, or None."""

    def list_inboxes(self, tenant: str) -> list[Inbox]:
        """Every inbox of the tenant, connected or not, ordered by id."""

    def save_email(self, tenant: str, email: MarketingEmail) -> None:
        """Insert or replace a marketing email."""

    def get_email(self, tenant: str, email_id: str) -> MarketingEmail | None:
        """The marketing email with this id, or None."""

    def save_contacts(self, tenant: str, contacts: Sequence[Contact]) -> None:
        """Insert or replace contacts (addresses, owner, properties)."""

    def get_contacts(self, tenant: str, contact_ids: Collection[str]) -> dict[str, Contact]:
        """The contacts among ``contact_ids`` that exist, by id."""

    def add_sends(self, tenant: str, sends: Sequence[Send]) -> list[Send]:
        """Insert sends in one transaction; per send given, the send stored for it.

        Re-adding a send equal to the stored one (``provider_message_id`` aside)
        is a no-op that keeps the stored record. A send whose ``idempotency_key`` is
        already held in its email (stored, or earlier in the batch) is not stored: the
        first send of that key is returned for it, also when two processes add the
        same key at once. Sends with no key (resends) are always stored.
        """

    def get_sends(self, tenant: str, send_ids: Collection[str]) -> dict[str, Send]:
        """The sends among ``send_ids`` that exist, by id."""

    def find_sends_by_message_id(
        self, tenant: str, message_ids: Collection[str]
    ) -> dict[str, Send]:
        """Sends whose normalised Message-ID or provider Message-ID is in ``message_ids``.

        The result maps each id that matched (as given) to its send.
        """

    def find_sends_to(self, tenant: str, addresses: Collection[str], since: datetime) -> list[Send]:
        """Sends to any of ``addresses`` (lower-case) with ``sent_at >= since``, newest first."""

    def set_provider_message_id(self, tenant: str, send_id: str, message_id: str) -> Send:
        """Record the Message-ID the sending service really used; returns the updated send."""

    def set_delivery(self, tenant: str, send_id: str, delivery: DeliveryStatus) -> Send:
        """Set a send's delivery status; returns the updated send. The report's ``bounced``
        counts the send while its status is BOUNCED (or a hard bounce is stored for it),
        once whatever the repeats. :class:`~replytrack.errors.NotFoundError` for an
        unknown send."""

    def add_replies(self, tenant: str, replies: Sequence[Reply]) -> list[bool]:
        """Insert reply records in one transaction, skipping keys already stored.

        Returns, per record, True when it was new. Two processes adding the same
        key at once store it once: one of them gets False.

        A threadless message attaches by the fallback to at most one send per
        contact: the first ``FALLBACK`` record of a (``contact_id``, ``inbound_id``),
        new or already stored, claims it for its send, and a ``FALLBACK`` record of
        it for another send is then not stored (False), also when two processes add
        them at once.
        A record stored as ``HUMAN`` counts as announced (see :meth:`mark_announced`).
        """

    def set_reply_kind(
        self, tenant: str, key: tuple[str, str], kind: MessageKind, subtype: str | None
    ) -> Reply:
        """Change a stored record's kind (an integrator's override); returns it updated.

        A kind that is not a MessageKind, or a subtype that does not belong to the kind
        (``replytrack._kinds.SUBTYPES_OF``), raises
        :class:`~replytrack.errors.ConfigurationError` before anything changes.
        """

    def mark_announced(self, tenant: str, key: tuple[str, str]) -> bool:
        """Remember that the record was announced to subscribers as a new human reply.

        True the first time, False when it already was (stored as ``HUMAN``, or
        marked before); of two processes marking it at once, one gets True.
        """

    def list_replies(
        self,
        tenant: str,
        *,
        email_id: str | None = None,
        contact_id: str | None = None,
        kinds: Collection[MessageKind] | None = None,
    ) -> list[Reply]:
        """Stored records filtered by email, contact and kind, newest first (ties by key)."""

    def report(self, tenant: str, email_id: str | None = None) -> EmailReport:
        """The report for one email, or across all emails when ``email_id`` is None."""

    def contact_properties(self, tenant: str, contact_id: str) -> ContactProperties:
        """The contact's reply properties (all empty when it never replied)."""

    def get_cursor(self, tenant: str, source_key: str) -> str | None:
        """Where a source's last committed sync stopped, or None."""

    def set_cursor(self, tenant: str, source_key: str, cursor: str) -> None:
        """Remember where a source's sync stopped (after its replies are stored)."""

    def add_quarantined(self, tenant: str, items: Sequence[Quarantined]) -> None:
        """Keep messages ingest could not process, every field as given (``raw`` byte for
        byte). An id already kept is replaced: the latest attempt's reason wins."""

    def list_quarantined(
        self, tenant: str, *, inbox_id: str | None = None, ids: Collection[str] | None = None
    ) -> list[Quarantined]:
        """Quarantined messages, filtered by inbox and by id, by ``received_at`` then id."""

    def remove_quarantined(self, tenant: str, ids: Collection[str]) -> int:
        """Forget quarantined messages (unknown ids are ignored); how many were removed."""

    def close(self) -> None:
        """Release connections and files; the store is not used afterwards."""


@runtime_checkable
class SharedStore(Store, Protocol):
    """A Store that several processes can open at once: ``ingest_many`` and ``sync`` can
    then run their batches in ``workers`` processes."""

    def reopen(self) -> Store:
        """A new, separate connection to the same store (called in a worker process)."""


@runtime_checkable
class ListingStore(Store, Protocol):
    """A Store that also lists a tenant's contacts, sends and emails: segments are then
    evaluated in memory over what it lists (``replytrack.segments``), no SQL needed.
    MemoryStore, SQLiteStore and PostgresStore are ListingStores."""

    def list_contacts(self, tenant: str) -> list[Contact]:
        """Every contact of the tenant, ordered by id."""

    def list_sends(
        self, tenant: str, *, email_id: str | None = None, contact_id: str | None = None
    ) -> list[Send]:
        """Sends filtered by email and contact, ordered by ``sent_at`` then id."""

    def list_email_ids(self, tenant: str) -> list[str]:
        """The ids of the tenant's marketing emails, sorted."""


@runtime_checkable
class SegmentStore(Protocol):
    """A store that runs segments itself (SQLiteStore and PostgresStore compile them to
    SQL); it must return what the in-memory evaluator would, for every segment."""

    def segment_contact_ids(self, tenant: str, segment: Segment, now: datetime) -> list[str]:
        """The ids of the tenant's contacts in ``segment`` at ``now``, sorted."""

    def segment_count(self, tenant: str, segment: Segment, now: datetime) -> int:
        """How many of the tenant's contacts are in ``segment`` at ``now``."""


@runtime_checkable
class MembershipStore(Protocol):
    """A store that keeps the members of saved segments (active lists), per tenant.

    ``definition`` is opaque text that identifies what a saved segment means;
    ``refreshed_at`` when its members were last brought up to date.
    """

    def get_segment_list(self, tenant: str, name: str) -> tuple[str, datetime | None] | None:
        """The saved segment's definition and last refresh, or None."""

    def save_segment_list(
        self, tenant: str, name: str, definition: str, refreshed_at: datetime | None
    ) -> None:
        """Insert or replace a saved segment's definition and last refresh."""

    def drop_segment_list(self, tenant: str, name: str) -> None:
        """Forget a saved segment and its members."""

    def list_members(self, tenant: str, name: str) -> list[str]:
        """The ids of the saved segment's members, sorted."""

    def member_of(self, tenant: str, contact_ids: Collection[str]) -> dict[str, list[str]]:
        """For each of ``contact_ids`` in any saved segment, the names of those, sorted."""

    def change_members(
        self, tenant: str, changes: Sequence[tuple[str, str, bool]], at: datetime
    ) -> None:
        """Apply (segment, contact id, member) changes in one transaction; ``at`` is when."""


@runtime_checkable
class LeaseStore(Protocol):
    """A store that keeps leases: a named lease is held by one holder at a time, until it
    expires, so that two workers (threads, processes or machines) sharing the store never
    do the same job at once (``sync_all`` leases each inbox it syncs). Times are the
    caller's clock, kept to the microsecond; a holder names one worker's claim.
    ``acquire_lease`` raises :class:`~replytrack.errors.ConfigurationError` for an empty
    holder, a naive time, or an expiry not after ``now``.
    """

    def acquire_lease(
        self, tenant: str, name: str, holder: str, *, now: datetime, expires_at: datetime
    ) -> bool:
        """Hold the lease ``name`` until ``expires_at``: True when ``holder`` now holds it
        (it was free, its last holder's expiry is at or before ``now``, or ``holder``
        already held it: renewed to the new expiry); False, changing nothing, while another
        holder's lease runs past ``now``. Of two holders asking at once, at most one wins."""

    def release_lease(self, tenant: str, name: str, holder: str) -> bool:
        """Give the lease up: True when ``holder`` held it (expired or not) and it is now
        free; False, changing nothing, when it is free or another holder's."""


@attrs.frozen(kw_only=True)
class SourceMessage:
    """One message a source yields: its bytes, when it arrived, and the cursor after it."""

    raw: bytes
    received_at: datetime | None
    cursor: str


@runtime_checkable
class InboxSource(Protocol):
    """A mailbox to read: yields messages after a cursor, oldest first.

    ``fetch`` raises :class:`~replytrack.errors.SourceError` when the mailbox
    cannot be read; a message that cannot be read is yielded as it is (the
    engine reports it MALFORMED), never skipped silently.
    """

    @property
    def key(self) -> str:
        """A stable name for this source, under which the store keeps its cursor."""

    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        """Messages that arrived after ``after`` (None: from the start), oldest first."""


@runtime_checkable
class ReportingSource(InboxSource, Protocol):
    """An InboxSource that reports on its last fetch (the IMAP source does); ``Tracker.sync``
    reads both once the fetch has ended."""

    @property
    def settled_cursor(self) -> str | None:
        """The cursor past everything the last fetch looked at, also past messages it did
        not yield (a baseline, a rescan that found nothing new); None when the last fetch
        did not finish. ``sync`` saves it once every message yielded is stored."""

    @property
    def warnings(self) -> Sequence[str]:
        """What the last fetch warns about (a reset, a lost cursor), for the sync summary."""
