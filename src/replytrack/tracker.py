"""The Tracker: record sends, ingest inbound mail, report replies, tell subscribers.

Ingesting runs :mod:`replytrack.pipeline` over batches of messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import groupby, islice
from typing import TYPE_CHECKING, TypeVar

import attrs

from replytrack._arguments import (
    check_items,
    check_raw,
    check_store,
    refuse_inbox_id,
    require_contact,
    require_email,
)
from replytrack._kinds import check_kind
from replytrack._periods import describe as describe_periods
from replytrack._text import gate
from replytrack._workers import Inbound, as_pair, run_batches, run_ranges
from replytrack.correlate import Correlator
from replytrack.errors import ConfigurationError, NotFoundError, UnknownInboxError
from replytrack.events import EventBus, ReplyEvent, Subscriber
from replytrack.headers import TokenSigner, new_send_id
from replytrack.limits import DEFAULT_LIMITS, Limits
from replytrack.models import (
    Contact,
    DeliveryStatus,
    Inbox,
    MarketingEmail,
    MessageKind,
    Quarantined,
    Reply,
    Send,
    as_utc,
)
from replytrack.pipeline import ContactResolver, IngestResult, Outcome, Pipeline, SyncSummary
from replytrack.protocols import InboxSource, ReportingSource, Store
from replytrack.replyto import SendPlan, ValidationReport, plan_sends, resolve_reply_to, validate
from replytrack.reports import ContactProperties, EmailReport, TimelineEntry, timeline_entry
from replytrack.segments import Schema, Segment
from replytrack.segments._active import ActiveLists
from replytrack.segments._query import SegmentQuery, bind

if TYPE_CHECKING:
    from replytrack._sync_all import SyncAllSummary

__all__ = ["Tracker"]

Clock = Callable[[], datetime]
BATCH_SIZE = 500
#: the default idempotency key of a send is this and its contact id
DEFAULT_KEY_PREFIX = "contact:"
T = TypeVar("T")
log = logging.getLogger("replytrack")


def _batch_size(size: int) -> int:
    if size < 1:
        raise ConfigurationError(f"batch_size must be at least 1, got {size}")
    return size


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last may be shorter), read lazily."""
    _batch_size(size)
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _delivery(status: DeliveryStatus | str) -> DeliveryStatus:
    webhook = [s.value for s in DeliveryStatus if s is not DeliveryStatus.SENT]
    if isinstance(status, DeliveryStatus) and status is not DeliveryStatus.SENT:
        return status
    if isinstance(status, str) and status in webhook:
        return DeliveryStatus(status)
    raise ConfigurationError(f"a delivery status is one of {webhook}, got {status!r}")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _checked(item: Inbound) -> Inbound:
    """An item of a lazy ``ingest_many`` iterable, refused as it is read when not bytes."""
    check_raw(item[0] if isinstance(item, tuple) and item else item, "a message")
    return item


def _send_keys(
    contacts: Sequence[Contact], keys: Sequence[str] | None, resend: bool
) -> list[str | None]:
    """Each contact's idempotency key: the caller's, ``contact:<id>``, or None to resend."""
    if keys is None:
        return [None if resend else DEFAULT_KEY_PREFIX + c.id for c in contacts]
    if resend:
        raise ConfigurationError("pass keys or resend=True, not both: a resend has no key")
    if isinstance(keys, str) or len(keys) != len(contacts):
        raise ConfigurationError(
            f"keys must be a sequence of one key per contact ({len(contacts)}),"
            f" got {type(keys).__name__}" + ("" if isinstance(keys, str) else f" of {len(keys)}")
        )
    for number, key in enumerate(keys):
        if not isinstance(key, str) or not key.strip():
            raise ConfigurationError(f"keys[{number}] must be a non-empty str, got {key!r}")
        if key.startswith(DEFAULT_KEY_PREFIX):
            raise ConfigurationError(
                f"keys[{number}] {key!r} starts with {DEFAULT_KEY_PREFIX!r}, the form of the"
                " default keys: pass your own send id, or no keys for one send per contact"
            )
    return list(keys)


