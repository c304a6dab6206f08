"""Soak: ingest a large generated mailbox through Tracker.sync and check every count.

Usage: ``python bench/bench_soak.py [--messages 1000000] [--store sqlite:///soak.db]``

The mailbox is the realistic inbox mix, made on the fly by bench/mailgen.py (a 10 %
share of replies carry a PDF attachment): 60 % replies threaded to a recorded send, 10 %
out-of-office replies to a send, 30 % mail that is not ours (no threading, from strangers).
Throughput is printed every 100,000 messages with the peak RSS; at the end the store's
counts must equal the generator's: the script exits 1 when they do not.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs

sys.path.insert(0, str(Path(__file__).parent))

from mailgen import realistic_reply

from replytrack import Contact, Inbox, MarketingEmail, ReplyTo, Send, Tracker
from replytrack.protocols import SourceMessage
from replytrack.stores import open_store

START = datetime(2026, 3, 1, tzinfo=UTC)
EVERY = 100_000


@attrs.frozen
class GeneratedMailbox:
    """An InboxSource whose n-th message is made from its number: the same on every run."""

    sends: list[Send]
    count: int
    key: str = "soak:generated"

    def kind(self, n: int) -> str:
        slot = n % 10
        return "reply" if slot < 6 else "automatic" if slot == 6 else "not_a_reply"

    def message(self, n: int) -> bytes:
        rng = random.Random(n)
        kind = self.kind(n)
        if kind == "not_a_reply":
            return realistic_reply(rng, number=n, sender=f"someone{n}@elsewhere.example",
                                   subject=f"Question {n}", threading="")  # fmt: skip
        send = self.sends[n // 10 * 7 + n % 10]  # each send replied to once
        threading = f"In-Reply-To: {send.message_id}\r\nReferences: {send.message_id}\r\n"
        if kind == "automatic":
            threading += "Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n"
        return realistic_reply(rng, number=n, sender=f"contact{send.contact_id}@example.org",
                               subject="Re: Spring sale", threading=threading)  # fmt: skip

    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        for n in range(0 if after is None else int(after) + 1, self.count):
            yield SourceMessage(
                raw=self.message(n), received_at=START + timedelta(seconds=n), cursor=str(n)
            )


def _sends(tracker: Tracker, count: int) -> list[Send]:
    email = MarketingEmail(id="spring", subject="Spring sale", from_address="sales@example.com",
                           reply_to=ReplyTo.inbox("sales@example.com"))  # fmt: skip
    contacts = [Contact(id=f"{n}", emails=(f"contact{n}@example.org",)) for n in range(count)]
    sends: list[Send] = []
    for at in range(0, count, 10_000):
        sends += tracker.record_sends(email, contacts[at : at + 10_000], START - timedelta(days=1))
    return sends


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--store", help="a store URL (default: a SQLite file in a temp folder)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="soak-")
    tracker = Tracker(open_store(args.store or f"sqlite:///{folder}/soak.db"),
                      secret=b"s" * 32, domain="mail.example.com")  # fmt: skip
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), START - timedelta(days=2))
    sends = _sends(tracker, (args.messages + 9) // 10 * 7)
    mailbox = GeneratedMailbox(sends, args.messages)
    truth = {"reply": 0, "automatic": 0, "not_a_reply": 0}
    for n in range(args.messages):
        truth[mailbox.kind(n)] += 1
    counts: dict[str, int] = {}
    started = time.perf_counter()
    done = 0
    while done < args.messages:
        chunk = GeneratedMailbox(sends, min(done + EVERY, args.messages))
        summary = tracker.sync("sales", chunk)
        for outcome, n in summary.counts.items():
            counts[outcome.value] = counts.get(outcome.value, 0) + n
        done = chunk.count
        elapsed = time.perf_counter() - started
        print(f"{done:>9,} messages  {elapsed:8.1f} s  {done / elapsed:8,.0f} msg/s  "
              f"peak RSS {_peak_rss_mib():,.0f} MiB", flush=True)  # fmt: skip
    report = tracker.report("spring")
    print(f"outcomes {counts}; report replies={report.replies} repliers={report.repliers} "
          f"automatic={dict(report.automatic)}")  # fmt: skip
    wrong = counts != truth or report.replies != truth["reply"]
    if wrong:
        print(f"MISMATCH: the generator made {truth}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
