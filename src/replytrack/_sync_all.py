"""``Tracker.sync_all``: sync every connected inbox with a bounded pool of connections.

Each inbox is synced in a thread of the pool while its lease is held in the store
(:class:`~replytrack.protocols.LeaseStore`), so two workers, threads of one process or
processes on several machines, never sync one inbox at once; a worker that dies leaves a
lease that expires. The network waits run in parallel; the tracker's work (pipeline,
store, events) runs in one thread at a time: the pool's threads take turns holding a
lock, which a thread gives up while its source waits on the network.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from replytrack.errors import ConfigurationError, ReplytrackError
from replytrack.models import Inbox
from replytrack.pipeline import SyncSummary
from replytrack.protocols import InboxSource, LeaseStore, SourceMessage

if TYPE_CHECKING:
    from replytrack.tracker import Tracker

__all__ = ["InboxSync", "LeaseLostError", "SyncAllSummary", "sync_all"]

SourceFor = Callable[[Inbox], InboxSource | None]
Sources = Mapping[str, InboxSource] | SourceFor | None
_END = object()


class LeaseLostError(ReplytrackError):
    """Another worker took an inbox's lease while this one synced it (it ran past the
    lease's expiry without renewing it); the batches stored so far stay stored."""


@attrs.frozen(kw_only=True)
class InboxSync:
    """What ``sync_all`` did with one inbox: a summary, an error, or why it was skipped."""

    inbox_id: str
    summary: SyncSummary | None = None
    error: ReplytrackError | None = None
    #: why the inbox was not synced ("leased by another worker", "no source")
    skipped: str | None = None
    #: the source asks for the inbox to be connected again (repeated resets)
    needs_reconnect: bool = False


@attrs.frozen(kw_only=True)
class SyncAllSummary:
    """Per inbox, what ``sync_all`` did."""

    inboxes: dict[str, InboxSync]

    @property
    def synced(self) -> list[str]:
        return sorted(i for i, r in self.inboxes.items() if r.summary is not None)

    @property
    def failed(self) -> dict[str, ReplytrackError]:
        return {i: r.error for i, r in sorted(self.inboxes.items()) if r.error is not None}

    @property
    def skipped(self) -> dict[str, str]:
        return {i: r.skipped for i, r in sorted(self.inboxes.items()) if r.skipped is not None}

    @property
    def needs_reconnect(self) -> list[str]:
        return sorted(i for i, r in self.inboxes.items() if r.needs_reconnect)

    @property
    def warnings(self) -> list[str]:
        """Every inbox's sync warnings, each prefixed with the inbox id."""
        return [
            f"{i}: {w}"
            for i, r in sorted(self.inboxes.items())
            if r.summary is not None
            for w in r.summary.warnings
        ]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _saved_sources(tracker: Tracker) -> SourceFor:
    from replytrack.sources.spec import inbox_source, open_source

    def source_for(inbox: Inbox) -> InboxSource | None:
        spec = inbox_source(tracker.store, tracker.tenant, inbox.id)
        return None if spec is None else open_source(spec)

    return source_for


def sync_all(
    tracker: Tracker,
    sources: Sources = None,
    *,
    inbox_ids: Sequence[str] | None = None,
    pool: int = 8,
    lease: timedelta = timedelta(minutes=10),
    batch_size: int = 500,
    holder: str | None = None,
    clock: Callable[[], datetime] = _utcnow,
) -> SyncAllSummary:
    """See :meth:`replytrack.Tracker.sync_all`."""
    store = tracker.store
    if not isinstance(store, LeaseStore):
        raise ConfigurationError(
            f"sync_all leases each inbox in the store: {type(store).__name__} keeps no leases"
            " (see replytrack.protocols.LeaseStore)"
        )
    if pool < 1 or lease <= timedelta(0):
        raise ConfigurationError(f"pool must be at least 1 and lease positive: {pool}, {lease}")
    if sources is None:
        source_for = _saved_sources(tracker)
    elif isinstance(sources, Mapping):
        given = sources
        source_for = lambda inbox: given.get(inbox.id)  # noqa: E731
    else:
        source_for = sources
    inboxes = [
        i
        for i in store.list_inboxes(tracker.tenant)
        if (inbox_ids is None or i.id in inbox_ids)
        and i.connected_at is not None
        and i.disconnected_at is None
    ]
    worker = _Worker(
        tracker=tracker,
        store=store,
        source_for=source_for,
        lease=lease,
        batch_size=batch_size,
        holder=holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}",
        clock=clock,
    )
    with ThreadPoolExecutor(max_workers=pool, thread_name_prefix="replytrack-sync") as threads:
        done = list(threads.map(worker.sync, inboxes))
    return SyncAllSummary(inboxes={r.inbox_id: r for r in done})


