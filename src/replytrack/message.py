"""A fast, lenient view of a raw message: header block scanned once, everything else lazy.

Whole-message parsers spend their time on bodies and attachments; deciding
whether a message is a reply needs only its headers. :class:`RawMessage` cuts
the header block at the first empty line, unfolds it with ``bytes.find`` and
line splitting, and decodes encoded words, addresses and dates only when asked.
The body is parsed (stdlib ``email``, compat32) only for the few messages whose
text must be read.
"""

from __future__ import annotations

import binascii
import email
import email.header
import email.message
import email.utils
import hashlib
import html
import re
from collections import Counter
from collections.abc import Set
from datetime import datetime
from email.policy import compat32

from replytrack._mime import BLANK_LINE, first_text
from replytrack.errors import MalformedMessageError

__all__ = ["RawMessage", "decode_words", "normalise_address"]

# Bytes of the first text part read for rules and snippets; every caller shares this
# default, so the part is decoded once per message.
TEXT_LIMIT = 16 * 1024
_MAX_HEADER_BLOCK = 1 << 20  # headers beyond 1 MiB are not headers: an attack or a bug
# A field name (printable ASCII but the colon) at the start of a line; continuation lines
# start with white space and never match.
_FIELD_NAME = re.compile(rb"\n([!-9;-~]+):")


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; text that is not encoded (or is broken) comes back as is."""
    if "=?" not in value:
        return value
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (ValueError, LookupError, UnicodeError, email.errors.MessageError):
        return value


_NOT_IN_ADDRESS = frozenset(' <>()[]:\\"')


def normalise_address(value: str) -> str:
    """The bare address of a From/To-style value, lower-cased; '' when there is none.

    The common shapes (``Name <a@b>``, ``a@b``, ``a@b (Name)``) are read with
    string methods; anything else (quotes, groups, routes) goes to the stdlib.
    """
    if '"' not in value and "," not in value and ";" not in value:
        open_at = value.rfind("<")
        if open_at >= 0:
            close_at = value.find(">", open_at)
            candidate = value[open_at + 1 : close_at if close_at > 0 else len(value)].strip()
        else:
            words = [w for w in value.split() if "@" in w]
            candidate = words[0] if len(words) == 1 else ""
        if candidate.count("@") == 1 and _NOT_IN_ADDRESS.isdisjoint(candidate):
            return candidate.lower()
    _name, address = email.utils.parseaddr(value)
    return address.strip().lower() if "@" in address else ""


class RawMessage:
    """One inbound message as bytes; header fields are looked up on demand by name."""

    __slots__ = (
        "_block",
        "_body",
        "_cache",
        "_counts",
        "_from",
        "_lower",
        "_parsed",
        "_subject",
        "_texts",
        "header_block",
        "raw",
    )

    def __init__(self, raw: bytes) -> None:
        if not isinstance(raw, bytes | bytearray | memoryview):
            raise MalformedMessageError(f"a message must be bytes, got {type(raw).__name__}")
        raw = bytes(raw)
        if not raw or raw.isspace():
            raise MalformedMessageError("the message is empty")
        start = 0
        if raw.startswith(b"From "):  # an mbox separator line, not a header
            start = raw.find(b"\n") + 1 or len(raw)
        end, body_start = _header_end(raw, start)
        if end - start > _MAX_HEADER_BLOCK:
            raise MalformedMessageError(
                f"the header block is {end - start} bytes, over the {_MAX_HEADER_BLOCK} limit"
            )
        self.raw = raw
        self.header_block = raw[start:end]
        self._body = body_start
        # A leading newline lets every field be found as b"\nname:"; lower-casing once in C
        # makes every lookup a case-insensitive bytes.find.
        self._block = b"\n" + self.header_block
        self._lower = self._block.lower()
        self._cache: dict[str, list[str]] = {}
        self._parsed: email.message.Message | None = None
        self._from: str | None = None
        self._counts: Counter[bytes] | None = None
        self._texts: dict[int, str] = {}
        self._subject: str | None = None
        if not _looks_like_field(self.header_block) and not self.field_names:
            raise MalformedMessageError("no header fields found before the first empty line")

    def get(self, name: str) -> str | None:
        """The first value of header ``name`` (unfolded, not decoded), or None."""
        values = self.get_all(name)
        return values[0] if values else None

    def get_all(self, name: str) -> list[str]:
        """Every value of header ``name`` in order (a header may repeat)."""
        key = name.lower()
        values = self._cache.get(key)
        if values is None:
            counts = self._counts if self._counts is not None else self._count_fields()
            field = key.encode("ascii", "replace")
            count = counts.get(field, 0)
            values = _find_values(self._block, self._lower, field, count) if count else []
            self._cache[key] = values
        return values

    def __contains__(self, name: str) -> bool:
        return bool(self.get_all(name))

    @property
    def field_names(self) -> Set[bytes]:
        """The lower-case field names present, as bytes: one C-level pass, then set lookups."""
        return (self._counts if self._counts is not None else self._count_fields()).keys()

    def _count_fields(self) -> Counter[bytes]:
        self._counts = Counter(_FIELD_NAME.findall(self._lower))
        return self._counts

    @property
    def lower_header_block(self) -> bytes:
        """The header block lower-cased, after a newline: every field starts with ``\\nname:``."""
        return self._lower

    def names(self) -> list[str]:
        """The lower-case names of all header fields present, in order, without repeats."""
        found = _FIELD_NAME.findall(self._lower)
        return [name.decode("ascii") for name in dict.fromkeys(found)]

    def text(self, name: str) -> str:
        """The first value of ``name`` with encoded words decoded; '' when absent."""
        value = self.get(name)
        return decode_words(value) if value else ""

    @property
    def subject(self) -> str:
        """The decoded Subject, white space folded; decoded once."""
        if self._subject is None:
            self._subject = " ".join(self.text("subject").split())
        return self._subject

    @property
    def from_address(self) -> str:
        """The bare From address, lower-cased ('' when missing or unparsable)."""
        if self._from is None:
            self._from = normalise_address(self.get("from") or "")
        return self._from

    @property
    def date(self) -> datetime | None:
        """The Date header as an aware datetime, or None when missing or unparsable."""
        value = self.get("date")
        if not value:
            return None
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return parsed if parsed.tzinfo else None

    def body_head(self, limit: int) -> bytes:
        """The first ``limit`` bytes of the body, without copying the rest of the message."""
        return self.raw[self._body : self._body + limit]

    @property
    def body_offset(self) -> int:
        """Where the body starts in ``raw``: read it in place instead of copying ``body``."""
        return self._body

    @property
    def body(self) -> bytes:
        """The raw body bytes after the header block."""
        return self.raw[self._body :]

    @property
    def fingerprint(self) -> str:
        """A stable id for a message without a Message-ID: hash of From, Date, Subject and body."""
        digest = hashlib.sha256()
        for name in ("from", "date", "subject"):
            digest.update((self.get(name) or "").encode("utf-8", "surrogatepass") + b"\0")
        digest.update(memoryview(self.raw)[self._body :])
        return "sha256:" + digest.hexdigest()[:32]

    def parsed(self) -> email.message.Message:
        """The whole message parsed by the stdlib (compat32); cached. Costly: use it rarely."""
        if self._parsed is None:
            self._parsed = email.message_from_bytes(self.raw, policy=compat32)
        return self._parsed

    def body_text(self, limit: int = TEXT_LIMIT) -> str:
        """The first text/plain part (or text/html with tags dropped), at most ``limit`` bytes.

        Read by walking MIME boundaries up to that part; the stdlib parser is the
        fallback for structures the walker does not handle. Cached per limit.
        """
        text = self._texts.get(limit)
        if text is None:
            text = self._texts[limit] = self._read_text(limit)
        return text

    def _read_text(self, limit: int) -> str:
        try:
            found = first_text(self, limit)
        except (binascii.Error, MalformedMessageError):
            found = None
        if found is not None:
            kind, text = found
            return _strip_html(text) if kind == "html" else text
        message = self.parsed()
        html: email.message.Message | None = None
        for part in message.walk():
            ctype = part.get_content_type()
            if part.is_multipart() or part.get_filename():
                continue
            if ctype == "text/plain":
                return _decode_part(part, limit)
            if ctype == "text/html" and html is None:
                html = part
        return _strip_html(_decode_part(html, limit)) if html is not None else ""


def _header_end(raw: bytes, start: int) -> tuple[int, int]:
    """(end of header block, start of body); the block includes its last line break.

    The block ends at the first empty line, LF or CRLF (one linear regex search,
    which never reads past it into the body).
    """
    if raw[start : start + 1] in (b"\n", b"\r"):  # no headers at all
        return start, start
    blank = BLANK_LINE.search(raw, start)
    if blank is None:
        return len(raw), len(raw)
    return blank.start() + 1, blank.end()


def _looks_like_field(block: bytes) -> bool:
    """Whether the first line is ``name: value`` (the cheap check before a full scan)."""
    colon = block.find(b":")
    newline = block.find(b"\n")
    return 0 < colon < (newline if newline >= 0 else len(block)) and b" " not in block[:colon]


def _find_values(block: bytes, lower: bytes, name: bytes, count: int) -> list[str]:
    """The unfolded values of the ``count`` fields ``name`` in a block that starts with a newline.

    A field found once is searched from the end: the fields read most (From,
    Subject, threading, MIME) follow the trace fields each relay puts on top.
    """
    key = b"\n" + name + b":"
    values = []
    position = lower.rfind(key) if count == 1 else lower.find(key)
    while position >= 0:
        start = position + len(key)
        end = block.find(b"\n", start)
        while end >= 0 and block[end + 1 : end + 2] in (b" ", b"\t"):
            end = block.find(b"\n", end + 1)
        if end < 0:
            end = len(block)
        value = block[start:end]
        if b"\n" in value:  # folded: unfold by dropping the line breaks, keeping the white space
            value = value.replace(b"\r\n", b"").replace(b"\n", b"")
        values.append(value.decode("utf-8", "replace").strip())
        if len(values) == count:
            break
        position = lower.find(key, end)
    return values


def _decode_part(part: email.message.Message, limit: int) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload[:limit].decode(charset, "replace")
    except LookupError:
        return payload[:limit].decode("utf-8", "replace")


_BLOCK_TAGS = frozenset(
    {"p", "br", "div", "tr", "li", "h1", "h2", "h3", "h4", "blockquote", "table"}
)
_HIDDEN_TAGS = frozenset({"style", "script", "head", "title"})


def _strip_html(markup: str) -> str:
    """Visible text of an HTML part: block tags become line breaks, entities are decoded."""
    out: list[str] = []
    hidden = ""
    for index, chunk in enumerate(markup.split("<")):
        if index == 0:
            out.append(chunk)
            continue
        tag, _, text = chunk.partition(">")
        name = tag.lstrip("/").split(None, 1)[0].rstrip("/").lower() if tag.strip("/ ") else ""
        if hidden:
            hidden = "" if tag.startswith("/") and name == hidden else hidden
            continue
        if name in _HIDDEN_TAGS and not tag.startswith("/"):
            hidden = name
            continue
        out.append(("\n" if name in _BLOCK_TAGS else "") + text)
    text = html.unescape("".join(out)).replace("\xa0", " ")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
