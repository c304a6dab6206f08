"""Ingest on headers first (issue 13): a message without a candidate send is NOT_A_REPLY
without classification or body reading; candidates are classified and matched as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from replytrack import (
    Contact,
    Inbox,
    MarketingEmail,
    MemoryStore,
    Outcome,
    ReplyTo,
    Send,
    Tracker,
    pipeline,
)
from replytrack.message import RawMessage
from replytrack.testing import make_reply

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SPRING = MarketingEmail(
    id="spring",
    subject="Spring sale",
    from_address="sales@example.com",
    reply_to=ReplyTo.inbox("sales@example.com"),
)
BOB = Contact(id="c1", emails=("bob@example.org",))


def plain(sender: str, subject: str, extra: str = "") -> bytes:
    return (
        f"From: {sender}\r\nTo: sales@example.com\r\nSubject: {subject}\r\n"
        f"Message-ID: <{abs(hash((sender, subject, extra)))}@x.example>\r\n{extra}"
        "Content-Type: text/plain\r\n\r\nHello there, a few lines of body text.\r\n"
    ).encode()


@pytest.fixture
def tracker() -> Tracker:
    engine = Tracker(MemoryStore(), secret=b"s" * 32, domain="mail.example.com", clock=lambda: T0)
    engine.connect_inbox(Inbox(id="sales", address="sales@example.com"), connected_at=T0)
    return engine


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The senders of the messages classified, and of those whose body was read."""
    seen: dict[str, list[str]] = {"classified": [], "body": []}
    real_classify, real_text = pipeline.classify, RawMessage.body_text
    real_head = RawMessage.body_head

    def classify(msg: RawMessage, *args: Any, **kwargs: Any) -> Any:
        seen["classified"].append(msg.from_address)
        return real_classify(msg, *args, **kwargs)

    def body_text(msg: RawMessage, *args: Any, **kwargs: Any) -> str:
        seen["body"].append(msg.from_address)
        return real_text(msg, *args, **kwargs)

    def body_head(msg: RawMessage, *args: Any, **kwargs: Any) -> bytes:
        seen["body"].append(msg.from_address)
        return real_head(msg, *args, **kwargs)

    monkeypatch.setattr(pipeline, "classify", classify)
    monkeypatch.setattr(RawMessage, "body_text", body_text)
    monkeypatch.setattr(RawMessage, "body_head", body_head)
    return seen


def bounce_of(send: Send) -> bytes:
    """A delivery report whose only link to the send is the returned header block."""
    return (
        "From: MAILER-DAEMON@mx.example.org\r\nTo: sales@example.com\r\nReturn-Path: <>\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@mx.example.org>\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        f"Final-Recipient: rfc822; {send.address}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {send.message_id}\r\n"
        "--b--\r\n"
    ).encode()


def test_mail_without_a_candidate_is_neither_classified_nor_read(
    tracker: Tracker, watched: dict[str, list[str]]
) -> None:
    send = tracker.record_send(SPRING, BOB, sent_at=T0)
    later = T0 + timedelta(hours=2)
    others = [
        plain("stranger@lead.example", "Question about your pricing"),
        plain("bob@example.org", "Meeting next week"),  # mailed, but another subject
        plain("colleague@example.com", "Re: planning", "In-Reply-To: <a@corp.example>\r\n"),
        plain("news@vendor.example", "Digest", "List-Id: <w.vendor.example>\r\n"),
    ]
    results = tracker.ingest_many(
        "sales", [(raw, later) for raw in [*others, make_reply(send), bounce_of(send)]]
    )
    assert [r.outcome for r in results] == [Outcome.NOT_A_REPLY] * 4 + [
        Outcome.REPLY,
        Outcome.AUTOMATIC,
    ]
    for result in results[:4]:
        assert (result.verdict, result.match, result.reply) == (None, None, None)
        assert result.reason == "no send of ours is referenced"
        assert result.received_at == later
    daemon = "mailer-daemon@mx.example.org"
    assert sorted(watched["classified"]) == sorted(["bob@example.org", daemon])
    assert set(watched["body"]) <= {"bob@example.org", daemon}
    assert daemon in watched["body"]  # the returned headers were read: that is its link


def test_a_contact_writing_first_with_our_subject_is_a_candidate(
    tracker: Tracker, watched: dict[str, list[str]]
) -> None:
    tracker.record_send(SPRING, BOB, sent_at=T0)
    result = tracker.ingest(
        "sales", plain("bob@example.org", "Spring sale"), received_at=T0 + timedelta(hours=1)
    )
    assert result.outcome is Outcome.REPLY
    assert result.verdict is not None
    assert watched["classified"] == ["bob@example.org"]


def test_the_batch_asks_the_store_once_per_kind_of_lookup(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    send = tracker.record_send(SPRING, BOB, sent_at=T0)
    store = tracker.store
    calls: list[str] = []
    for name in ("find_sends_by_message_id", "find_sends_to", "get_sends"):
        real = getattr(type(store), name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kw)

        monkeypatch.setattr(type(store), name, counted)
    later = T0 + timedelta(hours=2)
    batch = [
        make_reply(send),
        plain("bob@example.org", "Spring sale"),
        plain("x@y.example", "Hi", "In-Reply-To: <z@corp.example>\r\n"),
    ]
    tracker.ingest_many("sales", [(raw, later) for raw in batch])
    assert sorted(calls) == ["find_sends_by_message_id", "find_sends_to", "get_sends"]


def test_the_mime_walker_imports_nothing_of_the_message_scan() -> None:
    import ast
    import inspect

    from replytrack import _mime

    tree = ast.parse(inspect.getsource(_mime))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "replytrack.message" not in imported
    assert "RawMessage" not in inspect.getsource(_mime)
