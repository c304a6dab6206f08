"""Read RFC 6522 reports: delivery status (RFC 3464), disposition (RFC 8098), feedback (RFC 5965).

A report is recognised by its machine-readable part, wherever it sits: the second
part of ``multipart/report`` as the RFCs say, or inside ``multipart/mixed`` as
Exchange and some gateways send it.
"""

from __future__ import annotations

import email
import email.message

from replytrack._autoreply_body import walk_types
from replytrack._autoreply_tables import Subtype
from replytrack.models import MessageKind

__all__ = ["Finding", "read_report"]

Finding = tuple[MessageKind, tuple[str, ...], Subtype]

_SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded"})
# RFC 8098 dispositions a Sieve reject (RFC 5429) or an LDA refusal sends as an MDN.
_REJECTING_DISPOSITIONS = ("deleted", "denied", "failed", "rejected")


def read_report(message: email.message.Message, *, top_level: bool) -> Finding | None:
    """What the report parts of ``message`` say, or None when it holds none."""
    where = "structure" if top_level else "structure:nested"
    for part in walk_types(message):
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            return _delivery_status(_fields(part), where)
        if ctype in ("message/disposition-notification", "message/global-disposition-notification"):
            return _disposition(_fields(part), where)
        if ctype == "message/feedback-report":
            return (MessageKind.BULK, (f"{where}:feedback-report",), Subtype.COMPLAINT)
    return None


def _delivery_status(fields: dict[str, list[str]], where: str) -> Finding:
    reasons = [f"{where}:delivery-status"]
    actions = {a.partition(" ")[0] for a in fields.get("action", ())}
    statuses = [s.strip()[:1] for s in fields.get("status", ())]
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


def _fields(part: email.message.Message) -> dict[str, list[str]]:
    """The report's fields, lower-case names and values, from every per-recipient block."""
    fields: dict[str, list[str]] = {}
    payload = part.get_payload()
    blocks: list[email.message.Message] = []
    if isinstance(payload, list):
        blocks = [b for b in payload if isinstance(b, email.message.Message)]
    elif isinstance(payload, str):
        blocks = [email.message_from_string(payload.lstrip())]
    for block in blocks:
        for name, value in block.items():
            fields.setdefault(name.lower(), []).append(str(value).strip().lower())
    return fields
