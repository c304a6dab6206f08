"""MaildirSource reads every message once, whatever order its keys sort in."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dovecot import Dovecot, running_dovecot
from replytrack import MaildirSource, SourceError
from replytrack.protocols import SourceMessage


def make_maildir(root: Path) -> Path:
    for folder in ("new", "cur", "tmp"):
        (root / folder).mkdir(parents=True)
    return root


def deliver(root: Path, name: str, body: bytes, folder: str = "new") -> None:
    """Deliver as an MTA does: write into tmp/, then rename into place."""
    (root / "tmp" / name).write_bytes(body)
    os.rename(root / "tmp" / name, root / folder / name)


def sync(source: MaildirSource, cursor: str | None) -> tuple[list[bytes], str | None]:
    messages: list[SourceMessage] = list(source.fetch(cursor))
    return [m.raw for m in messages], (messages[-1].cursor if messages else cursor)


def test_a_key_that_sorts_before_the_last_one_read_is_still_read(tmp_path: Path) -> None:
    root = make_maildir(tmp_path)
    source = MaildirSource(root)
    deliver(root, "1700000000.M9P100.host", b"Subject: nine\n\n")
    first, cursor = sync(source, None)
    deliver(root, "1700000000.M10P100.host", b"Subject: ten\n\n")  # "M10" < "M9" as text
    second, cursor = sync(source, cursor)
    assert (first, second) == ([b"Subject: nine\n\n"], [b"Subject: ten\n\n"])
    assert sync(source, cursor)[0] == []


def test_a_message_moved_in_with_an_older_key_is_read(tmp_path: Path) -> None:
    root = make_maildir(tmp_path)
    other = make_maildir(tmp_path / "other")
    source = MaildirSource(root)
    deliver(root, "1800000000.M1P1.host", b"Subject: new\n\n")
    _, cursor = sync(source, None)
    deliver(other, "1500000000.M1P1.host:2,S", b"Subject: old\n\n", folder="cur")
    os.rename(other / "cur" / "1500000000.M1P1.host:2,S", root / "cur" / "1500000000.M1P1.host:2,S")
    moved, cursor = sync(source, cursor)
    assert moved == [b"Subject: old\n\n"]
    assert sync(source, cursor)[0] == []


def test_every_message_is_read_once_across_interleaved_syncs(tmp_path: Path) -> None:
    root = make_maildir(tmp_path)
    source = MaildirSource(root)
    names = [f"17000000{n % 3:02d}.M{n * 7 % 13}P{n}.host" for n in range(40)]
    seen: list[bytes] = []
    cursor = None
    for n, name in enumerate(names):
        deliver(root, name, f"Subject: {n}\n\n".encode())
        if n % 5 == 4:
            got, cursor = sync(source, cursor)
            seen += got
    seen += sync(source, cursor)[0]
    assert sorted(seen) == sorted(f"Subject: {n}\n\n".encode() for n in range(40))


def test_a_cursor_of_the_previous_format_reads_again_from_before_that_key(
    tmp_path: Path,
) -> None:
    root = make_maildir(tmp_path)
    deliver(root, "1000000000.M1P1.host", b"Subject: a\n\n")
    old_format_cursor = "1000000000.M1P1.host"
    assert sync(MaildirSource(root), old_format_cursor)[0] == [b"Subject: a\n\n"]


@pytest.mark.parametrize("cursor", ["v2/notanumber", "garbage"])
def test_a_damaged_cursor_is_refused_with_the_cursor_named(tmp_path: Path, cursor: str) -> None:
    root = make_maildir(tmp_path)
    with pytest.raises(SourceError, match="Maildir cursor"):
        list(MaildirSource(root).fetch(cursor))


def test_a_cursor_names_a_bounded_number_of_keys(tmp_path: Path) -> None:
    root = make_maildir(tmp_path)
    for n in range(600):
        deliver(root, f"1700000000.M{n}P1.host", b"Subject: x\n\n")
    *_, last = MaildirSource(root).fetch(None)
    assert last.cursor.count("/") <= 2 * 512 + 2


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="replytrack-dovecot-"))
    try:
        with running_dovecot(root) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_mail_delivered_by_dovecot_is_read_once_in_delivery_order(dovecot: Dovecot) -> None:
    source = MaildirSource(dovecot.maildir("carol"))
    bodies = [
        f"Subject: {n}\nMessage-ID: <{n}@example.test>\n\nhello\n".encode() for n in range(12)
    ]
    for raw in bodies[:5]:
        dovecot.save("carol", raw)
    first, cursor = sync(source, None)
    for raw in bodies[5:]:
        dovecot.save("carol", raw)
    second, cursor = sync(source, cursor)
    assert first + second == bodies
    assert sync(source, cursor)[0] == []
