"""Build sends and raw inbound messages for tests, without a mail client."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from replytrack.models import Send

__all__ = ["make_message", "make_reply", "make_send"]

_counter = itertools.count(1)


def make_send(
    *,
    send_id: str | None = None,
    email_id: str = "email-1",
    contact_id: str = "contact-1",
    address: str = "bob@example.org",
    sent_at: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    inbox_id: str | None = "sales",
    tracked: bool = True,
    untracked_reason: str | None = None,
    message_id: str | None = None,
) -> Send:
    """A Send record with sensible defaults; every send gets a distinct id and Message-ID."""
    number = next(_counter)
    send_id = send_id or f"send-{number:08d}"
    return Send(
        id=send_id,
        email_id=email_id,
        contact_id=contact_id,
        address=address,
        message_id=message_id or f"<{send_id}@mail.example.com>",
        sent_at=sent_at,
        reply_to="sales@example.com" if tracked else None,
        inbox_id=inbox_id if tracked else None,
        tracked=tracked,
        untracked_reason=untracked_reason,
    )


def make_message(
    *,
    from_address: str = "bob@example.org",
    to: str = "sales@example.com",
    subject: str = "Re: Spring sale",
    body: str = "Sounds good, call me.\n",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: Mapping[str, str] | None = None,
    date: str = "Thu, 01 Jan 2026 12:00:00 +0000",
) -> bytes:
    """A plain-text RFC 5322 message with CRLF line ends."""
    lines = [
        f"From: {from_address}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {date}",
        f"Message-ID: {message_id or f'<msg-{next(_counter)}@example.org>'}",
    ]
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references:
        lines.append(f"References: {references}")
    lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body]
    return "\r\n".join(lines).encode("utf-8")


_UNSET = "\0unset"


def make_reply(
    send: Send,
    *,
    from_address: str | None = None,
    in_reply_to: str | None = _UNSET,
    references: str | None = _UNSET,
    **options: Any,
) -> bytes:
    """A human reply to ``send`` from its recipient, threaded on its Message-ID.

    Pass ``in_reply_to=None`` or ``references=None`` to leave a header out; other
    keywords go to :func:`make_message`.
    """
    return make_message(
        from_address=from_address or send.address,
        in_reply_to=send.message_id if in_reply_to == _UNSET else in_reply_to,
        references=send.message_id if references == _UNSET else references,
        **options,
    )
