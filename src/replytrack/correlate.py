"""Tie each inbound message to the one send it answers, or to none, and say why.

Strategies, strongest first; a later one never beats an earlier one:

1. ``TOKEN`` (confidence 1.0): our signed Message-ID in In-Reply-To or
   References, verified by its MAC. Forged, altered or other tenants' tokens
   never verify; like any id they are still looked up as stored Message-IDs,
   where only a send of this tenant signed under a rotated secret can be found.
2. ``MESSAGE_ID`` (0.95): a Message-ID we sent, or the provider's rewrite of it
   recorded by the integrator, found in the threading headers. Every id is
   looked up, not only the last. A bounce or read receipt is about one message,
   so only its direct parent is looked up (In-Reply-To, else the last References
   id). For automatic mail that does not thread (bounces quote the original's
   headers in their body), the returned original's own Message-ID is read: never
   its In-Reply-To or References, which name earlier messages of the thread.
   A read receipt's ``Original-Message-ID`` (RFC 8098, in its disposition part)
   is read the same way.
3. ``FALLBACK`` (0.6, on by default): for a human message or an auto-reply with no
   header match, the sender is an address of a contact who got a send whose
   Reply-To is this inbox within the window, and the normalised subject (or
   Outlook's Thread-Topic) equals the email's subject; an auto-reply's subject is
   read without its auto-reply form ("Automatic reply:", "Réponse automatique :",
   "自動応答:", ...). When no send to the sender's address matches, the contact the
   ``ContactResolver`` names for the address is searched instead: the sends to any
   of that contact's stored addresses, and only that contact's.
   Ties go to the most recent send. A message carrying a token that fails
   verification (forged, altered, another tenant's) never falls back.

Lookups are made for a whole batch at once: one ``get_sends``, one
``find_sends_by_message_id`` and, for the fallback, one ``find_sends_to`` (and one
``get_contacts`` and a second ``find_sends_to`` when the resolver names contacts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import attrs

from replytrack._received import ReceivedFrom
from replytrack.autoreply import Verdict
from replytrack.headers import TokenSigner, looks_like_token, parse_msg_ids, thread_ids
from replytrack.message import RawMessage
from replytrack.models import Inbox, MatchStrategy, MessageKind, Send
from replytrack.protocols import Store
from replytrack.subjects import normalise_subject, strip_auto_reply

__all__ = ["CONFIDENCE", "Correlator", "Match", "Pending"]

CONFIDENCE = {
    MatchStrategy.TOKEN: 1.0,
    MatchStrategy.MESSAGE_ID: 0.95,
    MatchStrategy.FALLBACK: 0.6,
    MatchStrategy.MANUAL: 1.0,
}
_RETURNED_HEADER_SCAN = 64 * 1024  # bytes of a bounce body searched for the original's headers
_RETURNED_HEADERS = frozenset(
    (b"message-id", b"in-reply-to", b"references", b"original-message-id")
)
_FIELD_START = re.compile(rb"([!-9;-~]+):")  # a header field's name at the start of a line
# Notices about one message (a delivery failure or delay, a read receipt).
_NOTICES = frozenset((MessageKind.BOUNCE, MessageKind.RECEIPT))
# What the subject fallback serves: people, and the auto-replies they set up.
_FALLBACK_KINDS = frozenset((MessageKind.HUMAN, MessageKind.AUTO_REPLY))


class _Resolver(Protocol):
    """replytrack.pipeline.ContactResolver, as the fallback uses it."""

    def resolve(self, address: str) -> str | None: ...


@attrs.frozen(kw_only=True)
class Match:
    """The send a message answers, how it was found, and the other sends it could have been."""

    send: Send
    strategy: MatchStrategy
    matched_id: str | None
    candidates: tuple[str, ...] = ()

    @property
    def confidence(self) -> float:
        """1.0 for a verified token, 0.95 for a Message-ID lookup, 0.6 for the fallback."""
        return CONFIDENCE[self.strategy]

    def explain(self) -> str:
        """One sentence for a person: which strategy, on what, with which alternatives."""
        on = f" on {self.matched_id}" if self.matched_id else ""
        others = f"; other candidates: {', '.join(self.candidates)}" if self.candidates else ""
        return (
            f"matched send {self.send.id} by {self.strategy.value}{on} "
            f"(confidence {self.confidence:.2f}){others}"
        )


@attrs.frozen
class Pending:
    """One message waiting to be correlated, with what the engine already knows of it."""

    msg: RawMessage
    inbox: Inbox
    received_at: datetime
    verdict: Verdict
    #: where ``received_at`` came from (see replytrack._received)
    received_from: ReceivedFrom = "given"


@attrs.define
class Correlator:
    """Correlation for one tenant of one store."""

    store: Store
    signer: TokenSigner
    fallback: bool = True
    fallback_window: timedelta = timedelta(days=30)
    #: the integrator's ContactResolver: the fallback searches the sends of the contact
    #: it names for an address no send went to
    resolver: _Resolver | None = None

    def correlate_many(self, batch: Sequence[Pending]) -> list[Match | None]:
        """A Match (or None) per message, with a few store lookups for the whole batch."""
        ids = [_threading_ids(p) for p in batch]
        matches, forged = self._by_ids(ids)
        returned = {
            n: _returned_ids(p.msg)
            for n, p in enumerate(batch)
            if matches[n] is None and p.verdict.kind is not MessageKind.HUMAN
        }
        if returned:
            found, _ = self._by_ids(list(returned.values()))
            for n, match in zip(returned, found, strict=True):
                matches[n] = match
        if self.fallback:
            waiting = [
                n
                for n, p in enumerate(batch)
                if matches[n] is None
                and n not in forged
                and p.verdict.kind in _FALLBACK_KINDS
                and p.msg.from_address
            ]
            if waiting:
                for n, match in zip(
                    waiting, self._by_subject([batch[n] for n in waiting]), strict=True
                ):
                    matches[n] = match
        return matches

    def _by_ids(self, per_message: Sequence[list[str]]) -> tuple[list[Match | None], set[int]]:
        """Matches by token or Message-ID, and the positions carrying a token that failed."""
        tenant = self.signer.tenant
        resolved_all: list[list[tuple[str, str | None]]] = []
        send_ids: set[str] = set()
        plain_ids: set[str] = set()
        forged: set[int] = set()
        for position, ids in enumerate(per_message):
            resolved: list[tuple[str, str | None]] = []
            for msg_id in ids:
                if looks_like_token(msg_id):
                    send_id = self.signer.verify(msg_id)
                    if send_id is None:  # forged, or signed under a rotated secret:
                        forged.add(position)  # only an exact stored Message-ID may match it
                        plain_ids.add(msg_id)
                    else:
                        send_ids.add(send_id)
                    resolved.append((msg_id, send_id))
                else:
                    plain_ids.add(msg_id)
                    resolved.append((msg_id, None))
            resolved_all.append(resolved)
        by_send = self.store.get_sends(tenant, send_ids) if send_ids else {}
        by_msg = self.store.find_sends_by_message_id(tenant, plain_ids) if plain_ids else {}
        return [_pick(resolved, by_send, by_msg) for resolved in resolved_all], forged

    def _by_subject(self, batch: Sequence[Pending]) -> list[Match | None]:
        tenant = self.signer.tenant
        since = min(p.received_at for p in batch) - self.fallback_window
        senders = {p.msg.from_address for p in batch}
        subjects: dict[str, str | None] = {}  # normalised subject per email id
        by_address = self._sends_to(senders, since, subjects)
        results = [
            _fallback_match(
                p, by_address.get(p.msg.from_address, ()), subjects, self.fallback_window
            )
            for p in batch
        ]
        if self.resolver is None:
            return results
        # No send to the sender's address matched: the contact the resolver names for
        # the address, if any, through the sends to the addresses stored for it.
        unmatched = zip(batch, results, strict=True)
        unknown = {p.msg.from_address for p, found in unmatched if found is None}
        owners = {a: c for a in unknown if (c := self.resolver.resolve(a)) is not None}
        if not owners:
            return results
        contacts = self.store.get_contacts(tenant, set(owners.values()))
        stored = {e for c in contacts.values() for e in c.emails}
        theirs = self._sends_to(stored, since, subjects)
        for n, pending in enumerate(batch):
            contact = contacts.get(owners.get(pending.msg.from_address, ""))
            if results[n] is None and contact is not None:
                sends = _newest_first(
                    s
                    for address in contact.emails
                    for s in theirs.get(address, ())
                    if s.contact_id == contact.id
                )
                results[n] = _fallback_match(pending, sends, subjects, self.fallback_window)
        return results

    def _sends_to(
        self, addresses: set[str], since: datetime, subjects: dict[str, str | None]
    ) -> dict[str, list[Send]]:
        """The sends to each address since ``since``, newest first; the normalised
        subjects of their emails are added to ``subjects``."""
        sends = self.store.find_sends_to(self.signer.tenant, addresses, since) if addresses else []
        by_address: dict[str, list[Send]] = {}
        for send in sends:
            by_address.setdefault(send.address, []).append(send)
        for email_id in {s.email_id for s in sends} - subjects.keys():
            email = self.store.get_email(self.signer.tenant, email_id)
            subjects[email_id] = normalise_subject(email.subject) if email else None
        return by_address


def _fallback_match(
    pending: Pending,
    sends: Iterable[Send],
    subjects: dict[str, str | None],
    window: timedelta,
) -> Match | None:
    """The newest of ``sends`` (newest first) that ``pending`` may answer by subject."""
    wanted = _fallback_subjects(pending)
    start = pending.received_at - window
    hits = [
        s
        for s in sends
        if s.tracked
        and s.inbox_id == pending.inbox.id
        and start <= s.sent_at <= pending.received_at
        and subjects.get(s.email_id) in wanted
    ]
    if not hits:
        return None
    return Match(
        send=hits[0],
        strategy=MatchStrategy.FALLBACK,
        matched_id=None,
        candidates=tuple(s.id for s in hits[1:]),
    )


def _fallback_subjects(pending: Pending) -> set[str]:
    """The normalised subjects a message may answer: its own (an auto-reply's without its
    auto-reply form) and Outlook's Thread-Topic; never an empty one."""
    auto = pending.verdict.kind is MessageKind.AUTO_REPLY
    normalise = strip_auto_reply if auto else normalise_subject
    wanted = {normalise(pending.msg.subject)}
    topic = pending.msg.text("thread-topic")
    if topic:
        wanted.add(normalise_subject(topic))
    wanted.discard("")
    return wanted


