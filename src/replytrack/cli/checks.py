"""``replytrack validate`` (an email's Reply-To) and ``replytrack explain`` (how a message
would be treated, with nothing stored)."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from replytrack.cli._app import app, cli, when
from replytrack.cli._output import PROBLEMS, current_output, output_options
from replytrack.dryrun import DryRunStore
from replytrack.errors import NotFoundError
from replytrack.message import RawMessage
from replytrack.models import MarketingEmail, ReplyTo
from replytrack.pipeline import IngestResult
from replytrack.protocols import SourceMessage
from replytrack.sources.spec import source_for_path


@cli.command()
@click.argument("email_id", required=False)
@click.option("--from", "sender", metavar="ADDRESS", help="Check a draft: its From address.")
@click.option(
    "--reply-to",
    metavar="ADDRESS",
    help="Check a draft: an inbox address, or contact_owner; default: the From.",
)
@output_options(csv_ok=True)
def validate(email_id: str | None, sender: str | None, reply_to: str | None) -> None:
    """Check an email's From and Reply-To against the connected inboxes, now.

    Name a stored EMAIL_ID, or describe a draft with --from (and --reply-to).
    Exits 1 when replies to it could not be tracked.
    """
    tracker = app().tracker(secret_needed=False)
    if sender is not None:
        setting = (
            ReplyTo.from_address()
            if not reply_to
            else ReplyTo.contact_owner()
            if reply_to == "contact_owner"
            else ReplyTo.inbox(reply_to)
        )
        email = MarketingEmail(
            id=email_id or "draft", subject="", from_address=sender, reply_to=setting
        )
    elif email_id is None:
        raise click.UsageError("name an EMAIL_ID, or give --from for a draft")
    else:
        stored = tracker.store.get_email(tracker.tenant, email_id)
        if stored is None:
            raise NotFoundError(f"no email {email_id!r} in tenant {tracker.tenant!r}")
        email = stored
    found = tracker.validate(email)
    out = current_output()
    rows = [
        {"severity": p.severity, "code": p.code, "problem": p.message, "fix": p.fix}
        for p in found.problems
    ]
    if out.human and not rows:
        out.note(f"{email.id}: replies can be tracked (Reply-To resolves to a connected inbox)")
    else:
        out.rows(rows, ["severity", "code", "problem", "fix"], f"{email.id}: Reply-To problems")
    if not found.ok:
        raise click.exceptions.Exit(PROBLEMS)


@cli.command()
@click.argument("file")
@click.option(
    "--inbox",
    "inbox_id",
    metavar="ID",
    help="The inbox that received it; default: read from its recipients.",
)
@click.option("--received-at", metavar="TIME", help="When it arrived (ISO 8601); default: the mbox "
              "delivery line or the Date header.")  # fmt: skip
@output_options()
def explain(file: str, inbox_id: str | None, received_at: str | None) -> None:
    """How each message of FILE would be treated, without storing anything.

    FILE is an .eml file, an mbox, a Maildir, or - for stdin. For each message:
    its kind and the rules that decided it, the send it matches, how, and the other
    candidates, and the outcome ingesting it would get.
    """
    base = app()
    tracker = base.tracker(DryRunStore(base.store()), secret_needed=False)
    if file == "-":
        messages = [SourceMessage(raw=sys.stdin.buffer.read(), received_at=None, cursor="1")]
    else:
        messages = list(source_for_path(file).fetch(None))
    at = when(received_at, "--received-at")
    results = tracker.ingest_many(inbox_id, [(m.raw, at or m.received_at) for m in messages])
    rows = [
        _explained(m.raw, at or m.received_at, r) for m, r in zip(messages, results, strict=True)
    ]
    out = current_output()
    if out.human:
        for number, row in enumerate(rows, start=1):
            title = f"message {number} of {len(rows)}" if len(rows) > 1 else None
            out.record(row, title)
    else:
        out.rows(rows, list(rows[0]) if rows else [])


def _explained(raw: bytes, received_at: datetime | None, result: IngestResult) -> dict[str, object]:
    try:
        msg = RawMessage(raw)
        sender, subject = msg.from_address, msg.subject
    except Exception:  # unreadable: the result says why (MALFORMED)
        sender, subject = "", ""
    verdict, match = result.verdict, result.match
    return {
        "from": sender or "-",
        "subject": subject,
        "received_at": received_at,
        "kind": verdict.kind if verdict else None,
        "subtype": verdict.subtype if verdict else None,
        "rules": list(verdict.reasons) if verdict else [],
        "strategy": match.strategy if match else None,
        "matched_on": match.matched_id if match else None,
        "send": match.send.id if match else None,
        "email": match.send.email_id if match else None,
        "contact": match.send.contact_id if match else None,
        "candidates": list(match.candidates) if match else [],
        "outcome": result.outcome,
        "reason": result.reason,
    }
