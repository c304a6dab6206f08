"""Time ranges resolved to instants: integer microseconds since the epoch, UTC, half-open.

Every range becomes ``[low, high)`` over the integer microseconds the SQL stores
keep, so memory and SQL compare the very same numbers:

* a day is from its first instant in the segment's time zone to the next day's
  first instant; ``between`` two days includes both days whole;
* ``within last N units`` is from ``now - N units`` to ``now``, both included;
  ``more than N units ago`` is before ``now - N units``;
* a time with a UTC offset is that instant: ``before`` excludes it, ``after``
  excludes it, ``between`` includes both ends.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from replytrack.models import require_aware
from replytrack.segments import _ast as a

__all__ = ["Interval", "day_start", "from_micros", "inside", "micros", "resolve", "today"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)

#: [low, high) in microseconds; None is unbounded
Interval = tuple[int | None, int | None]


def micros(value: datetime) -> int:
    """Microseconds since the epoch, exactly, as the SQL stores keep times."""
    return (value - _EPOCH) // _MICRO


def from_micros(value: int) -> datetime:
    return _EPOCH + value * _MICRO


def today(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def day_start(day: date, tz: ZoneInfo) -> int:
    """The first instant of ``day`` in ``tz``. On a day that skips midnight (a DST change
    at 00:00) that is the instant the clocks jump: fold=0 maps the missing local
    midnight to it."""
    return micros(datetime(day.year, day.month, day.day, tzinfo=tz))


def _day(moment: a.Day, now: datetime, tz: ZoneInfo) -> date:
    if moment.value is not None:
        return moment.value
    return today(now, tz) + timedelta(days=moment.offset)


def _start(moment: a.Moment, now: datetime, tz: ZoneInfo) -> int:
    if isinstance(moment, a.Day):
        return day_start(_day(moment, now, tz), tz)
    return micros(moment)


def _after(moment: a.Moment, now: datetime, tz: ZoneInfo) -> int:
    """The first microsecond after ``moment`` (after the whole day, for a day)."""
    if isinstance(moment, a.Day):
        return day_start(_day(moment, now, tz) + timedelta(days=1), tz)
    return micros(moment) + 1


def resolve(window: a.TimeRange, now: datetime, tz: ZoneInfo) -> Interval:
    """``window`` as ``[low, high)`` microseconds, at ``now`` (aware) in time zone ``tz``."""
    require_aware(now, "now")
    if isinstance(window, a.Within):
        return micros(now - window.amount * a.UNITS[window.unit]), micros(now) + 1
    if isinstance(window, a.Ago):
        return None, micros(now - window.amount * a.UNITS[window.unit])
    if isinstance(window, a.Before):
        return None, _start(window.at, now, tz)
    if isinstance(window, a.After):
        return _after(window.at, now, tz), None
    if isinstance(window, a.On):
        return _start(window.day, now, tz), _after(window.day, now, tz)
    return _start(window.start, now, tz), _after(window.end, now, tz)


def inside(at: int | None, interval: Interval) -> bool:
    low, high = interval
    return at is not None and (low is None or at >= low) and (high is None or at < high)
