"""Report records and their definitions, computed from sends and stored replies.

The functions here are the reference: MemoryStore calls them directly, SQL
stores keep aggregates that must equal what these compute from the rows.

Definitions (for one email, or across all emails of a tenant):

* ``sent``: sends recorded; ``untracked``: those whose Reply-To was not a
  connected inbox (``untracked_reasons`` counts them by reason);
* ``bounced``: sends with a hard bounce (a delay notice does not count);
  ``delivered = sent - bounced``;
* ``replies``: human replies stored (a contact may reply more than once);
* ``repliers``: distinct contacts who replied to the email; across all emails,
  distinct (email, contact) pairs, so the overall rate weighs every email;
* ``reply_rate = repliers / delivered`` (0.0 when nothing was delivered);
* ``automatic``: inbound automatic mail tied to the sends, by kind;
  ``automatic_subtypes``: the same by ``kind:subtype`` (``auto_reply:out_of_office``,
  ``bounce:hard``...), for mail whose classifier verdict had a subtype;
  ``fallback_matches``: human replies matched by the subject fallback.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType

import attrs

from replytrack.models import DeliveryStatus, MatchStrategy, MessageKind, Reply, Send

__all__ = [
    "ContactProperties",
    "EmailReport",
    "TimelineEntry",
    "compute_contact_properties",
    "compute_report",
    "is_hard_bounce",
    "newest_first",
    "timeline_entry",
]


def _frozen_counts(value: Mapping[str, int] | None) -> Mapping[str, int]:
    return MappingProxyType(dict(sorted((value or {}).items())))


@attrs.frozen(kw_only=True)
class EmailReport:
    """Counts and reply rate for one email (``email_id``) or all emails (``email_id=None``)."""

    email_id: str | None
    sent: int = 0
    untracked: int = 0
    bounced: int = 0
    replies: int = 0
    repliers: int = 0
    fallback_matches: int = 0
    automatic: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen_counts)
    automatic_subtypes: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen_counts)
    untracked_reasons: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen_counts)

    @property
    def delivered(self) -> int:
        """Sends not hard-bounced."""
        return self.sent - self.bounced

    @property
    def reply_rate(self) -> float:
        """repliers / delivered, 0.0 when nothing was delivered."""
        return self.repliers / self.delivered if self.delivered else 0.0


@attrs.frozen(kw_only=True)
class ContactProperties:
    """Reply properties of one contact, derived from the stored human replies."""

    contact_id: str
    first_reply_at: datetime | None = None
    last_reply_at: datetime | None = None
    emails_replied: int = 0
    reply_count: int = 0

    @property
    def replied(self) -> bool:
        """True once the contact replied to any marketing email."""
        return self.reply_count > 0


@attrs.frozen(kw_only=True)
class TimelineEntry:
    """One reply, as a CRM timeline shows it."""

    email_id: str
    send_id: str
    inbox_id: str
    received_at: datetime
    subject: str
    snippet: str
    from_address: str


def is_hard_bounce(reply: Reply) -> bool:
    """A bounce that makes its send undelivered (delay notices do not)."""
    return reply.kind is MessageKind.BOUNCE and reply.subtype not in ("soft", "delayed")


def newest_first(replies: Iterable[Reply]) -> list[Reply]:
    """Replies ordered newest first; ties broken by key so every store orders alike."""
    return sorted(replies, key=lambda r: (r.received_at, r.key), reverse=True)


def compute_report(
    email_id: str | None, sends: Iterable[Send], replies: Iterable[Reply]
) -> EmailReport:
    """The report over ``sends`` and the replies tied to them (already filtered by email)."""
    sent = untracked = 0
    bounced_sends: set[str] = set()
    reasons: Counter[str] = Counter()
    for send in sends:
        sent += 1
        if not send.tracked:
            untracked += 1
            reasons[send.untracked_reason or "unknown"] += 1
        if send.delivery is DeliveryStatus.BOUNCED:
            bounced_sends.add(send.id)
    human = 0
    fallback = 0
    repliers: set[tuple[str, str]] = set()
    automatic: Counter[str] = Counter()
    subtypes: Counter[str] = Counter()
    for reply in replies:
        if reply.kind is MessageKind.HUMAN:
            human += 1
            repliers.add((reply.email_id, reply.contact_id))
            fallback += reply.strategy is MatchStrategy.FALLBACK
        else:
            automatic[reply.kind.value] += 1
            if reply.subtype:
                subtypes[f"{reply.kind.value}:{reply.subtype}"] += 1
            if is_hard_bounce(reply):
                bounced_sends.add(reply.send_id)
    return EmailReport(
        email_id=email_id,
        sent=sent,
        untracked=untracked,
        bounced=len(bounced_sends),
        replies=human,
        repliers=len(repliers),
        fallback_matches=fallback,
        automatic=automatic,
        automatic_subtypes=subtypes,
        untracked_reasons=reasons,
    )


def compute_contact_properties(contact_id: str, replies: Iterable[Reply]) -> ContactProperties:
    """Properties from the contact's replies; non-human records are ignored."""
    times = []
    emails = set()
    for reply in replies:
        if reply.kind is MessageKind.HUMAN and reply.contact_id == contact_id:
            times.append(reply.received_at)
            emails.add(reply.email_id)
    if not times:
        return ContactProperties(contact_id=contact_id)
    return ContactProperties(
        contact_id=contact_id,
        first_reply_at=min(times),
        last_reply_at=max(times),
        emails_replied=len(emails),
        reply_count=len(times),
    )


def timeline_entry(reply: Reply) -> TimelineEntry:
    """The timeline entry of a stored reply."""
    return TimelineEntry(
        email_id=reply.email_id,
        send_id=reply.send_id,
        inbox_id=reply.inbox_id,
        received_at=reply.received_at,
        subject=reply.subject,
        snippet=reply.snippet,
        from_address=reply.from_address,
    )
