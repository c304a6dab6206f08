"""The first text of a message, read from a bounded prefix of its body.

Only the first :data:`BODY_LIMIT` bytes of the body are looked at. Parts are found
by their boundary with ``bytes.find`` and only the headers of the parts passed on
the way are read; the first ``text/plain`` part that is not an attachment wins,
else the first ``text/html`` one with its tags dropped. The stdlib parser (and
mail-parser, which wraps it and always decodes the whole message) is not used:
building its object tree for a 300 KB message costs more than every rule here.
"""

from __future__ import annotations

import base64
import binascii
import quopri

from replytrack.message import RawMessage

__all__ = ["BODY_LIMIT", "body_prefix", "read_text", "strip_tags"]

BODY_LIMIT = 16 * 1024  # a reply's first text part starts well within this
_MAX_DEPTH = 4  # multipart nesting followed (mixed > related > alternative > text)


def body_prefix(msg: RawMessage, limit: int) -> bytes:
    """The first ``limit`` bytes of the body, without copying the rest of the message."""
    start = msg.raw.find(msg.header_block) + len(msg.header_block)
    start += 2 if msg.raw.startswith(b"\r\n", start) else 1
    return msg.raw[start : start + limit]


def read_text(msg: RawMessage, limit: int = BODY_LIMIT) -> str:
    """The first text part of ``msg`` (html tags dropped), read from at most ``limit`` bytes."""
    headers = {
        "content-type": msg.get("content-type") or "text/plain",
        "content-transfer-encoding": msg.get("content-transfer-encoding") or "",
    }
    plain, html = _walk(headers, body_prefix(msg, limit), 0)
    if plain is not None:
        return plain
    return strip_tags(html) if html is not None else ""


def _walk(headers: dict[str, str], data: bytes, depth: int) -> tuple[str | None, str | None]:
    """(first text/plain, first text/html) in an entity with these headers and content."""
    ctype = headers.get("content-type", "text/plain").lower()
    if "attachment" in headers.get("content-disposition", "").lower():
        return None, None
    if ctype.startswith("multipart/") and depth < _MAX_DEPTH:
        html: str | None = None
        for part in _parts(data, _param(ctype, headers.get("content-type", ""), "boundary")):
            part_headers, content = _split_part(part)
            plain, found_html = _walk(part_headers, content, depth + 1)
            if plain is not None:
                return plain, None
            html = html if html is not None else found_html
        return None, html
    if not ctype.startswith("text/") and ctype.strip():
        return None, None
    encoding = headers.get("content-transfer-encoding", "").strip().lower()
    text = _decode(_transfer_decode(data, encoding), _param(ctype, ctype, "charset") or "utf-8")
    return (None, text) if ctype.startswith("text/html") else (text, None)


def _parts(data: bytes, boundary: str) -> list[bytes]:
    """The parts between ``--boundary`` delimiter lines (the last may be cut short)."""
    if not boundary:
        return []
    delimiter = b"--" + boundary.encode("utf-8", "replace")
    parts: list[bytes] = []
    position = data.find(delimiter)
    while position >= 0:
        start = data.find(b"\n", position)
        if start < 0 or data[position + len(delimiter) : position + len(delimiter) + 2] == b"--":
            break
        end = data.find(b"\n" + delimiter, start)
        parts.append(data[start + 1 : end if end >= 0 else len(data)])
        position = end + 1 if end >= 0 else -1
    return parts


def _split_part(part: bytes) -> tuple[dict[str, str], bytes]:
    """A part's headers (lower-case names, unfolded) and its content."""
    lf = part.find(b"\n\n")
    crlf = part.find(b"\n\r\n", 0, lf if lf >= 0 else len(part))
    if crlf >= 0:
        head, content = part[:crlf], part[crlf + 3 :]
    elif lf >= 0:
        head, content = part[:lf], part[lf + 2 :]
    elif part.startswith((b"\n", b"\r\n")):
        head, content = b"", part
    else:
        head, content = part, b""
    headers: dict[str, str] = {}
    name = ""
    for line in head.decode("utf-8", "replace").splitlines():
        if line[:1] in (" ", "\t") and name:
            headers[name] += " " + line.strip()
            continue
        field, colon, value = line.partition(":")
        if colon:
            name = field.strip().lower()
            headers.setdefault(name, value.strip())
    return headers, content


def _param(lowered: str, original: str, name: str) -> str:
    """A Content-Type parameter's value (case kept from ``original``), or ''."""
    index = lowered.find(name + "=")
    if index < 0:
        return ""
    value = original[index + len(name) + 1 :].lstrip()
    if value.startswith('"'):
        return value[1:].partition('"')[0]
    return value.partition(";")[0].strip()


def _transfer_decode(data: bytes, encoding: str) -> bytes:
    try:
        if encoding == "base64":
            compact = data.replace(b"\r", b"").replace(b"\n", b"")
            return base64.b64decode(compact[: len(compact) // 4 * 4], validate=False)
        if encoding == "quoted-printable":
            return quopri.decodestring(data)
    except (binascii.Error, ValueError):
        return data
    return data


def _decode(data: bytes, charset: str) -> str:
    try:
        return data.decode(charset, "replace")
    except (LookupError, ValueError):  # unknown charset, or a name no codec can hold
        return data.decode("utf-8", "replace")


def strip_tags(html: str) -> str:
    """Visible text of an HTML part, good enough for phrases."""
    out: list[str] = []
    for index, chunk in enumerate(html.split("<")):
        if index == 0:
            out.append(chunk)
            continue
        tag, _, text = chunk.partition(">")
        out.append(("\n" if tag[:2].lower() in ("br", "p", "p ", "di") else " ") + text)
    return "".join(out)
