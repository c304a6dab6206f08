"""``replytrack inbox``: connect, list and disconnect the inboxes replies arrive in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from replytrack.cli._app import app, cli, when
from replytrack.cli._output import current_output, output_options
from replytrack.models import Inbox
from replytrack.sources.spec import inbox_source, open_source, save_inbox_source, source_spec

F = TypeVar("F", bound=Callable[..., Any])


@cli.group()
def inbox() -> None:
    """Connect, list and disconnect the inboxes replies arrive in."""


def source_options(command: F) -> F:
    """--maildir / --mbox / --source: where an inbox's mail is read from."""
    for option in (
        click.option("--source", "spec", metavar="SPEC", help="A source spec (maildir:PATH, mbox:PATH)."),
        click.option("--mbox", type=click.Path(dir_okay=False), help="Read the inbox from this mbox file."),
        click.option("--maildir", type=click.Path(file_okay=False), help="Read the inbox from this Maildir."),
    ):  # fmt: skip
        command = option(command)
    return command


def chosen_source(maildir: str | None, mbox: str | None, spec: str | None) -> str | None:
    """The spec the options name (at most one of them), checked."""
    given = [v for v in (maildir, mbox, spec) if v]
    if len(given) > 1:
        raise click.UsageError("give one of --maildir, --mbox and --source")
    if maildir:
        return source_spec("maildir", maildir)
    if mbox:
        return source_spec("mbox", mbox)
    if spec:
        open_source(spec)
    return spec


@inbox.command("connect")
@click.argument("inbox_id")
@click.argument("address")
@click.option(
    "--personal", is_flag=True, help="A person's inbox (needs --owner); default: a team's."
)
@click.option("--owner", metavar="USER", help="The CRM user who owns the inbox.")
@click.option(
    "--alias",
    "aliases",
    multiple=True,
    metavar="ADDRESS",
    help="Another address delivered to it (repeat).",
)
@click.option(
    "--connected-at", metavar="TIME", help="When tracking starts (ISO 8601); default: now."
)
@source_options
@output_options()
def connect(
    inbox_id: str,
    address: str,
    personal: bool,
    owner: str | None,
    aliases: tuple[str, ...],
    connected_at: str | None,
    maildir: str | None,
    mbox: str | None,
    spec: str | None,
) -> None:
    """Connect INBOX_ID (ADDRESS): only mail received from now on counts.

    Give where its mail is read from (--maildir, --mbox) and `replytrack sync` reads it.
    """
    source = chosen_source(maildir, mbox, spec)
    tracker = app().tracker(secret_needed=False)
    connected = tracker.connect_inbox(
        Inbox(
            id=inbox_id,
            address=address,
            kind="personal" if personal else "team",
            owner_id=owner,
            aliases=aliases,
        ),
        connected_at=when(connected_at, "--connected-at"),
    )
    if source is not None:
        save_inbox_source(tracker.store, tracker.tenant, inbox_id, source)
    current_output().record(
        _row(connected, source or inbox_source(tracker.store, tracker.tenant, inbox_id)),
        f"inbox {inbox_id} connected",
    )


@inbox.command("list")
@output_options(csv_ok=True)
def list_inboxes() -> None:
    """List the inboxes, connected or not, with where each is read from."""
    tracker = app().tracker(secret_needed=False)
    rows = [
        _row(i, inbox_source(tracker.store, tracker.tenant, i.id))
        for i in tracker.store.list_inboxes(tracker.tenant)
    ]
    current_output().rows(rows, list(_COLUMNS))


@inbox.command("disconnect")
@click.argument("inbox_id")
@click.option("--at", "at", metavar="TIME", help="When tracking stops (ISO 8601); default: now.")
@output_options()
def disconnect(inbox_id: str, at: str | None) -> None:
    """Stop tracking INBOX_ID: mail received from then on is not counted."""
    tracker = app().tracker(secret_needed=False)
    gone = tracker.disconnect_inbox(inbox_id, when(at, "--at"))
    current_output().record(
        _row(gone, inbox_source(tracker.store, tracker.tenant, inbox_id)),
        f"inbox {inbox_id} disconnected",
    )


_COLUMNS = (
    "id",
    "address",
    "kind",
    "owner",
    "aliases",
    "connected_at",
    "disconnected_at",
    "source",
)


def _row(i: Inbox, source: str | None) -> dict[str, object]:
    return {
        "id": i.id,
        "address": i.address,
        "kind": i.kind,
        "owner": i.owner_id,
        "aliases": list(i.aliases),
        "connected_at": i.connected_at,
        "disconnected_at": i.disconnected_at,
        "source": source,
    }
