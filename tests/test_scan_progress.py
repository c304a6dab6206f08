"""Every loop that scans message bytes moves forward at every step.

A tracer (``sys.settrace``) reads each loop's position variable at a line that runs
once per step, and stops the run the moment a position fails to grow: a loop that
would spin fails here at its first repeated step, never hangs. A second test reads
the source: every ``while`` loop in the scanning modules is in the registry below,
so a new loop cannot skip the check.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from types import CodeType, FrameType, ModuleType
from typing import Any

import attrs
import pytest

from replytrack import (
    Inbox,
    MemoryStore,
    Tracker,
    _autoreply_body,
    _autoreply_report,
    _mime,
    headers,
    message,
    subjects,
)
from replytrack.autoreply import classify
from replytrack.message import RawMessage


@attrs.frozen
class Loop:
    """A loop, the variable holding its position, and a line it runs once per step."""

    module: ModuleType
    function: str  # "name" or "Class.name"
    variable: str
    step_line: str  # the stripped source of a line inside the loop, run once per step
    entry_line: str | None = None  # a line run before each (re)entry: positions restart


LOOPS = (
    Loop(_mime, "_Walk.first_in_multipart", "position", "self.parts -= 1"),
    Loop(message, "_find_values", "position", "start = position + len(key)"),
    Loop(
        headers,
        "_drop_comments",
        "start",
        'opened, closed = text.rfind("<", copied, start), text.rfind(">", copied, start)',
    ),
    Loop(headers, "_drop_comments", "position", "match = _COMMENT_TEXT.match(text, position)"),
    Loop(
        _autoreply_body,
        "return_date",
        "start",
        "attempts -= 1",
        entry_line='start = folded.find(marker + " ")',
    ),
    Loop(
        _autoreply_report,
        "_find_part",
        "position",
        "before = lower[max(0, position - _LOOK_BACK) : position]",
        entry_line="position = lower.find(ctype)",
    ),
    Loop(subjects, "_scan", "i", "close = _TAG_CLOSE.get(subject[i])"),
    Loop(subjects, "_scan", "i", "i += 1"),
    Loop(subjects, "_opens_with_header_block", "start", "start += 1"),
)
SCANNING_MODULES = (_mime, message, headers, _autoreply_body, _autoreply_report, subjects)


class Stalled(AssertionError):
    """A loop's position did not grow from one step to the next."""


def _function(loop: Loop) -> Any:
    owner: Any = loop.module
    for part in loop.function.split("."):
        owner = getattr(owner, part)
    return owner


def _line_of(function: Any, text: str) -> int:
    lines, first = inspect.getsourcelines(function)
    found = [first + n for n, line in enumerate(lines) if line.strip() == text]
    assert len(found) == 1, f"{text!r} must be exactly one line of {function.__qualname__}"
    return found[0]


@attrs.frozen
class _Watch:
    loop: Loop
    step: int
    entry: int | None


def _watches(loops: tuple[Loop, ...]) -> dict[CodeType, list[_Watch]]:
    by_code: dict[CodeType, list[_Watch]] = {}
    for loop in loops:
        function = _function(loop)
        entry = _line_of(function, loop.entry_line) if loop.entry_line else None
        watch = _Watch(loop, _line_of(function, loop.step_line), entry)
        by_code.setdefault(function.__code__, []).append(watch)
    return by_code


@attrs.define
class Trace:
    """Positions seen per loop: one list per run of the loop (a call, or a re-entry)."""

    runs: dict[Loop, list[list[int]]] = attrs.field(factory=dict)

    def steps(self, loop: Loop) -> int:
        """The most steps one run of ``loop`` took."""
        return max((len(run) for run in self.runs.get(loop, [])), default=0)


def traced(loops: tuple[Loop, ...], call: Callable[[], object]) -> Trace:
    """Run ``call`` with the loops' positions watched; Stalled at the first that does not grow."""
    watched = _watches(loops)
    trace = Trace()

    def on_call(frame: FrameType, event: str, _arg: object) -> Any:
        watches = watched.get(frame.f_code) if event == "call" else None
        if watches is None:
            return None
        current: dict[int, list[int]] = {}  # this frame's run of each loop

        def start_run(w: _Watch) -> None:
            current[id(w)] = []
            trace.runs.setdefault(w.loop, []).append(current[id(w)])

        for w in watches:
            start_run(w)

        def on_line(frame: FrameType, event: str, _arg: object) -> Any:
            if event == "line":
                for w in watches:
                    if frame.f_lineno == w.entry:
                        start_run(w)
                    elif frame.f_lineno == w.step:
                        run = current[id(w)]
                        value = frame.f_locals[w.loop.variable]
                        if run and value <= run[-1]:
                            raise Stalled(
                                f"{w.loop.function}: {w.loop.variable} went from {run[-1]} "
                                f"to {value}"
                            )
                        run.append(value)
            return on_line

        return on_line

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        call()
    finally:
        sys.settrace(previous)
    return trace


# -- the messages every loop is driven through -------------------------------------------------
def _mail(headers: str, body: str) -> bytes:
    return (headers.replace("\n", "\r\n") + "\r\n").encode() + body.encode()


