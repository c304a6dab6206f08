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
import itertools
import os
import re
import time
from collections.abc import Iterable

from replytrack.errors import ConfigurationError
from replytrack.limits import DEFAULT_LIMITS, Limits
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
_TOKEN_CHARS = frozenset("0123456789abcdef.")


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
        """The send id carried by a normalised id when its MAC verifies, else None.

        Anything but lower-case hex in the token's place (non-ASCII included, which
        ``hmac.compare_digest`` refuses) is no token of ours.
        """
        local = msg_id.partition("@")[0].lower()
        if (
            not local.startswith(_PREFIX)
            or len(local) != len(_PREFIX) + _SEND_ID_LEN + 1 + _MAC_LEN
            or not _TOKEN_CHARS.issuperset(local[len(_PREFIX) :])
        ):
            return None
        send_id, _, mac = local[len(_PREFIX) :].partition(".")
        if len(send_id) == _SEND_ID_LEN and hmac.compare_digest(mac, self.mac(send_id)):
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


def parse_msg_ids(
    values: str | Iterable[str] | None, limits: Limits = DEFAULT_LIMITS, *, last: bool = False
) -> list[str]:
    """Message ids in a References/In-Reply-To value (or several), normalised, in order.

    Lenient on purpose: ids without angle brackets, comments, folding white space,
    encoded words and repeated headers are all read; duplicates are dropped. At most
    ``limits.ids_per_header`` ids are read from each value: the first ones, or the last
    ones with ``last`` (References lists the newest last).
    """
    if values is None:
        return []
    if isinstance(values, str):
        values = (values,)
    seen: dict[str, None] = {}
    most = limits.ids_per_header
    for value in values:
        text = decode_words(_window(value, most, last=last), limits.encoded_words)
        for raw_id in _scan_ids(text, most, last=last):
            msg_id = normalise_msg_id(raw_id)
            if msg_id.count("@") >= 1 and msg_id not in seen:
                seen[msg_id] = None
    return list(seen)


def thread_ids(
    in_reply_to: Iterable[str], references: Iterable[str], limits: Limits = DEFAULT_LIMITS
) -> list[str]:
    """The ids to look up for one message, most telling first.

    In-Reply-To names the message answered; References lists ancestors oldest
    first, so it is read newest first. At most MAX_THREAD_IDS ids are returned.
    """
    parents = list(in_reply_to)
    ancestors = list(references)
    ordered = parse_msg_ids(parents, limits)
    if ancestors == parents:  # a first reply: both headers name the one message answered
        return ordered[:MAX_THREAD_IDS]
    seen = set(ordered)
    for msg_id in reversed(parse_msg_ids(ancestors, limits, last=True)):
        if msg_id not in seen:
            seen.add(msg_id)
            ordered.append(msg_id)
    return ordered[:MAX_THREAD_IDS]


# A bracketed id (inner white space allowed: some clients fold inside it), or a bare word
# holding '@' after its first character and before its last. Linear in the text: every
# unbounded repeat is possessive (never backtracks), and a bare word is only tried where
# a word starts (the look-behind fails at once inside one), so no stretch of text is read
# from more than one start; ``test_headers`` checks this shape.
_ID_RE = re.compile(
    r"<([^<>]*+)>"
    r"|(?<![^\s<>,()])([^\s<>,()][^\s<>,()@]*+@[^\s<>,()]++)"
)
# A comment's text up to its next parenthesis: quoted-pairs skipped, read in C.
_COMMENT_TEXT = re.compile(r"(?:[^()\\]++|\\.)*+", re.DOTALL)
_MAX_COMMENTS = 64
# Characters one id takes at most, with its separator. Real ids take under 100, so a
# value's first or last ``ids_per_header`` ids lie in that many times this.
ID_SPAN = 128


def _window(value: str, most: int, *, last: bool) -> str:
    """The start (or with ``last``, the end) of a value long enough for ``most`` ids.

    Cut at white space, so that no id is read in part; a window with no white space
    at all is one word longer than any id, and is dropped.
    """
    size = most * ID_SPAN
    if len(value) <= size:
        return value
    if last:
        part = value[-size:]
        if value[-size - 1].isspace() or part[0].isspace():
            return part
        pieces = part.split(None, 1)
        return pieces[1] if len(pieces) == 2 else ""
    part = value[:size]
    if value[size].isspace() or part[-1].isspace():
        return part
    pieces = part.rsplit(None, 1)
    return pieces[0] if len(pieces) == 2 else ""


def _scan_ids(text: str, most: int, *, last: bool = False) -> list[str]:
    """Split a threading header into raw ids, in order: bracketed ones and bare words.

    At most ``most`` ids: the first ones, or the last ones with ``last``.
    """
    if "(" in text:
        text = _drop_comments(text)
    if last:
        found = _ID_RE.findall(text)[-most:]
    else:
        found = [match.groups("") for match in itertools.islice(_ID_RE.finditer(text), most)]
    return [bracketed or bare for bracketed, bare in found]


def _drop_comments(text: str) -> str:
    """Remove RFC 5322 comments (nested, with quoted-pairs) outside angle brackets.

    A value with more opening parentheses than ``_MAX_COMMENTS`` is no real threading
    header: it is returned as it is, and its parentheses separate words like spaces.
    Otherwise each step jumps to the next parenthesis, so the work is a few C-level
    searches per parenthesis.
    """
    if text.count("(") > _MAX_COMMENTS:
        return text
    out: list[str] = []
    copied = 0  # text[:copied] is decided: in out, or dropped as a comment
    in_id = False  # whether text[copied] lies inside <...>
    start = text.find("(")
    while start >= 0:
        opened, closed = text.rfind("<", copied, start), text.rfind(">", copied, start)
        if opened != closed:  # the last angle bracket before "(" says whether it is in an id
            in_id = opened > closed
        if in_id:
            out.append(text[copied:start])
            copied = start
            start = text.find("(", start + 1)
            continue
        out.append(text[copied:start])
        out.append(" ")
        depth, position = 1, start + 1
        while depth and position < len(text):  # one parenthesis per step
            match = _COMMENT_TEXT.match(text, position)
            position = match.end() if match else len(text)
            if position < len(text):
                char = text[position]
                if char == "(":
                    depth += 1
                elif char == ")":
                    depth -= 1
                else:  # a backslash that ends the text
                    depth = 0
                position += 1
        copied = position
        start = text.find("(", position)
    out.append(text[copied:])
    return "".join(out)
