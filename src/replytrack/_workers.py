"""Ingest on several cores: batches go to forked worker processes, each with its own
connection to a store that several processes can open (SQLite, PostgreSQL).

Results come back in batch order, so a sync saves its cursor only past batches
that are stored. Reply events are published by the caller, in the process that
holds the subscribers.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from typing import TypeVar

import attrs

from replytrack.errors import ConfigurationError
from replytrack.models import Inbox
from replytrack.pipeline import IngestResult, Pipeline
from replytrack.protocols import SharedStore

__all__ = ["run_batches"]

T = TypeVar("T")
Batch = Sequence[tuple[bytes, datetime | None]]

# The worker process's own pipeline, over its own store connection.
_pipeline: Pipeline | None = None


def _start(pipeline: Pipeline) -> None:
    global _pipeline
    assert isinstance(pipeline.store, SharedStore)
    store = pipeline.store.reopen()
    correlator = attrs.evolve(pipeline.correlator, store=store)
    _pipeline = attrs.evolve(pipeline, store=store, correlator=correlator)


def _run(inbox: Inbox | None, batch: Batch) -> list[IngestResult]:
    assert _pipeline is not None, "_start runs first in every worker"
    return _pipeline.run(inbox, batch)


def check_workers(workers: int, pipeline: Pipeline) -> None:
    """Raise ConfigurationError when ``workers`` processes cannot ingest into this store."""
    if workers < 1:
        raise ConfigurationError(f"workers must be at least 1, got {workers}")
    if workers == 1:
        return
    if not isinstance(pipeline.store, SharedStore):
        raise ConfigurationError(
            f"workers={workers} needs a store several processes can open (SQLiteStore,"
            f" PostgresStore); {type(pipeline.store).__name__} has no reopen()"
        )
    if "fork" not in multiprocessing.get_all_start_methods():
        raise ConfigurationError(f"workers={workers} needs the fork start method (Linux, macOS)")


def run_batches(
    pipeline: Pipeline, inbox: Inbox | None, batches: Iterable[tuple[T, Batch]], workers: int
) -> Iterator[tuple[T, list[IngestResult]]]:
    """(tag, results) per batch, in order; ``workers`` > 1 runs them in that many processes,
    with at most two batches per worker read ahead."""
    check_workers(workers, pipeline)
    if workers == 1:
        for tag, batch in batches:
            yield tag, pipeline.run(inbox, batch)
        return
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, context, initializer=_start, initargs=(pipeline,))
    waiting: deque[tuple[T, Future[list[IngestResult]]]] = deque()
    try:
        for tag, batch in batches:
            waiting.append((tag, pool.submit(_run, inbox, batch)))
            if len(waiting) >= 2 * workers:
                done_tag, future = waiting.popleft()
                yield done_tag, future.result()
        while waiting:
            done_tag, future = waiting.popleft()
            yield done_tag, future.result()
    finally:  # on an error (or a caller that stops early) batches not yet started are dropped
        pool.shutdown(wait=True, cancel_futures=True)
