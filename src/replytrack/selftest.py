"""A self-test of the real pipeline: a send, then a human reply, an out-of-office, a bounce
and a stranger's mail, ingested into a scratch MemoryStore with your secret and domain.
``replytrack doctor`` runs it and shows each expectation met or not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from replytrack.models import Contact, Inbox, MarketingEmail, ReplyTo
from replytrack.pipeline import IngestResult
from replytrack.stores.memory import MemoryStore
from replytrack.tracker import Tracker

__all__ = ["SelfCheck", "self_test"]

_SENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_INBOX = "sales@selftest.example.com"
_SUBJECT = "Self-test: spring update"


@attrs.frozen(kw_only=True)
class SelfCheck:
    """One synthetic message: what it should get and what it got."""

    name: str
    expected: str
    got: str

    @property
    def ok(self) -> bool:
        return self.expected == self.got


def self_test(*, secret: bytes, domain: str, tenant: str = "self-test") -> list[SelfCheck]:
    """Run the synthetic messages through a Tracker over a new MemoryStore; one check each,
    then one for the report they add up to. Raises ConfigurationError for a bad secret."""
    clock = iter(_SENT + timedelta(minutes=n) for n in range(1000))
    tracker = Tracker(
        MemoryStore(), secret=secret, domain=domain, tenant=tenant, clock=lambda: next(clock)
    )
    tracker.connect_inbox(Inbox(id="sales", address=_INBOX), _SENT - timedelta(days=1))
    email = MarketingEmail(
        id="spring", subject=_SUBJECT, from_address=_INBOX, reply_to=ReplyTo.inbox(_INBOX)
    )
    bob, eve = tracker.record_sends(
        email,
        [
            Contact(id="bob", emails=("bob@client.example.org",)),
            Contact(id="eve", emails=("eve@gone.example.net",)),
        ],
        sent_at=_SENT,
    )
    received = _SENT + timedelta(hours=2)
    messages = [
        ("a human reply", "reply, human, token", _reply(bob.message_id)),
        ("an out-of-office", "automatic, auto_reply, token", _out_of_office(bob.message_id)),
        ("a bounce", "automatic, bounce, token", _bounce(eve.message_id)),
        ("a stranger's mail", "not_a_reply, -, -", _stranger()),  # never classified
    ]
    checks = []
    for name, expected, raw in messages:
        result = tracker.ingest("sales", raw, received_at=received)
        checks.append(SelfCheck(name=name, expected=expected, got=_summary(result)))
    report = tracker.report("spring")
    checks.append(
        SelfCheck(
            name="the report",
            expected="sent 2, bounced 1, replies 1, rate 100%",
            got=f"sent {report.sent}, bounced {report.bounced}, replies {report.replies}, "
            f"rate {report.reply_rate:.0%}",
        )
    )
    return checks


def _summary(result: IngestResult) -> str:
    kind = result.verdict.kind.value if result.verdict else "-"
    strategy = result.match.strategy.value if result.match else "-"
    return f"{result.outcome.value}, {kind}, {strategy}"


def _message(key: str, sender: str, subject: str, extra: list[str], body: list[str]) -> bytes:
    lines = [
        f"From: {sender}",
        f"To: {_INBOX}",
        f"Subject: {subject}",
        "Date: Mon, 02 Mar 2026 11:00:00 +0000",
        f"Message-ID: <{key}@selftest.example.org>",
        "MIME-Version: 1.0",
        *extra,
        "",
        *body,
    ]
    return "\r\n".join(lines).encode()


def _reply(parent: str) -> bytes:
    return _message(
        "reply",
        "Bob Client <bob@client.example.org>",
        f"Re: {_SUBJECT}",
        [f"In-Reply-To: {parent}", f"References: {parent}", "Content-Type: text/plain"],
        ["Thanks, can we talk on Thursday?", "", "> " + _SUBJECT],
    )


def _out_of_office(parent: str) -> bytes:
    return _message(
        "ooo",
        "Bob Client <bob@client.example.org>",
        f"Automatic reply: {_SUBJECT}",
        [
            f"In-Reply-To: {parent}",
            "Auto-Submitted: auto-replied",
            "X-Auto-Response-Suppress: All",
            "Content-Type: text/plain",
        ],
        ["I am out of the office until 9 March with limited access to email."],
    )


def _bounce(original: str) -> bytes:
    boundary = "selftest-report"
    return _message(
        "bounce",
        "Mail Delivery System <MAILER-DAEMON@mx.gone.example.net>",
        "Undelivered Mail Returned to Sender",
        [
            "Auto-Submitted: auto-replied",
            f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        ],
        [
            f"--{boundary}",
            "Content-Type: text/plain",
            "",
            "Your message could not be delivered: the mailbox does not exist.",
            f"--{boundary}",
            "Content-Type: message/delivery-status",
            "",
            "Reporting-MTA: dns; mx.gone.example.net",
            "",
            "Final-Recipient: rfc822; eve@gone.example.net",
            "Action: failed",
            "Status: 5.1.1",
            f"--{boundary}",
            "Content-Type: text/rfc822-headers",
            "",
            f"From: {_INBOX}",
            "To: eve@gone.example.net",
            f"Subject: {_SUBJECT}",
            f"Message-ID: {original}",
            f"--{boundary}--",
        ],
    )


def _stranger() -> bytes:
    return _message(
        "stranger",
        "Jo Prospect <jo@newlead.example.com>",
        "Question about your pricing",
        ["Content-Type: text/plain"],
        ["Hello, could someone send me your price list?"],
    )
