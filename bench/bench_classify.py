"""Speed of ``classify`` against the header-block baseline, measured in the same run.

Usage: ``python bench/bench_classify.py [--messages 20000] [--seed 7]``

The workload is generated (seeded) in chunks of 1,000 realistic messages of 2-300 KB,
header blocks as Microsoft 365 (half), Gmail (30 %) or a plain server deliver them:
mostly human replies (plain, HTML alternative, with base64 attachments), some new
human messages, out-of-office replies, bounces carrying the original, newsletters.
Each chunk is timed with:

* baseline: split the raw bytes at the first empty line and run
  ``email.parser.BytesHeaderParser(policy=compat32)`` on the header block;
* ``classify(raw)``: what a caller with bytes pays (RawMessage construction included);
* ``RawMessage(raw)`` alone, and ``classify(msg)`` on the RawMessage just built (what
  the tracker pays on top of the scan it does anyway), timed apart message by message.

Then adversarial messages (headers and subjects near 1 MB, a 5 MB body) print their
time per message.
"""

from __future__ import annotations

import argparse
import base64
import random
import time
from collections.abc import Callable, Iterator, Sequence
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any, TypeVar

from replytrack.autoreply import MessageKind, Verdict, classify
from replytrack.message import RawMessage

CHUNK = 1000
_R = TypeVar("_R")
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


# What Microsoft 365 and Gmail add to a message they deliver (names and shapes as such
# messages carry them; values shortened and anonymised).
_EXCHANGE = [
    "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=microsoft.com; s=arcselector;\r\n"
    " h=From:Date:Subject:Message-ID:Content-Type:MIME-Version;\r\n bh=" + "B" * 44 + ";\r\n"
    " b=" + "C" * 340 + "\r\n",
    "ARC-Authentication-Results: i=1; mx.microsoft.com 1; spf=pass smtp.mailfrom=example.net;\r\n"
    " dmarc=pass action=none header.from=example.net; dkim=pass header.d=example.net; arc=none\r\n",
    "Authentication-Results: dkim=none (message not signed) header.d=none;dmarc=none action=none\r\n"
    " header.from=example.net;\r\n",
    "Thread-Topic: Spring offer\r\n",
    "Thread-Index: AQHbh2fRk1xR5d7zX0uYk0pS8tM5GQ==\r\n",
    "Accept-Language: en-GB, en-US\r\n",
    "Content-Language: en-GB\r\n",
    "X-MS-Has-Attach: yes\r\n",
    "X-MS-TNEF-Correlator:\r\n",
    "msip_labels:\r\n",
    "x-ms-publictraffictype: Email\r\n",
    "x-ms-traffictypediagnostic: AM0PR01MB1234:EE_|DB9PR01MB5678:EE_\r\n",
    "x-ms-office365-filtering-correlation-id: 0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d\r\n",
    "x-ms-exchange-senderadcheck: 1\r\n",
    "x-ms-exchange-antispam-relay: 0\r\n",
    "x-microsoft-antispam: BCL:0;ARA:13230040|366016|1800799024|376014|38070700018;\r\n",
    "x-microsoft-antispam-message-info:\r\n " + "\r\n ".join(["D" * 76] * 12) + "\r\n",
    "x-forefront-antispam-report: CIP:255.255.255.255;CTRY:;LANG:en;SCL:1;SRV:;IPV:NLI;SFV:NSPM;\r\n"
    " H:AM0PR01MB1234.eurprd01.prod.exchangelabs.com;PTR:;CAT:NONE;SFS:(13230040)(366016);DIR:OUT;\r\n",
    "x-ms-exchange-antispam-messagedata-chunkcount: 1\r\n",
    "x-ms-exchange-antispam-messagedata-0:\r\n " + "\r\n ".join(["E" * 76] * 20) + "\r\n",
    "X-OriginatorOrg: example.net\r\n",
    "X-MS-Exchange-CrossTenant-AuthAs: Internal\r\n",
    "X-MS-Exchange-CrossTenant-AuthSource: AM0PR01MB1234.eurprd01.prod.exchangelabs.com\r\n",
    "X-MS-Exchange-CrossTenant-Network-Message-Id: 0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d\r\n",
    "X-MS-Exchange-CrossTenant-originalarrivaltime: 25 Feb 2025 08:14:02.1234 (UTC)\r\n",
    "X-MS-Exchange-CrossTenant-fromentityheader: Hosted\r\n",
    "X-MS-Exchange-CrossTenant-id: 72f988bf-86f1-41af-91ab-2d7cd011db47\r\n",
    "X-MS-Exchange-CrossTenant-mailboxtype: HOSTED\r\n",
    "X-MS-Exchange-Transport-CrossTenantHeadersStamped: DB9PR01MB5678\r\n",
]
_GMAIL = [
    "X-Google-DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=1e100.net; s=20230601;\r\n"
    " h=to:subject:message-id:date:from:in-reply-to:references:mime-version;\r\n"
    " bh=" + "F" * 44 + ";\r\n b=" + "G" * 340 + "\r\n",
    "X-Gm-Message-State: AOJu0Yw" + "H" * 120 + "\r\n",
    "X-Google-Smtp-Source: AGHT+IF" + "I" * 80 + "\r\n",
    "X-Received: by 2002:a05:6512:3a8d:b0:545:2e6e:5b7c with SMTP id q13mr12345lfu.2;\r\n"
    "        Tue, 25 Feb 2025 00:14:02 -0800 (PST)\r\n",
    "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com; s=arc-20240605;\r\n"
    " h=to:subject:message-id:date:from:mime-version; bh=" + "J" * 44 + ";\r\n"
    " b=" + "K" * 340 + "\r\n",
    "ARC-Authentication-Results: i=1; mx.google.com; dkim=pass header.i=@example.net;\r\n"
    "       spf=pass (google.com: domain of person@example.net designates 192.0.2.1 as\r\n"
    " permitted sender) smtp.mailfrom=person@example.net\r\n",
    "Received-SPF: pass (google.com: domain of person@example.net designates 192.0.2.1 as\r\n"
    " permitted sender) client-ip=192.0.2.1;\r\n",
]


