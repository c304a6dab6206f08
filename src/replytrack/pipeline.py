"""The ingest pipeline for one batch: scan, classify, correlate, check, store, publish.

Every message gets exactly one :class:`Outcome`. Bad mail never raises: every step
that reads a message runs under :class:`_Guard`, the one place exceptions are
caught, so a message that breaks any of them (a parser bug, hostile input) is
MALFORMED with the exception and where it was raised, is kept in the store's
quarantine with its source position, and costs no other message of the batch.
Store errors are not the message's fault: they propagate and the batch is retried
whole. The batch's records are written with one ``add_replies`` call (one store
transaction); :meth:`Pipeline.publish` then sends the reply events, in the process
that owns the subscribers, and logs what was quarantined.
"""

from __future__ import annotations

import contextlib
import enum
import gc
import hashlib
import logging
import os
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from functools import partial
from typing import Protocol, TypeVar

import attrs

from replytrack._mailboxes import Recipients, same_mailbox
from replytrack._periods import describe as describe_periods
from replytrack._received import ReceivedFrom, message_time
from replytrack._text import storable_id, storable_reply
from replytrack.autoreply import Verdict, classify
from replytrack.correlate import Correlator, Lookups, Match, Pending
from replytrack.errors import MalformedMessageError, StoreError
from replytrack.events import EventBus, ReplyEvent, SubscriberError
from replytrack.headers import normalise_msg_id
from replytrack.limits import DEFAULT_LIMITS, Limits
from replytrack.message import RawMessage, normalise_address
from replytrack.models import Contact, Inbox, MatchStrategy, MessageKind, Quarantined, Reply
from replytrack.protocols import Store
from replytrack.quotes import snippet
from replytrack.subjects import forward_kind, has_forward_marker

__all__ = [
    "QUARANTINE_BYTES",
    "ContactResolver",
    "IngestResult",
    "Outcome",
    "Pipeline",
    "SyncSummary",
    "inbound_id",
]

#: bytes of a quarantined message kept (with its size and SHA-256, which cover all of it)
QUARANTINE_BYTES = 1 << 20
_REASON_CHARS = 1000
_TRACE_FRAMES = 8
log = logging.getLogger("replytrack")
X = TypeVar("X")
Y = TypeVar("Y")
#: (source key, position after the message) of a message read by ``sync``
Origin = tuple[str | None, str | None]


class Outcome(enum.Enum):
    """What ingesting one message did."""

    #: a human reply, stored and counted
    REPLY = "reply"
    #: automatic mail tied to a send (auto-reply, bounce, receipt, bulk): stored, not counted
    AUTOMATIC = "automatic"
    #: no send of ours is referenced
    NOT_A_REPLY = "not_a_reply"
    #: a forward of one of our sends (subject prefix or body marker): not a reply
    FORWARD = "forward"
    #: received before the inbox was connected, while it was disconnected, or before the send
    BEFORE_TRACKING = "before_tracking"
    #: this message was already stored for that send, through whichever inbox
    DUPLICATE = "duplicate"
    #: the sender is not an address of the contact the send went to: not attributed
    WRONG_SENDER = "wrong_sender"
    #: answers a send whose Reply-To was not a connected inbox: never counted
    UNTRACKED = "untracked"
    #: no connected inbox could be resolved for the message
    UNKNOWN_INBOX = "unknown_inbox"
    #: the message could not be read; ``reason`` says why
    MALFORMED = "malformed"


@attrs.frozen(kw_only=True)
class IngestResult:
    """The outcome of one message, with what was stored and why."""

    outcome: Outcome
    reason: str = ""
    reply: Reply | None = None
    match: Match | None = None
    verdict: Verdict | None = None
    subscriber_errors: tuple[SubscriberError[ReplyEvent], ...] = ()
    #: MALFORMED: the innermost frames where the exception was raised, outermost first
    traceback: str = ""
    #: MALFORMED: the id of the quarantine record that keeps the message
    quarantine_id: str | None = None
    #: when the message arrived (None: its time could not be read before it failed)
    received_at: datetime | None = None
    #: where ``received_at`` came from: "given" by the caller or the source, else the
    #: message's newest Received header, its Date header, or the clock (docs/tracking.md)
    received_from: ReceivedFrom | None = None