@attrs.define(kw_only=True)
class _Worker:
    tracker: Tracker
    store: LeaseStore
    source_for: SourceFor
    lease: timedelta
    batch_size: int
    holder: str
    clock: Callable[[], datetime]
    #: held while the tracker works; given up while a source waits on the network
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def _take(self, name: str) -> datetime | None:
        """Take or renew the lease; when it was taken, or None when another holds it."""
        now = self.clock()
        tenant = self.tracker.tenant
        held = self.store.acquire_lease(
            tenant, name, self.holder, now=now, expires_at=now + self.lease
        )
        return now if held else None

    def sync(self, inbox: Inbox) -> InboxSync:
        name = f"sync:{inbox.id}"
        with self.lock:
            try:
                if self._take(name) is None:
                    return InboxSync(inbox_id=inbox.id, skipped="leased by another worker")
            except ReplytrackError as exc:
                return InboxSync(inbox_id=inbox.id, error=exc)
        try:
            return self._sync(inbox, name)
        finally:
            with self.lock, contextlib.suppress(ReplytrackError):  # else it expires
                self.store.release_lease(self.tracker.tenant, name, self.holder)

    def _sync(self, inbox: Inbox, name: str) -> InboxSync:
        try:
            source = self.source_for(inbox)
            if source is None:
                return InboxSync(inbox_id=inbox.id, skipped="no source")
            turns = _Turns(source=source, worker=self, name=name, taken=self.clock())
            with self.lock:
                try:
                    summary = self.tracker.sync(inbox.id, turns, self.batch_size)
                finally:
                    turns.close()  # here, with the lock held, not later by the collector
        except ReplytrackError as exc:
            return InboxSync(inbox_id=inbox.id, error=exc)
        reconnect = bool(getattr(source, "needs_reconnect", False))
        return InboxSync(inbox_id=inbox.id, summary=summary, needs_reconnect=reconnect)


@attrs.define(kw_only=True)
class _Turns:
    """The inbox's source, read with the worker's lock given up, the lease renewed at half
    its time; reports what the source reports (warnings, the settled cursor)."""

    source: InboxSource
    worker: _Worker
    name: str
    taken: datetime
    _running: list[Generator[SourceMessage, None, None]] = attrs.field(factory=list)

    def close(self) -> None:
        for running in self._running:
            running.close()

    @property
    def key(self) -> str:
        return self.source.key

    @property
    def warnings(self) -> Sequence[str]:
        return tuple(getattr(self.source, "warnings", ()))

    @property
    def settled_cursor(self) -> str | None:
        return getattr(self.source, "settled_cursor", None)

    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        running = self._fetch(after)
        self._running.append(running)
        return running

    def _fetch(self, after: str | None) -> Generator[SourceMessage, None, None]:
        lock = self.worker.lock
        messages = self.source.fetch(after)
        try:
            while True:
                lock.release()
                try:
                    message = next(messages, _END)
                finally:
                    lock.acquire()
                if not isinstance(message, SourceMessage):
                    return
                self._renew()
                yield message
        finally:
            lock.release()
            try:
                close = getattr(messages, "close", None)
                if close is not None:
                    close()
            finally:
                lock.acquire()

    def _renew(self) -> None:
        if self.worker.clock() - self.taken < self.worker.lease / 2:
            return
        taken = self.worker._take(self.name)
        if taken is None:
            raise LeaseLostError(
                f"inbox {self.name[5:]!r}: another worker took the lease while this one synced"
            )
        self.taken = taken
