"""A connected inbox as it really is: replies to our sends are a minority.

Of the messages, 15% answer one of our sends (80% replies, 12% auto-replies, 5%
bounces, 3% read receipts) and 85% are other mail: colleagues' threads with References
chains of foreign ids, first mail from strangers and from contacts we mailed (no
threading headers, some with a subject like ours), newsletters and notifications with
List-* headers, and replies to the inbox owner's own mail. Every message has the header
block a provider delivers (``mailgen.realistic_reply``: Received chain, ARC, DKIM,
Exchange's X-MS headers) and its expected outcome.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from mailgen import realistic_reply

__all__ = ["inbox_messages"]

_OURS = "Spring sale"
_FOREIGN = "corp.example.net"


def _ids(rng: random.Random, count: int) -> str:
    return " ".join(f"<{rng.getrandbits(64):x}.{k}@{_FOREIGN}>" for k in range(count))


def _bounce(rng: random.Random, number: int, msg_id: str, address: str) -> bytes:
    received = "".join(
        f"Received: from relay{k}.mx.example.org (relay{k}.mx.example.org [10.0.0.{k}])\r\n"
        f"        by mx.google.com with ESMTPS id b{number}.{k}\r\n"
        "        Tue, 03 Mar 2026 02:11:58 -0800 (PST)\r\n"
        for k in range(6)
    )
    return (
        "Delivered-To: sales@example.com\r\n" + received + "Return-Path: <>\r\n"
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
        "To: sales@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <bounce-{number}@mx.example.org>\r\nAuto-Submitted: auto-replied\r\n"
        "Date: Tue, 3 Mar 2026 11:11:47 +0100\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Your message could"
        " not be delivered to one or more recipients.\r\n\r\n"
        f"<{address}>: host mx.example.org said: 550 5.1.1 User unknown\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: sales@example.com\r\nTo: {address}\r\nSubject: {_OURS}\r\nMessage-ID: {msg_id}\r\n"
        "--b--\r\n"
    ).encode()


def _receipt(rng: random.Random, number: int, msg_id: str, address: str) -> bytes:
    domain = address.rpartition("@")[2]
    return (
        "Delivered-To: sales@example.com\r\n"
        f"Received: from mail.{domain} by mx.google.com; Tue, 03 Mar 2026 02:11:58 -0800\r\n"
        f"From: <{address}>\r\nTo: sales@example.com\r\nSubject: Read: {_OURS}\r\n"
        f"Message-ID: <mdn-{number}@{domain}>\r\nDate: Tue, 3 Mar 2026 11:11:47 +0100\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="m"\r\n'
        "\r\n--m\r\nContent-Type: text/plain\r\n\r\nYour message was displayed.\r\n"
        "--m\r\nContent-Type: message/disposition-notification\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nOriginal-Message-ID: {msg_id}\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n--m--\r\n"
    ).encode()


def _newsletter(rng: random.Random, number: int) -> bytes:
    raw = realistic_reply(
        rng,
        number=number,
        sender=f"news@vendor{number % 40}.example.org",
        subject=f"Your weekly digest #{number}",
        threading=(
            f"List-Id: <weekly.vendor{number % 40}.example.org>\r\n"
            f"List-Unsubscribe: <https://vendor.example.org/u/{number}>\r\n"
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nPrecedence: bulk\r\n"
        ),
    )
    return raw


def inbox_messages(
    sample: Sequence[tuple[str, str]], count: int, seed: int
) -> Iterator[tuple[bytes, str]]:
    """(message, expected outcome) for ``count`` messages; ``sample`` is (Message-ID,
    address) of sends, each answered at most once."""
    rng = random.Random(seed)
    answers = 0
    for n in range(count):
        number = seed * 10_000_000 + n
        roll = rng.random()
        if roll < 0.15:
            msg_id, address = sample[answers % len(sample)]
            answers += 1
            kind = rng.random()
            threading = f"In-Reply-To: {msg_id}\r\nReferences: {msg_id}\r\n"
            if kind < 0.80:
                yield (
                    realistic_reply(
                        rng,
                        number=number,
                        sender=address,
                        subject=f"Re: {_OURS}",
                        threading=threading,
                    ),
                    "reply",
                )
            elif kind < 0.92:
                yield (
                    realistic_reply(
                        rng,
                        number=number,
                        sender=address,
                        subject=f"Automatic reply: {_OURS}",
                        threading=threading + "Auto-Submitted: auto-replied\r\n",
                    ),
                    "automatic",
                )
            elif kind < 0.97:
                yield _bounce(rng, number, msg_id, address), "automatic"
            else:
                yield _receipt(rng, number, msg_id, address), "automatic"
            continue
        other = rng.random()
        if other < 0.35:  # a colleagues' thread
            chain = _ids(rng, rng.randint(1, 12))
            parent = chain.rpartition(" ")[2]
            raw = realistic_reply(
                rng,
                number=number,
                sender=f"colleague{n % 50}@example.com",
                subject=f"Re: Q{n % 4 + 1} planning",
                threading=f"In-Reply-To: {parent}\r\nReferences: {chain}\r\n",
            )
        elif other < 0.50:  # a stranger writes first
            raw = realistic_reply(
                rng,
                number=number,
                sender=f"lead{n}@prospect{n % 97}.example",
                subject="Question about your pricing",
                threading="",
            )
        elif other < 0.62:  # a contact we mailed writes first, some about our subject
            address = sample[(count + n) % len(sample)][1]
            subject = f"Question about the {_OURS}" if n % 3 == 0 else "Meeting next week"
            raw = realistic_reply(rng, number=number, sender=address, subject=subject, threading="")
        elif other < 0.85:  # newsletters and notifications
            raw = _newsletter(rng, number)
        else:  # a reply to the inbox owner's own mail
            own = f"<own-{rng.getrandbits(64):x}@example.com>"
            raw = realistic_reply(
                rng,
                number=number,
                sender=f"client{n % 300}@customer{n % 31}.example",
                subject="Re: our call",
                threading=f"In-Reply-To: {own}\r\nReferences: {own}\r\n",
            )
        yield raw, "not_a_reply"
