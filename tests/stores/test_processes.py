"""Real processes: concurrent ingest never double counts; a killed writer leaves nothing half-done."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from pathlib import Path

from store_helpers import TENANT, hanging_worker, ingest, ingest_worker, seed

from replytrack.stores import open_store
from replytrack.tracker import Outcome

SPAWN = multiprocessing.get_context("spawn")
COUNT = 240


def test_two_processes_ingesting_the_same_messages_at_once_count_each_reply_once(
    store_url: str, tmp_path: Path
) -> None:
    messages = seed(store_url, COUNT)
    start = SPAWN.Barrier(2)  # both children ingest from the same moment
    outs = [tmp_path / f"out{n}.json" for n in range(2)]
    children = [
        SPAWN.Process(target=ingest_worker, args=(store_url, messages, start, str(out), 20))
        for out in outs
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [c.exitcode for c in children] == [0, 0]
    counts = [json.loads(out.read_text()) for out in outs]
    replies = sum(c.get(Outcome.REPLY.value, 0) for c in counts)
    duplicates = sum(c.get(Outcome.DUPLICATE.value, 0) for c in counts)
    assert (replies, duplicates) == (COUNT, COUNT)
    store = open_store(store_url)
    try:
        report = store.report(TENANT, "spring")
        assert (report.replies, report.repliers) == (COUNT, COUNT)
        assert len(store.list_replies(TENANT)) == COUNT
    finally:
        store.close()  # type: ignore[attr-defined]


def test_a_writer_killed_mid_batch_leaves_nothing_half_written_and_a_rerun_counts_once(
    store_url: str,
) -> None:
    messages = seed(store_url, 200)
    inside = SPAWN.Event()
    child = SPAWN.Process(target=hanging_worker, args=(store_url, messages, 3, inside))
    child.start()
    try:
        assert inside.wait(60), "the child never reached its third batch"
    finally:
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(30)
    assert child.exitcode == -signal.SIGKILL
    store = open_store(store_url)
    try:
        assert store.report(TENANT).replies == 100  # two committed batches of 50, not the third
        assert len(store.list_replies(TENANT)) == 100
        assert store.contact_properties(TENANT, "c120").replied is False
    finally:
        store.close()  # type: ignore[attr-defined]
    counts = ingest(store_url, messages, batch_size=50)
    assert (counts.get("reply"), counts.get("duplicate")) == (100, 100)
    store = open_store(store_url)
    try:
        report = store.report(TENANT)
        assert (report.replies, report.repliers, report.sent) == (200, 200, 200)
        assert store.contact_properties(TENANT, "c120").reply_count == 1
    finally:
        store.close()  # type: ignore[attr-defined]
