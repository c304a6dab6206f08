"""IMAP sync against a real Dovecot, next to plain imaplib fetching the same messages whole.

    .venv/bin/python bench/bench_imap.py --messages 20000
    .venv/bin/python bench/bench_imap.py --inboxes 200 --workers 2   # sync_all, two processes

Starts its own Dovecot on loopback (``tests/dovecot.py``; needs ``dovecot-imapd``), delivers
an inbox mix (15% replies to our sends, 85% other mail: colleagues' threads with foreign
References, strangers, newsletters; Received chains, ARC, DKIM; some attachments) after a
baseline, then measures, each in the same run:

* imaplib: ``UID FETCH (BODY.PEEK[])`` of every message, batches of 200 (the baseline);
* ImapSource.fetch alone: headers, then bodies, a round trip each per batch;
* Tracker.sync through ImapSource, ingest included, on SQLite.

Bytes are what Dovecot says it sent each session (``out=`` in its log). Reading only the
bodies the pipeline needs (issue 13's header-first ingest) is what can beat the baseline;
until then ImapSource fetches every body, in one extra round trip per batch.
"""

from __future__ import annotations

import argparse
import imaplib
import multiprocessing
import random
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from imapclient import IMAPClient
from mailgen import realistic_reply

from dovecot import Dovecot, running_dovecot
from replytrack import Contact, Inbox, MarketingEmail, ReplyTo, Tracker
from replytrack.sources.imap import ImapSource
from replytrack.stores import open_store

SECRET = b"bench-imap-secret-0123456789abcdef0123"
PASSWORD = "bench-pass"
_OUT = re.compile(r"imap\((?P<user>[^)]+)\).*Disconnected.* out=(?P<out>\d+)")


def tracker_on(url: str) -> Tracker:
    return Tracker(open_store(url), secret=SECRET, domain="mail.example.com")


def setup_inbox(tracker: Tracker, inbox_id: str, contacts: int) -> list:  # type: ignore[type-arg]
    now = datetime.now(UTC)
    address = f"{inbox_id}@example.com"
    tracker.connect_inbox(Inbox(id=inbox_id, address=address), connected_at=now - timedelta(days=1))
    email = MarketingEmail(
        id=f"spring-{inbox_id}",
        subject="Spring sale",
        from_address=address,
        reply_to=ReplyTo.inbox(address),
    )
    people = [
        Contact(id=f"{inbox_id}-c{n}", emails=(f"{inbox_id}-c{n}@customer.example",))
        for n in range(contacts)
    ]
    return tracker.record_sends(email, people, sent_at=now - timedelta(hours=12))


def inbox_mix(rng: random.Random, sends: list, count: int) -> tuple[list[bytes], int]:  # type: ignore[type-arg]
    """``count`` messages, 15% of them replies to ``sends``; and how many replies."""
    messages, replies = [], 0
    for number in range(count):
        if rng.random() < 0.15 and replies < len(sends):
            send = sends[replies]
            replies += 1
            threading = f"In-Reply-To: {send.message_id}\r\nReferences: {send.message_id}\r\n"
            messages.append(
                realistic_reply(
                    rng,
                    number=number,
                    sender=send.address,
                    subject="Re: Spring sale",
                    threading=threading,
                )
            )
        else:
            foreign = f"<thread-{rng.randrange(10**9)}@corp.example>"
            threading = (
                "" if rng.random() < 0.3 else f"In-Reply-To: {foreign}\r\nReferences: {foreign}\r\n"
            )
            sender = (
                rng.choice(["colleague", "news", "stranger", "notify"]) + f"{number}@other.example"
            )
            messages.append(
                realistic_reply(
                    rng,
                    number=number,
                    sender=sender,
                    subject=f"Topic {number}",
                    threading=threading,
                    attachment_ratio=0.05,
                )
            )
    return messages, replies


def deliver(server: Dovecot, user: str, messages: list[bytes]) -> None:
    with IMAPClient(server.host, server.port, ssl=False, timeout=60) as client:
        client.login(user, PASSWORD)
        for raw in messages:
            client.append("INBOX", raw)


def source(server: Dovecot, user: str, inbox_id: str) -> ImapSource:
    return ImapSource(
        host=server.host,
        port=server.port,
        username=user,
        password=PASSWORD,
        security="plain",
        inbox_id=inbox_id,
        timeout=60,
    )


def sent_bytes(server: Dovecot, start: int) -> tuple[int, int]:
    """Bytes Dovecot sent in the sessions that ended since log offset ``start``; new offset."""
    time.sleep(0.3)  # the log line is written as the session ends
    log = (server.root / "dovecot.log").read_bytes()
    text = log[start:].decode("utf-8", "replace")
    return sum(int(m["out"]) for m in _OUT.finditer(text)), len(log)


def with_imaplib(server: Dovecot, user: str) -> tuple[int, int]:
    """Every message whole, as a plain client would fetch it: (messages, payload bytes)."""
    conn = imaplib.IMAP4(server.host, server.port)
    conn.login(user, PASSWORD)
    conn.select("INBOX", readonly=True)
    _, data = conn.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    count = size = 0
    for start in range(0, len(uids), 200):
        _, got = conn.uid("FETCH", b",".join(uids[start : start + 200]).decode(), "(BODY.PEEK[])")
        for item in got:
            if isinstance(item, tuple):
                count += 1
                size += len(item[1])
    conn.logout()
    return count, size


