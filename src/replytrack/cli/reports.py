"""``replytrack report``, ``replies``, ``contact`` and ``segment``: what the store knows."""

from __future__ import annotations

import click

from replytrack.cli._app import app, cli
from replytrack.cli._output import current_output, output_options
from replytrack.errors import NotFoundError
from replytrack.protocols import ListingStore
from replytrack.reports import EmailReport

REPORT_COLUMNS = (
    "email", "sent", "untracked", "bounced", "delivered", "replies", "repliers", "reply_rate",
    "fallback_matches", "automatic",
)  # fmt: skip


def report_row(r: EmailReport) -> dict[str, object]:
    return {
        "email": r.email_id or "all emails",
        "sent": r.sent,
        "untracked": r.untracked,
        "bounced": r.bounced,
        "delivered": r.delivered,
        "replies": r.replies,
        "repliers": r.repliers,
        "reply_rate": round(r.reply_rate, 4),
        "fallback_matches": r.fallback_matches,
        "automatic": dict(r.automatic),
        "automatic_subtypes": dict(r.automatic_subtypes),
        "untracked_reasons": dict(r.untracked_reasons),
    }


@cli.command()
@click.argument("email_id", required=False)
@output_options(csv_ok=True)
def report(email_id: str | None) -> None:
    """Sends, replies and reply rate per email, and across all emails.

    The reply rate is repliers / delivered; automatic mail (out-of-office,
    bounces, receipts) is counted apart and never as a reply.
    """
    tracker = app().tracker(secret_needed=False)
    store = tracker.store
    if email_id is not None:
        if store.get_email(tracker.tenant, email_id) is None:
            raise NotFoundError(f"no email {email_id!r} in tenant {tracker.tenant!r}")
        ids = [email_id]
    else:
        ids = store.list_email_ids(tracker.tenant) if isinstance(store, ListingStore) else []
    rows = [report_row(tracker.report(i)) for i in ids]
    if email_id is None:
        rows.append(report_row(tracker.report(None)))
    current_output().rows(rows, REPORT_COLUMNS)


@cli.command()
@click.argument("email_id")
@click.option("--limit", type=int, metavar="N", help="Show the N newest only.")
@output_options(csv_ok=True)
def replies(email_id: str, limit: int | None) -> None:
    """The human replies to EMAIL_ID, newest first."""
    tracker = app().tracker(secret_needed=False)
    if tracker.store.get_email(tracker.tenant, email_id) is None:
        raise NotFoundError(f"no email {email_id!r} in tenant {tracker.tenant!r}")
    found = tracker.replies(email_id)[:limit]
    rows = [
        {
            "received_at": r.received_at,
            "contact": r.contact_id,
            "from": r.from_address,
            "inbox": r.inbox_id,
            "strategy": r.strategy,
            "subject": r.subject,
            "snippet": r.snippet,
        }
        for r in found
    ]
    current_output().rows(rows, list(rows[0]) if rows else ["received_at", "contact", "from"])


@cli.command()
@click.argument("contact_id")
@output_options()
def contact(contact_id: str) -> None:
    """A contact's reply properties and timeline."""
    tracker = app().tracker(secret_needed=False)
    found = tracker.store.get_contacts(tracker.tenant, [contact_id]).get(contact_id)
    if found is None:
        raise NotFoundError(f"no contact {contact_id!r} in tenant {tracker.tenant!r}")
    props = tracker.contact_properties(contact_id)
    data = {
        "contact": contact_id,
        "emails": list(found.emails),
        "owner": found.owner_id,
        "replied": props.replied,
        "reply_count": props.reply_count,
        "emails_replied": props.emails_replied,
        "first_reply_at": props.first_reply_at,
        "last_reply_at": props.last_reply_at,
    }
    timeline = [
        {
            "received_at": t.received_at,
            "email": t.email_id,
            "inbox": t.inbox_id,
            "from": t.from_address,
            "subject": t.subject,
            "snippet": t.snippet,
        }
        for t in tracker.timeline(contact_id)
    ]
    out = current_output()
    if out.human:
        out.record(data, f"contact {contact_id}")
        if timeline:
            out.rows(timeline, list(timeline[0]), "timeline")
    else:
        out.record({**data, "timeline": timeline})


@cli.command()
@click.argument("expression")
@click.option("--count", "count_only", is_flag=True, help="Print how many contacts, not who.")
@click.option("--tz", default="UTC", show_default=True, help="Time zone of dates in EXPRESSION.")
@output_options(csv_ok=True)
def segment(expression: str, count_only: bool, tz: str) -> None:
    """The contacts in a segment, like 'replied to "spring-launch" and owner = "alice"'."""
    tracker = app().tracker(secret_needed=False)
    query = tracker.segment(expression, tz=tz)
    out = current_output()
    if count_only:
        out.record({"segment": expression, "contacts": query.count()})
        return
    ids = query.contact_ids()
    found = tracker.store.get_contacts(tracker.tenant, ids)
    rows = [
        {
            "contact": i,
            "emails": list(found[i].emails) if i in found else [],
            "owner": found[i].owner_id if i in found else None,
        }
        for i in ids
    ]
    out.rows(rows, ["contact", "emails", "owner"])