def _newest_first(sends: Iterable[Send]) -> list[Send]:
    return sorted(sends, key=lambda s: (s.sent_at, s.id), reverse=True)


def _threading_ids(pending: Pending) -> list[str]:
    """The ids a message's own threading headers give to look up, most telling first.

    A delivery or read notice is about one message: its direct parent (In-Reply-To,
    else the last References id). Some servers copy the returned message's whole
    References chain into the notice, and the oldest id there is the campaign send
    even when it was a later message of the thread that bounced.
    """
    in_reply_to, references = pending.msg.get_all("in-reply-to"), pending.msg.get_all("references")
    if pending.verdict.kind in _NOTICES:
        limits = pending.msg.limits
        return (
            parse_msg_ids(in_reply_to, limits) or parse_msg_ids(references, limits, last=True)[-1:]
        )
    return thread_ids(in_reply_to, references, pending.msg.limits)


def _returned_ids(msg: RawMessage) -> list[str]:
    """The ids of the original message a bounce, receipt or auto-reply returns in its body:
    a read receipt's ``Original-Message-ID`` (RFC 8098 section 3.2.5) first.

    Only the original's own Message-ID: its In-Reply-To and References name earlier
    messages of the thread, so a bounce of the rep's later reply-all would count
    against the campaign send. One exception: an original without In-Reply-To whose
    References is a single id is how our sends go out (``Send.headers``), and that id
    is ours even when the sending service rewrote the Message-ID.
    """
    fields = _returned_fields(msg.body_head(min(_RETURNED_HEADER_SCAN, msg.limits.body_bytes)))
    own = fields.get(b"original-message-id", []) + fields.get(b"message-id", [])
    ids = parse_msg_ids(own, msg.limits)
    references = parse_msg_ids(fields.get(b"references", []), msg.limits)
    if not fields.get(b"in-reply-to") and len(references) == 1 and references[0] not in ids:
        ids.append(references[0])
    return ids