@attrs.frozen(kw_only=True)
class SyncSummary:
    """What one sync of a source did: outcomes counted, the cursor it stopped at, and the
    positions of the messages it quarantined (each is MALFORMED in ``counts`` too)."""

    counts: dict[Outcome, int]
    cursor: str | None
    quarantined: tuple[str, ...] = ()
    #: what the source warns about (a mailbox reset, a lost cursor: see ReportingSource)
    warnings: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Messages read in this sync."""
        return sum(self.counts.values())


class ContactResolver(Protocol):
    """The integrator's answer to "whose address is this?"; replytrack never creates contacts."""

    def resolve(self, address: str) -> str | None:
        """The id of the contact owning ``address`` (lower-case), or None when unknown."""


_RECIPIENT_HEADERS = ("delivered-to", "x-original-to", "to", "cc")
_FROM_WORDS = {
    "given": "as given",
    "received-header": "by its newest Received header",
    "date-header": "by its Date header",
    "clock": "by the clock",
}


@attrs.define
class Pipeline:
    """One tenant's batch ingest; the Tracker owns one."""

    store: Store
    tenant: str
    correlator: Correlator
    events: EventBus[ReplyEvent]
    clock: Callable[[datetime | None, str], datetime]
    resolver: ContactResolver | None = None
    limits: Limits = DEFAULT_LIMITS

    def run(
        self,
        given: Inbox | None,
        batch: Sequence[tuple[bytes, datetime | None]],
        origins: Sequence[Origin] | None = None,
    ) -> list[IngestResult]:
        """Ingest one batch received by ``given`` (None: resolve each message's inbox).

        ``origins`` gives each message's source key and position (``sync``), kept
        with it if it is quarantined.
        """
        with collector_paused():
            return self._run(given, batch, origins)

    def _run(
        self,
        given: Inbox | None,
        batch: Sequence[tuple[bytes, datetime | None]],
        origins: Sequence[Origin] | None,
    ) -> list[IngestResult]:
        # The caller's times first: a naive one is the caller's mistake, raised before any work.
        items = [
            (n, (raw, None if at is None else self.clock(at, "received_at")))
            for n, (raw, at) in enumerate(batch)
        ]
        now = self.clock(None, "clock()") if any(at is None for _, (_, at) in items) else None
        guard = _Guard()
        recipients = Recipients(self.store.list_inboxes(self.tenant) if given is None else ())
        results: dict[int, IngestResult] = {}
        headers: list[tuple[int, _Scanned]] = []
        for index, scanned in guard.each(
            partial(_scan, self.limits, given, recipients, now), items
        ):
            if isinstance(scanned, _Scanned):
                headers.append((index, scanned))
            else:
                results[index] = scanned

        lookups = Lookups()
        screened = self._screen(guard, headers, lookups)
        pending: list[tuple[int, Pending]] = []
        for index, done in guard.each(_classify, screened):
            if isinstance(done, Pending):
                pending.append((index, done))
            else:
                results[index] = done

        matched = self._correlate(guard, pending, lookups)
        contact_ids = {  # the contacts of replies from another address than the one sent to
            m.send.contact_id
            for _, (p, m) in matched
            if m is not None
            and p.verdict.kind is MessageKind.HUMAN
            and p.msg.from_address != m.send.address
        }
        contacts = self.store.get_contacts(self.tenant, contact_ids) if contact_ids else {}

        to_store: list[tuple[int, tuple[Reply, Match, Verdict, ReceivedFrom]]] = []
        for index, decided in guard.each(partial(self._decide, contacts), matched):
            if isinstance(decided, IngestResult):
                results[index] = decided
            else:
                to_store.append((index, decided))
        fresh = self.store.add_replies(self.tenant, [record[0] for _, record in to_store])
        for (index, record), is_new in zip(to_store, fresh, strict=True):
            results[index] = _stored(*record, is_new)
        if guard.failed:
            known = dict(headers)
            results.update(self._quarantine(guard.failed, items, known, given, origins, now))
        return [results[index] for index in range(len(items))]

    def _screen(
        self, guard: _Guard, headers: list[tuple[int, _Scanned]], lookups: Lookups
    ) -> list[tuple[int, tuple[_Scanned, bool]]]:
        """Whether each message has a candidate send, from its header block (see
        Correlator.screen); when a message breaks that, each is screened alone."""
        screen = self.correlator.screen
        found = guard.whole(lambda b: screen([s.key for _, s in b], lookups), headers)
        if found is None:
            return guard.each(lambda s: (s, screen([s.key], lookups)[0]), headers)
        return [(index, (s, f)) for (index, s), f in zip(headers, found, strict=True)]

    def _correlate(
        self, guard: _Guard, pending: list[tuple[int, Pending]], lookups: Lookups
    ) -> list[tuple[int, tuple[Pending, Match | None]]]:
        """Every message's match, with one set of lookups for the batch; when a message
        breaks that, each is correlated alone, under the guard."""
        correlate = partial(self.correlator.correlate_many, lookups=lookups)
        matches = guard.whole(correlate, [p for _, p in pending])
        if matches is None:
            return guard.each(lambda p: (p, correlate([p])[0]), pending)
        return [(index, (p, m)) for (index, p), m in zip(pending, matches, strict=True)]

    def _decide(
        self, contacts: dict[str, Contact], found: tuple[Pending, Match | None]
    ) -> IngestResult | tuple[Reply, Match, Verdict, ReceivedFrom]:
        """The result of a message not to store, or the record to store."""
        item, match = found
        checked = self._check(item, match, contacts)
        if isinstance(checked, IngestResult):
            return checked
        assert match is not None
        return _record(item, match, checked), match, item.verdict, item.received_from

    def _quarantine(
        self,
        failed: dict[int, IngestResult],
        items: Sequence[tuple[int, tuple[bytes, datetime | None]]],
        known: dict[int, _Scanned],
        given: Inbox | None,
        origins: Sequence[Origin] | None,
        clock_now: datetime | None,
    ) -> dict[int, IngestResult]:
        """Keep every failed message in the store's quarantine; their results, with its id.

        A message kept is stamped with its own time when it was read before it failed,
        else with the clock's, so that a retry judges it as when it first arrived."""
        now = self.clock(None, "quarantined_at")
        kept: list[Quarantined] = []
        results = {}
        for index, failure in sorted(failed.items()):
            raw, when = items[index][1]
            read = known.get(index)
            source: ReceivedFrom = "given"
            if when is None and read is not None:
                when, source = read.received_at, read.received_from
            elif when is None:
                when, source = clock_now or now, "clock"
            inbox = read.inbox if read is not None else given
            origin = origins[index] if origins else (None, None)
            item = _quarantine_record(raw, inbox.id if inbox else None, origin, when, now, failure)
            kept.append(item)
            results[index] = attrs.evolve(
                failure, quarantine_id=item.id, received_at=when, received_from=source
            )
        self.store.add_quarantined(self.tenant, kept)
        return results

    def publish(self, results: list[IngestResult]) -> list[IngestResult]:
        """Send an event per new reply ('reply.received') and per new automatic mail
        ('reply.automatic') in ``results`` (subscriber errors join its result) and log
        each quarantined message (logger ``replytrack``, WARNING)."""
        published = []
        for result in results:
            if result.outcome is Outcome.REPLY and result.reply is not None:
                errors = self.events.publish(ReplyEvent(tenant=self.tenant, reply=result.reply))
                if errors:
                    result = attrs.evolve(result, subscriber_errors=errors)
            elif result.outcome is Outcome.AUTOMATIC and result.reply is not None:
                back = None if result.verdict is None else result.verdict.return_date
                event = ReplyEvent(
                    tenant=self.tenant, reply=result.reply, name="reply.automatic", return_date=back
                )
                errors = self.events.publish(event)
                if errors:
                    result = attrs.evolve(result, subscriber_errors=errors)
            elif result.outcome is Outcome.MALFORMED:
                log.warning(
                    "tenant %r: message quarantined as %s: %s",
                    self.tenant,
                    result.quarantine_id,
                    result.reason,
                )
            published.append(result)
        return published

    def _check(
        self, item: Pending, match: Match | None, contacts: dict[str, Contact]
    ) -> IngestResult | str | None:
        """An IngestResult for a message not to store; else the alternate sender address, or None."""
        verdict = item.verdict

        def result(outcome: Outcome, reason: str) -> IngestResult:
            return IngestResult(
                outcome=outcome,
                reason=reason,
                match=match,
                verdict=verdict,
                received_at=item.received_at,
                received_from=item.received_from,
            )

        if match is None:
            return result(Outcome.NOT_A_REPLY, "no send of ours is referenced")
        send, when, inbox = match.send, item.received_at, item.inbox
        if not inbox.is_connected_at(when):
            return result(
                Outcome.BEFORE_TRACKING,
                f"received {when.isoformat()} ({_FROM_WORDS[item.received_from]}) while inbox"
                f" {inbox.id} was not connected ({describe_periods(inbox.periods)})",
            )
        # A bounce counts against delivery whatever the Reply-To was: stored for an
        # untracked send too (AUTOMATIC), so that ``delivered`` drops.
        if not send.tracked and verdict.kind is not MessageKind.BOUNCE:
            return result(
                Outcome.UNTRACKED, f"send {send.id} is untracked: {send.untracked_reason}"
            )
        if when < send.sent_at:
            return result(
                Outcome.BEFORE_TRACKING,
                f"received {when.isoformat()} before send {send.id} went out",
            )
        if verdict.kind is not MessageKind.HUMAN:
            return None
        if _is_forward(item.msg):
            return result(Outcome.FORWARD, f"a forward of send {send.id}, not a reply")
        sender = item.msg.from_address
        contact = contacts.get(send.contact_id)
        if sender == send.address or (contact is not None and sender in contact.emails):
            return None
        known = (send.address, *(contact.emails if contact is not None else ()))
        if sender and same_mailbox(sender, known):  # Gmail dots, +tags...: the same mailbox
            return None
        if (
            sender
            and self.resolver is not None
            and self.resolver.resolve(sender) == send.contact_id
        ):
            return sender
        return result(
            Outcome.WRONG_SENDER,
            f"{sender or 'no sender'} is not an address of contact {send.contact_id}",
        )