class Tracker:
    """Reply tracking for one tenant (one CRM account) over a Store.

    Args:
        store: where records live (MemoryStore, SQLiteStore, PostgresStore, yours).
        secret: 32+ random bytes that sign the Message-IDs. Keep it stable: mail
            signed under a rotated secret still matches by Message-ID lookup, no
            longer by token.
        domain: the right-hand side of the Message-IDs we generate.
        tenant: the CRM account every record belongs to.
        clock: returns "now" (aware); defaults to the UTC wall clock.
        fallback: match threadless replies by sender, inbox and subject.
        fallback_window: how far back the fallback looks for a send.
        contact_resolver: maps another address to a contact id, so a contact's
            reply from an address not on record is credited instead of WRONG_SENDER.
        limits: the most read from one message (header bytes, ids per header, MIME
            depth and parts, encoded words, body bytes); see :class:`~replytrack.Limits`.

    Raises:
        ConfigurationError: a short secret, a bad domain, an empty tenant, a
            non-positive fallback window; a store that is not a Store (a URL:
            ``Tracker(open_store(url), ...)``).
    """

    #: saved segments kept up to date, once :meth:`active_lists` made them
    _lists: ActiveLists | None = None

    def __init__(
        self,
        store: Store,
        *,
        secret: bytes,
        domain: str,
        tenant: str = "default",
        clock: Clock | None = None,
        fallback: bool = True,
        fallback_window: timedelta = timedelta(days=30),
        contact_resolver: ContactResolver | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        if fallback_window <= timedelta(0):
            raise ConfigurationError(f"fallback_window must be positive, got {fallback_window}")
        check_store(store)
        self.store = store
        self.tenant = tenant
        self._signer = TokenSigner(secret, domain, tenant)
        self._clock: Clock = clock or _utcnow
        self._events: EventBus[ReplyEvent] = EventBus()
        cleaned = gate(store)  # text from mail reaches any store cleaned
        correlator = Correlator(cleaned, self._signer, fallback, fallback_window, contact_resolver)
        self._pipeline = Pipeline(
            cleaned, tenant, correlator, self._events, self._now, contact_resolver, limits
        )

    def _now(self, value: datetime | None = None, name: str = "clock()") -> datetime:
        """``value`` (or the clock's now) in UTC: every instant enters the library in UTC."""
        return as_utc(self._clock() if value is None else value, name)

    # -- inboxes -----------------------------------------------------------------
    def connect_inbox(self, inbox: Inbox, connected_at: datetime | None = None) -> Inbox:
        """Start watching ``inbox`` (again): mail received from ``connected_at`` on counts.

        The start is ``connected_at``, else the inbox's own open period (``Inbox(...,
        connected_at=...)``), else now. Every period stored before is kept (connecting an
        inbox already connected changes no date, and mail received during an earlier
        period still counts when it is ingested later); the inbox's settings replace the
        stored ones. See :meth:`update_inbox` to change settings only.
        """
        stored = self.store.get_inbox(self.tenant, inbox.id)
        own = inbox.periods
        if connected_at is not None:
            start = self._now(connected_at, "connected_at")
            own = tuple(p for p in own if p[1] is not None)
        elif own and own[-1][1] is None:
            start, own = own[-1][0], own[:-1]
        else:
            start = self._now(None, "connected_at")
        periods = (*(stored.periods if stored else ()), *own, (start, None))
        connected = attrs.evolve(inbox, periods=periods)
        self.store.save_inbox(self.tenant, connected)
        return connected

    def update_inbox(self, inbox: Inbox) -> Inbox:
        """Change a connected inbox's settings (address, aliases, provider, members...);
        its connected periods stay as stored.

        Raises:
            UnknownInboxError: the inbox was never connected.
            ConfigurationError: ``inbox`` carries periods other than the stored ones
                (change those with :meth:`connect_inbox` and :meth:`disconnect_inbox`).
        """
        stored = self._inbox(inbox.id)
        if inbox.periods and inbox.periods != stored.periods:
            raise ConfigurationError(
                f"update_inbox changes settings only: inbox {inbox.id!r} is stored"
                f" {describe_periods(stored.periods)}, the inbox given says"
                f" {describe_periods(inbox.periods)}; use connect_inbox or disconnect_inbox"
            )
        updated = attrs.evolve(inbox, periods=stored.periods)
        self.store.save_inbox(self.tenant, updated)
        return updated

    def disconnect_inbox(self, inbox_id: str, disconnected_at: datetime | None = None) -> Inbox:
        """Stop watching an inbox: its open period ends at ``disconnected_at`` (default
        now), mail received from then on is not counted; earlier periods are kept. An
        inbox not connected is returned unchanged.

        Raises:
            ConfigurationError: ``disconnected_at`` is before the open period began.
        """
        inbox = self._inbox(inbox_id)
        when = self._now(disconnected_at, "disconnected_at")
        if not inbox.periods or inbox.periods[-1][1] is not None:
            return inbox
        start = inbox.periods[-1][0]
        if when < start:
            raise ConfigurationError(
                f"disconnected_at {when.isoformat()} is before inbox {inbox_id!r} was"
                f" connected, at {start.isoformat()}"
            )
        gone = attrs.evolve(inbox, periods=(*inbox.periods[:-1], (start, when)))
        self.store.save_inbox(self.tenant, gone)
        return gone

    def list_inboxes(self) -> list[Inbox]:
        """Every inbox of the tenant, connected now or not, ordered by id."""
        return self.store.list_inboxes(self.tenant)

    def get_inbox(self, inbox_id: str) -> Inbox:
        """The inbox with this id, every connected period included.

        Raises:
            UnknownInboxError: the inbox was never connected (a ``NotFoundError``).
        """
        return self._inbox(inbox_id)

    def _inbox(self, inbox_id: str) -> Inbox:
        inbox = self.store.get_inbox(self.tenant, inbox_id)
        if inbox is None:
            known = ", ".join(i.id for i in self.store.list_inboxes(self.tenant)) or "none"
            raise UnknownInboxError(
                f"inbox {inbox_id!r} was never connected in tenant {self.tenant!r} (known: {known})"
            )
        return inbox

    # -- Reply-To -----------------------------------------------------------------
    def validate(self, email: MarketingEmail) -> ValidationReport:
        """Check ``email``'s From and Reply-To now, before sending (see docs/replyto.md)."""
        return validate(email, self.store.list_inboxes(self.tenant), self._now())

    def plan_sends(self, email: MarketingEmail, contacts: Sequence[Contact]) -> SendPlan:
        """Each recipient's Reply-To as record_sends would resolve it now, with the problems."""
        return plan_sends(email, contacts, self.store.list_inboxes(self.tenant), self._now())

    # -- sends -------------------------------------------------------------------
    def record_send(
        self,
        email: MarketingEmail,
        contact: Contact,
        sent_at: datetime | None = None,
        *,
        key: str | None = None,
        resend: bool = False,
    ) -> Send:
        """Record one send; put ``send.headers`` on the outgoing mail (see :meth:`record_sends`
        for ``key`` and ``resend``)."""
        keys = None if key is None else [key]
        return self.record_sends(email, [contact], sent_at, keys=keys, resend=resend)[0]

    def record_sends(
        self,
        email: MarketingEmail,
        contacts: Sequence[Contact],
        sent_at: datetime | None = None,
        *,
        keys: Sequence[str] | None = None,
        resend: bool = False,
    ) -> list[Send]:
        """Record a send per contact in one batch; order follows ``contacts``.

        Idempotent: a send is recorded once per idempotency key and email, and recording
        it again (a retry after a timeout) returns the first send, with its id and
        Message-ID. The key is, per contact, ``keys[i]`` (your own send id), else
        ``contact:<contact id>``: one send per contact and email. ``resend=True``
        records new sends whatever was recorded before (a deliberate second send).

        Raises:
            ConfigurationError: ``keys`` not one str per contact, a key starting with
                ``contact:`` (the default keys' form), or ``keys`` with ``resend``.
        """
        wanted = _send_keys(contacts, keys, resend)
        when = self._now(sent_at, "sent_at")
        inboxes = self.store.list_inboxes(self.tenant)
        refuse_inbox_id(email, inboxes)
        self.store.save_email(self.tenant, email)
        self.store.save_contacts(self.tenant, contacts)
        millis = int(when.timestamp() * 1000)
        sends = []
        for contact, idempotency_key in zip(contacts, wanted, strict=True):
            resolution = resolve_reply_to(email, contact, inboxes, when)
            send_id = new_send_id(millis)
            sends.append(
                Send(
                    id=send_id,
                    email_id=email.id,
                    contact_id=contact.id,
                    address=contact.emails[0],
                    message_id=self._signer.message_id(send_id),
                    sent_at=when,
                    reply_to=resolution.address,
                    inbox_id=resolution.inbox_id,
                    tracked=resolution.tracked,
                    untracked_reason=resolution.reason,
                    idempotency_key=idempotency_key,
                )
            )
        kept = self.store.add_sends(self.tenant, sends)
        if self._lists is not None:
            self._lists.changed([c.id for c in contacts], ("contact", "sends"))
        return kept

    def record_provider_message_id(self, send_id: str, message_id: str) -> Send:
        """Record the Message-ID the sending service really used; both ids then match."""
        return self.store.set_provider_message_id(self.tenant, send_id, message_id)

    def record_delivery(
        self, send_id: str, status: DeliveryStatus | str, *, override: bool = False
    ) -> Send:
        """Record what the sending service's webhook says became of a send: 'delivered',
        'bounced' (a hard bounce: the report's ``bounced`` counts it, ``delivered`` not),
        'soft_bounced' or 'complained' (both still delivered). Repeating a call changes
        nothing. A hard bounce stands against a later other status (webhooks arrive out of
        order, and a late bounce follows 'delivered'); ``override=True`` corrects it.

        Raises:
            NotFoundError: no such send in this tenant.
            ConfigurationError: ``status`` is not one of those.
        """
        wanted = _delivery(status)
        if not override and wanted is not DeliveryStatus.BOUNCED:
            send = self.store.get_sends(self.tenant, [send_id]).get(send_id)
            if send is not None and send.delivery is DeliveryStatus.BOUNCED:
                return send
        return self.store.set_delivery(self.tenant, send_id, wanted)

    # -- ingest ------------------------------------------------------------------
    def ingest(
        self, inbox_id: str | None, raw: bytes, received_at: datetime | None = None
    ) -> IngestResult:
        """Ingest one inbound message received by ``inbox_id``.

        ``inbox_id`` None: the receiving inbox is found from the message's Delivered-To,
        X-Original-To, To and Cc, in that order (an inbox's address or alias, also
        spelled as its provider delivers it: Gmail dots, ``+tags``); UNKNOWN_INBOX when
        none is connected.

        Raises:
            TypeError: ``raw`` is not bytes (a str is a caller's bug, not bad mail).
            UnknownInboxError: ``inbox_id`` was never connected.
        """
        check_raw(raw, "raw")
        return self.ingest_many(inbox_id, [(raw, received_at)])[0]

    def ingest_many(
        self,
        inbox_id: str | None,
        messages: Iterable[Inbound],
        batch_size: int = BATCH_SIZE,
        *,
        workers: int = 1,
    ) -> list[IngestResult]:
        """Ingest messages in batches (each batch one store transaction); a result per message.

        ``workers`` > 1 runs the batches in that many processes, each with its own
        connection to the store (SQLiteStore, PostgresStore: see :class:`SharedStore`).
        The workers read a list (or other sequence) of messages from the memory they
        inherit; other iterables are sent to them batch by batch. The clock and the
        contact resolver are called in the workers. Reply events are still published
        here, in this process, batch by batch. ``inbox_id`` None: each message's inbox
        is found from its recipients (see :meth:`ingest`).

        Raises:
            TypeError: a message that is not bytes; every item of a list or other
                sequence is checked before any is ingested, those of another iterable
                as they are read.
        """
        if isinstance(messages, Sequence):
            check_items(messages)
        else:
            messages = (_checked(item) for item in messages)
        inbox = None if inbox_id is None else self._inbox(inbox_id)
        if workers > 1 and isinstance(messages, Sequence):
            batch_size = _batch_size(batch_size)
            done = run_ranges(self._pipeline, inbox, messages, batch_size, workers)
        else:
            pairs = (as_pair(item) for item in messages)
            batches = ((None, batch, None) for batch in _batches(pairs, batch_size))
            done = (results for _, results in run_batches(self._pipeline, inbox, batches, workers))
        return [result for batch in done for result in self._pipeline.publish(batch)]

    def sync(
        self,
        inbox_id: str,
        source: InboxSource,
        batch_size: int = BATCH_SIZE,
        *,
        workers: int = 1,
    ) -> SyncSummary:
        """Ingest what ``source`` holds after its stored cursor; resumable after a crash.

        The cursor is saved after each batch is stored (in order, also with
        ``workers`` > 1), so a crash re-reads at most the batches in flight, whose
        messages then come back as DUPLICATE. A message that cannot be processed is
        quarantined with its position and the cursor moves past it: it never stops
        the mailbox (see :meth:`retry_quarantined`).
        """
        inbox = self._inbox(inbox_id)
        cursor = self.store.get_cursor(self.tenant, source.key)
        counts: dict[Outcome, int] = {}
        quarantined: list[str] = []
        batches = (
            (
                [m.cursor for m in batch],
                [(m.raw, m.received_at) for m in batch],
                [(source.key, m.cursor) for m in batch],
            )
            for batch in _batches(source.fetch(cursor), batch_size)
        )
        for positions, done in run_batches(self._pipeline, inbox, batches, workers):
            for position, result in zip(positions, self._pipeline.publish(done), strict=True):
                counts[result.outcome] = counts.get(result.outcome, 0) + 1
                if result.outcome is Outcome.MALFORMED:
                    quarantined.append(position)
            cursor = positions[-1]
            self.store.set_cursor(self.tenant, source.key, cursor)
        warnings: tuple[str, ...] = ()
        if isinstance(source, ReportingSource):
            warnings = tuple(source.warnings)
            if source.settled_cursor is not None and source.settled_cursor != cursor:
                cursor = source.settled_cursor
                self.store.set_cursor(self.tenant, source.key, cursor)
        if quarantined:
            log.warning(
                "tenant %r: sync of %s quarantined %d message(s), at %s",
                self.tenant,
                source.key,
                len(quarantined),
                ", ".join(quarantined),
            )
        return SyncSummary(
            counts=counts, cursor=cursor, quarantined=tuple(quarantined), warnings=warnings
        )

    def sync_all(
        self,
        sources: Mapping[str, InboxSource] | Callable[[Inbox], InboxSource | None] | None = None,
        *,
        inbox_ids: Sequence[str] | None = None,
        pool: int = 8,
        lease: timedelta = timedelta(minutes=10),
        batch_size: int = BATCH_SIZE,
    ) -> SyncAllSummary:
        """Sync every connected inbox (or those ``inbox_ids``), ``pool`` at a time.

        Each inbox is read from ``sources`` (by inbox id, or a function of the inbox that
        returns its source or None), by default from the source spec saved for it
        (``replytrack inbox connect --source``). While an inbox syncs its lease is held in
        the store (a :class:`~replytrack.protocols.LeaseStore`) and renewed at half of
        ``lease``: another worker, in this process or another, skips it meanwhile, and the
        lease of a worker that died expires. An inbox's error is reported in the summary,
        not raised (see docs/imap.md).

        Raises:
            ConfigurationError: the store keeps no leases, ``pool`` < 1, ``lease`` <= 0.
        """
        from replytrack._sync_all import sync_all

        return sync_all(
            self, sources, inbox_ids=inbox_ids, pool=pool, lease=lease, batch_size=batch_size
        )

    # -- quarantine --------------------------------------------------------------
    def quarantined(self, inbox_id: str | None = None) -> list[Quarantined]:
        """The messages ingest could not process, all or one inbox's, oldest first."""
        return self.store.list_quarantined(self.tenant, inbox_id=inbox_id)

    def retry_quarantined(self, ids: Collection[str] | None = None) -> dict[str, IngestResult]:
        """Ingest quarantined messages again (all, or those ``ids``), after a fix.

        Each is ingested as when it first arrived (its inbox, received time and
        source position); one now processed leaves the quarantine, one that fails
        again stays with the new reason. A message kept only in part (longer than
        ``QUARANTINE_BYTES``, see :attr:`Quarantined.complete`) is not retried.
        Returns the result of each message retried, by quarantine id.
        """
        kept = [q for q in self.store.list_quarantined(self.tenant, ids=ids) if q.complete]
        retried: dict[str, IngestResult] = {}
        by_inbox = sorted(kept, key=lambda q: (q.inbox_id or "", q.received_at, q.id))
        for inbox_id, group in groupby(by_inbox, key=lambda q: q.inbox_id):
            inbox = self._inbox(inbox_id) if inbox_id is not None else None
            for batch in _batches(group, BATCH_SIZE):
                done = self._pipeline.run(
                    inbox,
                    [(q.raw, q.received_at) for q in batch],
                    [(q.source_key, q.position) for q in batch],
                )
                retried.update(
                    zip((q.id for q in batch), self._pipeline.publish(done), strict=True)
                )
        again = {r.quarantine_id for r in retried.values()}
        self.store.remove_quarantined(self.tenant, [q for q in retried if q not in again])
        return retried

    # -- overrides ---------------------------------------------------------------
    def reclassify(
        self, key: tuple[str, str], kind: MessageKind, subtype: str | None = None
    ) -> Reply:
        """Override the kind of a stored record (``reply.key``); reports follow at once.

        A change publishes a 'reply.reclassified' event with the old kind; a record that
        becomes a HUMAN reply for the first time also publishes 'reply.received' (never
        twice for one record: HUMAN -> AUTO_REPLY -> HUMAN announces nothing new).

        Raises:
            ConfigurationError: ``kind`` is not a MessageKind (``"bounce"`` is
                ``MessageKind.BOUNCE``), or ``subtype`` does not belong to it; nothing
                has changed then.
            NotFoundError: no record has this key.
        """
        kind, subtype = check_kind(kind, subtype)
        send = self.store.get_sends(self.tenant, [key[0]]).get(key[0])
        stored = (
            self.store.list_replies(self.tenant, email_id=send.email_id, contact_id=send.contact_id)
            if send
            else []
        )
        old = next((r for r in stored if r.key == key), None)
        if old is None:
            raise NotFoundError(f"no stored reply {key!r} in tenant {self.tenant!r}")
        reply = self.store.set_reply_kind(self.tenant, key, kind, subtype)
        if self._lists is not None:
            self._lists.changed([reply.contact_id], ("replies",))
        if (reply.kind, reply.subtype) != (old.kind, old.subtype):
            self._events.publish(
                ReplyEvent(
                    tenant=self.tenant, reply=reply, name="reply.reclassified", old_kind=old.kind
                )
            )
        became_human = reply.kind is MessageKind.HUMAN and old.kind is not MessageKind.HUMAN
        if became_human and self.store.mark_announced(self.tenant, key):
            self._events.publish(ReplyEvent(tenant=self.tenant, reply=reply))
        return reply

    # -- reports -----------------------------------------------------------------
    def report(self, email_id: str | None = None) -> EmailReport:
        """Counts and reply rate for one email, or across all (see replytrack.reports).

        Raises:
            NotFoundError: no email ``email_id`` was recorded (with the closest id).
        """
        if email_id is not None:
            require_email(self.store, self.tenant, email_id)
        return self.store.report(self.tenant, email_id)

    def replies(self, email_id: str) -> list[Reply]:
        """The human replies to one email, newest first.

        Raises:
            NotFoundError: no email ``email_id`` was recorded (with the closest id).
        """
        require_email(self.store, self.tenant, email_id)
        return self.store.list_replies(self.tenant, email_id=email_id, kinds=(MessageKind.HUMAN,))

    def contact_properties(self, contact_id: str) -> ContactProperties:
        """First and last reply date, emails replied to, replies, replied or not; all
        empty for a contact who never replied.

        Raises:
            NotFoundError: no contact ``contact_id`` was ever sent to (with the closest id).
        """
        require_contact(self.store, self.tenant, contact_id)
        return self.store.contact_properties(self.tenant, contact_id)

    def contact_properties_many(self, contact_ids: Iterable[str]) -> dict[str, ContactProperties]:
        """:meth:`contact_properties` of each contact, by id in the order given (an id
        given twice appears once); every id is checked before any is read.

        Raises:
            NotFoundError: one of the ids was never sent to (the first such, with the
                closest id).
        """
        wanted = list(dict.fromkeys(contact_ids))
        known = self.store.get_contacts(self.tenant, wanted)
        for contact_id in wanted:
            if contact_id not in known:
                require_contact(self.store, self.tenant, contact_id)
        return {c: self.store.contact_properties(self.tenant, c) for c in wanted}

    def timeline(self, contact_id: str) -> list[TimelineEntry]:
        """One entry per human reply of the contact, newest first.

        Raises:
            NotFoundError: no contact ``contact_id`` was ever sent to (with the closest id).
        """
        require_contact(self.store, self.tenant, contact_id)
        replies = self.store.list_replies(
            self.tenant, contact_id=contact_id, kinds=(MessageKind.HUMAN,)
        )
        return [timeline_entry(r) for r in replies]

    # -- segments ----------------------------------------------------------------
    def segment(
        self,
        segment: Segment | str,
        *,
        tz: str = "UTC",
        properties: Schema | Mapping[str, str] | None = None,
    ) -> SegmentQuery:
        """This tenant's contacts in a segment: ``.contact_ids()``, ``.count()``,
        ``.contains(contact_id)``, at the tracker's clock unless given ``now``.

        ``segment`` is parsed (with ``tz`` and ``properties``) when it is text; the
        email ids it names must exist (see docs/segments.md).
        """
        return bind(self.store, self.tenant, segment, self._clock, tz=tz, properties=properties)

    def active_lists(self) -> ActiveLists:
        """Saved segments whose members the store keeps, re-evaluated as replies, sends and
        contacts change, with join and leave events (see docs/segments.md)."""
        if self._lists is None:
            self._lists = ActiveLists(self)
        return self._lists

    # -- events ------------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(ReplyEvent)`` once per new human reply, after it is stored
        ('reply.received'), once per new automatic mail tied to a send ('reply.automatic'),
        and once per change made by :meth:`reclassify` ('reply.reclassified')."""
        return self._events.subscribe(callback)
