"""Active lists: saved segments whose members the store keeps, with join and leave events.

A saved segment knows what it depends on (:attr:`Segment.depends_on`). When a
reply is stored or reclassified, or contacts are saved with their sends, only
those contacts are evaluated again, and only for the segments that depend on
what changed. Rolling windows, ``today`` and ``yesterday`` move with the clock:
:meth:`ActiveLists.refresh` checks the contacts with a timestamp between where
each boundary was at the last refresh and where it is now.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from replytrack.errors import ConfigurationError, NotFoundError
from replytrack.events import EventBus, ReplyEvent
from replytrack.models import require_aware
from replytrack.protocols import MembershipStore
from replytrack.segments import _ast as a
from replytrack.segments._evaluate import Predicate, predicate
from replytrack.segments._fields import Schema
from replytrack.segments._query import SegmentQuery, bind, facts_of
from replytrack.segments._segment import Segment
from replytrack.segments._time import from_micros, resolve

if TYPE_CHECKING:
    from replytrack.tracker import Tracker

__all__ = ["ActiveLists", "SegmentEvent"]


@attrs.frozen(kw_only=True)
class SegmentEvent:
    """A contact joined (``name`` 'segment.joined') or left ('segment.left') a saved segment."""

    tenant: str
    segment: str
    contact_id: str
    joined: bool
    at: datetime

    @property
    def name(self) -> str:
        return "segment.joined" if self.joined else "segment.left"


SegmentSubscriber = Callable[[SegmentEvent], None]


def _definition(segment: Segment) -> str:
    """What identifies a saved segment's meaning: its canonical text, zone and schema."""
    schema = dict(segment.schema.properties)
    return json.dumps({"segment": str(segment), "tz": segment.tz, "properties": schema})


