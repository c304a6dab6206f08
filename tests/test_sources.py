"""Inbox sources: mbox, Maildir and memory, with cursors that resume."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from replytrack import MaildirSource, MboxSource, MemorySource, SourceError

EXAMPLE_MBOX = Path(__file__).resolve().parent.parent / "examples" / "sample" / "sales.mbox"


def write_mbox(path: Path, count: int) -> None:
    with path.open("wb") as handle:
        for n in range(count):
            handle.write(f"From sender@example.org Tue Mar  3 10:{n:02d}:00 2026\n".encode())
            handle.write(f"Subject: message {n}\nFrom: a@example.org\n\n".encode())
            handle.write(b">From the start, a quoted body line\n\n")


def test_an_mbox_yields_every_message_with_its_delivery_time(tmp_path: Path) -> None:
    write_mbox(tmp_path / "box", 3)
    messages = list(MboxSource(tmp_path / "box").fetch(None))
    assert [m.raw.split(b"\n")[0] for m in messages] == [
        b"Subject: message 0",
        b"Subject: message 1",
        b"Subject: message 2",
    ]
    assert messages[1].received_at == datetime(2026, 3, 3, 10, 1, tzinfo=UTC)


def test_an_mbox_unquotes_from_lines_in_bodies(tmp_path: Path) -> None:
    path = tmp_path / "box"
    path.write_bytes(b"From x Tue Mar  3 10:00:00 2026\nSubject: a\n\n>From here\n")
    [message] = MboxSource(path).fetch(None)
    assert message.raw.endswith(b"\n\nFrom here\n")


def test_an_mbox_removes_one_quoting_level_of_mboxrd_from_lines(tmp_path: Path) -> None:
    path = tmp_path / "box"
    path.write_bytes(b"From x Tue Mar  3 10:00:00 2026\nSubject: a\n\n>>From here\n>not a From\n")
    [message] = MboxSource(path).fetch(None)
    assert message.raw == b"Subject: a\n\n>From here\n>not a From\n"


def test_mbox_messages_larger_than_the_read_chunk_come_whole_with_file_offsets_as_cursors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("replytrack.sources.mailbox._CHUNK", 64)
    path = tmp_path / "box"
    bodies = [b"x" * 300, b"short", b"y" * 1000]
    separators = [f"From a@example.org Tue Mar  3 10:0{n}:00 2026\n".encode() for n in range(3)]
    parts = [
        sep + b"Subject: s\n\n" + body + b"\n" for sep, body in zip(separators, bodies, strict=True)
    ]
    path.write_bytes(b"".join(parts))
    messages = list(MboxSource(path).fetch(None))
    assert [m.raw for m in messages] == [b"Subject: s\n\n" + body + b"\n" for body in bodies]
    ends = [sum(len(p) for p in parts[: n + 1]) for n in range(3)]
    assert [m.cursor for m in messages] == [str(end) for end in ends]
    assert [m.raw for m in MboxSource(path).fetch(messages[0].cursor)] == [
        m.raw for m in messages[1:]
    ]


def test_an_mbox_separator_without_a_date_gives_no_received_time(tmp_path: Path) -> None:
    path = tmp_path / "box"
    path.write_bytes(b"From MAILER-DAEMON\nSubject: a\n\nhi\nFrom b 2026-03-04T10:00:00Z\n\nb\n")
    first, second = MboxSource(path).fetch(None)
    assert first.received_at is None
    assert second.received_at == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def test_an_mbox_resumes_after_its_cursor_and_sees_appended_mail(tmp_path: Path) -> None:
    path = tmp_path / "box"
    write_mbox(path, 2)
    source = MboxSource(path)
    first = list(source.fetch(None))
    with path.open("ab") as handle:
        handle.write(b"From x Wed Mar  4 10:00:00 2026\nSubject: late\n\nhi\n")
    later = list(source.fetch(first[-1].cursor))
    assert [m.raw.split(b"\n")[0] for m in later] == [b"Subject: late"]


def test_a_missing_mbox_raises_source_error_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nope\.mbox"):
        list(MboxSource(tmp_path / "nope.mbox").fetch(None))


def test_the_shipped_sample_sales_mailbox_holds_58_messages() -> None:
    assert len(list(MboxSource(EXAMPLE_MBOX).fetch(None))) == 58


def make_maildir(root: Path) -> None:
    for folder in ("new", "cur", "tmp"):
        (root / folder).mkdir(parents=True)


def test_a_maildir_yields_new_and_cur_in_arrival_order_and_resumes(tmp_path: Path) -> None:
    make_maildir(tmp_path)
    (tmp_path / "cur" / "1700000001.M1.host:2,S").write_bytes(b"Subject: one\n\n")
    (tmp_path / "new" / "1700000002.M2.host").write_bytes(b"Subject: two\n\n")
    os.utime(tmp_path / "new" / "1700000002.M2.host", (1_700_000_002, 1_700_000_002))
    source = MaildirSource(tmp_path)
    messages = list(source.fetch(None))
    assert [m.raw for m in messages] == [b"Subject: one\n\n", b"Subject: two\n\n"]
    assert messages[1].received_at == datetime.fromtimestamp(1_700_000_002, UTC)
    [after_first] = source.fetch(messages[0].cursor)
    assert after_first.raw == b"Subject: two\n\n"
    assert list(source.fetch(messages[1].cursor)) == []


def test_a_folder_that_is_not_a_maildir_raises_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a Maildir"):
        list(MaildirSource(tmp_path).fetch(None))


def test_a_memory_source_yields_what_was_added_after_the_cursor() -> None:
    source = MemorySource()
    source.add(b"Subject: a\n\n")
    source.add(b"Subject: b\n\n", datetime(2026, 1, 1, tzinfo=UTC))
    first = list(source.fetch(None))
    assert [m.cursor for m in first] == ["1", "2"]
    source.add(b"Subject: c\n\n")
    assert [m.raw for m in source.fetch("2")] == [b"Subject: c\n\n"]
