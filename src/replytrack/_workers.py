"""Ingest on several cores: batches go to forked worker processes, each with its own
connection to a store that several processes can open (SQLite, PostgreSQL).

Results come back in batch order, so a sync saves its cursor only past batches
that are stored. Reply events are published by the caller, in the process that
holds the subscribers. Messages already in a list are not sent to the workers at
all: forked after the list exists, they read it from their copy of its memory
(pickling large bytes costs about as much as reading the mail).
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

import attrs

from replytrack._text import CleanText
from replytrack.errors import ConfigurationError
from replytrack.message import RawMessage
from replytrack.models import Inbox
from replytrack.pipeline import IngestResult, Origin, Pipeline, collector_paused, inbound_id
from replytrack.protocols import SharedStore, Store

__all__ = ["check_workers", "run_batches", "run_ranges"]

T = TypeVar("T")
Batch = Sequence[tuple[bytes, datetime | None]]
Origins = Sequence[Origin] | None
Inbound = bytes | tuple[bytes, datetime | None]

# The worker process's own pipeline, over its own store connection.
_pipeline: Pipeline | None = None
# The messages of the run_ranges call that forked this worker.
_inherited: Sequence[Inbound] = ()


def _start(pipeline: Pipeline) -> None:
    global _pipeline
    # Everything inherited from the parent stays as it is: the collector never walks it
    # (nor dirties its pages, which fork shares until written).
    gc.freeze()
    store = pipeline.store
    assert isinstance(store, CleanText | SharedStore)
    store = store.reopen()
    correlator = attrs.evolve(pipeline.correlator, store=store)
    _pipeline = attrs.evolve(pipeline, store=store, correlator=correlator)


def _run(inbox: Inbox | None, batch: Batch, origins: Origins = None) -> list[IngestResult]:
    assert _pipeline is not None, "_start runs first in every worker"
    return _pipeline.run(inbox, batch, origins)


def _run_range(inbox: Inbox | None, start: int, stop: int) -> list[IngestResult]:
    return _run(inbox, [as_pair(item) for item in _inherited[start:stop]])


def _base(store: Store) -> Store:
    """The store behind the engine's text gate."""
    return store.inner if isinstance(store, CleanText) else store


def as_pair(item: Inbound) -> tuple[bytes, datetime | None]:
    """(raw, received_at) from either form ``ingest_many`` accepts."""
    return item if isinstance(item, tuple) else (item, None)


def check_workers(workers: int, pipeline: Pipeline) -> None:
    """Raise ConfigurationError when ``workers`` processes cannot ingest into this store."""
    if workers < 1:
        raise ConfigurationError(f"workers must be at least 1, got {workers}")
    if workers == 1:
        return
    store = _base(pipeline.store)
    if not isinstance(store, SharedStore):
        raise ConfigurationError(
            f"workers={workers} needs a store several processes can open (SQLiteStore,"
            f" PostgresStore); {type(store).__name__} has no reopen()"
        )
    if "fork" not in multiprocessing.get_all_start_methods():
        raise ConfigurationError(f"workers={workers} needs the fork start method (Linux, macOS)")


def run_batches(
    pipeline: Pipeline,
    inbox: Inbox | None,
    batches: Iterable[tuple[T, Batch, Origins]],
    workers: int,
) -> Iterator[tuple[T, list[IngestResult]]]:
    """(tag, results) per batch, in order; ``workers`` > 1 runs them in that many processes.

    Each batch comes with its messages' origins (source key and position), or None.
    """
    check_workers(workers, pipeline)
    if workers == 1:
        for tag, batch, origins in batches:
            yield tag, pipeline.run(inbox, batch, origins)
        return
    jobs = ((tag, _keys(batch), (_run, inbox, batch, origins)) for tag, batch, origins in batches)
    yield from _in_order(_pool(pipeline, workers), jobs, workers)


def run_ranges(
    pipeline: Pipeline, inbox: Inbox | None, messages: Sequence[Inbound], size: int, workers: int
) -> Iterator[list[IngestResult]]:
    """Results per batch of ``size`` messages, in order, run by ``workers`` > 1 processes
    that read ``messages`` from the memory they inherit."""
    global _inherited
    check_workers(workers, pipeline)
    _inherited = messages
    try:
        pool = _pool(pipeline, workers)  # forks now, with _inherited set
    finally:
        _inherited = ()
    starts = range(0, len(messages), size)
    jobs = (
        (
            None,
            _keys(map(as_pair, messages[start : start + size])),
            (_run_range, inbox, start, start + size),
        )
        for start in starts
    )
    for _, results in _in_order(pool, jobs, workers):
        yield results


def _keys(batch: Iterable[tuple[bytes, datetime | None]]) -> frozenset[str]:
    """The ids the batch's messages are stored under (an unreadable one: its bytes).

    A batch that shares one with a batch in flight waits for it, so that the copy of a
    message read first is stored first, as in one process (about 10 us a message, here
    while the workers run).
    """
    keys = set()
    for raw, _ in batch:
        try:
            keys.add(inbound_id(RawMessage(raw)))
        except Exception:  # unreadable: never stored as a reply, quarantined by its bytes
            keys.add(f"unreadable:{hash(raw) if isinstance(raw, bytes) else id(raw)}")
    return frozenset(keys)


def _next(
    waiting: deque[tuple[T, frozenset[str], Future[list[IngestResult]]]],
) -> tuple[T, list[IngestResult]]:
    """The oldest job's (tag, results). The collector waits meanwhile: results arrive
    (unpickled by the pool's thread) as new objects that live on, and walking them
    while they arrive was a third of this process's time."""
    tag, _, future = waiting.popleft()
    with collector_paused():
        return tag, future.result()


def _pool(pipeline: Pipeline, workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, context, initializer=_start, initargs=(pipeline,))
    # Fork every worker now, while the caller's state is what they must inherit.
    for future in [pool.submit(int) for _ in range(workers)]:
        future.result()
    return pool


def _in_order(
    pool: ProcessPoolExecutor,
    jobs: Iterable[tuple[T, frozenset[str], tuple[Any, ...]]],
    workers: int,
) -> Iterator[tuple[T, list[IngestResult]]]:
    """Each job's (tag, result) in submission order, two jobs per worker read ahead.

    A job holding a message (by its key) that a job in flight also holds starts only once
    that job's results are in, its records stored.
    """
    waiting: deque[tuple[T, frozenset[str], Future[list[IngestResult]]]] = deque()
    try:
        for tag, keys, (function, *args) in jobs:
            while any(not keys.isdisjoint(held) for _, held, _ in waiting):
                yield _next(waiting)
            waiting.append((tag, keys, pool.submit(function, *args)))
            if len(waiting) >= 2 * workers:
                yield _next(waiting)
        while waiting:
            yield _next(waiting)
    finally:  # on an error (or a caller that stops early) jobs not yet started are dropped
        pool.shutdown(wait=True, cancel_futures=True)
