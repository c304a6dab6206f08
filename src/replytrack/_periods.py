"""An inbox's connected periods: half-open intervals [start, end), the last one open
(end None) while the inbox is connected.

Periods are kept as their union: sorted, with overlapping or touching intervals merged,
so that two inboxes connected over the same time compare equal and a reconnection
never forgets an earlier period.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from replytrack.errors import ConfigurationError

__all__ = ["Period", "covers", "describe", "normalise", "settle"]

#: (start, end): connected from start (included) to end (excluded); end None: still connected
Period = tuple[datetime, datetime | None]


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ConfigurationError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ConfigurationError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def normalise(periods: Iterable[tuple[datetime, datetime | None]]) -> tuple[Period, ...]:
    """``periods`` in UTC as their union, oldest first; ConfigurationError for an end
    before its start, a naive time or something that is not a (start, end) pair."""
    pairs: list[Period] = []
    for item in periods:
        try:
            start, end = item
        except (TypeError, ValueError):
            raise ConfigurationError(
                f"periods: each period is a (start, end) pair, got {item!r}"
            ) from None
        begin = _utc(start, "periods: start")
        finish = None if end is None else _utc(end, "periods: end")
        if finish is not None and finish < begin:
            raise ConfigurationError(
                f"periods: the period ending {finish.isoformat()} starts after it,"
                f" at {begin.isoformat()}"
            )
        pairs.append((begin, finish))
    pairs.sort(key=lambda p: p[0])
    merged: list[Period] = []
    for begin, finish in pairs:
        if merged and (merged[-1][1] is None or begin <= merged[-1][1]):
            last_begin, last_end = merged[-1]
            end = None if last_end is None or finish is None else max(last_end, finish)
            merged[-1] = (last_begin, end)
        else:
            merged.append((begin, finish))
    return tuple(merged)


def settle(
    periods: tuple[Period, ...],
    connected_at: datetime | None,
    disconnected_at: datetime | None,
    inbox_id: str,
) -> tuple[Period, ...]:
    """The periods of an inbox built with ``connected_at``/``disconnected_at``: each one
    given replaces that bound of the latest period (or makes the first period)."""
    if connected_at is None and disconnected_at is None:
        return periods
    if not periods:
        if connected_at is None:
            raise ConfigurationError(
                f"Inbox {inbox_id!r}: disconnected_at needs connected_at (or periods)"
            )
        return normalise([(connected_at, disconnected_at)])
    start, end = periods[-1]
    latest = (connected_at or start, disconnected_at if disconnected_at is not None else end)
    return normalise([*periods[:-1], latest])


def covers(periods: tuple[Period, ...], when: datetime) -> bool:
    """Whether ``when`` falls in one of ``periods``."""
    return any(start <= when and (end is None or when < end) for start, end in periods)


def describe(periods: tuple[Period, ...]) -> str:
    """The periods in words, for reasons and messages."""
    if not periods:
        return "never connected"
    spans = [
        f"from {start.isoformat()} on"
        if end is None
        else f"{start.isoformat()} to {end.isoformat()}"
        for start, end in periods
    ]
    return "connected " + ", ".join(spans)
