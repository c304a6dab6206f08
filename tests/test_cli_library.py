"""The library pieces under the command line: importing sends, the dry-run store, local
source specs and the self-test."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from replytrack import ConfigurationError, Inbox, MemoryStore, Outcome, Tracker
from replytrack.dryrun import DryRunStore
from replytrack.imports import import_sends, read_send_rows
from replytrack.selftest import self_test
from replytrack.sources.eml import EmlSource
from replytrack.sources.mailbox import MaildirSource, MboxSource
from replytrack.sources.spec import (
    inbox_source,
    open_source,
    save_inbox_source,
    source_for_path,
    source_spec,
)
from replytrack.testing.factories import make_message

CONNECTED = datetime(2026, 3, 1, tzinfo=UTC)
CSV = """email_id,subject,from_address,reply_to,contact_id,address,owner,message_id,sent_at
spring,Spring sale,news@example.com,sales@example.com,bob,bob@example.org,alice,<s1@esp.example>,2026-03-02T09:00:00Z
spring,Spring sale,news@example.com,sales@example.com,ann,ann@example.net,,<s2@esp.example>,2026-03-02T09:00:00Z
spring,Spring sale,news@example.com,sales@example.com,eve,eve@example.net,,<s3@esp.example>,2026-03-02T09:05:00+01:00
"""


def tracker(store: MemoryStore | None = None) -> Tracker:
    t = Tracker(store or MemoryStore(), secret=b"k" * 32, domain="mail.example.com")
    t.connect_inbox(Inbox(id="sales", address="sales@example.com"), CONNECTED)
    return t


def test_importing_sends_records_them_once_with_their_message_ids() -> None:
    t = tracker()
    first = import_sends(t, read_send_rows(io.StringIO(CSV), "csv"))
    assert (first.recorded, first.skipped, first.emails) == (3, 0, ("spring",))
    again = import_sends(t, read_send_rows(io.StringIO(CSV), "csv"))
    assert (again.recorded, again.skipped) == (0, 3)
    found = t.store.find_sends_by_message_id(t.tenant, ["s1@esp.example", "s3@esp.example"])
    assert found["s3@esp.example"].sent_at == datetime(2026, 3, 2, 8, 5, tzinfo=UTC)
    assert t.store.get_contacts(t.tenant, ["bob"])["bob"].owner_id == "alice"
    assert t.report("spring").sent == 3


def test_json_lines_rows_and_the_mistakes_that_are_refused_by_line() -> None:
    line = '{"email_id": "e", "contact_id": "c", "address": "c@example.org", "sent_at": "2026-03-02T09:00:00Z"}'
    [row] = read_send_rows([line], "jsonl")
    assert (row.email_id, row.subject, row.line) == ("e", None, 1)
    with pytest.raises(ConfigurationError, match="line 1: sent_at"):
        list(
            read_send_rows(
                [
                    '{"email_id": "e", "contact_id": "c", "address": "a@b.org", "sent_at": "2026-03-02 09:00"}'
                ],
                "jsonl",
            )
        )
    with pytest.raises(ConfigurationError, match="line 2: address is missing"):
        list(
            read_send_rows(
                io.StringIO("email_id,contact_id,address,sent_at\ne,c,,2026-03-02T09:00:00Z\n"),
                "csv",
            )
        )
    with pytest.raises(ConfigurationError, match="unknown column 'colour'"):
        list(read_send_rows(io.StringIO("email_id,colour\n"), "csv"))
    with pytest.raises(ConfigurationError, match="email 'e' is not stored yet"):
        import_sends(tracker(), [row])


def test_rows_of_one_email_that_disagree_are_refused() -> None:
    text = CSV.replace(
        "news@example.com,sales@example.com,eve", "other@example.com,sales@example.com,eve"
    )
    with pytest.raises(ConfigurationError, match="line 4: email 'spring' has from_address"):
        import_sends(tracker(), read_send_rows(io.StringIO(text), "csv"))


def test_a_dry_run_gives_the_real_outcome_and_writes_nothing() -> None:
    store = MemoryStore()
    real = tracker(store)
    import_sends(real, read_send_rows(io.StringIO(CSV), "csv"))
    reply = make_message(
        from_address="bob@example.org",
        to="sales@example.com",
        in_reply_to="<s1@esp.example>",
        date="Tue, 03 Mar 2026 09:00:00 +0000",  # after the send: its time when ingested
    )
    dry = Tracker(DryRunStore(store), secret=b"k" * 32, domain="mail.example.com")
    assert dry.ingest("sales", reply).outcome is Outcome.REPLY
    assert dry.ingest("sales", reply).outcome is Outcome.REPLY  # nothing was stored
    assert real.report("spring").replies == 0
    assert real.ingest("sales", reply).outcome is Outcome.REPLY
    assert dry.ingest("sales", reply).outcome is Outcome.DUPLICATE


def test_a_broken_dry_run_store_that_writes_is_caught_by_the_check_above() -> None:
    class Leaky(DryRunStore):
        def add_replies(self, tenant, replies):  # type: ignore[no-untyped-def]
            return self.store.add_replies(tenant, replies)

    store = MemoryStore()
    real = tracker(store)
    import_sends(real, read_send_rows(io.StringIO(CSV), "csv"))
    reply = make_message(
        from_address="bob@example.org",
        in_reply_to="<s1@esp.example>",
        date="Tue, 03 Mar 2026 09:00:00 +0000",
    )
    Tracker(Leaky(store), secret=b"k" * 32, domain="mail.example.com").ingest("sales", reply)
    assert real.report("spring").replies == 1  # what the real test asserts is 0


def test_source_specs_and_shapes(tmp_path: Path) -> None:
    (tmp_path / "box" / "new").mkdir(parents=True)
    (tmp_path / "one.eml").write_bytes(make_message())
    (tmp_path / "mail.mbox").write_bytes(b"From a@b Thu Jan  1 00:00:00 2026\n" + make_message())
    assert isinstance(source_for_path(tmp_path / "box"), MaildirSource)
    assert isinstance(source_for_path(tmp_path / "mail.mbox"), MboxSource)
    single = source_for_path(tmp_path / "one.eml")
    assert isinstance(single, EmlSource)
    [message] = single.fetch(None)
    assert message.received_at == datetime(2026, 1, 1, 12, tzinfo=UTC)  # its Date header
    folder = source_for_path(tmp_path)
    assert isinstance(folder, EmlSource)
    assert [m.cursor for m in folder.fetch(None)] == ["1"]
    spec = source_spec("maildir", tmp_path / "box")
    assert spec == f"maildir:{(tmp_path / 'box').resolve()}"
    assert isinstance(open_source(spec), MaildirSource)
    with pytest.raises(ConfigurationError, match="is not one of"):
        open_source("imap-ish:/x")
    store = MemoryStore()
    save_inbox_source(store, "t", "sales", spec)
    assert inbox_source(store, "t", "sales") == spec
    assert inbox_source(store, "t", "other") is None


def test_the_self_test_passes_and_refuses_a_short_secret() -> None:
    checks = self_test(secret=b"x" * 32, domain="mail.example.com")
    assert [c.name for c in checks if not c.ok] == []
    assert len(checks) == 5
    with pytest.raises(ConfigurationError, match="secret"):
        self_test(secret=b"short", domain="mail.example.com")