def one_inbox(args: argparse.Namespace, server: Dovecot, workdir: Path) -> None:
    rng = random.Random(14)
    user = "bench"
    server.add_user(user, PASSWORD)
    url = f"sqlite:///{workdir / 'bench.db'}"
    tracker = tracker_on(url)
    sends = setup_inbox(tracker, "sales", max(1, args.messages // 5))
    src = source(server, user, "sales")
    tracker.store.set_cursor(tracker.tenant, src.key, src.baseline())
    messages, replies = inbox_mix(rng, sends, args.messages)
    total = sum(map(len, messages))
    started = time.perf_counter()
    deliver(server, user, messages)
    print(
        f"{len(messages)} messages ({total / 1e6:.1f} MB, {replies} replies) delivered in {time.perf_counter() - started:.1f} s"
    )
    _, offset = sent_bytes(server, 0)
    rows = []
    started = time.perf_counter()
    count, _ = with_imaplib(server, user)
    seconds = time.perf_counter() - started
    out, offset = sent_bytes(server, offset)
    rows.append(("imaplib BODY.PEEK[] (baseline)", count, seconds, out))
    started = time.perf_counter()
    cursor = tracker.store.get_cursor(tracker.tenant, src.key)
    count = sum(1 for _ in source(server, user, "sales").fetch(cursor))
    seconds = time.perf_counter() - started
    out, offset = sent_bytes(server, offset)
    rows.append(("ImapSource.fetch (headers, then bodies)", count, seconds, out))
    started = time.perf_counter()
    summary = tracker.sync("sales", source(server, user, "sales"))
    seconds = time.perf_counter() - started
    out, offset = sent_bytes(server, offset)
    rows.append(("Tracker.sync via ImapSource, SQLite", summary.total, seconds, out))
    assert summary.total == len(messages), summary.counts
    assert tracker.report("spring-sales").replies == replies, (
        tracker.report("spring-sales"),
        replies,
    )
    base = rows[0][1] / rows[0][2]
    print(f"{'':44} {'messages':>9} {'seconds':>8} {'msg/s':>8} {'vs base':>8} {'MB sent':>8}")
    for name, count, seconds, out in rows:
        rate = count / seconds
        print(
            f"{name:44} {count:9d} {seconds:8.2f} {rate:8.0f} {rate / base:7.2f}x {out / 1e6:8.1f}"
        )


def _worker(url: str, server: Dovecot, ids: list[str], barrier: object, out: object) -> None:
    tracker = tracker_on(url)
    barrier.wait()  # type: ignore[attr-defined]
    started = time.perf_counter()
    summary = tracker.sync_all(
        lambda inbox: source(server, inbox.id, inbox.id), inbox_ids=ids, pool=8
    )
    out.put(
        (
            len(summary.synced),
            len(summary.skipped),
            len(summary.failed),
            time.perf_counter() - started,
        )
    )  # type: ignore[attr-defined]


def many_inboxes(args: argparse.Namespace, server: Dovecot, workdir: Path, url: str) -> None:
    tracker = tracker_on(url)
    rng = random.Random(14)
    ids = [f"in{n:04d}-{rng.randrange(10**6)}" for n in range(args.inboxes)]
    replies = 0
    for inbox_id in ids:
        server.add_user(inbox_id, PASSWORD)
        sends = setup_inbox(tracker, inbox_id, 5)
        src = source(server, inbox_id, inbox_id)
        tracker.store.set_cursor(tracker.tenant, src.key, src.baseline())
        messages, got = inbox_mix(rng, sends, args.per_inbox)
        replies += got
        deliver(server, inbox_id, messages)
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(args.workers), context.Queue()
    workers = [
        context.Process(target=_worker, args=(url, server, ids, barrier, out))
        for _ in range(args.workers)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    done = [out.get() for _ in workers]
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - started
    counted = sum(tracker.report(f"spring-{i}").replies for i in ids)
    print(
        f"{url.split(':')[0]}: {len(ids)} inboxes x {args.per_inbox} messages, {args.workers} workers: {wall:.1f} s"
    )
    for n, (synced, skipped, failed, seconds) in enumerate(done):
        print(
            f"  worker {n}: synced {synced}, skipped {skipped} (leased by the other), failed {failed}, {seconds:.1f} s"
        )
    print(f"  replies counted {counted} of {replies} delivered")
    assert counted == replies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument(
        "--inboxes", type=int, default=0, help="run sync_all over this many inboxes instead"
    )
    parser.add_argument("--per-inbox", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--postgres",
        default="",
        help="also run --inboxes on this PostgreSQL URL (an empty database)",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-imap-"))
    workdir.chmod(0o755)  # Dovecot's processes read their users' files under it
    with running_dovecot(workdir / "dovecot") as server:
        if args.inboxes:
            many_inboxes(args, server, workdir, f"sqlite:///{workdir / 'many.db'}")
            if args.postgres:
                many_inboxes(args, server, workdir, args.postgres)
        else:
            one_inbox(args, server, workdir)


if __name__ == "__main__":
    main()
