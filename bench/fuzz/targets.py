"""Fuzz targets: each takes bytes and must return without an unexpected exception.

Used by ``bench/fuzz/run.py`` (atheris, coverage-guided) and by
``tests/test_fuzz_targets.py`` (Hypothesis, bounded, no atheris). What a target may raise
is a ReplytrackError the caller is documented to get (a segment that does not parse);
anything else is a crash. Ingest never raises on bad mail: it returns MALFORMED.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache

from replytrack import (
    Contact,
    Inbox,
    MarketingEmail,
    MemoryStore,
    ReplyTo,
    Send,
    Tracker,
    classify,
)
from replytrack.errors import ConfigurationError, MalformedMessageError, SegmentSyntaxError
from replytrack.message import RawMessage
from replytrack.segments import parse

__all__ = ["SEEDS", "TARGETS"]


def headers(data: bytes) -> None:
    try:
        msg = RawMessage(data)
    except MalformedMessageError:  # what ingest turns into MALFORMED
        return
    for name in ("From", "Subject", "Message-ID", "In-Reply-To", "References", "Date"):
        msg.get(name)
        msg.get_all(name)
    msg.text("Subject")
    _ = (msg.subject, msg.from_address, msg.date, msg.fingerprint)
    msg.body_text()


def classification(data: bytes) -> None:
    with contextlib.suppress(MalformedMessageError):  # raised by RawMessage, before classify
        msg = RawMessage(data)
        classify(msg)


@cache
def _tracker() -> tuple[Tracker, tuple[Send, ...]]:
    tracker = Tracker(MemoryStore(), secret=b"f" * 32, domain="mail.example.com")
    tracker.connect_inbox(
        Inbox(id="sales", address="sales@example.com"), datetime(2026, 1, 1, tzinfo=UTC)
    )
    email = MarketingEmail(
        id="spring",
        subject="Spring sale",
        from_address="sales@example.com",
        reply_to=ReplyTo.inbox("sales@example.com"),
    )
    sends = tuple(
        tracker.record_send(
            email,
            Contact(id=f"c{n}", emails=(f"bob{n}@example.org",)),
            datetime(2026, 2, 1, tzinfo=UTC),
        )
        for n in range(3)
    )
    return tracker, sends


def correlation(data: bytes) -> None:
    """Threaded at a recorded send when the input says so, so that correlation runs."""
    tracker, sends = _tracker()
    send = sends[data[0] % 3] if data else sends[0]
    head = f"In-Reply-To: {send.message_id}\r\nReferences: {send.message_id}\r\n".encode()
    raw = head + data if data[:1] != b"\x00" else data
    tracker.ingest("sales", raw, datetime(2026, 3, 1, tzinfo=UTC))


def segments(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    # a hostile property name too: refused with ConfigurationError, never compiled
    with contextlib.suppress(SegmentSyntaxError, ConfigurationError):
        parse(text, properties={"plan": "text", "score": "number", text[:20]: "text"})


TARGETS: dict[str, Callable[[bytes], None]] = {
    "headers": headers,
    "classify": classification,
    "correlation": correlation,
    "segments": segments,
}

SEEDS: dict[str, list[bytes]] = {
    "headers": [
        b"From: Bob <bob@example.org>\r\nSubject: =?utf-8?q?Re:_Spring?=\r\n\r\nHi\r\n",
        b'From: "a\\"b" <x@y>\nReferences: <a@b> <c@d>\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\n--b--\n',
    ],
    "classify": [
        b"From: MAILER-DAEMON@x\r\nSubject: Undelivered Mail\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=z\r\n\r\n--z\r\n\r\nStatus: 5.1.1\r\n--z--\r\n",
        b"From: a@b\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nI am away until Monday.\r\n",
    ],
    "correlation": [b"\x01From: bob1@example.org\r\nSubject: Re: Spring sale\r\n\r\nYes\r\n"],
    "segments": [
        b'replied to "spring" and plan = "gold"',
        b"score > 3 or not (plan = 'x''; DROP TABLE sends; --')",
    ],
}
