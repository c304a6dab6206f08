"""SQL store figures, each next to a baseline measured in the same run on the same data.

    python bench/bench_stores.py [--sends 1000000] [--messages 100000] [--no-postgres]

1. ``Tracker.record_sends`` of N sends (chunks of ``--chunk`` contacts, each one
   transaction) vs a bare ``executemany`` of the same send rows (and their
   Message-ID rows) into identical tables of the same database. Target >= 0.5x.
2. ``Tracker.ingest_many`` of M inbound messages against those N sends vs the
   header-block baseline on the same bytes (split at the first empty line,
   ``BytesHeaderParser(policy=compat32)`` on the header block, one process). Targets:
   >= 1.0x on SQLite, >= 0.7x on PostgreSQL. Measured in one process, then with
   ``--workers`` processes (default 2) on M other messages.
3. The query plans of the Message-ID lookup and the report queries (no full scans).
4. Peak RSS of a child process that streams M messages from an mbox through
   ``Tracker.sync`` (``resource.getrusage``). Target < 300 MB.

PostgreSQL uses ``REPLYTRACK_POSTGRES_URL`` (default postgresql://postgres@127.0.0.1:5432/test)
and a scratch database ``replytrack_bench`` it creates and drops. ``--profile``
prints where ingest time goes (cProfile, grouped by module).
"""

from __future__ import annotations

import argparse
import cProfile
import email.parser
import email.policy
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from inboxgen import inbox_messages
from mailgen import realistic_reply

from replytrack import Contact, Inbox, MarketingEmail, MessageKind, ReplyTo, Tracker
from replytrack.message import RawMessage
from replytrack.sources import MboxSource
from replytrack.stores import _rows
from replytrack.stores._schema import MIGRATIONS
from replytrack.stores._sql import SQLStore
from replytrack.stores.sqlite import SQLiteStore

