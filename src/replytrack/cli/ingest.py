"""``replytrack ingest`` (messages given once) and ``replytrack sync`` (connected inboxes,
resumable): both read in batches, show progress and stop cleanly on Ctrl-C."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from itertools import islice

import click

from replytrack.cli._app import app, cli
from replytrack.cli._output import INTERRUPTED, UNREACHABLE, current_output, output_options
from replytrack.cli._progress import Meter, Metered, Stop, interruptible
from replytrack.cli.inbox import chosen_source, source_options
from replytrack.errors import SourceError
from replytrack.pipeline import Outcome
from replytrack.protocols import InboxSource, SourceMessage
from replytrack.sources.spec import inbox_source, open_source, source_for_path
from replytrack.tracker import BATCH_SIZE, Tracker

batch_option = click.option(
    "--batch-size", default=BATCH_SIZE, show_default=True, help="Messages per store transaction."
)
workers_option = click.option(
    "--workers", default=1, show_default=True, help="Processes to ingest with (SQLite, PostgreSQL)."
)


class _Stdin:
    """One message read from standard input."""

    key = "stdin"

    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        yield SourceMessage(raw=sys.stdin.buffer.read(), received_at=None, cursor="1")


def _counts(counts: Counter[Outcome]) -> list[dict[str, object]]:
    return [{"outcome": o.value, "messages": counts[o]} for o in Outcome if counts[o]]


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--inbox", "inbox_id", metavar="ID", help="The inbox that received them; default: "
              "read from each message's Delivered-To, X-Original-To, To and Cc.")  # fmt: skip
@batch_option
@workers_option
@output_options(csv_ok=True)
def ingest(paths: tuple[str, ...], inbox_id: str | None, batch_size: int, workers: int) -> None:
    """Ingest messages once: mbox files, Maildirs, .eml files or folders, - for stdin.

    Messages already stored come back as duplicate, never counted twice. To read an
    inbox again and again from where the last run stopped, connect it and use sync.
    """
    tracker = app().tracker()
    counts: Counter[Outcome] = Counter()
    sources: list[InboxSource] = [_Stdin() if p == "-" else source_for_path(p) for p in paths]
    with interruptible() as stop, Meter("ingest") as meter:
        for source in sources:
            messages = Metered(source, meter, stop).fetch(None)
            while batch := list(islice(messages, batch_size)):
                pairs = [(m.raw, m.received_at) for m in batch]
                for result in tracker.ingest_many(inbox_id, pairs, batch_size, workers=workers):
                    counts[result.outcome] += 1
                if stop.requested:
                    break
            if stop.requested:
                break
    current_output().rows(_counts(counts), ["outcome", "messages"], "ingested")
    if stop.requested:
        raise click.exceptions.Exit(INTERRUPTED)


@cli.command()
@click.argument("inbox_ids", nargs=-1)
@source_options
@click.option(
    "--limit", type=int, metavar="N", help="Stop after N messages per inbox (resume later)."
)
@batch_option
@workers_option
@output_options(csv_ok=True)
def sync(
    inbox_ids: tuple[str, ...],
    maildir: str | None,
    mbox: str | None,
    spec: str | None,
    limit: int | None,
    batch_size: int,
    workers: int,
) -> None:
    """Read new mail of connected inboxes from where the last sync stopped.

    Without INBOX_IDS, every connected inbox with a source is read. --maildir,
    --mbox or --source read one inbox from a source given here instead of its own.
    """
    given = chosen_source(maildir, mbox, spec)
    tracker = app().tracker()
    store, tenant = tracker.store, tracker.tenant
    if given is not None and len(inbox_ids) != 1:
        raise click.UsageError("--maildir, --mbox and --source read one inbox: name it")
    ids = list(inbox_ids) or [i.id for i in store.list_inboxes(tenant) if i.disconnected_at is None]
    out = current_output()
    rows: list[dict[str, object]] = []
    unreachable = False
    with interruptible() as stop:
        for inbox_id in ids:
            spec_used = given or inbox_source(store, tenant, inbox_id)
            if spec_used is None:
                out.note(f"{inbox_id}: no source; connect it with --maildir or --mbox")
                continue
            try:
                summary = _sync_one(
                    tracker, inbox_id, open_source(spec_used), stop, limit, batch_size, workers
                )
            except SourceError as exc:
                out.note(f"{inbox_id}: cannot read {spec_used}: {exc}")
                unreachable = True
                continue
            rows.append({"inbox": inbox_id, **summary})
            if stop.requested:
                break
    columns = ["inbox", "read", *(o.value for o in Outcome if any(r.get(o.value) for r in rows))]
    out.rows(rows, columns, "synced")
    if stop.requested:
        raise click.exceptions.Exit(INTERRUPTED)
    if unreachable:
        raise click.exceptions.Exit(UNREACHABLE)


def _sync_one(
    tracker: Tracker, inbox_id: str, source: InboxSource, stop: Stop, limit: int | None,
    batch_size: int, workers: int,
) -> dict[str, object]:  # fmt: skip
    with Meter(f"sync {inbox_id}") as meter:
        summary = tracker.sync(
            inbox_id, Metered(source, meter, stop, limit), batch_size, workers=workers
        )
    return {"read": summary.total, **{o.value: n for o, n in summary.counts.items()}}
