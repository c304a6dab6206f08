"""``replytrack demo``: the whole flow on the shipped sample campaign, command by command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from replytrack.cli._app import app, cli
from replytrack.cli._output import stdout
from replytrack.cli.inbox import connect
from replytrack.cli.ingest import sync
from replytrack.cli.reports import report
from replytrack.cli.sends import import_

DEMO_DB = "sqlite:///replytrack-demo.db"
# Only for the demo's own store: the sample's replies match on the Message-IDs in sends.csv.
DEMO_SECRET = b"replytrack demo secret: never use it for real mail"
CONNECTED = "2026-03-02T08:00:00+00:00"


def sample_folder() -> Path | None:
    """examples/sample of this source tree, or of the working folder."""
    for root in (Path(__file__).resolve().parents[3], Path.cwd()):
        folder = root / "examples" / "sample"
        if (folder / "sends.csv").is_file():
            return folder
    return None


@cli.command()
@click.option("--sample", type=click.Path(file_okay=False, exists=True), help="The sample folder "
              "(default: examples/sample of the source tree).")  # fmt: skip
@click.pass_context
def demo(ctx: click.Context, sample: str | None) -> None:
    """Run the sample campaign through the command line and print the report.

    It connects the sample's two inboxes, imports its 360 sends, syncs both
    mailboxes and reports, printing each command as it runs it. The store is
    sqlite:///replytrack-demo.db unless --db is given; running it again adds nothing.
    """
    folder = Path(sample) if sample else sample_folder()
    if folder is None:
        raise click.UsageError(
            "no examples/sample folder here: clone the repository, or pass --sample"
        )
    base = app()
    root = ctx.find_root()
    db_given = root.get_parameter_source("db") is click.core.ParameterSource.COMMANDLINE
    if not db_given:
        base.switch_store(DEMO_DB)
    base.secret_override = DEMO_SECRET
    prefix = f"replytrack --db {base.db_shown}"
    steps: list[tuple[click.Command, str, dict[str, Any]]] = [
        (connect, f"inbox connect sales sales@northwind.example --connected-at {CONNECTED} --mbox {folder}/sales.mbox",
         {"inbox_id": "sales", "address": "sales@northwind.example", "connected_at": CONNECTED, "mbox": str(folder / "sales.mbox")}),
        (connect, f"inbox connect alice alice@northwind.example --personal --owner alice --connected-at {CONNECTED} --mbox {folder}/alice.mbox",
         {"inbox_id": "alice", "address": "alice@northwind.example", "personal": True, "owner": "alice",
              "connected_at": CONNECTED, "mbox": str(folder / "alice.mbox")}),
        (import_, f"sends import {folder}/sends.csv", {"file": click.open_file(str(folder / "sends.csv"), encoding="utf-8")}),
        (sync, "sync", {}),
        (report, "report", {}),
    ]  # fmt: skip
    for command, shown, params in steps:
        stdout().print(f"\n[bold]$ {prefix} {shown}[/bold]")
        ctx.invoke(command, **params)
    stdout().print(
        f"\nExplore it: {prefix} replies spring-launch | contact c0144 | "
        f"explain {folder}/messages/out-of-office.eml"
    )
