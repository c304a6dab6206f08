"""When a message arrived, read from the message itself when the caller gave no time.

The newest ``Received`` field (the topmost: each server adds its own on top) carries
the receiving server's clock after its last ``;``. Without one, the sender's ``Date``.
A time that cannot be read, or that lies in the future by more than :data:`SKEW`,
falls through to the next source, and in the end to the clock. Only the topmost
field is read, and at most :data:`FIELD_BYTES` of it: this runs for every message.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime, timedelta
from typing import Literal

from replytrack.message import RawMessage

__all__ = ["FIELD_BYTES", "SKEW", "ReceivedFrom", "message_time"]

#: where an ingested message's ``received_at`` came from
ReceivedFrom = Literal["given", "received-header", "date-header", "clock"]

#: how far in the future (by the clock) a header's time may be and still be believed
SKEW = timedelta(minutes=15)
#: bytes of the topmost Received field read (real ones are under 1,000)
FIELD_BYTES = 4096
_DATE_CHARS = 128
_RECEIVED = b"\nreceived:"
_FIELD_END = re.compile(rb"\n(?![ \t])")


def message_time(msg: RawMessage, now: datetime) -> tuple[datetime, ReceivedFrom]:
    """The message's arrival time and where it was read (``now`` when nowhere)."""
    latest = now + SKEW
    received = _parse(_topmost_received_date(msg))
    if received is not None and received <= latest:
        return received, "received-header"
    sent = _parse(msg.get("date"))
    if sent is not None and sent <= latest:
        return sent, "date-header"
    return now, "clock"


def _topmost_received_date(msg: RawMessage) -> str | None:
    """The date part (after the last ';') of the first Received field, or None."""
    lower = msg.lower_header_block
    start = lower.find(_RECEIVED)
    if start < 0:
        return None
    start += len(_RECEIVED)
    stop = min(len(lower), start + FIELD_BYTES)
    # The field goes on while lines start with white space; lower-cased bytes read the
    # date and the ';' alike.
    end = _FIELD_END.search(lower, start, stop)
    value = lower[start : stop if end is None else end.start()]
    semicolon = value.rfind(b";")
    if semicolon < 0:
        return None
    return value[semicolon + 1 : semicolon + 1 + _DATE_CHARS].decode("ascii", "replace")


def _parse(value: str | None) -> datetime | None:
    """An RFC 5322 date in UTC; one without a zone (``-0000``) is taken as UTC."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(" ".join(value.split()))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 or 9999 pushed out of range by the zone
        return None
