"""Delivery failures told by their sender and words, for :mod:`replytrack.autoreply`.

A report with no ``message/delivery-status`` part: an MTA sender or a null Return-Path,
failure wording in the server's language (``_bounce_tables``), the returned original's
headers, an enhanced status code; and the notices of security gateways.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from replytrack import _bounce_tables as tables
from replytrack._autoreply_report import REPORT_LIMIT
from replytrack._autoreply_tables import Subtype, is_no_reply
from replytrack.message import RawMessage
from replytrack.quotes import new_text

if TYPE_CHECKING:
    from replytrack.autoreply import _Facts

__all__ = ["gateway", "subtype", "text_reasons"]

_RETURNED_MARKERS = (
    b"\nreceived: from ",
    b"\nreceived: by ",
    b"\nmessage-id: <",
    b"\nreturn-path: <",
)
# An RFC 3463 enhanced status code (5.1.1, 4.4.7): each repeat is bounded, nothing nests.
_SMTP_STATUS = re.compile(r"(?:^|[\s(#\[<'\"])[45]\.[0-7]\.[0-9]{1,3}(?=$|[\s)\]>;,:'\"])", re.M)


def text_reasons(facts: _Facts) -> list[str]:
    """The rule codes of a report told by its sender and its words, or [] when it is none.

    From an MTA sender, words that name a failure, the returned original's headers or an
    enhanced status code decide. A null Return-Path (auto-replies have one too) needs
    the failure words and one more sign: a server's own sentence, a failure subject,
    the returned headers or a status code. From anyone else, a subject naming a failure
    and the words in what the sender wrote above any quote.
    """
    daemon, null, subject = facts.daemon, facts.null_return_path, facts.bounce_phrase
    if not (daemon or null or subject):
        return []
    full = facts.parsed_text
    text = (full if daemon else new_text(full)).casefold()
    said = any(p in text for p in tables.BOUNCE_PHRASES)
    reasons = ["sender:mailer-daemon"] if daemon else []
    if null and not daemon:
        reasons.append("header:return-path=<>")
    if subject:
        reasons.append("subject:bounce-phrase")
    if said and (daemon or subject):
        return [*reasons, "body:mta-phrase"]
    if not (daemon or (null and said)):
        return []
    if null and said and any(p in text for p in tables.STRONG_BOUNCE_PHRASES):
        return [*reasons, "body:mta-phrase"]
    if _returned_headers(facts.msg):
        return [*reasons, *(["body:mta-phrase"] if said else []), "body:returned-headers"]
    if _SMTP_STATUS.search(text):
        return [*reasons, *(["body:mta-phrase"] if said else []), "body:smtp-status"]
    return []


def _returned_headers(msg: RawMessage) -> bool:
    """The body holds a returned message's header block (trace and id fields, which a
    person's quote of a message never shows)."""
    lower = msg.body_head(min(REPORT_LIMIT, msg.limits.body_bytes)).lower()
    return any(marker in lower for marker in _RETURNED_MARKERS)


def gateway(facts: _Facts) -> tuple[tuple[str, str], Subtype] | None:
    """A security gateway's or spam firewall's notice that a message was blocked or held,
    sent by a machine (MTA, null Return-Path, no-reply or quarantine sender)."""
    subject = facts.subject
    if facts.reply_prefixed or "?" in subject or "summary" in subject or "digest" in subject:
        return None
    held = next((held for phrase, held in tables.GATEWAY_SUBJECTS if phrase in subject), None)
    if held is None:
        return None
    local = facts.sender[0]
    if facts.daemon:
        sender = "sender:mailer-daemon"
    elif facts.null_return_path:
        sender = "header:return-path=<>"
    elif local in tables.GATEWAY_LOCALPARTS:
        sender = "sender:gateway"
    elif is_no_reply(local):
        sender = "sender:no-reply"
    elif b"auto-submitted" in facts.names:
        sender = "header:auto-submitted"
    else:
        return None
    if held:
        return ("subject:quarantined", sender), Subtype.SOFT
    return ("subject:blocked", sender), Subtype.HARD


def subtype(facts: _Facts) -> Subtype:
    if any(w in facts.subject for w in tables.DELAY_SUBJECT_WORDS):
        return Subtype.SOFT
    text = facts.parsed_text.casefold()
    return Subtype.SOFT if any(p in text for p in tables.DELAY_PHRASES) else Subtype.HARD
