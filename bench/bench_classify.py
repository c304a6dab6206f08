"""Speed of ``classify`` against the header-block baseline, measured in the same run.

Usage: ``python bench/bench_classify.py [--messages 20000] [--seed 7]``

The workload is generated (seeded) in chunks of 1,000 realistic messages of 2-300 KB:
mostly human replies (plain, HTML alternative, with base64 attachments), some new
human messages, out-of-office replies, bounces carrying the original, newsletters.
Each chunk is timed with:

* baseline: split the raw bytes at the first empty line and run
  ``email.parser.BytesHeaderParser(policy=compat32)`` on the header block;
* ``classify(raw)``: what a caller with bytes pays (RawMessage construction included);
* ``RawMessage(raw)`` alone, and ``classify(msg)`` on an already-built RawMessage (what
  the tracker pays on top of the scan it does anyway).

Then adversarial messages (headers and subjects near 1 MB, a 5 MB body) print their
time per message.
"""

from __future__ import annotations

import argparse
import base64
import random
import time
from collections.abc import Callable, Iterator
from email.parser import BytesHeaderParser
from email.policy import compat32

from replytrack.autoreply import MessageKind, classify
from replytrack.message import RawMessage

CHUNK = 1000
_RECEIVED = (
    "Received: from mail-{n}.outbound.example.net (mail-{n}.outbound.example.net "
    "[192.0.2.{n}])\r\n\tby mx.shop.example.com (Postfix) with ESMTPS id {id}\r\n"
    "\tfor <sales@shop.example.com>; Tue, 25 Feb 2025 09:{n:02d}:02 +0100 (CET)\r\n"
)
_DKIM = (
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=s1;\r\n"
    "\th=from:to:subject:date:message-id:in-reply-to:references;\r\n"
    "\tbh={bh}; b={b}\r\n"
)


def _headers(rng: random.Random, subject: str, extra: list[str], threaded: bool) -> str:
    n = rng.randrange(1, 250)
    lines = [f"Return-Path: <person{n}@example.net>\r\n"]
    for hop in range(rng.randrange(3, 9)):
        lines.append(_RECEIVED.format(n=(n + hop) % 250, id=rng.getrandbits(40)))
    lines.append(_DKIM.format(bh="A" * 44, b=base64.b64encode(rng.randbytes(128)).decode()))
    lines.append("ARC-Seal: i=1; a=rsa-sha256; t=1740471242; cv=none; d=example.net; s=arc\r\n")
    lines += [
        f"From: Person {n} <person{n}@example.net>\r\n",
        "To: Sales <sales@shop.example.com>\r\n",
        f"Subject: {subject}\r\n",
        "Date: Tue, 25 Feb 2025 09:14:02 +0100\r\n",
        f"Message-ID: <{rng.getrandbits(64):x}@mail.example.net>\r\n",
        "MIME-Version: 1.0\r\n",
        "X-Mailer: Microsoft Outlook 16.0\r\n",
    ]
    if threaded:
        ref = f"<rt1.{rng.getrandbits(60):x}.abc@shop.example.com>"
        lines += [f"In-Reply-To: {ref}\r\n", f"References: {ref}\r\n"]
    return "".join(lines + extra)