def _headers(rng: random.Random, subject: str, extra: list[str], threaded: bool) -> str:
    n = rng.randrange(1, 250)
    lines = [f"Return-Path: <person{n}@example.net>\r\n"]
    for hop in range(rng.randrange(3, 9)):
        lines.append(_RECEIVED.format(n=(n + hop) % 250, id=rng.getrandbits(40)))
    lines.append(_DKIM.format(bh="A" * 44, b=base64.b64encode(rng.randbytes(128)).decode()))
    lines.append("ARC-Seal: i=1; a=rsa-sha256; t=1740471242; cv=none; d=example.net; s=arc\r\n")
    roll = rng.random()
    lines += _EXCHANGE if roll < 0.5 else _GMAIL if roll < 0.8 else []
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


def _run(func: Callable[[Any], _R], items: Sequence[Any]) -> tuple[float, list[_R]]:
    """Seconds taken by ``func`` over ``items``, and its results."""
    start = time.perf_counter()
    results = [func(item) for item in items]
    return time.perf_counter() - start, results


def _scan_then_classify(raws: Sequence[bytes]) -> tuple[float, float, list[Verdict]]:
    """As the tracker does: build each RawMessage, then classify it; the two timed apart."""
    clock = time.perf_counter
    scan = decide = 0.0
    verdicts = []
    for raw in raws:
        start = clock()
        msg = RawMessage(raw)
        built = clock()
        verdicts.append(classify(msg))
        scan += built - start
        decide += clock() - built
    return scan, decide, verdicts


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
        for name, func, items in (
            ("baseline", baseline, raws),
            ("classify(bytes)", classify, raws),
        ):
            totals[name] += _run(func, items)[0]
        scan, decide, verdicts = _scan_then_classify(raws)
        totals["RawMessage()"] += scan
        totals["classify(msg)"] += decide
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
