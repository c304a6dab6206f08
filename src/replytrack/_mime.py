"""The first text part of a message without parsing the rest of it.

A reply's snippet and body rules need only its first text/plain part (or
text/html when there is none), which nearly always comes before any
attachment. Walking the MIME tree by boundary with ``bytes.find`` reads only
that far; the stdlib parser reads every line of every attachment. Anything
unusual (no boundary, RFC 2231 parameters, deep nesting) returns None and the
caller falls back to the stdlib.
"""

from __future__ import annotations

import binascii
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replytrack.message import RawMessage

__all__ = ["first_text"]

_MAX_DEPTH = 4
# An empty line, LF or CRLF: where a header block ends. Linear: one optional character.
BLANK_LINE = re.compile(rb"\n\r?\n")
TextPart = tuple[str, str]  # ("plain" | "html", decoded text)


def content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """The lower-case media type and its simple parameters; text/plain when absent."""
    if not value:
        return "text/plain", {}
    media, *rest = value.split(";")
    params = {}
    for item in rest:
        name, eq, param = item.partition("=")
        if eq:
            params[name.strip().lower()] = param.strip().strip('"')
    return media.strip().lower() or "text/plain", params


def first_text(msg: RawMessage, limit: int) -> TextPart | None:
    """("plain" or "html", text) of the first text part; ("plain", "") when there is none.

    None means the structure is beyond this walker: use the stdlib parser. The
    walk reads the raw bytes in place, by offsets: no part is copied until decoded.
    """
    fields = dict.fromkeys(_PART_FIELDS, "")
    fields["content-type"] = msg.get("content-type") or ""
    if not content_type(fields["content-type"])[0].startswith("multipart/"):
        fields.update((name, msg.get(name) or "") for name in _PART_FIELDS[1:])
    return _first(fields, msg.raw, msg.body_offset, len(msg.raw), limit, 0)


_PART_FIELDS = ("content-type", "content-transfer-encoding", "content-disposition")


def _first(
    fields: dict[str, str], buf: bytes, start: int, end: int, limit: int, depth: int
) -> TextPart | None:
    media, params = content_type(fields["content-type"])
    if media.startswith("multipart/"):
        boundary = params.get("boundary")
        if not boundary or depth >= _MAX_DEPTH or any(k.endswith("*") for k in params):
            return None
        delimiter = b"--" + boundary.encode("latin-1", "replace")
        return _first_in_multipart(buf, start, end, delimiter, limit, depth)
    if media in ("text/plain", "text/html"):
        data = buf[start : min(end, start + limit)]
        return media[5:], _decode(data, fields["content-transfer-encoding"], params.get("charset"))
    return "plain", ""


def _first_in_multipart(
    buf: bytes, start: int, end: int, delimiter: bytes, limit: int, depth: int
) -> TextPart | None:
    position = buf.find(delimiter, start, end)
    html: TextPart | None = None
    while position >= 0:
        after = position + len(delimiter)
        if buf[after : after + 2] == b"--":  # the closing delimiter
            break
        part_start = buf.find(b"\n", after, end) + 1
        following = buf.find(b"\n" + delimiter, part_start, end)
        part_end = following if following >= 0 else end
        fields, content_start = _part_fields(buf, part_start, part_end)
        if not fields["content-disposition"].lower().startswith("attachment"):
            found = _first(fields, buf, content_start, part_end, limit, depth + 1)
            if found is None:
                return None
            if found[0] == "plain" and found[1]:
                return found
            if found[0] == "html" and html is None:
                html = found
        position = following + 1 if following >= 0 else -1
    return html or ("plain", "")


def _part_fields(buf: bytes, start: int, end: int) -> tuple[dict[str, str], int]:
    """The fields the walker needs from a body part's few header lines, and where content starts."""
    fields = dict.fromkeys(_PART_FIELDS, "")
    if buf[start : start + 1] in (b"\n", b"\r"):  # no header lines: text/plain by default
        return fields, start + (2 if buf[start : start + 2] == b"\r\n" else 1)
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
        compact = b"".join(data.split())
        data = binascii.a2b_base64(compact[: len(compact) - len(compact) % 4])
    elif encoding == "quoted-printable":
        data = binascii.a2b_qp(data)
    try:
        return data.decode(charset or "utf-8", "replace")
    except (LookupError, ValueError):  # unknown charset, or a name no codec can hold
        return data.decode("utf-8", "replace")