@attrs.define
class _Guard:
    """The one place ingest catches exceptions, around every step that reads a message.

    A step that raises for one message costs that message only: it fails, MALFORMED with
    the exception, and the batch goes on. A store error is the store's, not the
    message's: it propagates, and the batch is retried whole. (A ``try`` costs nothing
    in Python 3.11+ until something raises.)
    """

    failed: dict[int, IngestResult] = attrs.field(factory=dict)

    def each(self, step: Callable[[X], Y], items: Iterable[tuple[int, X]]) -> list[tuple[int, Y]]:
        """(index, step(item)) for every item whose step returned; the others fail."""
        done = []
        for index, item in items:
            try:
                done.append((index, step(item)))
            except StoreError:
                raise
            except Exception as exc:  # whatever one message breaks costs it only
                self.failed[index] = _failure(exc)
        return done

    def whole(self, step: Callable[[X], Y], batch: X) -> Y | None:
        """step(batch), or None when something in the batch broke it."""
        try:
            return step(batch)
        except StoreError:
            raise
        except Exception:  # the caller then runs the step per message
            return None


def _failure(exc: Exception) -> IngestResult:
    """MALFORMED, the reason (type and message, bounded) and where it was raised."""
    try:
        text = str(exc)
    except Exception:  # an exception whose message itself raises
        text = "(the message of the exception cannot be shown)"
    reason = text if isinstance(exc, MalformedMessageError) else f"{type(exc).__name__}: {text}"
    if len(reason) > _REASON_CHARS:
        reason = reason[: _REASON_CHARS - 1] + "…"
    frames = deque(traceback.walk_tb(exc.__traceback__), maxlen=_TRACE_FRAMES)
    where = " > ".join(
        f"{os.path.basename(frame.f_code.co_filename)}:{line} {frame.f_code.co_name}"
        for frame, line in frames
    )
    return IngestResult(outcome=Outcome.MALFORMED, reason=reason, traceback=where)