def _returned_fields(body: bytes) -> dict[bytes, list[str]]:
    """The values of the threading fields written in a body, quoting ('>') removed and
    folded lines joined, by lower-case field name."""
    fields: dict[bytes, list[str]] = {}
    current: list[bytes] = []  # the field being read: its name, then its lines

    def close() -> None:
        if current:
            value = b" ".join(current[1:]).decode("utf-8", "replace")
            fields.setdefault(current[0], []).append(value)
            current.clear()

    for line in body.splitlines():
        stripped = line.lstrip(b"> \t")
        field = _FIELD_START.match(stripped)
        if current and field is None and stripped and line[:1] in (b" ", b"\t", b">"):
            current.append(stripped)  # a continuation line of the field being read
            continue
        close()
        if field is not None and field.group(1).lower() in _RETURNED_HEADERS:
            current.extend((field.group(1).lower(), stripped[field.end() :]))
    close()
    return fields


def _pick(
    resolved: list[tuple[str, str | None]], by_send: dict[str, Send], by_msg: dict[str, Send]
) -> Match | None:
    hits: list[tuple[MatchStrategy, str, Send]] = []
    for msg_id, send_id in resolved:
        if send_id is not None and send_id in by_send:
            hits.append((MatchStrategy.TOKEN, msg_id, by_send[send_id]))
        elif msg_id in by_msg:
            hits.append((MatchStrategy.MESSAGE_ID, msg_id, by_msg[msg_id]))
    if not hits:
        return None
    best = next((hit for hit in hits if hit[0] is MatchStrategy.TOKEN), hits[0])
    strategy, msg_id, send = best
    others = tuple(dict.fromkeys(s.id for _, _, s in hits if s.id != send.id))
    return Match(send=send, strategy=strategy, matched_id=msg_id, candidates=others)
