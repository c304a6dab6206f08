"""The parsed form of a segment: frozen attrs nodes that print back as segment text.

``str(node)`` is the canonical text; parsing it gives an equal node. Negative
forms (``!=``, ``not in``, ``does not contain``, ``is unknown``) are :class:`Not`
around the positive condition, which is what makes ``not`` an exact complement.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Literal

import attrs

__all__ = [
    "UNITS",
    "After",
    "Ago",
    "Among",
    "And",
    "Before",
    "Between",
    "Compare",
    "Day",
    "Known",
    "Moment",
    "Node",
    "Not",
    "NumberRange",
    "On",
    "Or",
    "Replied",
    "Sent",
    "TextMatch",
    "TimeRange",
    "When",
    "Within",
    "walk",
]

#: the units of a rolling window: each an exact duration
UNITS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
Scalar = str | int | float | bool


def quote(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _list(values: tuple[Scalar, ...]) -> str:
    return "[" + ", ".join(quote(v) for v in values) + "]"


# -- times ------------------------------------------------------------------------
@attrs.frozen
class Day:
    """A calendar day in the segment's time zone: a date, or ``today`` shifted by ``offset``."""

    value: date | None = None
    offset: int = 0

    def __str__(self) -> str:
        if self.value is not None:
            return self.value.isoformat()
        return {0: "today", -1: "yesterday"}[self.offset]


Moment = Day | datetime


def _moment(value: Moment) -> str:
    if isinstance(value, Day):
        return str(value)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _amount(amount: int, unit: str) -> str:
    return f"{amount} {unit}{'' if amount == 1 else 's'}"


@attrs.frozen
class Within:
    """``within last N units``: from N units before now up to now."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"within last {_amount(self.amount, self.unit)}"


@attrs.frozen
class Ago:
    """``more than N units ago``: earlier than N units before now."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"more than {_amount(self.amount, self.unit)} ago"


@attrs.frozen
class Before:
    """``before D``: earlier than the first instant of day D (or than the instant)."""

    at: Moment

    def __str__(self) -> str:
        return f"before {_moment(self.at)}"


@attrs.frozen
class After:
    """``after D``: from the day after D on (or later than the instant)."""

    at: Moment

    def __str__(self) -> str:
        return f"after {_moment(self.at)}"


@attrs.frozen
class On:
    """``on D``: during day D."""

    day: Day

    def __str__(self) -> str:
        return f"on {self.day}"


@attrs.frozen
class Between:
    """``between A and B``: from the start of day A to the end of day B, both included."""

    start: Moment
    end: Moment

    def __str__(self) -> str:
        return f"between {_moment(self.start)} and {_moment(self.end)}"


TimeRange = Within | Ago | Before | After | On | Between


# -- conditions ---------------------------------------------------------------------
@attrs.frozen
class Replied:
    """Human replies to ``emails`` (None: any email): at least ``at_least`` distinct emails,
    with a reply received in ``window`` when there is one."""

    emails: tuple[str, ...] | None
    at_least: int = 1
    window: TimeRange | None = None

    def __str__(self) -> str:
        if self.at_least > 1:
            target = f"at least {self.at_least} " + (
                "emails" if self.emails is None else f"of {_list(self.emails)}"
            )
        else:
            target = _targets(self.emails)
        return f"replied to {target}{_window(self.window)}"


@attrs.frozen
class Sent:
    """A send of one of ``emails`` (None: any email), sent in ``window`` when there is one."""

    emails: tuple[str, ...] | None
    window: TimeRange | None = None

    def __str__(self) -> str:
        return f"sent {_targets(self.emails)}{_window(self.window)}"


def _targets(emails: tuple[str, ...] | None) -> str:
    if emails is None:
        return "any"
    return quote(emails[0]) if len(emails) == 1 else f"any of {_list(emails)}"


def _window(window: TimeRange | None) -> str:
    return "" if window is None else f" {window}"


@attrs.frozen
class Compare:
    """``field op value``: = for any type, < <= > >= for numbers."""

    field: str
    op: Literal["=", "<", "<=", ">", ">="]
    value: Scalar

    def __str__(self) -> str:
        return f"{self.field} {self.op} {quote(self.value)}"


@attrs.frozen
class Among:
    """``field in [values]``."""

    field: str
    values: tuple[Scalar, ...]

    def __str__(self) -> str:
        return f"{self.field} in {_list(self.values)}"


@attrs.frozen
class TextMatch:
    """``field contains / starts with / ends with "text"``."""

    field: str
    op: Literal["contains", "starts with", "ends with"]
    value: str

    def __str__(self) -> str:
        return f"{self.field} {self.op} {quote(self.value)}"

    def negated(self) -> str:
        verb = {"contains": "contain", "starts with": "start with", "ends with": "end with"}
        return f"{self.field} does not {verb[self.op]} {quote(self.value)}"


@attrs.frozen
class NumberRange:
    """``field between low and high``, both included."""

    field: str
    low: int | float
    high: int | float

    def __str__(self) -> str:
        return f"{self.field} between {quote(self.low)} and {quote(self.high)}"


@attrs.frozen
class Known:
    """``field is known``: the field has a value of its type."""

    field: str

    def __str__(self) -> str:
        return f"{self.field} is known"


@attrs.frozen
class When:
    """A time field in a range: ``last_reply_at within last 30 days``."""

    field: str
    range: TimeRange

    def __str__(self) -> str:
        return f"{self.field} {self.range}"


# -- logic ---------------------------------------------------------------------------
@attrs.frozen
class Not:
    item: Node

    def __str__(self) -> str:
        item = self.item
        if isinstance(item, Compare) and item.op == "=":
            return f"{item.field} != {quote(item.value)}"
        if isinstance(item, Among):
            return f"{item.field} not in {_list(item.values)}"
        if isinstance(item, TextMatch):
            return item.negated()
        if isinstance(item, Known):
            return f"{item.field} is unknown"
        return f"not {_wrap(item, Not)}"


@attrs.frozen
class And:
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return " and ".join(_wrap(item, And) for item in self.items)


@attrs.frozen
class Or:
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return " or ".join(_wrap(item, Or) for item in self.items)


Node = Or | And | Not | Replied | Sent | Compare | Among | TextMatch | NumberRange | Known | When
_BINDING = {Or: 1, And: 2, Not: 3}


def _wrap(item: Node, parent: type) -> str:
    """``item`` as text, in parentheses when it binds looser than ``parent`` (or as loose:
    ``a and (b and c)`` keeps its nesting when parsed again)."""
    binding, outer = _BINDING.get(type(item), 4), _BINDING[parent]
    if binding < outer or (binding == outer and parent is not Not):
        return f"({item})"
    return str(item)


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every node under it."""
    yield node
    if isinstance(node, And | Or):
        for item in node.items:
            yield from walk(item)
    elif isinstance(node, Not):
        yield from walk(node.item)
