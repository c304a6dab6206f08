"""List and bulk mail without List-Unsubscribe, for :mod:`replytrack.autoreply`.

What a list server or bulk sender wrote itself: its robot addresses, its digests, a
VERP envelope sender that encodes our address, and system mailings sent as HTML alone
(``_bulk_tables`` holds the vocabulary).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replytrack import _bulk_tables as tables
from replytrack._autoreply_report import REPORT_LIMIT
from replytrack.message import normalise_address

if TYPE_CHECKING:
    from replytrack.autoreply import _Facts

__all__ = ["digest", "list_server", "system_mailing", "verp"]


def list_server(local: str) -> bool:
    return (
        local in tables.LIST_SERVER_LOCALPARTS
        or local.endswith(tables.LIST_SERVER_SUFFIXES)
        or local.startswith(tables.LIST_SERVER_PREFIXES)
    )


def digest(facts: _Facts) -> bool:
    """A list manager's digest subject on mail from a list."""
    subject = facts.subject
    if "digest" not in subject and "abridged summary" not in subject:
        return False
    from_a_list = facts.relayed or not facts.names.isdisjoint(_LIST_ID_KEYS)
    return from_a_list and any(marker in subject for marker, _ in tables.DIGEST_SUBJECTS)


_LIST_ID_KEYS = frozenset((b"list-id", b"list-post", b"list-unsubscribe", b"list-help"))
_RECIPIENT_FIELDS = ("delivered-to", "x-original-to", "to")
_MAX_RECIPIENTS = 8


def verp(facts: _Facts) -> bool:
    """The envelope sender encodes our own address (VERP: ``bounces+sales=shop.example.com@``),
    as list servers and bulk senders do to tell which recipient bounced. Forwarders' SRS
    addresses encode the sender's address instead, and never match."""
    path = facts.lower("return-path")
    if "=" not in path:
        return False
    local = path.strip("<> ").rpartition("@")[0]
    seen = 0
    for name in _RECIPIENT_FIELDS:
        for value in facts.msg.get_all(name):
            for part in value.split(",", _MAX_RECIPIENTS)[:_MAX_RECIPIENTS]:
                address = normalise_address(part)
                mailbox, _, domain = address.rpartition("@")
                if mailbox and f"{mailbox}={domain}" in local:
                    return True
                seen += 1
                if seen >= _MAX_RECIPIENTS:
                    return False
    return False


_PIXELS = ((b'width="1"', b'height="1"'), (b'width=3d"1"', b'height=3d"1"'))  # plain, QP
_SYSTEM_SIGNS = 2


def system_mailing(facts: _Facts) -> tuple[str, str] | None:
    """A system mailing sent as HTML alone: a tracking pixel, or two of the footers
    newsletters and notifications carry (unsubscribe, view in browser, do not reply...).
    A person's HTML-only note has neither."""
    if not facts.lower("content-type").startswith("text/html"):
        return None
    raw = facts.msg.body_head(min(REPORT_LIMIT, facts.msg.limits.body_bytes)).lower()
    if any(width in raw and height in raw for width, height in _PIXELS):
        return ("structure:html-only", "body:tracking-pixel")
    text = facts.parsed_text.casefold()
    if sum(footer in text for footer, _ in tables.SYSTEM_FOOTERS) >= _SYSTEM_SIGNS:
        return ("structure:html-only", "body:bulk-footer")
    return None
