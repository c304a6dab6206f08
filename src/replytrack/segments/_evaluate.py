"""The reference evaluator: a segment over one contact's facts, in plain Python.

Two-valued logic: every condition is True or False. A positive comparison on
a missing value (or a value of another type than the field's) is False;
``not`` is the exact complement. The SQL compiler must agree with this module
on every input (tests/test_segments_differential.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from replytrack.segments import _ast as a
from replytrack.segments._fields import BUILTIN, FieldType, SegmentValues, fold
from replytrack.segments._segment import Segment
from replytrack.segments._time import Interval, inside, resolve

__all__ = ["Facts", "Predicate", "predicate"]


@attrs.frozen
class Facts:
    """What a segment reads of one contact: its values, its human replies and its sends,
    each reply or send as (email id, microseconds since the epoch)."""

    values: SegmentValues
    replies: tuple[tuple[str, int], ...] = ()
    sends: tuple[tuple[str, int], ...] = ()


Predicate = Callable[[Facts], bool]


def predicate(segment: Segment, now: datetime) -> Predicate:
    """A function telling whether a contact's facts belong to ``segment`` at ``now``."""
    return _Compiler(segment, now).node(segment.expr)


def _typed(kind: FieldType, value: Any) -> bool:
    """True when ``value`` is a known value of a field of type ``kind``."""
    if kind == "text":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, int)


def _reply_field(name: str, facts: Facts) -> Any:
    times = [at for _, at in facts.replies]
    if name == "reply_count":
        return len(times)
    if name == "emails_replied":
        return len({email for email, _ in facts.replies})
    if not times:
        return None
    return min(times) if name == "first_reply_at" else max(times)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


@attrs.define
class _Compiler:
    segment: Segment
    now: datetime

    def interval(self, window: a.TimeRange) -> Interval:
        return resolve(window, self.now, self.segment.zone)

    def reader(self, name: str) -> Callable[[Facts], Any]:
        """The field's value of a contact, None when unknown or of another type. Numbers
        are read as doubles, as SQL compares them (integers are kept within 2**53)."""
        kind = self.segment.schema.type_of(name)
        assert kind is not None, name  # the parser only lets declared fields through
        if name in BUILTIN:
            if kind == "number":
                return lambda facts: float(_reply_field(name, facts))
            if kind == "time":
                return lambda facts: _reply_field(name, facts)

        def read(facts: Facts) -> Any:
            value = facts.values.get(name)
            if not _typed(kind, value):
                return None
            return float(value) if kind == "number" else value

        return read

    def node(self, node: a.Node) -> Predicate:
        if isinstance(node, a.Or):
            items = [self.node(item) for item in node.items]
            return lambda facts: any(item(facts) for item in items)
        if isinstance(node, a.And):
            items = [self.node(item) for item in node.items]
            return lambda facts: all(item(facts) for item in items)
        if isinstance(node, a.Not):
            item = self.node(node.item)
            return lambda facts: not item(facts)
        if isinstance(node, a.Replied | a.Sent):
            return self.activity(node)
        return self.condition(node)

    def activity(self, node: a.Replied | a.Sent) -> Predicate:
        emails = None if node.emails is None else frozenset(node.emails)
        interval = None if node.window is None else self.interval(node.window)
        needed = node.at_least if isinstance(node, a.Replied) else 1
        replies = isinstance(node, a.Replied)

        def check(facts: Facts) -> bool:
            found = {
                email
                for email, at in (facts.replies if replies else facts.sends)
                if (emails is None or email in emails)
                and (interval is None or inside(at, interval))
            }
            return len(found) >= needed

        return check

    def condition(self, node: a.Node) -> Predicate:
        read = self.reader(node.field)  # type: ignore[union-attr]
        kind = self.segment.schema.type_of(node.field)  # type: ignore[union-attr]

        def literal(value: Any) -> Any:
            if kind == "number":
                return float(value)
            return fold(value) if kind == "text" else value

        if isinstance(node, a.Known):
            return lambda facts: read(facts) is not None
        if isinstance(node, a.When):
            interval = self.interval(node.range)
            return lambda facts: inside(read(facts), interval)
        if isinstance(node, a.Compare):
            op, right = node.op, literal(node.value)
            return lambda facts: (value := read(facts)) is not None and _compare(op, value, right)
        if isinstance(node, a.Among):
            values = [literal(v) for v in node.values]
            return lambda facts: (value := read(facts)) is not None and value in values
        if isinstance(node, a.NumberRange):
            low, high = float(node.low), float(node.high)
            return lambda facts: (value := read(facts)) is not None and low <= value <= high
        assert isinstance(node, a.TextMatch), node
        needle, verb = fold(node.value), node.op

        def match(facts: Facts) -> bool:
            value = read(facts)
            if value is None:
                return False
            if verb == "contains":
                return needle in value
            return bool(
                value.startswith(needle) if verb == "starts with" else value.endswith(needle)
            )

        return match
