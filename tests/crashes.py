"""One message per crash class of issue 11, and a switch that makes each crash for sure.

Every message below raised out of ``Tracker.ingest`` on main before issue 11. The
parsers are being fixed, so :func:`inject_crashes` also makes the step each message
names raise that same exception: the guard is then proven whatever the parsers do.
Tests import this module by name (pytest puts tests/ on ``sys.path``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from replytrack import Send, pipeline
from replytrack.correlate import Correlator
from replytrack.message import RawMessage
from replytrack.testing import make_message, make_reply

MARK = "X-Crash"
# crash -> (the step where it is made to happen, the exception main raised)
CRASHES: dict[str, tuple[str, type[Exception]]] = {
    "from-nested-parens": ("scan", RecursionError),
    "ooo-naive-vs-aware": ("classify", TypeError),
    "ooo-year-9999": ("classify", ValueError),
    "date-year-10e20": ("classify", OverflowError),
    "token-non-ascii": ("correlate", TypeError),
    "html-lt-at-line-end": ("body", IndexError),
    "idna-boundary-charset": ("snippet", UnicodeError),
    "multipart-1000-deep": ("record", RecursionError),
}
# the function each step runs last, where the injected exception is raised
STEP_FUNCTIONS = {
    "scan": "crashing_scan",
    "classify": "crashing_classify",
    "correlate": "crashing_screen",  # the headers-first step crashes before correlate_many
    "body": "crashing_body_text",
    "snippet": "crashing_snippet",
    "record": "crashing_msg_id",
}


def _deep(send: Send, levels: int) -> bytes:
    head = make_reply(
        send,
        message_id="<crash-multipart-1000-deep@example.org>",
        headers={MARK: "multipart-1000-deep"},
    )
    head = head.replace(
        b"Content-Type: text/plain; charset=utf-8", b'Content-Type: multipart/mixed; boundary="b0"'
    )
    head = head[: head.index(b"\r\n\r\n") + 4]
    parts = b"".join(
        b'--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % (n, n + 1)
        for n in range(levels)
    )
    return head + parts + b"--bN\r\nContent-Type: text/plain\r\n\r\nyes\r\n"


def crash_messages(send: Send) -> dict[str, bytes]:
    """Each crash class as a message to ``send``'s inbox, marked with its name."""

    def mark(name: str) -> dict[str, str]:
        return {MARK: name}

    ooo = {"Auto-Submitted": "auto-replied"}
    idna = make_reply(send, message_id="<idna@example.org>", headers=mark("idna-boundary-charset"))
    idna = idna.replace(
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Type: multipart/mixed; boundary*=idna''xn--abc",
    )
    return {
        "from-nested-parens": make_message(
            from_address="(" * 500 + send.address, headers=mark("from-nested-parens")
        ),
        "ooo-naive-vs-aware": make_reply(
            send,
            subject="Out of office",
            body="I am out of office, back on 10 March 09:00 +01:00\n",
            headers={**ooo, **mark("ooo-naive-vs-aware")},
        ),
        "ooo-year-9999": make_reply(
            send,
            subject="Out of office",
            date="Fri, 31 Dec 9999 12:00:00 +0000",
            body="I am out of office until 3 January\n",
            headers={**ooo, **mark("ooo-year-9999")},
        ),
        "date-year-10e20": make_message(
            date="Thu, 01 Jan 100000000000000000000 12:00:00 +0000",
            body="I am out of office until 3 January\n",
            headers={**ooo, **mark("date-year-10e20")},
        ),
        "token-non-ascii": make_message(
            in_reply_to=f"<rt1.{send.id}.é{'0' * 19}@mail.example.com>",
            headers=mark("token-non-ascii"),
        ),
        "html-lt-at-line-end": make_reply(
            send,
            message_id="<html@example.org>",
            body="<p>yes</p><\n",
            headers={"Content-Type": "text/html", **mark("html-lt-at-line-end")},
        ).replace(b"Content-Type: text/plain; charset=utf-8\r\n", b""),
        "idna-boundary-charset": idna,
        "multipart-1000-deep": _deep(send, 1000),
    }


def _crash(marked: str | None, step: str) -> None:
    """Raise the exception of the crash ``marked`` when it is made to happen at ``step``."""
    if marked in CRASHES and CRASHES[marked][0] == step:
        raise CRASHES[marked][1](f"injected at {step} for {marked}")


def inject_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every marked message raise its exception at its step."""
    real_msg_id = pipeline.normalise_msg_id
    real_snippet = pipeline.snippet
    real_classify = pipeline.classify
    real_correlate = Correlator.correlate_many
    real_screen = Correlator.screen
    real_body = RawMessage.body_text
    reading: list[str | None] = [None]  # the mark of the message whose text was read last

    def crashing_scan(raw: bytes, *args: Any, **kwargs: Any) -> RawMessage:
        msg = RawMessage(raw, *args, **kwargs)
        _crash(msg.get(MARK), "scan")
        return msg

    def crashing_classify(msg: RawMessage, *args: Any, **kwargs: Any) -> Any:
        _crash(msg.get(MARK), "classify")
        return real_classify(msg, *args, **kwargs)

    def crashing_correlate(self: Correlator, batch: Any, *args: Any, **kwargs: Any) -> Any:
        for item in batch:
            _crash(item.msg.get(MARK), "correlate")
        return real_correlate(self, batch, *args, **kwargs)

    def crashing_screen(self: Correlator, batch: Any, *args: Any, **kwargs: Any) -> Any:
        for msg, _inbox, _at in batch:
            _crash(msg.get(MARK), "correlate")
        return real_screen(self, batch, *args, **kwargs)

    def crashing_body_text(self: RawMessage, *args: Any, **kwargs: Any) -> str:
        reading[0] = self.get(MARK)
        _crash(reading[0], "body")
        return real_body(self, *args, **kwargs)

    def crashing_snippet(text: str, *args: Any, **kwargs: Any) -> str:
        _crash(reading[0], "snippet")  # the engine reads a message's text, then snips it
        return real_snippet(text, *args, **kwargs)

    def crashing_msg_id(value: str) -> str:
        for name in CRASHES:
            if f"crash-{name}" in value:
                _crash(name, "record")
        return real_msg_id(value)

    patches: list[tuple[Any, str, Callable[..., Any]]] = [
        (pipeline, "RawMessage", crashing_scan),
        (pipeline, "classify", crashing_classify),
        (Correlator, "correlate_many", crashing_correlate),
        (Correlator, "screen", crashing_screen),
        (RawMessage, "body_text", crashing_body_text),
        (pipeline, "snippet", crashing_snippet),
        (pipeline, "normalise_msg_id", crashing_msg_id),
    ]
    for target, name, replacement in patches:
        monkeypatch.setattr(target, name, replacement)
