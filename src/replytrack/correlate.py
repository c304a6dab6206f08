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

Headers first (:meth:`Correlator.screen`): the pipeline asks, from the header block
alone, which messages have a candidate send (an id that finds one, a sender and subject
the fallback could match, or the structure of a delivery report or read receipt whose
only link to us is in its body). The others are NOT_A_REPLY without being classified or
having their body read. The answers are kept in :class:`Lookups`, so correlating the
candidates afterwards asks the store nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import attrs

from replytrack import _autoreply_tables as auto_tables
from replytrack import _bounce_tables as bounce_tables
from replytrack import autoreply
from replytrack._received import ReceivedFrom
from replytrack.autoreply import Verdict
from replytrack.headers import (
    MAX_THREAD_IDS,
    TokenSigner,
    looks_like_token,
    parse_msg_ids,
    thread_ids,
)
from replytrack.message import RawMessage
from replytrack.models import Inbox, MatchStrategy, MessageKind, Send
from replytrack.protocols import Store
from replytrack.subjects import normalise_subject, strip_auto_reply

__all__ = ["CONFIDENCE", "Correlator", "Lookups", "Match", "Pending"]

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
# The classifier's auto-reply and challenge headers (RFC 3834 and the vendors').
_AUTO_NAMES = frozenset(
    name.encode() for name in (*auto_tables.AUTO_HEADER_VALUES, "x-bluebottle-request")
)
# Header-block marks of a notice (one C-level pass over the lower-cased block).
_NOTICE_MARKS = re.compile(
    rb"multipart/report|<>|\n(?:auto-submitted|x-failed-recipients|original-message-id"
    rb"|disposition-notification[-a-z]*):"
)
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
class Lookups:
    """The store's answers for one batch, kept so that no id or address is asked twice
    (an id or address found in none is remembered too)."""

    sends: dict[str, Send | None] = attrs.field(factory=dict)
    by_message_id: dict[str, Send | None] = attrs.field(factory=dict)
    #: sends to an address, newest first, and the earliest time they were asked from
    sends_to: dict[str, tuple[datetime, list[Send]]] = attrs.field(factory=dict)
    #: the normalised subject of each email id read
    subjects: dict[str, str | None] = attrs.field(factory=dict)


@attrs.define
class _Query:
    """What the fallback reads of one message: who, where, when, and whether it is an
    auto-reply (None: not known yet, both readings of its subject count)."""

    msg: RawMessage
    inbox: Inbox
    received_at: datetime
    auto: bool | None
    _wanted: frozenset[str] | None = None

    @property
    def wanted(self) -> frozenset[str]:
        """The normalised subjects it may answer; read only when a send could match."""
        if self._wanted is None:
            msg = self.msg
            if self.auto is None:
                self._wanted = _subjects(msg, normalise_subject) | _subjects(msg, strip_auto_reply)
            else:
                self._wanted = _subjects(msg, strip_auto_reply if self.auto else normalise_subject)
        return self._wanted


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

    def screen(
        self, batch: Sequence[tuple[RawMessage, Inbox, datetime]], lookups: Lookups
    ) -> list[bool]:
        """Whether each message has a candidate send, read from its header block alone.

        True when one of its threading ids finds a send (as a token or a stored
        Message-ID), when the fallback could match its sender and subject (read both as
        a person's and as an auto-reply's), or when its header block has the structure
        of a delivery report or read receipt, whose link to us may be in its body only.
        A False message cannot match whatever it turns out to be: ``correlate_many``
        would find nothing for it.
        """
        ids = [_screen_ids(msg) for msg, _, _ in batch]
        matches, forged = self._by_ids(ids, lookups)
        found = [m is not None for m in matches]
        if self.fallback:
            waiting = [
                n
                for n, (msg, _, _) in enumerate(batch)
                if not found[n] and n not in forged and msg.from_address
            ]
            queries = [_Query(*batch[n], None) for n in waiting]
            if queries:
                for n, match in zip(waiting, self._by_subject(queries, lookups), strict=True):
                    found[n] = match is not None
        # The cheapest question last: most mail is settled by the lookups above.
        return [f or _body_linked(batch[n][0]) for n, f in enumerate(found)]

    def correlate_many(
        self, batch: Sequence[Pending], lookups: Lookups | None = None
    ) -> list[Match | None]:
        """A Match (or None) per message, with a few store lookups for the whole batch
        (none for what ``lookups`` already holds)."""
        lookups = Lookups() if lookups is None else lookups
        ids = [_threading_ids(p) for p in batch]
        matches, forged = self._by_ids(ids, lookups)
        returned = {
            n: _returned_ids(p.msg)
            for n, p in enumerate(batch)
            if matches[n] is None and p.verdict.kind is not MessageKind.HUMAN
        }
        if returned:
            found, _ = self._by_ids(list(returned.values()), lookups)
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
                queries = [_query(batch[n]) for n in waiting]
                for n, match in zip(waiting, self._by_subject(queries, lookups), strict=True):
                    matches[n] = match
        return matches

    def _by_ids(
        self, per_message: Sequence[list[str]], lookups: Lookups
    ) -> tuple[list[Match | None], set[int]]:
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
        asked = send_ids - lookups.sends.keys()
        if asked:
            got = self.store.get_sends(tenant, asked)
            lookups.sends.update((i, got.get(i)) for i in asked)
        asked = plain_ids - lookups.by_message_id.keys()
        if asked:
            got = self.store.find_sends_by_message_id(tenant, asked)
            lookups.by_message_id.update((i, got.get(i)) for i in asked)
        by_send = {i: s for i in send_ids if (s := lookups.sends[i]) is not None}
        by_msg = {i: s for i in plain_ids if (s := lookups.by_message_id[i]) is not None}
        return [_pick(resolved, by_send, by_msg) for resolved in resolved_all], forged

    def _by_subject(self, batch: Sequence[_Query], lookups: Lookups) -> list[Match | None]:
        tenant = self.signer.tenant
        since = min(p.received_at for p in batch) - self.fallback_window
        senders = {p.msg.from_address for p in batch}
        subjects = lookups.subjects  # normalised subject per email id
        by_address = self._sends_to(senders, since, lookups)
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
        theirs = self._sends_to(stored, since, lookups)
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
        self, addresses: set[str], since: datetime, lookups: Lookups
    ) -> dict[str, list[Send]]:
        """The sends to each address since ``since`` (or earlier: the fallback checks
        each message's window), newest first; the normalised subjects of their emails
        are added to ``lookups.subjects``."""
        known = lookups.sends_to
        asked = {a for a in addresses if a not in known or known[a][0] > since}
        sends = self.store.find_sends_to(self.signer.tenant, asked, since) if asked else []
        fetched: dict[str, list[Send]] = {a: [] for a in asked}
        for send in sends:
            fetched.setdefault(send.address, []).append(send)
        known.update((a, (since, found)) for a, found in fetched.items())
        subjects = lookups.subjects
        for email_id in {s.email_id for s in sends} - subjects.keys():
            email = self.store.get_email(self.signer.tenant, email_id)
            subjects[email_id] = normalise_subject(email.subject) if email else None
        return {a: known[a][1] for a in addresses if known[a][1]}


