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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replytrack.message import RawMessage

__all__ = ["first_text"]

_MAX_DEPTH = 4
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


def first_text(msg: RawMessage, limit: int, depth: int = 0) -> TextPart | None:
    """("plain" or "html", text) of the first text part; ("plain", "") when there is none.

    None means the structure is beyond this walker: use the stdlib parser.
    """
    media, params = content_type(msg.get("content-type"))
    if media.startswith("multipart/"):
        boundary = params.get("boundary")
        if not boundary or depth >= _MAX_DEPTH or any(k.endswith("*") for k in params):
            return None
        return _first_in_multipart(msg.body, boundary.encode("latin-1", "replace"), limit, depth)
    if media in ("text/plain", "text/html"):
        return media[5:], _decode(msg, params.get("charset"), limit)
    return "plain", ""


def _first_in_multipart(body: bytes, boundary: bytes, limit: int, depth: int) -> TextPart | None:
    from replytrack.message import RawMessage  # here: message imports this module

    delimiter = b"--" + boundary
    position = body.find(delimiter)
    html: TextPart | None = None
    while position >= 0:
        after = position + len(delimiter)
        if body[after : after + 2] == b"--":  # the closing delimiter
            break
        start = body.find(b"\n", after) + 1
        following = body.find(b"\n" + delimiter, start)
        end = following if following >= 0 else len(body)
        chunk = body[start:end]
        if chunk[:1] in (b"\n", b"\r"):  # a part without headers is text/plain
            chunk = b"Content-Type: text/plain\r\n" + chunk
        part = RawMessage(chunk)
        disposition = (part.get("content-disposition") or "").lower()
        if not disposition.startswith("attachment"):
            found = first_text(part, limit, depth + 1)
            if found is None:
                return None
            if found[0] == "plain" and found[1]:
                return found
            if found[0] == "html" and html is None:
                html = found
        position = following + 1 if following >= 0 else -1
    return html or ("plain", "")


def _decode(part: RawMessage, charset: str | None, limit: int) -> str:
    data = part.body[:limit]
    encoding = (part.get("content-transfer-encoding") or "").strip().lower()
    if encoding == "base64":
        compact = b"".join(data.split())
        data = binascii.a2b_base64(compact[: len(compact) - len(compact) % 4])
    elif encoding == "quoted-printable":
        data = binascii.a2b_qp(data)
    try:
        return data.decode(charset or "utf-8", "replace")
    except LookupError:
        return data.decode("utf-8", "replace")