def _quarantine_record(
    raw: bytes,
    inbox_id: str | None,
    origin: Origin,
    received_at: datetime,
    now: datetime,
    failure: IngestResult,
) -> Quarantined:
    """The quarantine record of a message that failed: its id is the same each time the
    same bytes fail in the same inbox, so a message read again replaces its record."""
    data = bytes(raw) if isinstance(raw, bytes | bytearray | memoryview) else b""
    where = (inbox_id or "").encode("utf-8", "surrogatepass") + b"\0"
    return Quarantined(
        id=hashlib.sha256(where + data).hexdigest()[:32],
        inbox_id=inbox_id,
        source_key=origin[0],
        position=origin[1],
        received_at=received_at,
        quarantined_at=now,
        reason=failure.reason,
        traceback=failure.traceback,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        raw=data[:QUARANTINE_BYTES],
    )


@attrs.frozen
class _Scanned:
    """A message read as far as its header block."""

    msg: RawMessage
    inbox: Inbox
    received_at: datetime
    received_from: ReceivedFrom

    @property
    def key(self) -> tuple[RawMessage, Inbox, datetime]:
        return self.msg, self.inbox, self.received_at


def _classify(screened: tuple[_Scanned, bool]) -> Pending | IngestResult:
    """A message with a candidate send, classified; NOT_A_REPLY for one without.

    A message without a candidate is neither classified nor read past its header
    block: its result has no verdict, match or reply."""
    item, candidate = screened
    if not candidate:
        return IngestResult(
            outcome=Outcome.NOT_A_REPLY,
            reason="no send of ours is referenced",
            received_at=item.received_at,
            received_from=item.received_from,
        )
    verdict = classify(item.msg)
    return Pending(item.msg, item.inbox, item.received_at, verdict, item.received_from)


