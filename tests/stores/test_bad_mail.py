"""Bad mail on the SQL stores: text no database holds is stored cleaned, the same on every
store; crashes in worker processes are quarantined there; version-1 databases gain the
quarantine table on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import attrs
import pytest
from store_helpers import RECEIVED, T0, TENANT, make_tracker, seed

from crashes import CRASHES, MARK, inject_crashes
from replytrack import (
    Contact,
    Inbox,
    MarketingEmail,
    MemorySource,
    MemoryStore,
    Outcome,
    Reply,
    ReplyTo,
    Store,
)
from replytrack.stores import open_store
from replytrack.stores._schema import MIGRATIONS, SCHEMA_VERSION, VERSION_TABLE
from replytrack.stores.sqlite import SQLiteStore
from replytrack.testing import make_message, make_reply

SPRING = MarketingEmail(
    id="spring",
    subject="Spring sale",
    from_address="sales@example.com",
    reply_to=ReplyTo.inbox("sales@example.com"),
)


def _ingest_unstorable_text(store: Store) -> tuple[list[Outcome], list[Reply]]:
    """Mail whose text no database holds, through the whole engine; outcomes, stored replies."""
    tracker = make_tracker(store)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), connected_at=T0)
    [send] = tracker.record_sends(SPRING, [Contact(id="c1", emails=("bob@example.org",))], T0)
    nul = make_reply(send, message_id="<a\x00b@example.org>", body="yes\x00 please\n")
    nul = nul.replace(b"Subject: Re: Spring sale", b"Subject: Re: Spring\x00 sale")
    surrogate = make_reply(send, message_id="<s@example.org>")
    surrogate = surrogate.replace(b"Subject: Re: Spring sale", b"Subject: =?utf-7?q?+2D0-?= hi")
    long_id = make_reply(send, message_id="<" + "x" * 3000 + "@example.org>")
    strangers = [  # not ours: their ids and sender are only looked up
        make_message(
            from_address="stranger@example.net",
            references="<a\x00b@x> <c\x00d@y>",
            in_reply_to="<e\x00@z>",
        ),
        make_message(from_address="eve\x00@example.org", subject="Re: Spring sale"),
        make_message(from_address="=?utf-7?q?+2D0-?= <eve@example.org>"),
    ]
    mail = [nul, surrogate, long_id, nul, *strangers]
    results = tracker.ingest_many("sales", [(m, RECEIVED) for m in mail])
    stored = [attrs.evolve(r, send_id="") for r in store.list_replies(TENANT)]  # ids are random
    return [r.outcome for r in results], stored


def test_text_no_database_holds_is_stored_cleaned_alike_on_every_store(store_url: str) -> None:
    expected = _ingest_unstorable_text(MemoryStore())
    assert expected[0] == [Outcome.REPLY] * 3 + [Outcome.DUPLICATE] + [Outcome.NOT_A_REPLY] * 3
    subjects = {r.subject for r in expected[1]}
    assert {"Re: Spring\ufffd sale", "\ufffd hi"} <= subjects
    store = open_store(store_url)
    try:
        assert _ingest_unstorable_text(store) == expected
    finally:
        store.close()


def test_a_sync_with_workers_quarantines_crashes_and_moves_past_them(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    inject_crashes(monkeypatch)  # before the workers fork: they inherit it
    messages = seed(store_url, 30)
    names = list(CRASHES)
    bad = {4 * n + 2: name for n, name in enumerate(names)}  # spread over the batches
    mail = list(messages)
    for n, (position, name) in enumerate(sorted(bad.items())):
        copy = messages[n].replace(  # a second reply of contact n, that crashes
            b"Message-ID: <r%d@example.org>" % n,
            f"Message-ID: <crash-{name}@x>\r\n{MARK}: {name}".encode(),
        )
        mail.insert(position, copy)
    source = MemorySource(key="sales-mbox", messages=[(m, RECEIVED) for m in mail])
    store = open_store(store_url)
    tracker = make_tracker(store)
    try:
        summary = tracker.sync("sales", source, batch_size=5, workers=2)
        assert summary.counts == {Outcome.REPLY: 30, Outcome.MALFORMED: len(names)}
        assert summary.quarantined == tuple(str(p + 1) for p in sorted(bad))
        assert summary.cursor == str(len(mail))
        kept = {q.position: q for q in store.list_quarantined(TENANT)}
        for position, name in bad.items():
            item = kept[str(position + 1)]
            assert item.reason.startswith(f"{CRASHES[name][1].__name__}: injected"), name
            assert (item.raw, item.source_key) == (mail[position], "sales-mbox")
        again = tracker.sync("sales", source, batch_size=5, workers=2)
        assert (again.total, again.cursor) == (0, summary.cursor)
        assert tracker.report().replies == 30
    finally:
        store.close()


def test_a_version_1_database_gains_the_quarantine_and_keeps_its_rows(sqlite_path: Path) -> None:
    conn = sqlite3.connect(sqlite_path)
    conn.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)")
    conn.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (1)")
    for sql in MIGRATIONS[0]:
        conn.execute(sql.format(without_rowid="WITHOUT ROWID"))
    conn.execute("INSERT INTO cursors VALUES (?, ?, ?)", (TENANT, "src", "41"))
    conn.commit()
    conn.close()
    with SQLiteStore(sqlite_path) as store:
        assert store.get_cursor(TENANT, "src") == "41"
        assert store.list_quarantined(TENANT) == []
        tracker = make_tracker(store)
        tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), connected_at=T0)
        assert tracker.ingest("sales", b"\r\nno headers").outcome is Outcome.MALFORMED
        assert len(store.list_quarantined(TENANT)) == 1
    conn = sqlite3.connect(sqlite_path)
    assert conn.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone() == (SCHEMA_VERSION,)
    conn.close()