def _multipart(rng: random.Random, text: str, size: int) -> tuple[str, bytes]:
    payload = base64.encodebytes(rng.randbytes(max(0, size * 3 // 4))).replace(b"\n", b"\r\n")
    body = (
        b'--b1\r\nContent-Type: text/plain; charset="utf-8"\r\n\r\n'
        + text.encode()
        + b"\r\n--b1\r\nContent-Type: application/pdf; name=quote.pdf\r\n"
        b"Content-Disposition: attachment; filename=quote.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + payload + b"\r\n--b1--\r\n"
    )
    return 'Content-Type: multipart/mixed; boundary="b1"\r\n', body


def _size(rng: random.Random) -> int:
    return int(2000 * (150 ** rng.random()))  # 2 KB to 300 KB, log-uniform


def make_message(rng: random.Random) -> tuple[str, bytes]:
    """One (kind label, raw message) of the realistic mix."""
    roll = rng.random()
    reply_text = "Hello,\r\n\r\nYes, please send a quote for 20 units.\r\n\r\nAnna\r\n\r\n"
    reply_text += "On Tue, 18 Feb 2025, Sales <sales@shop.example.com> wrote:\r\n> offer\r\n" * 3
    if roll < 0.80 or roll >= 0.96:
        threaded = roll < 0.80
        ctype, body = _multipart(rng, reply_text, _size(rng) - 3000)
        subject = "Re: Spring offer" if threaded else "Question about your offer"
        return "human", (_headers(rng, subject, [ctype], threaded) + "\r\n").encode() + body
    if roll < 0.88:
        extra = ["Auto-Submitted: auto-replied\r\n", "X-Auto-Response-Suppress: All\r\n"]
        text = "I am out of the office until 10 March 2025 with limited access to email.\r\n"
        head = _headers(rng, "Automatic reply: Spring offer", extra, True)
        return "auto_reply", (head + "Content-Type: text/plain\r\n\r\n" + text).encode()
    if roll < 0.92:
        original = _multipart(rng, reply_text, _size(rng) // 2)[1]
        body = (
            b"--r\r\nContent-Type: text/plain\r\n\r\nDelivery to anna@example.net failed.\r\n"
            b"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
            b"Final-Recipient: rfc822; anna@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            b"--r\r\nContent-Type: message/rfc822\r\n\r\n" + original + b"\r\n--r--\r\n"
        )
        ctype = 'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n'
        head = _headers(rng, "Undelivered Mail Returned to Sender", [ctype], False)
        head = head.replace("From: Person", "From: MAILER-DAEMON (Mail Delivery System) x", 1)
        return "bounce", (head + "\r\n").encode() + body
    extra = ["List-Unsubscribe: <https://brand.example.com/u>\r\n", "Precedence: bulk\r\n"]
    html = "<html><body>" + "<p>News and offers</p>" * (_size(rng) // 22) + "</body></html>"
    head = _headers(rng, "Our March newsletter", [*extra, "Content-Type: text/html\r\n"], False)
    return "bulk", (head + "\r\n" + html).encode()


def baseline(raw: bytes) -> object:
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end < 0 else end
    return BytesHeaderParser(policy=compat32).parsebytes(raw[: end if end >= 0 else len(raw)])


def _time(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def chunks(total: int, seed: int) -> Iterator[list[tuple[str, bytes]]]:
    rng = random.Random(seed)
    for start in range(0, total, CHUNK):
        yield [make_message(rng) for _ in range(min(CHUNK, total - start))]


def adversarial() -> list[tuple[str, bytes]]:
    """Hostile inputs just under the 1 MiB header limit, plus one huge body."""
    mib = 1_000_000
    base = "From: a@example.net\r\nTo: b@example.com\r\nMessage-ID: <x@y>\r\n"
    return [
        (
            "1 MB subject of 'Re: '",
            (base + "Subject: " + "Re: " * (mib // 4) + "\r\n\r\nx").encode(),
        ),
        (
            "1 MB encoded-word subject",
            (base + "Subject: " + "=?utf-8?q?a?= " * (mib // 14) + "\r\n\r\nx").encode(),
        ),
        (
            "1 MB subject of '[' and ':'",
            (base + "Subject: " + "[:(" * (mib // 3) + "\r\n\r\nx").encode(),
        ),
        (
            "1 MB Auto-Submitted value",
            (base + "Auto-Submitted: " + "a;(" * (mib // 3) + "\r\n\r\nx").encode(),
        ),
        (
            "1 MB folded References",
            (base + "References: " + "<a@b>\r\n " * (mib // 9) + "\r\n\r\nx").encode(),
        ),
        (
            "1 MB Content-Type params",
            (base + "Content-Type: multipart/report; x=" + "a" * mib + "\r\n\r\nx").encode(),
        ),
        (
            "1 MB From display name",
            (base.replace("From: ", "From: " + '"' * mib + " ") + "\r\nx").encode(),
        ),
        (
            "5 MB body, body rules run",
            (
                base.replace("a@example", "<>")
                + "Return-Path: <>\r\nSubject: hi\r\n\r\n"
                + "out of office " * 360_000
            ).encode(),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    totals = {"baseline": 0.0, "classify(bytes)": 0.0, "RawMessage()": 0.0, "classify(msg)": 0.0}
    count = 0
    size = 0
    kinds: dict[str, dict[MessageKind, int]] = {}
    for chunk in chunks(args.messages, args.seed):
        raws = [raw for _, raw in chunk]
        count += len(raws)
        size += sum(map(len, raws))
        totals["baseline"] += _time(lambda: [baseline(r) for r in raws])
        totals["classify(bytes)"] += _time(lambda: [classify(r) for r in raws])
        msgs: list[RawMessage] = []
        totals["RawMessage()"] += _time(lambda: msgs.extend(RawMessage(r) for r in raws))
        verdicts = []
        totals["classify(msg)"] += _time(lambda: verdicts.extend(classify(m) for m in msgs))
        for (label, _), verdict in zip(chunk, verdicts, strict=True):
            row = kinds.setdefault(label, {})
            row[verdict.kind] = row.get(verdict.kind, 0) + 1
    print(f"{count} messages, {size / count / 1024:.0f} KB on average, {size / 2**20:.0f} MB")
    base_rate = count / totals["baseline"]
    for name, seconds in totals.items():
        rate = count / seconds
        print(f"{name:<16} {rate:10.0f} msg/s  {rate / base_rate:5.2f}x baseline")
    both = count / (totals["RawMessage()"] + totals["classify(msg)"])
    print(f"{'scan + classify':<16} {both:10.0f} msg/s  {both / base_rate:5.2f}x baseline")
    print(
        "verdicts per generated label:",
        {k: {v.value: n for v, n in r.items()} for k, r in kinds.items()},
    )
    print("\nadversarial inputs (time per message):")
    for name, raw in adversarial():
        start = time.perf_counter()
        try:
            outcome = classify(raw).kind.value
        except ValueError as exc:  # MalformedMessageError is a ValueError
            outcome = f"rejected: {exc}"[:60]
        print(f"  {name:<30} {1000 * (time.perf_counter() - start):8.1f} ms  {outcome}")


if __name__ == "__main__":
    main()
