"""Segment queries on SQLite and PostgreSQL, each next to ``SELECT count(*)`` over the contacts.

    python bench/bench_segments.py [--scale 1.0] [--no-postgres] [--keep DIR]

At ``--scale 1``: 1,000,000 contacts, 5,000,000 sends (25 emails of 200,000 sends),
300,000 replies (95% human), loaded through the store's own methods (so the
aggregates are the store's). Ten typical segments are timed (``count()``, then
``contact_ids()``, best of ``--repeat``) next to a plain ``SELECT count(*) FROM
contacts`` in the same run, and their query plans printed. Targets: each segment
under 2 s on SQLite and under 1 s on PostgreSQL. Then the re-evaluation of one
contact across 100 saved segments after a reply (target under 5 ms).

``--keep DIR`` keeps the SQLite file and the PostgreSQL database between runs and
reuses them when they hold the same scale (loading is most of the time).
PostgreSQL uses ``REPLYTRACK_POSTGRES_URL`` (default
postgresql://postgres@127.0.0.1:5432/test) and a database ``replytrack_bench_segments``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from replytrack import (
    Contact,
    MarketingEmail,
    MatchStrategy,
    MessageKind,
    Reply,
    Send,
    Tracker,
)
from replytrack.segments import Schema, parse
from replytrack.segments._sql import compile_segment
from replytrack.stores.sqlite import SQLiteStore

TENANT = "acme"
EMAILS = [f"e{n:02d}" for n in range(1, 26)]
FIRST_SEND = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
NOW = FIRST_SEND + timedelta(days=7 * len(EMAILS) + 10)  # ten days after the last email
OWNERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
STAGES = ["subscriber", "lead", "mql", "sql", "opportunity", "customer"]
SCHEMA = Schema({"lifecycle_stage": "text", "score": "number", "vip": "boolean", "country": "text"})
PG_ADMIN = os.environ.get("REPLYTRACK_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_DB = "replytrack_bench_segments"

SEGMENTS = [
    'replied to "e25"',
    'sent "e24" and not replied to "e24"',
    'replied to "e25" within last 14 days',
    "replied to at least 2 emails within last 90 days",
    'last_reply_at within last 30 days and owner = "alice"',
    "last_reply_at more than 90 days ago",
    'owner = "alice" and lifecycle_stage in ["lead", "mql"]',
    'email_domain = "acme.com" or email ends with "@acme.co.uk"',
    '(replied to "e10" or replied to "e11") and not (lifecycle_stage = "customer" or owner is unknown)',
    "reply_count >= 3 or (score > 90 and vip = true)",
]


def email_sent_at(index: int) -> datetime:
    return FIRST_SEND + timedelta(days=7 * index)


# -- data ------------------------------------------------------------------------------------
def contacts(count: int, rng: random.Random) -> Iterator[Contact]:
    domains = [f"company{n}.com" for n in range(2000)]
    for n in range(count):
        roll = rng.random()
        domain = (
            "acme.com" if roll < 0.01 else "acme.co.uk" if roll < 0.015 else rng.choice(domains)
        )
        yield Contact(
            id=f"c{n:07d}",
            emails=(f"user{n}@{domain}",),
            owner_id=None if rng.random() < 0.1 else rng.choice(OWNERS),
            properties={
                "lifecycle_stage": rng.choice(STAGES),
                "score": rng.randrange(101),
                "vip": rng.random() < 0.05,
                "country": rng.choice(["PL", "DE", "FR", "US", "GB"]),
            },
        )


def sends(contact_count: int, per_email: int, rng: random.Random) -> Iterator[list[Send]]:
    """Each email to ``per_email`` random contacts, in batches."""
    for index, email in enumerate(EMAILS):
        chosen = rng.sample(range(contact_count), per_email)
        at = email_sent_at(index)
        batch: list[Send] = []
        for n, contact in enumerate(chosen):
            send_id = f"{email}-{n:07d}"
            batch.append(
                Send(
                    id=send_id,
                    email_id=email,
                    contact_id=f"c{contact:07d}",
                    address=f"user{contact}@example.org",
                    message_id=f"<{send_id}@mail.example.com>",
                    sent_at=at + timedelta(seconds=n % 3600),
                    reply_to="sales@example.com",
                    inbox_id="sales",
                )
            )
            if len(batch) == 20_000:
                yield batch
                batch = []
        if batch:
            yield batch


def replies(count: int, per_email: int, rng: random.Random) -> Iterator[list[Reply]]:
    """``count`` inbound records to random sends, received 1 hour to 10 days after."""
    picked = rng.sample(range(len(EMAILS) * per_email), count)
    batch: list[Reply] = []
    for n, flat in enumerate(picked):
        index, number = divmod(flat, per_email)
        email = EMAILS[index]
        at = email_sent_at(index) + timedelta(seconds=rng.randrange(3600, 10 * 86400))
        batch.append(
            Reply(
                send_id=f"{email}-{number:07d}",
                inbound_id=f"<in{n}@example.org>",
                email_id=email,
                contact_id="",  # filled below: the send's contact
                inbox_id="sales",
                received_at=at,
                kind=MessageKind.HUMAN if rng.random() < 0.95 else MessageKind.AUTO_REPLY,
                strategy=MatchStrategy.TOKEN,
            )
        )
        if len(batch) == 10_000:
            yield batch
            batch = []
    if batch:
        yield batch


def load(store: Any, scale: float, say: Callable[[str], None]) -> None:
    rng = random.Random(15)
    contact_count = int(1_000_000 * scale)
    per_email = int(200_000 * scale)
    started = time.perf_counter()
    chunk: list[Contact] = []
    for contact in contacts(contact_count, rng):
        chunk.append(contact)
        if len(chunk) == 20_000:
            store.save_contacts(TENANT, chunk)
            chunk = []
    if chunk:
        store.save_contacts(TENANT, chunk)
    for email in EMAILS:
        store.save_email(TENANT, MarketingEmail(id=email, subject=email, from_address="s@x.com"))
    say(f"  {contact_count:,} contacts in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    send_contact: dict[str, str] = {}
    total = 0
    for batch in sends(contact_count, per_email, rng):
        store.add_sends(TENANT, batch)
        total += len(batch)
        send_contact.update((s.id, s.contact_id) for s in batch)
    say(f"  {total:,} sends in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    total = 0
    for reply_batch in replies(int(300_000 * scale), per_email, rng):
        filled = [attrs.evolve(r, contact_id=send_contact[r.send_id]) for r in reply_batch]
        store.add_replies(TENANT, filled)
        total += len(filled)
    say(f"  {total:,} replies in {time.perf_counter() - started:.0f} s")


# -- timing ----------------------------------------------------------------------------------
def best(repeat: int, work: Callable[[], Any]) -> tuple[float, float, Any]:
    """The best wall time of ``repeat`` runs, that run's CPU time in this process, the result.
    On a busy machine the CPU time is the steadier figure for SQLite (it runs in-process)."""
    runs = []
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    wall, cpu = min(runs)
    return wall, cpu, result


def run_segments(
    name: str,
    store: Any,
    explain: Callable[[str, Sequence[Any]], str],
    args: argparse.Namespace,
    target: float,
) -> None:
    def plain_count() -> int:
        rows = store._transact(lambda tx: tx.query("SELECT count(*) FROM contacts"), write=False)
        return int(rows[0][0])

    plain, plain_cpu, total = best(args.repeat, plain_count)
    print(
        f"\n{name}: SELECT count(*) FROM contacts = {total:,} in {plain * 1000:.0f} ms"
        f" (cpu {plain_cpu * 1000:.0f} ms), the baseline"
    )
    print(
        f"{'segment':<98} {'members':>8} {'count() wall/cpu':>17} {'ids() wall/cpu':>15} {'x base':>6}"
    )
    worst = 0.0
    for text in SEGMENTS:
        segment = parse(text, properties=SCHEMA)
        counted, counted_cpu, members = best(
            args.repeat, lambda segment=segment: store.segment_count(TENANT, segment, NOW)
        )
        listed, listed_cpu, ids = best(
            args.repeat, lambda segment=segment: store.segment_contact_ids(TENANT, segment, NOW)
        )
        assert len(ids) == members
        worst = max(worst, counted, listed)
        print(
            f"{text:<98} {members:>8,} {counted * 1000:>7.0f}/{counted_cpu * 1000:<5.0f}ms"
            f" {listed * 1000:>6.0f}/{listed_cpu * 1000:<5.0f}ms {counted / plain:>6.1f}"
        )
        if args.plans:
            sql, params = compile_segment(segment, NOW, TENANT, store._dialect).select("COUNT(*)")
            print("    " + explain(sql, params).replace("\n", "\n    "))
    verdict = "met" if worst < target else "MISSED"
    print(
        f"{name}: slowest segment {worst * 1000:.0f} ms (wall); target < {target * 1000:.0f} ms {verdict}"
    )


def backend_cpu(store: Any, args: argparse.Namespace) -> None:
    """The server's CPU time per segment count, in one backend (no parallel workers), read
    from /proc: what a query costs when it has a core to itself (the server is local)."""
    pid = store._conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        print("PostgreSQL: the server is not local; no backend CPU times")
        return
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime

    store._conn.execute("SET max_parallel_workers_per_gather = 0")
    print(
        f"\nPostgreSQL: server CPU per count(), one backend, no parallel workers (best of {args.repeat})"
    )
    worst = 0.0
    for text in ["SELECT count(*) FROM contacts", *SEGMENTS]:
        runs = []
        for _ in range(args.repeat):
            before = cpu()
            if text.startswith("SELECT"):
                store._conn.execute(text).fetchall()
            else:
                store.segment_count(TENANT, parse(text, properties=SCHEMA), NOW)
            runs.append(cpu() - before)
        if not text.startswith("SELECT"):
            worst = max(worst, min(runs))
        print(f"  {min(runs) * 1000:>6.0f} ms  {text}")
    store._conn.execute("RESET max_parallel_workers_per_gather")
    print(f"PostgreSQL: slowest segment {worst * 1000:.0f} ms of server CPU (10 ms ticks)")


def run_active_lists(name: str, store: Any, args: argparse.Namespace) -> None:
    """100 saved segments (the ten above, each for ten owners or emails); then a reply to
    a random send, and the re-evaluation of its contact across the saved segments."""
    tracker = Tracker(
        store, secret=b"k" * 32, domain="mail.example.com", tenant=TENANT, clock=lambda: NOW
    )
    lists = tracker.active_lists()
    texts = [
        text.replace('"alice"', f'"{owner}"')
        .replace('"e25"', f'"e{15 + n:02d}"')
        .replace('"e24"', f'"e{14 + n:02d}"')
        .replace('"e10"', f'"e{n + 1:02d}"')
        for text in SEGMENTS
        for n, owner in enumerate(OWNERS)
    ]
    started = time.perf_counter()
    for number, text in enumerate(texts):
        lists.save(f"list{number:03d}", text, properties=SCHEMA)
    print(f"\n{name}: {len(texts)} saved segments filled in {time.perf_counter() - started:.0f} s")
    rng = random.Random(7)
    per_email = int(200_000 * args.scale)
    times = []
    for n in range(args.contacts):
        index = rng.randrange(len(EMAILS))
        send_id = f"{EMAILS[index]}-{rng.randrange(per_email):07d}"
        send = store.get_sends(TENANT, [send_id])[send_id]
        reply = Reply(
            send_id=send.id,
            inbound_id=f"<bench-active-{n}@x>",
            email_id=send.email_id,
            contact_id=send.contact_id,
            inbox_id="sales",
            received_at=NOW - timedelta(hours=1),
        )
        store.add_replies(TENANT, [reply])
        started = time.perf_counter()
        lists.changed([send.contact_id], ("replies",))
        times.append(time.perf_counter() - started)
    times.sort()
    median, p95 = times[len(times) // 2], times[int(len(times) * 0.95)]
    verdict = "met" if median < 0.005 else "MISSED"
    print(
        f"{name}: one contact across {len(texts)} saved segments after a reply:"
        f" median {median * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms ({len(times)} replies);"
        f" target < 5 ms {verdict}"
    )


def sqlite_explain(store: SQLiteStore) -> Callable[[str, Sequence[Any]], str]:
    def explain(sql: str, params: Sequence[Any]) -> str:
        rows = store._conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return "\n".join(f"{'  ' * _depth(rows, row)}{row[3]}" for row in rows)

    return explain


def _depth(rows: list[tuple[Any, ...]], row: tuple[Any, ...]) -> int:
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent:
        depth, parent = depth + 1, parents.get(parent, 0)
    return depth


def bench_sqlite(args: argparse.Namespace, workdir: Path) -> None:
    path = workdir / f"segments-{args.scale}.db"
    fresh = not path.exists()
    store = SQLiteStore(path)
    if fresh:
        print(f"\nSQLite: loading {path}")
        load(store, args.scale, print)
        store._conn.execute("ANALYZE")
    run_segments("SQLite", store, sqlite_explain(store), args, 2.0)
    if args.active:
        run_active_lists("SQLite", store, args)
    store.close()
    if not args.keep:
        path.unlink()


def bench_postgres(args: argparse.Namespace) -> None:
    import psycopg

    from replytrack.stores.postgres import PostgresStore

    name = f"{PG_DB}_{str(args.scale).replace('.', '_')}"
    dsn = urlsplit(PG_ADMIN)._replace(path=f"/{name}").geturl()
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    store = PostgresStore(dsn)
    if not exists:
        print(f"\nPostgreSQL: loading {name}")
        load(store, args.scale, print)
        store._conn.execute("VACUUM ANALYZE")

    def explain(sql: str, params: Sequence[Any]) -> str:
        with store._conn.cursor() as cur:
            cur.execute("EXPLAIN " + sql.replace("?", "%s"), params)
            return "\n".join(row[0] for row in cur.fetchall())

    run_segments("PostgreSQL", store, explain, args, 1.0)
    backend_cpu(store, args)
    if args.active:
        run_active_lists("PostgreSQL", store, args)
    store.close()
    if not args.keep:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-plans", dest="plans", action="store_false")
    parser.add_argument("--no-active", dest="active", action="store_false")
    parser.add_argument("--contacts", type=int, default=200, help="replies for the active lists")
    parser.add_argument("--keep", type=Path, help="keep the databases in DIR (and reuse them)")
    args = parser.parse_args(argv)
    print(
        f"scale {args.scale}: {int(1e6 * args.scale):,} contacts, {int(5e6 * args.scale):,} sends, {int(3e5 * args.scale):,} replies; now = {NOW:%Y-%m-%d}"
    )
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="replytrack-segments-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if not args.no_sqlite:
        bench_sqlite(args, workdir)
    if not args.no_postgres:
        bench_postgres(args)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
