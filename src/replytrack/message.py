"""A fast, lenient view of a raw message: header block scanned once, everything else lazy.

Whole-message parsers spend their time on bodies and attachments; deciding
whether a message is a reply needs only its headers. :class:`RawMessage` cuts
the header block at the first empty line, unfolds it with ``bytes.find`` and
line splitting, and decodes encoded words, addresses and dates only when asked.
The body is read only for the few messages whose text matters, and only as far as
the first text part (see ``_mime``). Every read is bounded by the message's
:class:`~replytrack.limits.Limits`.
"""

from __future__ import annotations

import binascii
import email
import email.message
import email.utils
import hashlib
import html
import re
from collections import Counter
from collections.abc import Set
from datetime import datetime
from email.policy import compat32

from replytrack._mime import BLANK_LINE, decode_text, first_text, text_codec
from replytrack.errors import MalformedMessageError
from replytrack.limits import DEFAULT_LIMITS, Limits

__all__ = ["RawMessage", "decode_words", "normalise_address"]

# Bytes of the first text part read for rules and snippets; every caller shares this
# default, so the part is decoded once per message.
TEXT_LIMIT = 16 * 1024
# A field name (printable ASCII but the colon) at the start of a line; continuation lines
# start with white space and never match.
_FIELD_NAME = re.compile(rb"\n([!-9;-~]+):")
_FIELD_END = re.compile(rb"\n(?![ \t])")  # a line break that no continuation line follows
# An RFC 2047 encoded word. Each repeat is possessive and stops at "?" or white space, so a
# start reads at most two runs between question marks and never backtracks: one scan of a
# value is linear in its length, whatever it holds.
_ENCODED_WORD = re.compile(r"=\?([^?\s]++)\?([bBqQ])\?([^?\s]*+)\?=")
_WORD_SPAN = 80  # characters an encoded word and its separator take at most


def decode_words(value: str, limit: int = DEFAULT_LIMITS.encoded_words) -> str:
    """Decode the first ``limit`` RFC 2047 encoded words; later ones are kept as written.

    Words are looked for in the first ``limit`` times 80 characters (an encoded word
    takes 75 at most, RFC 2047 section 2). White space between two encoded words is
    dropped (section 6.2), adjacent words in one charset are decoded together (a
    character may be split between them), and a word that cannot be decoded (broken
    base64, an unknown charset) is kept as written.
    """
    if "=?" not in value:
        return value
    span = limit * _WORD_SPAN
    value, rest = value[:span], value[span:]
    out: list[str] = []
    run = bytearray()  # the bytes of adjacent decodable words in one charset
    run_charset = ""
    position = 0  # where the text after the last word read starts
    after_word = False  # whether the text before position ends with a decoded word
    for count, word in enumerate(_ENCODED_WORD.finditer(value)):
        if count >= limit:
            break
        between = value[position : word.start()]
        charset = word[1].partition("*")[0]  # RFC 2231 adds "*language"
        data = _word_bytes(word[2], word[3]) if text_codec(charset) else None
        joined = after_word and data is not None and (not between or between.isspace())
        if run and (not joined or charset.lower() != run_charset.lower()):
            out.append(decode_text(bytes(run), run_charset))
            run.clear()
        if not joined:
            out.append(between)
        if data is None:
            out.append(word[0])
        else:
            run += data
            run_charset = charset
        after_word = data is not None
        position = word.end()
    if run:
        out.append(decode_text(bytes(run), run_charset))
    out.append(value[position:])
    out.append(rest)
    return "".join(out)


def _word_bytes(encoding: str, text: str) -> bytes | None:
    """The bytes an encoded word's text stands for; None when it cannot be decoded."""
    data = text.encode("utf-8", "surrogateescape")
    if encoding in "qQ":
        return binascii.a2b_qp(data, header=True)
    try:
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    except binascii.Error:
        return None


_NOT_IN_ADDRESS = frozenset(' <>()[]:\\"')
# A quoted string, or an unclosed one to the end: each match ends where the next may start,
# so a value of escaped quotes is read once, not again from every quote.
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*+"?', re.DOTALL)
_MAX_QUOTED_LOCAL = 64  # longer than any quoted local part (RFC 5321): a display name
_MAX_ADDRESS_FIELD = 4096  # longer, after long display names are dropped: not one address
_MAX_COMMENTS = 64  # the stdlib reads nested comments by recursion, a level per "("


