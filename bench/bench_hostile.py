"""Time of one hostile message through ``Tracker.ingest``, next to the header-block baseline.

Usage: ``python bench/bench_hostile.py [--repeat 5]``

Each message is near the 1 MiB header limit (or deep in its body) and once took seconds to
hours, hung, or crashed (issue 11). Each line prints the best of ``--repeat`` runs of:

* baseline: ``email.parser.BytesHeaderParser(policy=compat32)`` on the same header block;
* ingest: ``Tracker.ingest`` on a MemoryStore (scan, classify, correlate, store), the
  message threaded to a recorded send, so that every step runs;

and their ratio (ingest time / baseline time: below 1, ingest is faster than the stdlib
only reading the headers). The target is under 50 ms per message.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from replytrack import Contact, Inbox, MarketingEmail, MemoryStore, ReplyTo, Send, Tracker

MIB = 1 << 20
_ROOM = 4096  # the rest of the header block


def _tracker() -> tuple[Tracker, Send]:
    tracker = Tracker(MemoryStore(), secret=b"b" * 32, domain="mail.example.com")
    tracker.connect_inbox(
        Inbox(id="sales", address="sales@example.com"),
        connected_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    email = MarketingEmail(
        id="spring",
        subject="Spring sale",
        from_address="sales@example.com",
        reply_to=ReplyTo.inbox("sales@example.com"),
    )
    contact = Contact(id="c1", emails=("bob@example.org",))
    return tracker, tracker.record_send(email, contact, datetime(2026, 2, 1, tzinfo=UTC))


def _message(send: Send, *, subject: str = "Re: Spring sale", extra: str = "",
             content_type: str = "text/plain", body: bytes = b"Count me in.\r\n",
             threaded: bool = True) -> bytes:  # fmt: skip
    head = (
        f"From: Bob <bob@example.org>\r\nTo: sales@example.com\r\nSubject: {subject}\r\n"
        "Date: Sun, 01 Mar 2026 09:00:00 +0000\r\nMessage-ID: <bench@example.org>\r\n"
        + (f"In-Reply-To: {send.message_id}\r\n" if threaded else "")
        + f"{extra}MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n"
    )
    return head.encode() + body


def _cases(send: Send) -> list[tuple[str, bytes]]:
    encoded = "".join(f"=?utf-8?q?<old{n}@example.org>?=\r\n " for n in range(28_000))
    nested = b"".join(
        f"--b{n}\r\nContent-Type: multipart/mixed; boundary=b{n + 1}\r\n\r\n".encode()
        for n in range(1000)
    )
    cases = [
        (f"1 MiB References of {char!r}", _message(send, extra=f"References: {char * (MIB - _ROOM)}\r\n"))
        for char in ("a", "<", "(", "@", "=", " ")
    ]  # fmt: skip
    cases += [
        ("1 MiB References of encoded words", _message(send, extra=f"References: {encoded}\r\n")),
        ("1 MiB References '<a@b> ' ids", _message(send, extra=f"References: {'<a@b> ' * 170_000}\r\n")),
        ("1 MiB encoded-word Subject",
         _message(send, subject="\r\n ".join(["=?utf-8?q?Spring_sal=C3=A9?="] * 33_000))),
        ("1 MiB Subject of '=?'", _message(send, subject="=?" * ((MIB - _ROOM) // 2))),
        ("From with 500 nested '('", _message(send).replace(b"Bob <", b"(" * 500 + b"Bob <")),
        ("multipart nested 1,000 deep, unthreaded",
         _message(send, content_type="multipart/mixed; boundary=b0", body=nested, threaded=False)),
        ("1 MiB body of empty parts, unthreaded",
         _message(send, content_type="multipart/mixed; boundary=b", body=b"--b\r\n" * (MIB // 5),
                  threaded=False)),
    ]  # fmt: skip
    return cases


def _best(run: Callable[[], float], repeat: int) -> float:
    return min(run() for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'message':42} {'bytes':>9} {'baseline':>10} {'ingest':>10} {'ratio':>7}  outcome")
    worst = 0.0
    for index, (label, raw) in enumerate(_cases(_tracker()[1])):
        block = raw[: raw.find(b"\r\n\r\n") + 2]

        def baseline(block: bytes = block) -> float:
            started = time.perf_counter()
            BytesHeaderParser(policy=compat32).parsebytes(block)
            return time.perf_counter() - started

        outcomes: list[str] = []

        def ingest(index: int = index, outcomes: list[str] = outcomes) -> float:
            tracker, send = _tracker()  # a fresh store, and the message threaded to its send
            raw = _cases(send)[index][1]
            started = time.perf_counter()
            result = tracker.ingest("sales", raw, datetime(2026, 3, 1, tzinfo=UTC))
            elapsed = time.perf_counter() - started
            outcomes.append(
                f"{result.outcome.value} {result.match.strategy.value if result.match else ''}"
            )
            return elapsed

        base, best = _best(baseline, args.repeat), _best(ingest, args.repeat)
        worst = max(worst, best)
        print(
            f"{label:42} {len(raw):>9,} {base * 1000:>8.2f}ms {best * 1000:>8.2f}ms "
            f"{best / base:>6.2f}x  {outcomes[-1]}"
        )
    print(f"slowest ingest: {worst * 1000:.2f} ms (target: under 50 ms)")


if __name__ == "__main__":
    main()