def _scan(
    limits: Limits,
    given: Inbox | None,
    recipients: Recipients,
    now: datetime | None,
    item: tuple[bytes, datetime | None],
) -> _Scanned | IngestResult:
    """Read the header block, tell when the message arrived, find the receiving inbox."""
    raw, received_at = item
    msg = RawMessage(raw, limits)
    source: ReceivedFrom = "given"
    if received_at is None:
        assert now is not None  # the batch read the clock, as this message has no time
        received_at, source = message_time(msg, now)
    inbox = given or _receiving_inbox(msg, recipients)
    if inbox is None:
        return IngestResult(
            outcome=Outcome.UNKNOWN_INBOX,
            reason="no connected inbox among Delivered-To, X-Original-To, To and Cc",
            received_at=received_at,
            received_from=source,
        )
    _ = msg.from_address  # parsed here, under the guard: the batch's contact lookup reads it
    return _Scanned(msg, inbox, received_at, source)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch runs, as it was before afterwards.

    A batch's objects live until it ends and then die by reference counting; collecting
    in between only walks them again and again (a tenth of ingest time, measured). Cycles
    made meanwhile are collected after the batch.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _stored(
    reply: Reply, match: Match, verdict: Verdict, source: ReceivedFrom, is_new: bool
) -> IngestResult:
    at = reply.received_at
    if not is_new:
        reason = f"already stored for send {reply.send_id}"
        if reply.strategy is MatchStrategy.FALLBACK:  # or the store refused a second send
            reason += f", or by the fallback for another send of contact {reply.contact_id}"
        return IngestResult(
            outcome=Outcome.DUPLICATE,
            reason=reason,
            match=match,
            verdict=verdict,
            received_at=at,
            received_from=source,
        )
    if reply.kind is not MessageKind.HUMAN:
        outcome, reason = Outcome.AUTOMATIC, f"{reply.kind.value}: {', '.join(verdict.reasons)}"
    else:
        outcome, reason = Outcome.REPLY, match.explain()
    return IngestResult(
        outcome=outcome,
        reason=reason,
        reply=reply,
        match=match,
        verdict=verdict,
        received_at=at,
        received_from=source,
    )


def _receiving_inbox(msg: RawMessage, recipients: Recipients) -> Inbox | None:
    """The inbox a message was delivered to, read from its recipient headers in order
    (an address spelled as the inbox's provider delivers it counts too)."""
    for name in _RECIPIENT_HEADERS:
        for value in msg.get_all(name):
            for part in value.split(","):
                found = recipients.find(normalise_address(part))
                if found is not None:
                    return found
    return None


def _is_forward(msg: RawMessage) -> bool:
    """An unambiguous forward prefix decides; otherwise a forward marker in the new text."""
    kind = forward_kind(msg.subject, msg.get("content-language"))
    if kind is not None:
        return kind
    return has_forward_marker(msg.body_text())


def inbound_id(msg: RawMessage) -> str:
    """The id a message is stored under: its normalised Message-ID, or a fingerprint of
    its content when it has none (cleaned as every store keeps it)."""
    message_id = msg.get("message-id")
    return storable_id(normalise_msg_id(message_id) if message_id else msg.fingerprint)


def _record(item: Pending, match: Match, alternate: str | None) -> Reply:
    msg = item.msg
    return storable_reply(
        Reply(
            send_id=match.send.id,
            inbound_id=inbound_id(msg),
            email_id=match.send.email_id,
            contact_id=match.send.contact_id,
            inbox_id=item.inbox.id,
            received_at=item.received_at,
            kind=item.verdict.kind,
            subtype=item.verdict.subtype,
            strategy=match.strategy,
            confidence=match.confidence,
            from_address=msg.from_address,
            alternate_address=alternate,
            subject=msg.subject,
            # every kind: a record reclassified as HUMAN shows its text on the timeline
            snippet=snippet(msg.body_text()),
        )
    )
