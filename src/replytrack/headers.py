"""Message-IDs we sign, and lenient parsing of In-Reply-To and References.

A send's Message-ID is ``<rt1.{send_id}.{mac}@{domain}>``:

* ``send_id`` is time-sortable (48-bit millisecond time, then 80 random bits,
  lower-case hex), so ids reach a database index in order;
* ``mac`` is HMAC-SHA256 of the tenant and send id under the installation
  secret, truncated to 80 bits (hex): a token verifies without a lookup, and a
  forged, altered or other tenant's token never does.

Everything here is lower-case, so a mail system that folds case does not break it.
"""

from __future__ import annotations

import hmac
import os
import re
import time
from collections.abc import Iterable

from replytrack.errors import ConfigurationError
from replytrack.message import decode_words

__all__ = [
    "MIN_SECRET_BYTES",
    "TokenSigner",
    "new_send_id",
    "normalise_msg_id",
    "parse_msg_ids",
    "thread_ids",
]

MIN_SECRET_BYTES = 32
MAX_THREAD_IDS = 500  # References longer than this are truncated to their newest ids
_PREFIX = "rt1."
_SEND_ID_LEN = 32  # 12 hex digits of milliseconds, 20 of randomness
_MAC_LEN = 20  # 80 bits


def new_send_id(now_ms: int | None = None) -> str:
    """A new time-sortable send id: 12 hex digits of time, 20 of randomness."""
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    return (millis.to_bytes(6, "big") + os.urandom(10)).hex()


class TokenSigner:
    """Makes and verifies the signed Message-IDs of one installation and tenant."""

    __slots__ = ("_keyed", "domain", "tenant")

    def __init__(self, secret: bytes, domain: str, tenant: str) -> None:
        if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
            got = f"{len(secret)} bytes" if isinstance(secret, bytes) else type(secret).__name__
            raise ConfigurationError(
                f"secret must be at least {MIN_SECRET_BYTES} random bytes, got {got}"
            )
        domain = domain.strip().lower()
        if not domain or "@" in domain or any(c in domain for c in "<> \t\r\n"):
            raise ConfigurationError(
                f"domain must be a bare host name like 'mail.example.com', got {domain!r}"
            )
        if not tenant:
            raise ConfigurationError("tenant must be a non-empty string")
        self._keyed = hmac.new(secret, b"replytrack-send\0" + tenant.encode() + b"\0", "sha256")
        self.domain = domain
        self.tenant = tenant

    def mac(self, send_id: str) -> str:
        keyed = self._keyed.copy()  # the key and the tenant prefix are hashed once, here
        keyed.update(send_id.encode())
        return keyed.digest()[:10].hex()

    def message_id(self, send_id: str) -> str:
        """The Message-ID header value for a send, angle brackets included."""
        return f"<{_PREFIX}{send_id}.{self.mac(send_id)}@{self.domain}>"

    def verify(self, msg_id: str) -> str | None:
        """The send id carried by a normalised id when its MAC verifies, else None."""
        local = msg_id.partition("@")[0].lower()
        if (
            not local.startswith(_PREFIX)
            or len(local) != len(_PREFIX) + _SEND_ID_LEN + 1 + _MAC_LEN
        ):
            return None
        send_id, _, mac = local[len(_PREFIX) :].partition(".")
        if hmac.compare_digest(mac, self.mac(send_id)):
            return send_id
        return None


def looks_like_token(msg_id: str) -> bool:
    """True for an id shaped like one of ours (it may still fail verification)."""
    return msg_id[:4].lower() == _PREFIX


def normalise_msg_id(value: str) -> str:
    """``local@domain`` without brackets or white space, the domain lower-cased."""
    value = "".join(value.split()).strip("<>")
    local, at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}" if at else value


def parse_msg_ids(values: str | Iterable[str] | None) -> list[str]:
    """Message ids in a References/In-Reply-To value (or several), normalised, in order.

    Lenient on purpose: ids without angle brackets, comments, folding white space,
    encoded words and repeated headers are all read; duplicates are dropped.
    """
    if values is None:
        return []
    if isinstance(values, str):
        values = (values,)
    seen: dict[str, None] = {}
    for value in values:
        for raw_id in _scan_ids(decode_words(value)):
            msg_id = normalise_msg_id(raw_id)
            if msg_id.count("@") >= 1 and msg_id not in seen:
                seen[msg_id] = None
    return list(seen)


def thread_ids(in_reply_to: Iterable[str], references: Iterable[str]) -> list[str]:
    """The ids to look up for one message, most telling first.

    In-Reply-To names the message answered; References lists ancestors oldest
    first, so it is read newest first. At most MAX_THREAD_IDS ids are returned.
    """
    parents = list(in_reply_to)
    ancestors = list(references)
    ordered = parse_msg_ids(parents)
    if ancestors == parents:  # a first reply: both headers name the one message answered
        return ordered[:MAX_THREAD_IDS]
    seen = set(ordered)
    for msg_id in reversed(parse_msg_ids(ancestors)):
        if msg_id not in seen:
            seen.add(msg_id)
            ordered.append(msg_id)
    return ordered[:MAX_THREAD_IDS]


# A bracketed id (inner white space allowed: some clients fold inside it), or a bare word
# holding '@'. Two alternatives of single character classes: linear time, no backtracking.
_ID_RE = re.compile(r"<([^<>]*)>|([^\s<>,()]+@[^\s<>,()]+)")


def _scan_ids(text: str) -> list[str]:
    """Split a threading header into raw ids, in order: bracketed ones and bare words."""
    if "(" in text:
        text = _drop_comments(text)
    return [bracketed or bare for bracketed, bare in _ID_RE.findall(text)]


def _drop_comments(text: str) -> str:
    """Remove RFC 5322 comments (nested, with quoted-pairs) outside angle brackets."""
    out: list[str] = []
    depth = 0
    in_id = False
    i = 0
    while i < len(text):
        char = text[i]
        if depth:
            if char == "\\":
                i += 1
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
        elif char == "(" and not in_id:
            depth = 1
            out.append(" ")
        else:
            in_id = (in_id or char == "<") and char != ">"
            out.append(char)
        i += 1
    return "".join(out)
