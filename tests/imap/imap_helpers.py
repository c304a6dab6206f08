"""Helpers of the IMAP tests: a Dovecot user of a test's own, with a tracker whose inbox
has sends that the test's mail answers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from dovecot import Dovecot
from replytrack import Contact, Inbox, MarketingEmail, MemoryStore, ReplyTo, Tracker
from replytrack.models import Send
from replytrack.sources.imap import ImapSource
from replytrack.testing.factories import make_reply

SECRET = b"imap-test-secret-0123456789abcdef0123"
DOMAIN = "mail.example.com"


@attrs.define
class Mailbox:
    """A Dovecot user of its own, with a tracker whose inbox ``sales`` is that mailbox."""

    server: Dovecot
    user: str
    password: str
    tracker: Tracker
    sends: list[Send]
    _next: int = 0

    def source(self, kind: type[ImapSource] = ImapSource, **options: Any) -> ImapSource:
        settings: dict[str, Any] = {
            "host": self.server.host,
            "port": self.server.port,
            "username": self.user,
            "security": "plain",
            "inbox_id": "sales",
            "timeout": 5.0,
            "backoff": 0.01,
        }
        if "token_provider" not in options:
            settings["password"] = self.password
        settings.update(options)
        return kind(**settings)

    def reply(self, folder: str = "INBOX", *, send: int | None = None) -> bytes:
        """Deliver a human reply to the next send (or send number ``send``)."""
        number = self._next if send is None else send
        if send is None:
            self._next += 1
        raw = make_reply(self.sends[number], message_id=f"<reply-{number}-{self.user}@example.org>")
        self.server.save(self.user, raw, folder)
        return raw

    def other_mail(self, number: int, folder: str = "INBOX") -> None:
        raw = (
            f"From: colleague@example.com\r\nTo: {self.user}@example.com\r\n"
            f"Subject: lunch {number}\r\nMessage-ID: <other-{number}-{self.user}@example.com>\r\n"
            f"\r\nLunch at noon?\r\n"
        ).encode()
        self.server.save(self.user, raw, folder)

    def replies(self) -> int:
        return self.tracker.report("spring").replies


def new_mailbox(server: Dovecot, contacts: int = 12) -> Mailbox:
    user = f"u{uuid.uuid4().hex[:10]}"
    password = f"pw-{uuid.uuid4().hex}"
    server.add_user(user, password)
    tracker = Tracker(MemoryStore(), secret=SECRET, domain=DOMAIN)
    now = datetime.now(UTC)
    tracker.connect_inbox(
        Inbox(id="sales", address="sales@example.com"), connected_at=now - timedelta(hours=2)
    )
    email = MarketingEmail(
        id="spring",
        subject="Spring sale",
        from_address="sales@example.com",
        reply_to=ReplyTo.inbox("sales@example.com"),
    )
    people = [Contact(id=f"c{n}", emails=(f"c{n}@example.org",)) for n in range(contacts)]
    sends = tracker.record_sends(email, people, sent_at=now - timedelta(hours=1))
    return Mailbox(server, user, password, tracker, sends)
