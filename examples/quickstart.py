"""The sample campaign through the Python API: what ``replytrack demo`` does on the command line.

Run from the repository root:  python examples/quickstart.py [STORE_URL]
STORE_URL defaults to a SQLite file in a temporary folder (the embedded default).
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from replytrack import Inbox, MboxSource, Tracker
from replytrack.imports import import_sends, read_send_rows
from replytrack.stores import open_store

SAMPLE = Path(__file__).parent / "sample"
CONNECTED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def main(url: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(url or f"sqlite:///{folder}/replytrack.sqlite3")
        # The signing secret: the same on every run, from a secret manager or the environment
        # (REPLYTRACK_SECRET, as the command line reads it); a throwaway one for this example.
        secret = os.environ.get("REPLYTRACK_SECRET", "").encode() or secrets.token_bytes(32)
        tracker = Tracker(store, secret=secret, domain="northwind.example")
        tracker.connect_inbox(Inbox(id="sales", address="sales@northwind.example"), CONNECTED)
        tracker.connect_inbox(
            Inbox(id="alice", address="alice@northwind.example", kind="personal", owner_id="alice"),
            CONNECTED,
        )
        with (SAMPLE / "sends.csv").open(encoding="utf-8") as rows:
            imported = import_sends(tracker, read_send_rows(rows, "csv"))
        print(f"sends: recorded={imported.recorded} untracked={dict(imported.untracked)}")
        for inbox_id in ("alice", "sales"):
            summary = tracker.sync(inbox_id, MboxSource(SAMPLE / f"{inbox_id}.mbox"))
            counts = ", ".join(
                f"{o.value}={n}"
                for o, n in sorted(summary.counts.items(), key=lambda i: i[0].value)
            )
            print(f"{inbox_id}: {counts}")
        for email_id in ("spring-launch", "pricing-webinar", None):
            r = tracker.report(email_id)
            print(
                f"{email_id or 'all emails':<15} sent={r.sent} delivered={r.delivered} "
                f"replies={r.replies} repliers={r.repliers} reply_rate={r.reply_rate:.1%} "
                f"automatic={dict(r.automatic)}"
            )
        diego = tracker.contact_properties("c0144")
        print(f"c0144: replied={diego.replied} emails_replied={diego.emails_replied}")
        store.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
