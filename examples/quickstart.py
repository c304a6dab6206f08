"""Record a small campaign, ingest the shipped sample mailbox, print the report.

Run from the repository root:  python examples/quickstart.py [STORE_URL]
STORE_URL defaults to a SQLite file in a temporary folder (the embedded default).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from replytrack import Contact, Inbox, MarketingEmail, MboxSource, ReplyTo, Tracker
from replytrack.stores import open_store

HERE = Path(__file__).parent
CONNECTED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def main(url: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(url or f"sqlite:///{folder}/replytrack.sqlite3")
        tracker = Tracker(
            store, secret=b"example-secret-change-me-32-bytes!!", domain="mail.example.com"
        )
        tracker.connect_inbox(
            Inbox(id="sales", address="sales@example.com"), connected_at=CONNECTED
        )

        spring = MarketingEmail(
            id="spring",
            name="Spring sale",
            subject="Spring sale: 20% off all plans",
            from_address="sales@example.com",
            reply_to=ReplyTo.inbox("sales@example.com"),
        )
        webinar = MarketingEmail(
            id="webinar",
            subject="Join our product webinar",
            from_address="sales@example.com",
            reply_to=ReplyTo.from_address(),
        )
        contacts = [
            Contact(id="bob", emails=("bob@example.org",)),
            Contact(id="ann", emails=("ann@example.net",)),
            Contact(id="chris", emails=("chris@gone.example",)),
            Contact(id="dana", emails=("dana@example.com.br",)),
            Contact(id="finn", emails=("finn@example.org",)),
        ]
        # The sending service (ESP) replaced our Message-IDs with its own: record them.
        for n, send in enumerate(tracker.record_sends(spring, contacts, sent_at=SENT), start=1):
            tracker.record_provider_message_id(send.id, f"<spring-{n:04d}@esp.example>")
        for n, send in enumerate(
            tracker.record_sends(webinar, contacts[:2], sent_at=SENT), start=1
        ):
            tracker.record_provider_message_id(send.id, f"<webinar-{n:04d}@esp.example>")

        summary = tracker.sync("sales", MboxSource(HERE / "sample" / "campaign-replies.mbox"))
        print(
            "ingested:",
            ", ".join(
                f"{o.value}={n}"
                for o, n in sorted(summary.counts.items(), key=lambda i: i[0].value)
            ),
        )
        for email_id in ("spring", "webinar", None):
            r = tracker.report(email_id)
            print(
                f"{email_id or 'all emails':<10} sent={r.sent} delivered={r.delivered} "
                f"replies={r.replies} repliers={r.repliers} reply_rate={r.reply_rate:.0%} "
                f"automatic={dict(r.automatic)}"
            )
        for reply in tracker.replies("spring"):
            print(f"  {reply.received_at:%Y-%m-%d %H:%M} {reply.contact_id}: {reply.snippet}")
        bob = tracker.contact_properties("bob")
        print(
            f"bob: replied={bob.replied} emails_replied={bob.emails_replied} last={bob.last_reply_at}"
        )
        store.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
