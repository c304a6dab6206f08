"""A fast, lenient view of a raw message: header block scanned once, everything else lazy.

Whole-message parsers spend their time on bodies and attachments; deciding
whether a message is a reply needs only its headers. :class:`RawMessage` cuts
the header block at the first empty line, unfolds it with ``bytes.find`` and
line splitting, and decodes encoded words, addresses and dates only when asked.
The body is parsed (stdlib ``email``, compat32) only for the few messages whose
text must be read.
"""

from __future__ import annotations

import email
import email.header
import email.message
import email.utils
import hashlib
import html
from datetime import datetime
from email.policy import compat32

from replytrack.errors import MalformedMessageError

__all__ = ["RawMessage", "decode_words", "normalise_address"]

_MAX_HEADER_BLOCK = 1 << 20  # headers beyond 1 MiB are not headers, they are an attack or a bug


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; text that is not encoded (or is broken) comes back as is."""
    if "=?" not in value:
        return value
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (ValueError, LookupError, UnicodeError, email.errors.HeaderParseError):
        return value


def normalise_address(value: str) -> str:
    """The bare address of a From/To-style value, lower-cased; '' when there is none."""
    _name, address = email.utils.parseaddr(value)
    return address.strip().lower() if "@" in address else ""


class RawMessage:
    """One inbound message as bytes, with its header fields indexed by lower-case name."""

    __slots__ = ("_body", "_fields", "_parsed", "header_block", "raw")

    def __init__(self, raw: bytes) -> None:
        if not isinstance(raw, bytes | bytearray | memoryview):
            raise MalformedMessageError(f"a message must be bytes, got {type(raw).__name__}")
        raw = bytes(raw)
        if not raw.strip():
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
        self._fields = _index_fields(self.header_block)
        self._parsed: email.message.Message | None = None
        if not self._fields:
            raise MalformedMessageError("no header fields found before the first empty line")

    def get(self, name: str) -> str | None:
        """The first value of header ``name`` (unfolded, not decoded), or None."""
        values = self._fields.get(name.lower())
        return values[0] if values else None

    def get_all(self, name: str) -> list[str]:
        """Every value of header ``name`` in order (a header may repeat)."""
        return list(self._fields.get(name.lower(), ()))

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._fields

    def names(self) -> list[str]:
        """The lower-case names of all header fields present."""
        return list(self._fields)

    def text(self, name: str) -> str:
        """The first value of ``name`` with encoded words decoded; '' when absent."""
        value = self.get(name)
        return decode_words(value) if value else ""

    @property
    def subject(self) -> str:
        """The decoded Subject."""
        return " ".join(self.text("subject").split())

    @property
    def from_address(self) -> str:
        """The bare From address, lower-cased ('' when missing or unparsable)."""
        return normalise_address(self.get("from") or "")

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
        digest.update(self.body)
        return "sha256:" + digest.hexdigest()[:32]

    def parsed(self) -> email.message.Message:
        """The whole message parsed by the stdlib (compat32); cached. Costly: use it rarely."""
        if self._parsed is None:
            self._parsed = email.message_from_bytes(self.raw, policy=compat32)
        return self._parsed

    def body_text(self, limit: int = 64 * 1024) -> str:
        """The first text/plain part (or text/html with tags dropped), at most ``limit`` bytes."""
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
    """(end of header block, start of body); the block includes its last line break."""
    lf = raw.find(b"\n\n", start)
    crlf = raw.find(b"\n\r\n", start)
    if start < len(raw) and raw[start : start + 1] in (b"\n", b"\r"):  # no headers at all
        return start, start
    candidates = [(i, i + 2) for i in (lf,) if i >= 0] + [(i, i + 3) for i in (crlf,) if i >= 0]
    if not candidates:
        return len(raw), len(raw)
    end, body = min(candidates)
    return end + 1, body


def _index_fields(block: bytes) -> dict[str, list[str]]:
    text = block.decode("utf-8", "replace")
    fields: dict[str, list[str]] = {}
    name = ""
    parts: list[str] = []
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        if not line:
            continue
        if line[0] in " \t":
            if name:
                parts.append(line)
            continue
        if name:
            fields.setdefault(name, []).append("".join(parts).strip())
        colon = line.find(":")
        if colon <= 0 or " " in line[:colon].strip() or "\t" in line[:colon]:
            name = ""  # not a header field line: skipped, as lenient readers do
            continue
        name = line[:colon].strip().lower()
        parts = [line[colon + 1 :]]
    if name:
        fields.setdefault(name, []).append("".join(parts).strip())
    return fields


def _decode_part(part: email.message.Message, limit: int) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload[:limit].decode(charset, "replace")
    except LookupError:
        return payload[:limit].decode("utf-8", "replace")


_BLOCK_TAGS = frozenset({"p", "br", "div", "tr", "li", "h1", "h2", "h3", "h4", "blockquote", "table"})
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