def _fallback_match(
    pending: _Query,
    sends: Iterable[Send],
    subjects: dict[str, str | None],
    window: timedelta,
) -> Match | None:
    """The newest of ``sends`` (newest first) that ``pending`` may answer by subject."""
    start = pending.received_at - window
    near = [
        s
        for s in sends
        if s.tracked
        and s.inbox_id == pending.inbox.id
        and start <= s.sent_at <= pending.received_at
    ]
    wanted = pending.wanted if near else frozenset()
    hits = [s for s in near if subjects.get(s.email_id) in wanted]
    if not hits:
        return None
    return Match(
        send=hits[0],
        strategy=MatchStrategy.FALLBACK,
        matched_id=None,
        candidates=tuple(s.id for s in hits[1:]),
    )


def _query(pending: Pending) -> _Query:
    auto = pending.verdict.kind is MessageKind.AUTO_REPLY
    return _Query(pending.msg, pending.inbox, pending.received_at, auto)


def _subjects(msg: RawMessage, normalise: Callable[[str], str]) -> frozenset[str]:
    """The normalised subjects a message may answer: its own (an auto-reply's without its
    auto-reply form) and Outlook's Thread-Topic; never an empty one."""
    wanted = {normalise(msg.subject)}
    topic = msg.text("thread-topic")
    if topic:
        wanted.add(normalise_subject(topic))
    wanted.discard("")
    return frozenset(wanted)


def _screen_ids(msg: RawMessage) -> list[str]:
    """Every id ``_threading_ids`` may look up for a message, whatever its kind."""
    in_reply_to, references = msg.get_all("in-reply-to"), msg.get_all("references")
    ids = thread_ids(in_reply_to, references, msg.limits)
    if len(ids) < MAX_THREAD_IDS:  # then both of a notice's ids are among them
        return ids
    last = parse_msg_ids(references, msg.limits, last=True)[-1:]
    return ids + [i for i in (*parse_msg_ids(in_reply_to, msg.limits), *last) if i not in ids]


def _body_linked(msg: RawMessage) -> bool:
    """A header block with the marks of a delivery report, a read receipt or another
    notice that may name our send in its body only (a returned header block, an
    MDN's Original-Message-ID): a report structure, a null Return-Path, an MTA or
    gateway sender, Auto-Submitted, X-Failed-Recipients, an automatic or failure
    subject. List and bulk headers alone are not: such mail never returns ours."""
    if _NOTICE_MARKS.search(msg.lower_header_block) or not msg.field_names.isdisjoint(_AUTO_NAMES):
        return True
    local = msg.from_address.rpartition("@")[0]
    if (
        not local
        or local in auto_tables.DAEMON_LOCALPARTS
        or local.startswith("microsoftexchange")
        or local in bounce_tables.GATEWAY_LOCALPARTS
    ):
        return True
    facts = autoreply._Facts(msg)  # the classifier's reading of the subject
    subject, head = facts.subject, facts.head
    return bool(
        autoreply._RULE_SUBJECT_WORDS.search(subject)
        or subject in auto_tables.AUTO_SUBJECT_EXACT
        or head in auto_tables.AUTO_SUBJECT_PREFIXES
        or head in bounce_tables.BOUNCE_SUBJECT_PREFIXES
    )


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
