"""Crash safety: a sync killed with SIGKILL at a random point, then resumed, ends where a clean run does.

A child process syncs the sample mailboxes (examples/sample) into a SQL store in small
batches and is killed after a random delay: before its first batch, mid-batch, between a
batch's commit and its cursor, or after it finished. The parent then runs the same sync to
the end. Replies, reports, every contact's properties, the quarantine and the cursors must
equal those of a run never killed.

The default suite kills 5 runs on SQLite and 1 on PostgreSQL; ``REPLYTRACK_KILL_RUNS=50``
kills 50 on each (``REPLYTRACK_KILL_SEED`` changes the delays).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from store_helpers import empty_postgres

from replytrack import Inbox, MboxSource, Send, Tracker
from replytrack.imports import import_sends, read_send_rows
from replytrack.stores import open_store

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample"
INBOXES = ("alice", "sales")
_OPT_IN = os.environ.get("REPLYTRACK_KILL_RUNS")
# PostgreSQL runs take seconds each (the sends are imported afresh): one in the default suite
RUNS = {"sqlite": int(_OPT_IN or 5), "postgres": int(_OPT_IN or 1)}
BATCH = 3
CONNECTED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

_CHILD = """
import sys, time
from pathlib import Path
from replytrack import MboxSource, Tracker
from replytrack.stores import open_store
store = open_store(sys.argv[1])
tracker = Tracker(store, secret=b"k" * 32, domain="northwind.example")
print("ready", flush=True)
start = time.perf_counter()
for inbox in ("alice", "sales"):
    tracker.sync(inbox, MboxSource(Path(sys.argv[2]) / f"{inbox}.mbox"), batch_size=3)
print(f"done {time.perf_counter() - start:.6f}", flush=True)
"""


def _tracker(url: str) -> Tracker:
    return Tracker(open_store(url), secret=b"k" * 32, domain="northwind.example")


def _prepare(url: str) -> None:
    tracker = _tracker(url)
    tracker.connect_inbox(Inbox(id="sales", address="sales@northwind.example"), CONNECTED)
    tracker.connect_inbox(
        Inbox(id="alice", address="alice@northwind.example", kind="personal", owner_id="alice"),
        CONNECTED,
    )
    with (SAMPLE / "sends.csv").open(encoding="utf-8") as rows:
        import_sends(tracker, read_send_rows(rows, "csv"))
    tracker.store.close()


def _resume(url: str) -> None:
    tracker = _tracker(url)
    for inbox in INBOXES:
        tracker.sync(inbox, MboxSource(SAMPLE / f"{inbox}.mbox"), batch_size=BATCH)
    tracker.store.close()


def _name(send: Send) -> str:
    return f"{send.email_id}/{send.contact_id}/{send.sent_at.isoformat()}"


def _state(url: str) -> dict[str, Any]:
    tracker = _tracker(url)
    store, tenant = tracker.store, tracker.tenant
    try:
        contacts = sorted(c.id for c in store.list_contacts(tenant))
        replies = store.list_replies(tenant)
        sends = store.get_sends(tenant, {r.send_id for r in replies})
        # send ids are made per store: a send is named by its email, contact and time instead
        by_message_id = [attrs.evolve(r, send_id=_name(sends[r.send_id])) for r in replies]
        return {
            "replies": sorted(by_message_id, key=lambda r: r.key),
            "reports": [store.report(tenant, e) for e in [None, *store.list_email_ids(tenant)]],
            "contacts": [store.contact_properties(tenant, c) for c in contacts],
            "quarantine": [(q.id, q.position, q.reason) for q in store.list_quarantined(tenant)],
            "cursors": [
                store.get_cursor(tenant, MboxSource(SAMPLE / f"{i}.mbox").key) for i in INBOXES
            ],
        }
    finally:
        store.close()


def _child(url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, url, str(SAMPLE)], stdout=subprocess.PIPE, text=True
    )


def _clean_run(url: str) -> tuple[dict[str, Any], float]:
    child = _child(url)
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 0, out
    return _state(url), float(out.split("done ")[1])


def _fresh(kind: str, tmp_path: Path, run: int, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / f'run{run}.db'}"
    else:
        url = request.getfixturevalue("pg_dsn")
        empty_postgres(url).close()
    _prepare(url)
    return url


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_sync_killed_at_random_points_and_resumed_ends_as_a_clean_run(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    clean, duration = _clean_run(_fresh(kind, tmp_path, 0, request))
    assert clean["replies"], "the sample must store replies for the comparison to mean anything"
    assert all(clean["cursors"])
    rng = random.Random(os.environ.get("REPLYTRACK_KILL_SEED", "18"))
    killed_before_the_end = 0
    for run in range(1, RUNS[kind] + 1):
        url = _fresh(kind, tmp_path, run, request)
        child = _child(url)
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0, duration * 1.1))
        os.kill(child.pid, signal.SIGKILL)
        rest, _ = child.communicate(timeout=60)
        killed_before_the_end += child.returncode == -signal.SIGKILL and "done" not in rest
        _resume(url)
        assert _state(url) == clean, f"run {run} differs from the clean run"
    if RUNS[kind] >= 3:
        assert killed_before_the_end >= 1, "no run was killed mid-sync: the delays are too long"
