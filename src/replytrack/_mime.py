"""The first text part of a message without parsing the rest of it.

A reply's snippet and body rules need only its first text/plain part (or
text/html when there is none), which nearly always comes before any
attachment. Walking the MIME tree by boundary with ``bytes.find`` reads only
that far; the stdlib parser reads every line of every attachment.

The walk is bounded by :class:`~replytrack.limits.Limits`: it searches the first
``body_bytes`` of the body, descends ``mime_depth`` multipart levels and looks at
``mime_parts`` parts; what lies beyond is not read. Every step starts after the
previous one, so it ends on any input.
"""

from __future__ import annotations

import binascii
import codecs
import re
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # message.py imports this module: nothing here imports it back
    from replytrack.limits import Limits

__all__ = ["content_type", "decode_text", "first_text", "text_codec"]

# An empty line, LF or CRLF: where a header block ends. Linear: one optional character.
BLANK_LINE = re.compile(rb"\n\r?\n")
TextPart = tuple[str, str]  # ("plain" | "html", decoded text)
_NO_TEXT: TextPart = ("plain", "")
# Codecs Python has that are not MIME charsets: idna refuses "replace", and punycode
# decoding takes time quadratic in its input.
_REFUSED_CODECS = frozenset({"idna", "punycode"})
_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_NOT_BASE64 = bytes(sorted(set(range(256)) - set(_BASE64)))


# MIME charsets Python does not know by that name, or that mail clients write for a
# superset: Outlook labels Korean cp949 text ks_c_5601-1987, Hebrew in logical order
# iso-8859-8-i, Thai windows-874; GB2312-labelled mail often holds GBK characters.
_CHARSET_ALIASES = {
    "iso-8859-8-i": "iso8859-8",
    "iso-8859-8-e": "iso8859-8",
    "windows-874": "cp874",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gbk",
}


def text_codec(charset: str) -> str | None:
    """The Python codec of a MIME charset; None for an unknown or refused one."""
    try:
        name = charset.strip()
        codec = codecs.lookup(_CHARSET_ALIASES.get(name.lower(), name)).name
        b"a".decode(codec, "replace")  # bytes-to-bytes codecs (base64, zlib) refuse
    except (LookupError, ValueError):
        return None
    return None if codec in _REFUSED_CODECS else codec


def decode_text(data: bytes, charset: str | None) -> str:
    """``data`` decoded with a MIME charset, bad bytes replaced; UTF-8 for an unknown charset."""
    codec = text_codec(charset or "utf-8") or "utf-8"
    try:
        return data.decode(codec, "replace")
    except UnicodeError:  # a codec that fails instead of replacing
        return data.decode("utf-8", "replace")


def content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """The lower-case media type and its parameters, RFC 2231 forms decoded; text/plain when absent."""
    if not value:
        return "text/plain", {}
    media, *rest = value.split(";")
    params: dict[str, str] = {}
    extended: dict[str, dict[int, tuple[str, bool]]] = {}
    for item in rest:
        name, eq, param = item.partition("=")
        if not eq:
            continue
        name = name.strip().lower()
        param = param.strip().strip('"')
        if "*" in name:  # RFC 2231: name*=, name*0=, name*1*= ...
            base, _, section = name.partition("*")
            number, star, _ = section.partition("*")
            index = int(number) if number.isdigit() and len(number) < 4 else 0
            extended.setdefault(base, {})[index] = (param, bool(star) or not number)
        else:
            params[name] = param
    for base, sections in extended.items():
        params.setdefault(base, _rfc2231(sections))
    return media.strip().lower() or "text/plain", params


def _rfc2231(sections: dict[int, tuple[str, bool]]) -> str:
    """One parameter value from its RFC 2231 sections (the first may name a charset)."""
    charset = "us-ascii"
    data = bytearray()
    for position, index in enumerate(sorted(sections)):
        text, encoded = sections[index]
        if encoded and position == 0 and text.count("'") >= 2:
            charset, _language, text = text.split("'", 2)
        data += urllib.parse.unquote_to_bytes(text) if encoded else text.encode("utf-8")
    return decode_text(bytes(data), charset or "us-ascii")


