"""The sample data is what its generator writes, every message gets the outcome its
manifest states, and docs/cli.md is what the commands' --help print."""

from __future__ import annotations

import runpy
from datetime import UTC, datetime
from pathlib import Path

from tests.cli.conftest import ROOT, SAMPLE

from replytrack import Inbox, MboxSource, MemoryStore, Tracker
from replytrack.cli.reference import render
from replytrack.imports import import_sends, read_send_rows


def test_the_generator_writes_the_shipped_sample_byte_for_byte(tmp_path: Path) -> None:
    runpy.run_path(str(ROOT / "examples" / "make_sample.py"))["main"](tmp_path)
    shipped = sorted(p.relative_to(SAMPLE) for p in SAMPLE.rglob("*") if p.is_file())
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert made == shipped
    assert all((tmp_path / p).read_bytes() == (SAMPLE / p).read_bytes() for p in shipped)


def test_every_sample_message_gets_the_outcome_its_manifest_states() -> None:
    tracker = Tracker(MemoryStore(), secret=b"s" * 32, domain="northwind.example")
    connected = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    tracker.connect_inbox(Inbox(id="sales", address="sales@northwind.example"), connected)
    tracker.connect_inbox(
        Inbox(id="alice", address="alice@northwind.example", kind="personal", owner_id="alice"),
        connected,
    )
    with (SAMPLE / "sends.csv").open(encoding="utf-8") as rows:
        import_sends(tracker, read_send_rows(rows, "csv"))
    manifest = [line.split("\t") for line in (SAMPLE / "manifest.tsv").read_text().splitlines()[1:]]
    got = []
    for inbox_id in ("alice", "sales"):  # the order sync reads them in: by id
        messages = list(MboxSource(SAMPLE / f"{inbox_id}.mbox").fetch(None))
        results = tracker.ingest_many(inbox_id, [(m.raw, m.received_at) for m in messages])
        got += [(inbox_id, str(n), r.outcome.value) for n, r in enumerate(results, start=1)]
    expected = [(box, number, outcome) for box, number, _, outcome, *_ in manifest]
    assert sorted(got) == sorted(expected)
    assert {outcome for *_, outcome in expected} == {
        "reply", "automatic", "not_a_reply", "forward", "before_tracking", "duplicate",
        "wrong_sender", "untracked",
    }  # fmt: skip


def test_the_cli_reference_page_is_generated_from_the_help() -> None:
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert page == render(), "run: python -m replytrack.cli.reference > docs/cli.md"
    assert "### `replytrack inbox connect`" in page
    assert "--maildir DIRECTORY" in page
