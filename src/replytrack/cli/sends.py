"""``replytrack sends import``: record the sends of a campaign from CSV or JSON Lines."""

from __future__ import annotations

from collections import Counter
from itertools import islice
from pathlib import Path
from typing import TextIO

import click

from replytrack.cli._app import app, cli
from replytrack.cli._output import INTERRUPTED, current_output, output_options
from replytrack.cli._progress import Meter, interruptible
from replytrack.imports import COLUMNS, import_sends, read_send_rows

CHUNK = 1000


@cli.group()
def sends() -> None:
    """Record the sends of marketing emails."""


@sends.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Default: by the file's suffix."
)
@output_options()
def import_(file: TextIO, fmt: str | None) -> None:
    """Record the sends listed in FILE (CSV with a header line, or JSON Lines; - for stdin).

    \b
    Columns: email_id, contact_id, address, sent_at (ISO 8601 with an offset),
    and optionally subject, from_address, reply_to (an inbox address,
    contact_owner, or empty for the From address), owner, message_id (the
    Message-ID the mail went out with). Rows already recorded are skipped.
    """
    name = getattr(file, "name", "-")
    fmt = fmt or ("jsonl" if Path(name).suffix in (".jsonl", ".ndjson", ".json") else "csv")
    tracker = app().tracker()
    recorded = skipped = 0
    emails: dict[str, None] = {}
    untracked: Counter[str] = Counter()
    rows = read_send_rows(file, "jsonl" if fmt == "jsonl" else "csv")
    with interruptible() as stop, Meter("sends import", unit="rows") as meter:
        while not stop.requested and (chunk := list(islice(rows, CHUNK))):
            done = import_sends(tracker, chunk)
            recorded, skipped = recorded + done.recorded, skipped + done.skipped
            emails.update(dict.fromkeys(done.emails))
            untracked.update(done.untracked)
            meter.advance(len(chunk))
    current_output().record(
        {
            "recorded": recorded,
            "skipped": skipped,
            "emails": list(emails),
            "untracked": dict(untracked),
        },
        f"sends import {name}",
    )
    if stop.requested:
        raise click.exceptions.Exit(INTERRUPTED)


__all__ = ["COLUMNS", "sends"]
