"""Reply events and their subscribers: plain callables, isolated from each other's failures."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date
from typing import Generic, TypeVar

import attrs

from replytrack.models import MessageKind, Reply

__all__ = ["EventBus", "ReplyEvent", "Subscriber", "SubscriberError"]

log = logging.getLogger("replytrack.events")


@attrs.frozen(kw_only=True)
class ReplyEvent:
    """Something happened to a stored record; ``name`` says what.

    * ``'reply.received'``: the record is a new human reply, stored by ingest or turned
      into one by ``reclassify``; published once per record, ever.
    * ``'reply.reclassified'``: ``reclassify`` changed the record's kind or subtype, from
      ``old_kind`` to ``reply.kind``; published on every change.
    * ``'reply.automatic'``: ingest stored new automatic mail tied to a send (a bounce, an
      out-of-office, a receipt...): ``reply.kind`` and ``reply.subtype`` say which, and
      ``return_date`` is the out-of-office's return date when the message gave one.
    """

    tenant: str
    reply: Reply
    name: str = "reply.received"
    #: 'reply.reclassified': the kind before the change
    old_kind: MessageKind | None = None
    #: 'reply.automatic': the date the sender says they are back, if the message gave one
    return_date: date | None = None

    @property
    def new_kind(self) -> MessageKind:
        """The record's kind now (``reply.kind``)."""
        return self.reply.kind


Subscriber = Callable[[ReplyEvent], None]
E = TypeVar("E")


@attrs.frozen(kw_only=True)
class SubscriberError(Generic[E]):
    """A subscriber raised while handling an event; what the event reports is stored."""

    subscriber: str
    event: E
    error: str


@attrs.define
class EventBus(Generic[E]):
    """Calls every subscriber once per event, in subscription order."""

    topic: str = "reply"  # what the events are about, for the log
    _subscribers: list[Callable[[E], None]] = attrs.field(factory=list, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def subscribe(self, callback: Callable[[E], None]) -> Callable[[], None]:
        """Add a subscriber; returns a function that removes it."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: E) -> tuple[SubscriberError[E], ...]:
        """Deliver ``event``; a failing subscriber is logged and reported, the others still run."""
        errors = []
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception as exc:  # a subscriber's bug must not stop the others
                name = getattr(callback, "__qualname__", repr(callback))
                log.exception("%s subscriber %s failed for %r", self.topic, name, event)
                errors.append(SubscriberError(subscriber=name, event=event, error=repr(exc)))
        return tuple(errors)