@attrs.define
class ActiveLists:
    """Saved segments of one tracker, kept up to date; get it from
    :meth:`replytrack.Tracker.active_lists`."""

    tracker: Tracker
    _saved: dict[str, Segment] = attrs.field(factory=dict, init=False)
    _static: dict[str, Predicate] = attrs.field(factory=dict, init=False)
    _events: EventBus[SegmentEvent] = attrs.field(factory=lambda: EventBus("segment"), init=False)
    _lock: threading.RLock = attrs.field(factory=threading.RLock, init=False)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.tracker.store, MembershipStore):
            raise ConfigurationError(
                f"{type(self.tracker.store).__name__} cannot keep segment members: implement"
                " replytrack.protocols.MembershipStore to use active lists"
            )
        self.tracker.subscribe(self._on_reply)

    @property
    def _store(self) -> MembershipStore:
        return self.tracker.store  # type: ignore[return-value]

    @property
    def _tenant(self) -> str:
        return self.tracker.tenant

    def _now(self, now: datetime | None) -> datetime:
        when = self.tracker._clock() if now is None else now
        require_aware(when, "now")
        return when

    # -- saved segments ----------------------------------------------------------------
    def save(
        self,
        name: str,
        segment: Segment | str,
        *,
        tz: str = "UTC",
        properties: Schema | Mapping[str, str] | None = None,
        now: datetime | None = None,
    ) -> list[SegmentEvent]:
        """Save (or replace) a segment under ``name`` and bring its members up to date.

        Members are evaluated in full when the segment is new or its definition changed;
        a contact that joins or leaves is published. Saving the same definition again
        (after a restart, say) re-uses the stored members.
        """
        query = bind(
            self.tracker.store,
            self._tenant,
            segment,
            self.tracker._clock,
            tz=tz,
            properties=properties,
        )
        with self._lock:
            self._saved[name] = query.segment
            self._static.pop(name, None)
            definition = _definition(query.segment)
            stored = self._store.get_segment_list(self._tenant, name)
            if stored is not None and stored[0] == definition:
                return []
            when = self._now(now)
            wanted = set(query.contact_ids(when))
            current = set(self._store.list_members(self._tenant, name))
            changes = [(name, c, True) for c in sorted(wanted - current)]
            changes += [(name, c, False) for c in sorted(current - wanted)]
            self._store.save_segment_list(self._tenant, name, definition, when)
            return self._apply(changes, when)

    def rebuild(self, name: str, now: datetime | None = None) -> list[SegmentEvent]:
        """Evaluate a saved segment over every contact and publish the difference with its
        stored members (after changes these lists did not see, made by another process)."""
        with self._lock:
            segment = self.segment(name)
            when = self._now(now)
            events = self._full(name, segment, when)
            self._store.save_segment_list(self._tenant, name, _definition(segment), when)
            return events

    def drop(self, name: str) -> None:
        """Forget a saved segment and its members (no events)."""
        with self._lock:
            self._saved.pop(name, None)
            self._static.pop(name, None)
            self._store.drop_segment_list(self._tenant, name)

    def segment(self, name: str) -> Segment:
        if name not in self._saved:
            raise NotFoundError(
                f"no saved segment {name!r} (saved: {', '.join(sorted(self._saved)) or 'none'})"
            )
        return self._saved[name]

    def members(self, name: str) -> list[str]:
        """The stored members of a saved segment, sorted."""
        self.segment(name)
        return self._store.list_members(self._tenant, name)

    def lists_of(self, contact_id: str) -> list[str]:
        """The saved segments the contact is in, sorted."""
        return sorted(self._store.member_of(self._tenant, [contact_id]).get(contact_id, ()))

    def subscribe(self, callback: SegmentSubscriber) -> Callable[[], None]:
        """Call ``callback(SegmentEvent)`` for every join and leave; returns the unsubscriber."""
        return self._events.subscribe(callback)

    # -- changes -------------------------------------------------------------------------
    def changed(
        self, contact_ids: Collection[str], what: Iterable[str], now: datetime | None = None
    ) -> list[SegmentEvent]:
        """Evaluate these contacts again for the saved segments that depend on ``what``
        ('contact', 'replies', 'sends'); publishes and returns the joins and leaves."""
        kinds = set(what)
        with self._lock:
            names = [n for n, s in self._saved.items() if s.depends_on & kinds]
            return self._reevaluate(contact_ids, names, self._now(now))

    def _on_reply(self, event: ReplyEvent) -> None:
        self.changed([event.reply.contact_id], ("replies",))

    def refresh(self, now: datetime | None = None) -> list[SegmentEvent]:
        """Re-check the segments that move with the clock, for the contacts with a
        timestamp that a boundary crossed since the last refresh."""
        when = self._now(now)
        events = []
        with self._lock:
            for name, segment in self._saved.items():
                if "clock" not in segment.depends_on:
                    continue
                stored = self._store.get_segment_list(self._tenant, name)
                since = None if stored is None else stored[1]
                if since is None or since > when:
                    events += (
                        self.save(name, segment, now=when)
                        if stored is None
                        else self._full(name, segment, when)
                    )
                else:
                    candidates = self._crossed(segment, since, when)
                    events += self._reevaluate(candidates, [name], when)
                self._store.save_segment_list(self._tenant, name, _definition(segment), when)
        return events

    def _full(self, name: str, segment: Segment, when: datetime) -> list[SegmentEvent]:
        query = SegmentQuery(self.tracker.store, self._tenant, segment, self.tracker._clock)
        wanted = set(query.contact_ids(when))
        current = set(self._store.list_members(self._tenant, name))
        changes = [(name, c, True) for c in sorted(wanted - current)]
        changes += [(name, c, False) for c in sorted(current - wanted)]
        return self._apply(changes, when)

    def _crossed(self, segment: Segment, since: datetime, now: datetime) -> set[str]:
        """Contacts with a timestamp between a boundary's place at ``since`` and at ``now``,
        found with segments over the same store ('replied to any between A and B'...)."""
        found: set[str] = set()
        for node in a.walk(segment.expr):
            window = getattr(node, "window", None) or getattr(node, "range", None)
            if window is None:
                continue
            old, new = resolve(window, since, segment.zone), resolve(window, now, segment.zone)
            for before, after in zip(old, new, strict=True):
                if before is None or after is None or before == after:
                    continue
                low, high = sorted((before, after))
                span = a.Between(from_micros(low), from_micros(high - 1))
                if isinstance(node, a.Replied):
                    probe: a.Node = a.Replied(node.emails, 1, span)
                elif isinstance(node, a.Sent):
                    probe = a.Sent(node.emails, span)
                else:
                    probe = a.When(node.field, span)  # type: ignore[union-attr]
                query = SegmentQuery(
                    self.tracker.store, self._tenant, Segment(probe), self.tracker._clock
                )
                found.update(query.contact_ids(now))
        return found

    def _reevaluate(
        self, contact_ids: Collection[str], names: list[str], when: datetime
    ) -> list[SegmentEvent]:
        if not names or not contact_ids:
            return []
        store = self.tracker.store
        contacts = store.get_contacts(self._tenant, sorted(set(contact_ids)))
        current = self._store.member_of(self._tenant, list(contacts))
        needs = frozenset[str]().union(*(self._saved[n].depends_on for n in names))
        tests = [(n, self._predicate(n, when)) for n in names]
        changes = []
        for contact, facts in facts_of(store, self._tenant, needs, list(contacts.values())):
            inside = set(current.get(contact.id, ()))
            for name, test in tests:
                member = test(facts)
                if member != (name in inside):
                    changes.append((name, contact.id, member))
        gone = set(contact_ids) - set(contacts)  # a contact that no longer exists leaves
        for contact_id in sorted(gone):
            for name in self._store.member_of(self._tenant, [contact_id]).get(contact_id, ()):
                if name in names:
                    changes.append((name, contact_id, False))
        return self._apply(changes, when)

    def _predicate(self, name: str, when: datetime) -> Predicate:
        """The segment's test at ``when``; compiled once when it does not move with the clock."""
        segment = self._saved[name]
        if "clock" in segment.depends_on:
            return predicate(segment, when)
        if name not in self._static:
            self._static[name] = predicate(segment, when)
        return self._static[name]

    def _apply(self, changes: list[tuple[str, str, bool]], when: datetime) -> list[SegmentEvent]:
        if not changes:
            return []
        self._store.change_members(self._tenant, changes, when)
        events = [
            SegmentEvent(tenant=self._tenant, segment=s, contact_id=c, joined=j, at=when)
            for s, c, j in changes
        ]
        for event in events:
            self._events.publish(event)  # failures are logged; the membership is stored
        return events