def normalise_address(value: str) -> str:
    """The bare address of a From/To-style value, lower-cased; '' when there is none.

    The common shapes (``Name <a@b>``, ``a@b``, ``a@b (Name)``) are read with
    string methods; anything else (quotes, groups, routes) goes to the stdlib, after
    its input is bounded: long display names dropped, and parentheses read as spaces
    when there are more than any real address has.
    """
    if "@" not in value:
        return ""
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
    if len(value) > _MAX_ADDRESS_FIELD:
        value = _QUOTED.sub(_drop_long_quoted, value)
        if len(value) > _MAX_ADDRESS_FIELD:
            return ""
    if value.count("(") > _MAX_COMMENTS:
        value = value.replace("(", " ").replace(")", " ")
    _name, address = email.utils.parseaddr(value)
    return address.strip().lower() if "@" in address else ""


def _drop_long_quoted(match: re.Match[str]) -> str:
    text = match.group()
    return '""' if len(text) > _MAX_QUOTED_LOCAL + 2 else text


class RawMessage:
    """One inbound message as bytes; header fields are looked up on demand by name.

    ``limits`` bound every read of it (see :class:`~replytrack.limits.Limits`); a header
    block over ``limits.header_bytes`` raises :class:`MalformedMessageError`.
    """

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
        "limits",
        "raw",
    )

    def __init__(self, raw: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
        if not isinstance(raw, bytes | bytearray | memoryview):
            raise MalformedMessageError(f"a message must be bytes, got {type(raw).__name__}")
        raw = bytes(raw)
        if not raw or raw.isspace():
            raise MalformedMessageError("the message is empty")
        start = 0
        if raw.startswith(b"From "):  # an mbox separator line, not a header
            start = raw.find(b"\n") + 1 or len(raw)
        end, body_start = _header_end(raw, start, limits.header_bytes)
        if end - start > limits.header_bytes:
            raise MalformedMessageError(
                f"the header block is over the {limits.header_bytes} bytes limit"
            )
        self.limits = limits
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
        """The first value of ``name`` with encoded words decoded (as many as the limits
        allow); '' when absent."""
        value = self.get(name)
        return decode_words(value, self.limits.encoded_words) if value else ""

    @property
    def subject(self) -> str:
        """The decoded Subject, white space folded; decoded once.

        Only its first ``limits.encoded_words`` times 80 characters are read (8,000 by
        default): room for every encoded word the limits allow, and far more than any
        mail client writes.
        """
        if self._subject is None:
            value = (self.get("subject") or "")[: self.limits.encoded_words * _WORD_SPAN]
            self._subject = " ".join(decode_words(value, self.limits.encoded_words).split())
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
        except (TypeError, ValueError, IndexError, OverflowError):  # year 10**20 overflows
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
        """The whole message parsed by the stdlib (compat32); cached.

        Costly and unbounded (the stdlib reads nested parts by recursion): ingest never
        calls it. For your own inspection of trusted mail.
        """
        if self._parsed is None:
            self._parsed = email.message_from_bytes(self.raw, policy=compat32)
        return self._parsed

    def body_text(self, limit: int = TEXT_LIMIT) -> str:
        """The first text/plain part (or text/html with tags dropped), at most ``limit`` bytes.

        Read by walking MIME boundaries up to that part, within the message's limits
        (``body_bytes`` searched, ``mime_depth`` levels); '' when there is none. Cached
        per limit.
        """
        text = self._texts.get(limit)
        if text is None:
            kind, text = first_text(self.raw, self._body, self.get, limit, self.limits)
            if kind == "html":
                text = _strip_html(text)
            self._texts[limit] = text
        return text


def _header_end(raw: bytes, start: int, most: int) -> tuple[int, int]:
    """(end of header block, start of body); the block includes its last line break.

    The block ends at the first empty line, LF or CRLF: one linear regex search, which
    never reads past it into the body, nor more than ``most`` bytes (a longer block ends
    past them, for the caller to refuse).
    """
    if raw[start : start + 1] in (b"\n", b"\r"):  # no headers at all
        return start, start
    window = start + most + 2  # room for the empty line that ends a block of ``most`` bytes
    blank = BLANK_LINE.search(raw, start, window)
    if blank is None:
        return (len(raw), len(raw)) if len(raw) <= window else (window, window)
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
        if end >= 0 and block[end + 1 : end + 2] in (b" ", b"\t"):  # folded: one C-level search
            found = _FIELD_END.search(block, end + 1)  # for the end, however many lines
            end = found.start() if found else -1
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
        words = tag.lstrip("/").split(None, 1)  # none for a "<" that ends a line
        name = words[0].rstrip("/").lower() if words else ""
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
