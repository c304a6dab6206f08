"""Read RFC 6522 reports: delivery status (RFC 3464), disposition (RFC 8098), feedback (RFC 5965).

A report is recognised by its machine-readable part, wherever it sits: the second
part of ``multipart/report`` as the RFCs say, or inside ``multipart/mixed`` as
Exchange and some gateways send it. The part is found with ``bytes.find`` in the
first bytes of the body and its fields read line by line: no MIME parse, so the
returned original (often the largest part) is never looked at.
"""

from __future__ import annotations

from replytrack._autoreply_tables import Subtype
from replytrack.message import RawMessage
from replytrack.models import MessageKind

__all__ = ["REPORT_LIMIT", "Finding", "read_report"]

Finding = tuple[MessageKind, tuple[str, ...], Subtype]

REPORT_LIMIT = 64 * 1024  # the report part comes before the returned original
_FIRST_WINDOW = 8 * 1024
_LOOK_BACK = 64  # "Content-Type:" and the white space around it
_PART_TYPES = (
    b"message/delivery-status",
    b"message/global-delivery-status",
    b"message/disposition-notification",
    b"message/global-disposition-notification",
    b"message/feedback-report",
)
_SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded"})
# RFC 8098 dispositions a Sieve reject (RFC 5429) or an LDA refusal sends as an MDN.
_REJECTING_DISPOSITIONS = ("deleted", "denied", "failed", "rejected")


def read_report(msg: RawMessage, *, top_level: bool) -> Finding | None:
    """What the first report part in the body of ``msg`` says, or None when there is none."""
    most = min(REPORT_LIMIT, msg.limits.body_bytes)
    first = min(_FIRST_WINDOW, most)
    lower = msg.body_head(first).lower()  # the report part is nearly always here
    found = _find_part(lower)
    if found is None and len(lower) == first < most:
        lower = msg.body_head(most).lower()
        found = _find_part(lower)
    if found is None:
        return None
    ctype, start = found
    fields = _fields(lower, start)
    where = "structure" if top_level else "structure:nested"
    if b"feedback" in ctype:
        return (MessageKind.BULK, (f"{where}:feedback-report",), Subtype.COMPLAINT)
    if b"disposition" in ctype:
        return _disposition(fields, where)
    return _delivery_status(fields, where)


def _find_part(lower: bytes) -> tuple[bytes, int] | None:
    """(content type, offset of the part's content) of the earliest report part."""
    best: tuple[bytes, int] | None = None
    for ctype in _PART_TYPES:
        position = lower.find(ctype)
        while position >= 0:
            # The line must start with the field name: look back a few bytes, never to the
            # start of a long line at each of its matches.
            before = lower[max(0, position - _LOOK_BACK) : position]
            newline = before.rfind(b"\n")
            line = before[newline + 1 :] if newline >= 0 or position <= _LOOK_BACK else b""
            if line.strip() == b"content-type:":
                if best is None or position < best[1]:
                    best = (ctype, position)
                break
            position = lower.find(ctype, position + 1)
    if best is None:
        return None
    blank = _blank_line(lower, best[1])
    return (best[0], blank) if blank >= 0 else None


def _blank_line(data: bytes, start: int) -> int:
    """Offset just after the first empty line at or after ``start``, or -1."""
    lf = data.find(b"\n\n", start)
    crlf = data.find(b"\n\r\n", start, lf if lf >= 0 else len(data))
    if crlf >= 0:
        return crlf + 3
    return lf + 2 if lf >= 0 else -1


def _fields(lower: bytes, start: int) -> dict[str, list[str]]:
    """The fields of every per-message and per-recipient block, up to the next boundary."""
    end = lower.find(b"\n--", start)
    text = lower[start : end if end >= 0 else len(lower)].decode("utf-8", "replace")
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        name, colon, value = line.partition(":")
        if colon and name and name[0] not in " \t":
            fields.setdefault(name.strip(), []).append(value.strip())
    return fields


def _delivery_status(fields: dict[str, list[str]], where: str) -> Finding:
    reasons = [f"{where}:delivery-status"]
    actions = {a.partition(" ")[0] for a in fields.get("action", ())}
    statuses = [s[:1] for s in fields.get("status", ())]
    if actions and actions <= _SUCCESS_ACTIONS:
        return (MessageKind.RECEIPT, (*reasons, "dsn:action=delivered"), Subtype.DELIVERED)
    if "failed" in actions or "5" in statuses:
        reasons.append("dsn:action=failed" if "failed" in actions else "dsn:status=5")
        return (MessageKind.BOUNCE, tuple(reasons), Subtype.HARD)
    if "delayed" in actions or "4" in statuses:
        reasons.append("dsn:action=delayed" if "delayed" in actions else "dsn:status=4")
        return (MessageKind.BOUNCE, tuple(reasons), Subtype.SOFT)
    return (MessageKind.BOUNCE, tuple(reasons), Subtype.HARD)


def _disposition(fields: dict[str, list[str]], where: str) -> Finding:
    disposition = " ".join(fields.get("disposition", ())).partition(";")[2]
    if any(word in disposition for word in _REJECTING_DISPOSITIONS):
        return (MessageKind.BOUNCE, (f"{where}:mdn-rejection",), Subtype.HARD)
    return (MessageKind.RECEIPT, (f"{where}:disposition-notification",), Subtype.READ)