SECRET = b"bench-secret-0123456789abcdef-0123456789"
TENANT = "acme"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RECEIVED = T0 + timedelta(days=1)
PG_ADMIN = os.environ.get("REPLYTRACK_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_DB = "replytrack_bench"
EMAIL = MarketingEmail(
    id="spring",
    subject="Spring sale",
    from_address="sales@example.com",
    reply_to=ReplyTo.inbox("sales@example.com"),
)


def tracker(store: Any) -> Tracker:
    return Tracker(
        store, secret=SECRET, domain="mail.example.com", tenant=TENANT, clock=lambda: RECEIVED
    )


# -- 1. record_sends vs bare executemany ------------------------------------------------
def baseline_tables(execute: Callable[[str], object], *, sqlite: bool) -> None:
    """Copies of the sends and message_ids tables (same columns, keys and indexes)."""
    for sql in MIGRATIONS[0]:
        head = sql.split("(")[0].strip()
        if head in ("CREATE TABLE sends", "CREATE TABLE message_ids") or " ON sends " in sql:
            execute(
                sql.replace("TABLE sends", "TABLE bare_sends")
                .replace("ON sends", "ON bare_sends")
                .replace("sends_by_address", "bare_sends_by_address")
                .replace("TABLE message_ids", "TABLE bare_message_ids")
                .format(without_rowid="WITHOUT ROWID" if sqlite else "")
            )
    # the idempotency key of schema version 6, unique per email as in the store
    execute("ALTER TABLE bare_sends ADD COLUMN idempotency_key TEXT")
    execute(
        "CREATE UNIQUE INDEX bare_sends_by_key ON bare_sends (tenant, email_id, idempotency_key)"
    )


class _Timed:
    """A store proxy adding up the time spent inside store methods."""

    def __init__(self, store: Any) -> None:
        self._store, self.spent = store, 0.0
        self.by_method: dict[str, float] = {}

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                took = time.perf_counter() - began
                self.spent += took
                self.by_method[name] = self.by_method.get(name, 0.0) + took

        return timed


def record(
    store: Any,
    bare: Callable[[list[tuple[Any, ...]], list[tuple[Any, ...]]], None],
    total: int,
    chunk: int,
    sample_every: int,
) -> tuple[float, float, list[tuple[str, str]]]:
    """(tracker seconds, bare seconds, sampled (message_id, address) pairs); prints the
    share of the tracker's time spent inside the store."""
    timed = _Timed(store)
    engine = tracker(timed)
    engine.connect_inbox(Inbox(id="sales", address="sales@example.com"), connected_at=T0)
    spent = bare_spent = 0.0
    sample: list[tuple[str, str]] = []
    for start in range(0, total, chunk):
        contacts = [
            Contact(id=f"c{n}", emails=(f"c{n}@example.org",))
            for n in range(start, min(start + chunk, total))
        ]
        began = time.perf_counter()
        sends = engine.record_sends(EMAIL, contacts, sent_at=T0)
        spent += time.perf_counter() - began
        rows = [_rows.send_row(TENANT, s) for s in sends]
        ids = [_rows.message_id_row(TENANT, s) for s in sends]
        began = time.perf_counter()
        bare(rows, ids)
        bare_spent += time.perf_counter() - began
        sample.extend((s.message_id, s.address) for s in sends[::sample_every])
    print(
        f"  record_sends time inside the store: {timed.spent:.1f} s of {spent:.1f} s"
        f" ({timed.spent / spent:.0%}): "
        + ", ".join(
            f"{k} {v:.1f} s" for k, v in sorted(timed.by_method.items(), key=lambda kv: -kv[1])
        )
        + f"; the store alone would allow {total / timed.spent:,.0f} rows/s"
    )
    return spent, bare_spent, sample


def sqlite_bare(path: Path) -> tuple[Callable[..., None], Callable[[], None]]:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")

    baseline_tables(conn.execute, sqlite=True)

    def insert(rows: list[tuple[Any, ...]], ids: list[tuple[Any, ...]]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO bare_sends VALUES ({', '.join('?' * 14)})", rows)
        conn.executemany("INSERT INTO bare_message_ids VALUES (?, ?, ?)", ids)
        conn.execute("COMMIT")

    return insert, conn.close


def postgres_bare(dsn: str) -> tuple[Callable[..., None], Callable[[], None]]:
    import psycopg

    conn = psycopg.connect(dsn, autocommit=True)
    baseline_tables(lambda sql: conn.execute(sql), sqlite=False)  # type: ignore[arg-type]

    def insert(rows: list[tuple[Any, ...]], ids: list[tuple[Any, ...]]) -> None:
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(f"INSERT INTO bare_sends VALUES ({', '.join(['%s'] * 14)})", rows)
            cur.executemany("INSERT INTO bare_message_ids VALUES (%s, %s, %s)", ids)

    return insert, conn.close


# -- 2. ingest vs the header-block baseline ---------------------------------------------
def settle(store: Any) -> None:
    """What a database does on its own between a campaign going out and its replies coming
    in: PostgreSQL's autovacuum sets the hint bits of the new rows and refreshes the
    planner's statistics; SQLite's ANALYZE does the latter."""
    if hasattr(store, "dsn"):
        store._conn.execute("VACUUM ANALYZE")
    else:
        store._conn.execute("ANALYZE")


def messages(sample: Sequence[tuple[str, str]], count: int, seed: int) -> Iterator[bytes]:
    """Realistic inbound mail (``mailgen.realistic_reply``: Gmail, Outlook and Apple Mail
    header sets, multipart bodies, 10% with an attachment) answering sampled sends:
    85% replies, 10% auto-replies, 5% without threading headers."""
    rng = random.Random(seed)
    for n in range(count):
        msg_id, address = sample[n % len(sample)]
        roll = rng.random()
        threading = f"In-Reply-To: {msg_id}\r\nReferences: {msg_id}\r\n" if roll < 0.95 else ""
        subject = "Re: Spring sale"
        if roll < 0.10:
            threading += "Auto-Submitted: auto-replied\r\n"
            subject = "Automatic reply: Spring sale"
        yield realistic_reply(
            rng, number=seed * 10_000_000 + n, sender=address, subject=subject, threading=threading
        )


def mixed(
    mix: str, sample: Sequence[tuple[str, str]], count: int, seed: int
) -> tuple[list[bytes], dict[str, int] | None]:
    """The messages of a mix, and the outcome counts they must give (None: not checked)."""
    if mix == "replies":
        return list(messages(sample, count, seed)), None
    raws, expected = [], {}
    for raw, outcome in inbox_messages(sample, count, seed):
        raws.append(raw)
        expected[outcome] = expected.get(outcome, 0) + 1
    return raws, expected


class BodyReads:
    """Counts the body bytes of the messages whose body ingest read, by wrapping
    RawMessage's body accessors for the time of a run (nothing is wrapped otherwise).
    A message counts whole once any part of its body is read: an upper bound."""

    def __init__(self) -> None:
        self.read: dict[int, int] = {}
        self.saved: dict[str, Any] = {}

    def __enter__(self) -> BodyReads:
        for name in ("body_text", "body_head"):
            real = getattr(RawMessage, name)
            self.saved[name] = real

            def counted(msg: RawMessage, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
                self.read[id(msg)] = len(msg.raw) - msg.body_offset
                return _real(msg, *args, **kwargs)

            setattr(RawMessage, name, counted)
        return self

    def __exit__(self, *exc: object) -> None:
        for name, real in self.saved.items():
            setattr(RawMessage, name, real)


def checked(counts: dict[str, int], expected: dict[str, int] | None) -> str:
    if expected is None or counts == expected:
        return "" if expected is None else " (as generated)"
    sys.exit(f"outcomes {counts} differ from the generated ground truth {expected}")


def header_baseline(raws: Sequence[bytes]) -> float:
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    began = time.perf_counter()
    for raw in raws:
        end = raw.find(b"\r\n\r\n")
        if end < 0:
            end = raw.find(b"\n\n")
        parser.parsebytes(raw[: end if end >= 0 else len(raw)])
    return time.perf_counter() - began


def ingest(
    store: Any, raws: Sequence[bytes], workers: int = 1
) -> tuple[float, _Timed, dict[str, int]]:
    """(seconds, the store's time by method (this process only), outcome counts)."""
    timed = _Timed(store)
    engine = tracker(timed if workers == 1 else store)
    began = time.perf_counter()
    results = engine.ingest_many("sales", [(raw, RECEIVED) for raw in raws], workers=workers)
    spent = time.perf_counter() - began
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
    return spent, timed, counts


def profile(store: Any, raws: Sequence[bytes]) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    tracker(store).ingest_many("sales", [(raw, RECEIVED) for raw in raws])
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_module: dict[str, float] = {}
    for (file, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        key = file.split("/src/")[-1] if "/src/" in file else Path(file).name
        by_module[key] = by_module.get(key, 0.0) + tottime
    total = sum(by_module.values())
    print(f"  profile of {len(raws):,} messages ({total:.2f} s own time), top modules:")
    for key, spent in sorted(by_module.items(), key=lambda kv: -kv[1])[:14]:
        print(f"    {spent / total:6.1%}  {spent:6.2f} s  {key}")
    stats.sort_stats("cumulative").print_stats(r"replytrack", 18)


# -- 3. query plans ---------------------------------------------------------------------
class _Recorder:
    def __init__(self, tx: Any, seen: list[tuple[str, Sequence[Any]]]) -> None:
        self._tx, self._seen, self.for_update = tx, seen, tx.for_update

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._seen.append((sql, params))
        rows: list[tuple[Any, ...]] = self._tx.query(sql, params)
        return rows

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)


def captured(store: SQLStore, call: Callable[[], object]) -> list[tuple[str, Sequence[Any]]]:
    """The SELECT statements (and parameters) a store method runs."""
    seen: list[tuple[str, Sequence[Any]]] = []
    original = store._transact

    def transact(work: Callable[[Any], Any], *, write: bool = True) -> Any:
        return original(lambda tx: work(_Recorder(tx, seen)), write=write)

    store._transact = transact  # type: ignore[method-assign]
    try:
        call()
    finally:
        del store._transact
    return seen


def plans(store: SQLStore, explain: Callable[[str, Sequence[Any]], list[str]], msg: str) -> bool:
    """Print the plan of each lookup and report query; True when none scans a whole table."""
    human = [MessageKind.HUMAN]
    calls: dict[str, Callable[[], object]] = {
        "find_sends_by_message_id": lambda: store.find_sends_by_message_id(TENANT, [msg]),
        "get_sends": lambda: store.get_sends(TENANT, ["x"]),
        "report(email)": lambda: store.report(TENANT, "spring"),
        "report(all emails)": lambda: store.report(TENANT),
        "contact_properties": lambda: store.contact_properties(TENANT, "c1"),
        "list_replies(contact)": lambda: store.list_replies(TENANT, contact_id="c1"),
        "list_replies(email, human)": lambda: store.list_replies(TENANT, email_id="e", kinds=human),
        "find_sends_to": lambda: store.find_sends_to(TENANT, ["c1@example.org"], T0),
    }
    clean = True
    for label, call in calls.items():
        for sql, params in captured(store, call):
            lines = explain(sql, params)
            full = [
                line
                for line in lines
                if ("Seq Scan" in line or line.lstrip("-` ").startswith("SCAN "))
                and "json_each" not in line
            ]
            clean = clean and not full
            print(f"  {label}: {' '.join(sql.split())[:110]}")
            for line in lines:
                print(f"      {line}")
    return clean


# -- 4. peak RSS in a child -------------------------------------------------------------
def write_mbox(path: Path, raws: Iterable[bytes]) -> None:
    with path.open("wb") as handle:
        for raw in raws:
            handle.write(b"From sender@example.org Mon Mar  2 09:00:00 2026\n")
            handle.write(raw.replace(b"\r\n", b"\n").replace(b"\nFrom ", b"\n>From "))
            handle.write(b"\n")


def rss_child() -> None:
    """Wait for 'url mbox' on stdin, sync the mbox into that store, print the figures.

    Linux carries a parent's peak RSS into a forked child (``ru_maxrss`` survives
    fork and exec), so this child is started before the benchmark grows, and
    ``VmHWM`` (this process's own high-water mark) is printed as a cross-check.
    """
    import resource

    from replytrack.stores import open_store

    line = sys.stdin.readline().split()
    if not line:  # the benchmark skipped this store
        return
    url, mbox = line
    store = open_store(url)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    summary = tracker(store).sync("sales", MboxSource(mbox))
    spent = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    store.close()  # type: ignore[attr-defined]
    status = Path("/proc/self/status").read_text().split("\n")
    hwm = next((int(line.split()[1]) for line in status if line.startswith("VmHWM")), 0)
    print(f"{before} {peak} {hwm} {summary.total} {spent}")


def start_rss_child() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, "--rss-child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def measure_rss(child: subprocess.Popen[str], url: str, mbox: Path) -> None:
    out, _ = child.communicate(f"{url} {mbox}\n", timeout=3600)
    before, peak, hwm, total = (int(v) for v in out.split()[:4])
    spent = float(out.split()[4])
    print(
        f"  mbox sync of {total:,} messages: {spent:.1f} s ({total / spent:,.0f} msg/s),"
        f" peak RSS {peak / 1024:.0f} MB by getrusage (VmHWM {hwm / 1024:.0f} MB;"
        f" {before / 1024:.0f} MB after imports and open)"
        f" -> {'OK' if peak / 1024 < 300 else 'OVER'} (target < 300 MB)"
    )


# -- driver -----------------------------------------------------------------------------
def run_store(
    name: str,
    store: Any,
    bare: Callable[..., None],
    explain: Callable[[str, Sequence[Any]], list[str]],
    args: argparse.Namespace,
    target: float,
    url: str,
    workdir: Path,
) -> None:
    print(f"\n== {name}")
    every = max(1, args.sends // max(args.messages, 1))
    spent, bare_spent, sample = record(store, bare, args.sends, args.chunk, every)
    rate, bare_rate = args.sends / spent, args.sends / bare_spent
    print(
        f"record_sends: {args.sends:,} sends in {spent:.1f} s = {rate:,.0f} rows/s;"
        f" bare executemany {bare_spent:.1f} s = {bare_rate:,.0f} rows/s;"
        f" ratio {rate / bare_rate:.2f}x (target >= 0.5x)"
    )
    settle(store)
    raws, expected = mixed(args.mix, sample, args.messages, seed=1)
    base = header_baseline(raws)
    if args.body_bytes:
        with BodyReads() as reads:
            spent, timed, counts = ingest(store, raws)
        share = sum(reads.read.values()) / sum(len(r) for r in raws)
        body = f"; body bytes read {share:.1%} of all bytes (upper bound, timed with counting)"
    else:
        spent, timed, counts = ingest(store, raws)
        body = ""
    in_store = timed.spent
    base_rate, rate = len(raws) / base, len(raws) / spent
    print(
        f"ingest --mix {args.mix}: {len(raws):,} messages in {spent:.1f} s = {rate:,.0f} msg/s;"
        f" header-block baseline {base:.1f} s = {base_rate:,.0f} msg/s;"
        f" ratio {rate / base_rate:.2f}x (target >= {target}x); outcomes {counts}"
        f"{checked(counts, expected)}{body}\n"
        f"  of which inside the store: {in_store:.1f} s ({in_store / spent:.0%});"
        f" the store alone would allow {len(raws) / in_store:,.0f} msg/s"
        f" = {len(raws) / in_store / base_rate:.2f}x the baseline\n  store time by method: "
        + ", ".join(
            f"{k} {v:.2f} s" for k, v in sorted(timed.by_method.items(), key=lambda kv: -kv[1])
        )
    )
    del raws
    if args.workers > 1:
        raws, expected = mixed(args.mix, sample, args.messages, seed=4)
        base = header_baseline(raws)
        spent, _timed, counts = ingest(store, raws, workers=args.workers)
        checked(counts, expected)
        base_rate, rate = len(raws) / base, len(raws) / spent
        print(
            f"ingest with workers={args.workers}: {len(raws):,} other messages in {spent:.1f} s"
            f" = {rate:,.0f} msg/s; header-block baseline {base_rate:,.0f} msg/s (one process);"
            f" ratio {rate / base_rate:.2f}x; outcomes {counts}"
        )
        del raws
    if args.profile:
        profile(store, list(messages(sample, min(args.messages, 20_000), seed=2)))
    print("query plans:")
    clean = plans(store, explain, sample[0][0].strip("<>"))
    print(f"  -> {'no full scans' if clean else 'FULL SCAN FOUND'}")
    if args.no_rss:
        store.close()
        return
    mbox = workdir / f"{name}.mbox"
    write_mbox(mbox, messages(sample, args.messages, seed=3))
    store.close()
    measure_rss(args.rss_children[name], url, mbox)


def bench_sqlite(args: argparse.Namespace, workdir: Path) -> None:
    path = workdir / "bench.db"
    store = SQLiteStore(path)
    bare, close_bare = sqlite_bare(path)

    def explain(sql: str, params: Sequence[Any]) -> list[str]:
        rows = store._conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return [str(row[-1]) for row in rows]

    try:
        run_store("sqlite", store, bare, explain, args, 1.0, f"sqlite:///{path}", workdir)
    finally:
        close_bare()


def bench_postgres(args: argparse.Namespace, workdir: Path) -> None:
    import psycopg

    from replytrack.stores.postgres import PostgresStore, _pg

    dsn = urlsplit(PG_ADMIN)._replace(path=f"/{PG_DB}").geturl()
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_DB}")
    try:
        store = PostgresStore(dsn)
        bare, close_bare = postgres_bare(dsn)

        def explain(sql: str, params: Sequence[Any]) -> list[str]:
            """The plan; tiny tables (counters) are planned again with seq scans disabled,
            so a table without a usable index still shows a Seq Scan."""
            rows = store._conn.execute("EXPLAIN " + _pg(sql), params).fetchall()
            lines = [str(row[0]) for row in rows]
            if any("Seq Scan" in line for line in lines):
                with store._conn.transaction():
                    store._conn.execute("SET LOCAL enable_seqscan = off")
                    rows = store._conn.execute("EXPLAIN " + _pg(sql), params).fetchall()
                lines = [f"(natural) {line}" for line in lines]
                lines += [f"(enable_seqscan=off) {row[0]}" for row in rows]
                lines = [line for line in lines if not line.startswith("(natural)")] + [
                    line.replace("Seq Scan", "seq scan")
                    for line in lines
                    if line.startswith("(natural)")
                ]
            return lines

        try:
            run_store("postgres", store, bare, explain, args, 0.7, dsn, workdir)
        finally:
            close_bare()
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sends", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=10_000, help="contacts per record_sends")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the ingest")
    parser.add_argument(
        "--workers", type=int, default=2, help="also ingest with this many processes (1: skip)"
    )
    parser.add_argument(
        "--mix",
        choices=("replies", "inbox"),
        default="replies",
        help="replies: every message answers a send; inbox: 15%% do, 85%% are other mail",
    )
    parser.add_argument(
        "--body-bytes", action="store_true", help="also print the body bytes ingest read"
    )
    parser.add_argument("--no-rss", action="store_true", help="skip the peak RSS child")
    parser.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child:
        rss_child()
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    args.rss_children = {name: start_rss_child() for name in ("sqlite", "postgres")}
    with tempfile.TemporaryDirectory(prefix="replytrack-bench-") as tmp:
        if not args.no_sqlite:
            bench_sqlite(args, Path(tmp))
        if not args.no_postgres:
            bench_postgres(args, Path(tmp))
    for child in args.rss_children.values():
        if child.returncode is None:
            child.communicate("", timeout=60)


if __name__ == "__main__":
    main()