MULTIPART = _mail(
    "From: Bob <bob@example.org>\nTo: sales@example.com\nReceived: one\nReceived: two\n"
    "Received: three\n folded\n\tagain\nSubject: Re: AW:   [list] Fwd: Spring sale\n"
    "References: <a@x> (old (nested) note) <b@y> (c@z)\n"
    'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="o"\n',
    "--o\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment\r\n\r\nPDF\r\n"
    "--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n"
    "--i\r\nContent-Type: text/html\r\n\r\n<p>first</p>\r\n"
    "--i\r\nContent-Type: text/html\r\n\r\n<p>second</p>\r\n--i\r\n--o--\r\n",
)
LOOP_SHAPE_TOP = _mail(
    "From: bob@example.org\nSubject: Re: x\nMIME-Version: 1.0\n"
    'Content-Type: multipart/alternative; boundary="b"\n',
    "--b\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--b",
)
OUT_OF_OFFICE = _mail(
    "From: carol@example.org\nSubject: Automatic reply: Spring sale\nAuto-Submitted: auto-replied\n"
    "Date: Mon, 02 Mar 2026 10:00:00 +0000\n",
    "I am out of office and back on the road, then back on 10 March 09:00 +01:00.\r\n",
)
REPORT = _mail(
    "From: MAILER-DAEMON@example.net\nSubject: Undelivered Mail Returned to Sender\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=r\n",
    "--r\r\n\r\nSee message/delivery-status below; message/delivery-status again.\r\n"
    "--r\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\nStatus: 5.1.1\r\n--r--\r\n",
)
FORWARD_TEXT = "-----\n_____\n-----Original Message-----\nFrom: a\nSent: b\nSubject: c\n"


def _drive() -> None:
    for raw in (MULTIPART, LOOP_SHAPE_TOP, OUT_OF_OFFICE, REPORT):
        msg = RawMessage(raw)
        msg.get_all("received")
        classify(msg)
        msg.body_text()
        headers.thread_ids(msg.get_all("in-reply-to"), msg.get_all("references"))
        subjects.normalise_subject(msg.subject)
    subjects.has_forward_marker(FORWARD_TEXT)
    tracker = Tracker(MemoryStore(), secret=b"k" * 32, domain="mail.example.com")
    tracker.connect_inbox(
        Inbox(id="sales", address="sales@example.com"),
        connected_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    tracker.ingest("sales", MULTIPART, received_at=datetime(2026, 3, 1, tzinfo=UTC))


def test_every_scanning_loop_moves_forward_at_every_step_on_hostile_shapes() -> None:
    trace = traced(LOOPS, _drive)
    assert {loop: trace.steps(loop) for loop in LOOPS if trace.steps(loop) < 2} == {}
    assert all(run == sorted(set(run)) for runs in trace.runs.values() for run in runs)


def test_the_driving_messages_are_read_as_expected() -> None:
    assert RawMessage(MULTIPART).body_text() == "first"
    assert RawMessage(LOOP_SHAPE_TOP).body_text() == "hi"
    assert classify(OUT_OF_OFFICE).return_date == date(2026, 3, 10)
    assert classify(REPORT).reasons == ("structure:delivery-status", "dsn:action=failed")
    assert headers.thread_ids([], RawMessage(MULTIPART).get_all("references")) == ["b@y", "a@x"]
    assert RawMessage(MULTIPART).get_all("received") == ["one", "two", "three folded\tagain"]


def _while_loops(module: ModuleType) -> Iterator[tuple[str, ast.While]]:
    tree = ast.parse(inspect.getsource(module))
    scopes: list[tuple[str, ast.AST]] = [("", tree)]
    while scopes:
        prefix, node = scopes.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef):
                scopes.append((prefix + child.name + ".", child))
            elif isinstance(child, ast.While):
                yield prefix.rstrip("."), child
                scopes.append((prefix, child))
            else:
                scopes.append((prefix, child))


def test_every_while_loop_of_the_scanning_modules_is_watched() -> None:
    watched: dict[tuple[str, str], list[str]] = {}
    for loop in LOOPS:
        watched.setdefault((loop.module.__name__, loop.function), []).append(loop.step_line)
    unwatched = []
    for module in SCANNING_MODULES:
        for function, node in _while_loops(module):
            body = {ast.unparse(statement) for statement in ast.walk(node) if statement is not node}
            steps = watched.get((module.__name__, function), [])
            if not any(ast.unparse(ast.parse(textwrap.dedent(s))) in body for s in steps):
                unwatched.append(f"{module.__name__}.{function} line {node.lineno}")
    assert unwatched == []


# -- the tracer itself catches a loop that stands still ----------------------------------------
def _stuck_walk(buf: bytes) -> int:
    steps = 0
    position = buf.find(b"--b")
    while position >= 0:
        steps += 1
        part_start = buf.find(b"\n", position + 3) + 1  # the old walker: 0 when no newline
        following = buf.find(b"\n--b", part_start)
        position = following + 1 if following >= 0 else -1
    return steps


def test_the_tracer_stops_a_loop_whose_position_goes_back() -> None:
    stuck = Loop(sys.modules[__name__], "_stuck_walk", "position", "steps += 1")
    assert traced((stuck,), lambda: _stuck_walk(b"x\n--b\r\ny\n--b\r\nz")).steps(stuck) == 2
    with pytest.raises(Stalled, match="position went from 1 to 1"):
        traced((stuck,), lambda: _stuck_walk(b"\n--b"))


def test_the_tracer_stops_the_old_walker_on_a_delimiter_without_a_newline() -> None:
    with pytest.raises(Stalled):
        traced(
            (Loop(sys.modules[__name__], "_stuck_walk", "position", "steps += 1"),),
            lambda: _stuck_walk(b"<p>hi</p>\r\n--b"),
        )