def first_text(
    raw: bytes, body_offset: int, header: Callable[[str], str | None], limit: int, limits: Limits
) -> TextPart:
    """("plain" or "html", text) of the first text part of the message ``raw`` whose body
    starts at ``body_offset`` and whose top-level fields ``header`` gives by name;
    ("plain", "") when there is none.

    The walk reads the raw bytes in place, by offsets: no part is copied until decoded.
    """
    fields = dict.fromkeys(_PART_FIELDS, "")
    fields["content-type"] = header("content-type") or ""
    if not content_type(fields["content-type"])[0].startswith("multipart/"):
        fields.update((name, header(name) or "") for name in _PART_FIELDS[1:])
    start = body_offset
    end = min(len(raw), start + limits.body_bytes)
    return _Walk(raw, limit, limits.mime_parts).first(fields, start, end, limits.mime_depth)


_PART_FIELDS = ("content-type", "content-transfer-encoding", "content-disposition")


class _Walk:
    """One walk over one body: the bytes, how much text to decode, how many parts are left."""

    __slots__ = ("buf", "limit", "parts")

    def __init__(self, buf: bytes, limit: int, parts: int) -> None:
        self.buf = buf
        self.limit = limit
        self.parts = parts

    def first(self, fields: dict[str, str], start: int, end: int, levels: int) -> TextPart:
        """The first text part of the entity at ``buf[start:end]`` with these header fields."""
        media, params = content_type(fields["content-type"])
        if media.startswith("multipart/"):
            boundary = params.get("boundary")
            if not boundary or levels <= 0:  # no way to split it, or nested too deep to read
                return _NO_TEXT
            delimiter = b"--" + boundary.encode("latin-1", "replace")
            return self.first_in_multipart(start, end, delimiter, levels - 1)
        if media in ("text/plain", "text/html"):
            data = self.buf[start : min(end, start + self.limit)]
            encoding = fields["content-transfer-encoding"]
            return media[5:], _decode(data, encoding, params.get("charset"))
        return _NO_TEXT

    def first_in_multipart(self, start: int, end: int, delimiter: bytes, levels: int) -> TextPart:
        buf = self.buf
        html: TextPart | None = None
        position = buf.find(delimiter, start, end)
        while position >= 0 and self.parts > 0:
            self.parts -= 1
            after = position + len(delimiter)
            if buf[after : min(after + 2, end)] == b"--":  # the closing delimiter
                break
            newline = buf.find(b"\n", after, end)
            if newline < 0:  # the delimiter line does not end before the part does: no part
                break
            # Searched from the delimiter line's own newline, so the next position is past it.
            following = buf.find(b"\n" + delimiter, newline, end)
            part_end = following if following >= 0 else end
            fields, content_start = _part_fields(buf, newline + 1, max(part_end, newline + 1))
            if not fields["content-disposition"].lower().startswith("attachment"):
                found = self.first(fields, content_start, part_end, levels)
                if found[0] == "plain" and found[1]:
                    return found
                if found[0] == "html" and html is None:
                    html = found
            position = following + 1 if following >= 0 else -1
        return html or _NO_TEXT


def _part_fields(buf: bytes, start: int, end: int) -> tuple[dict[str, str], int]:
    """The fields the walker needs from a body part's few header lines, and where content starts."""
    fields = dict.fromkeys(_PART_FIELDS, "")
    if start >= end:
        return fields, end
    if buf[start : start + 1] in (b"\n", b"\r"):  # no header lines: text/plain by default
        return fields, min(end, start + (2 if buf[start : start + 2] == b"\r\n" else 1))
    blank = BLANK_LINE.search(buf, start, end)
    header_end, content_start = (blank.start(), blank.end()) if blank else (end, end)
    name = ""
    for line in buf[start:header_end].decode("latin-1").splitlines():
        if line[:1] in (" ", "\t") and name:
            fields[name] += " " + line.strip()
            continue
        key, _, value = line.partition(":")
        name = key.strip().lower()
        if name in fields:
            fields[name] = value.strip()
        else:
            name = ""
    return fields, content_start


def _decode(data: bytes, transfer_encoding: str, charset: str | None) -> str:
    encoding = transfer_encoding.strip().lower()
    if encoding == "base64":
        compact = data.translate(None, _NOT_BASE64)  # white space and junk dropped
        try:
            data = binascii.a2b_base64(compact[: len(compact) - len(compact) % 4])
        except binascii.Error:  # padding in the wrong place: read the data characters alone
            compact = compact.replace(b"=", b"")
            data = binascii.a2b_base64(compact[: len(compact) - len(compact) % 4])
    elif encoding == "quoted-printable":
        data = binascii.a2b_qp(data)
    return decode_text(data, charset)
