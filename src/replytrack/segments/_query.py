"""Who belongs to a segment in a store: compiled SQL where the store runs segments itself
(:class:`~replytrack.protocols.SegmentStore`), else the in-memory evaluator over what a
:class:`~replytrack.protocols.ListingStore` lists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import datetime

import attrs

from replytrack.errors import ConfigurationError
from replytrack.models import Contact, MessageKind, require_aware
from replytrack.protocols import ListingStore, SegmentStore, Store
from replytrack.segments._evaluate import Facts, predicate
from replytrack.segments._fields import Schema, segment_values
from replytrack.segments._segment import Segment, parse
from replytrack.segments._time import micros

__all__ = ["SegmentQuery", "bind", "contact_facts", "evaluate_in_memory", "facts_of"]

Clock = Callable[[], datetime]


def _listing(store: Store) -> ListingStore:
    if not isinstance(store, ListingStore):
        raise ConfigurationError(
            f"{type(store).__name__} cannot list contacts and sends: implement list_contacts,"
            " list_sends and list_email_ids (replytrack.protocols.ListingStore) to use segments"
        )
    return store


def facts_of(
    store: Store, tenant: str, needs: Collection[str], contacts: Collection[Contact]
) -> Iterator[tuple[Contact, Facts]]:
    """Each contact with the facts segments that depend on ``needs`` read (see
    :attr:`Segment.depends_on`): replies and sends only when needed, all at once for
    many contacts, one by one for few."""
    replies: dict[str, list[tuple[str, int]]] = defaultdict(list)
    sends: dict[str, list[tuple[str, int]]] = defaultdict(list)
    few = len(contacts) <= 16
    if "replies" in needs:
        human = (MessageKind.HUMAN,)
        found = (
            [r for c in contacts for r in store.list_replies(tenant, contact_id=c.id, kinds=human)]
            if few
            else store.list_replies(tenant, kinds=human)
        )
        for reply in found:
            replies[reply.contact_id].append((reply.email_id, micros(reply.received_at)))
    if "sends" in needs:
        listing = _listing(store)
        rows = (
            [s for c in contacts for s in listing.list_sends(tenant, contact_id=c.id)]
            if few
            else listing.list_sends(tenant)
        )
        for send in rows:
            sends[send.contact_id].append((send.email_id, micros(send.sent_at)))
    for contact in contacts:
        facts = Facts(
            values=segment_values(contact),
            replies=tuple(replies.get(contact.id, ())),
            sends=tuple(sends.get(contact.id, ())),
        )
        yield contact, facts


def contact_facts(store: Store, tenant: str, segment: Segment, contact_id: str) -> Facts | None:
    """The facts of one contact, None when it does not exist."""
    contact = store.get_contacts(tenant, [contact_id]).get(contact_id)
    if contact is None:
        return None
    return next(facts_of(store, tenant, segment.depends_on, [contact]))[1]


def evaluate_in_memory(store: Store, tenant: str, segment: Segment, now: datetime) -> list[str]:
    """The sorted ids of the contacts in ``segment``, evaluated in Python over a ListingStore."""
    require_aware(now, "now")
    test = predicate(segment, now)
    contacts = _listing(store).list_contacts(tenant)
    found = facts_of(store, tenant, segment.depends_on, contacts)
    return sorted(c.id for c, facts in found if test(facts))


@attrs.frozen
class SegmentQuery:
    """A segment over one tenant of a store, with the clock that says when "now" is.

    Returned by :meth:`replytrack.Tracker.segment`.
    """

    store: Store
    tenant: str
    segment: Segment
    clock: Clock

    def _now(self, now: datetime | None) -> datetime:
        when = self.clock() if now is None else now
        require_aware(when, "now")
        return when

    def contact_ids(self, now: datetime | None = None) -> list[str]:
        """The sorted ids of the contacts in the segment at ``now`` (default: the clock)."""
        when = self._now(now)
        if isinstance(self.store, SegmentStore):
            return self.store.segment_contact_ids(self.tenant, self.segment, when)
        return evaluate_in_memory(self.store, self.tenant, self.segment, when)

    def count(self, now: datetime | None = None) -> int:
        """How many contacts are in the segment at ``now`` (default: the clock)."""
        when = self._now(now)
        if isinstance(self.store, SegmentStore):
            return self.store.segment_count(self.tenant, self.segment, when)
        return len(evaluate_in_memory(self.store, self.tenant, self.segment, when))

    def contains(self, contact_id: str, now: datetime | None = None) -> bool:
        """True when the contact exists and is in the segment at ``now``."""
        facts = contact_facts(self.store, self.tenant, self.segment, contact_id)
        return facts is not None and predicate(self.segment, self._now(now))(facts)


def bind(
    store: Store,
    tenant: str,
    segment: Segment | str,
    clock: Clock,
    *,
    tz: str = "UTC",
    properties: Schema | Mapping[str, str] | None = None,
) -> SegmentQuery:
    """``segment`` (parsed with ``tz`` and ``properties`` when it is text) over a tenant.

    Every email id it names must exist in the tenant: SegmentSyntaxError points at
    the first that does not, with the closest known id.
    """
    if isinstance(store, ListingStore):
        known = set(store.list_email_ids(tenant))
    else:
        names = (
            segment
            if isinstance(segment, Segment)
            else parse(segment, tz=tz, properties=properties)
        ).emails
        known = {e for e in names if store.get_email(tenant, e) is not None}
    if isinstance(segment, str):
        segment = parse(segment, tz=tz, properties=properties, emails=known)
    elif not segment.emails <= known:
        parse(str(segment), tz=segment.tz, properties=segment.schema, emails=known)
    return SegmentQuery(store, tenant, segment, clock)
