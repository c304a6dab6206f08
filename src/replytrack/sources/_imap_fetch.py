"""UID FETCH of header blocks and bodies, parsed here rather than by IMAPClient's general
response parser, which took three quarters of a fetch's time (a Python lexer over every
response). The command goes through the imaplib connection IMAPClient holds; each response
carries one literal (the header block or the body) and a few atoms around it."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

__all__ = ["Fetched", "fetch"]

#: per UID: INTERNALDATE (or None), RFC822.SIZE (or None), X-GM-MSGID (or None), the literal
Fetched = dict[int, tuple[datetime | None, int | None, int | None, bytes]]

_UID = re.compile(rb"\bUID (\d+)")
_DATE = re.compile(rb'\bINTERNALDATE "([^"]+)"')
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_GM = re.compile(rb"\bX-GM-MSGID (\d+)")
_QUOTED_BODY = re.compile(rb'\bBODY\[[A-Z]*\] (?:"((?:[^"\\]|\\.)*)"|NIL)')


def fetch(client: Any, uids: list[int], items: list[str]) -> Fetched:
    """``UID FETCH uids (items)`` where ``items`` ask for one body section."""
    imap = getattr(client, "_imap", None)
    if imap is None:  # an IMAPClient without the connection where it used to be
        return _through_imapclient(client, uids, items)
    command = ",".join(map(str, uids))
    status, data = imap.uid("FETCH", command, "(" + " ".join(items) + ")")
    if status != "OK":
        raise imap.error(f"UID FETCH: {status} {data!r}")
    found: Fetched = {}
    pending: bytes | None = None
    literal = b""
    for part in data:
        if isinstance(part, tuple):
            if pending is not None:
                _add(found, pending, literal)
            pending, literal = part[0], part[1]
        elif isinstance(part, bytes) and pending is not None:
            _add(found, pending + part, literal)  # what follows the literal: ")" or atoms
            pending = None
        elif isinstance(part, bytes):
            quoted = _QUOTED_BODY.search(part)
            if quoted is not None:  # an empty body may come as "" or NIL, not a literal
                _add(found, part, (quoted.group(1) or b"").replace(b'\\"', b'"'))
    if pending is not None:
        _add(found, pending, literal)
    return found


def _add(found: Fetched, text: bytes, literal: bytes) -> None:
    uid = _UID.search(text)
    if uid is None:  # an unsolicited FETCH (a flag change), not one of ours
        return
    date = _DATE.search(text)
    size = _SIZE.search(text)
    gm = _GM.search(text)
    found[int(uid.group(1))] = (
        _internaldate(date.group(1)) if date else None,
        int(size.group(1)) if size else None,
        int(gm.group(1)) if gm else None,
        literal,
    )


def _internaldate(text: bytes) -> datetime | None:
    try:  # "02-Dec-2026 16:18:23 +0000"; the day may be padded with a space
        return datetime.strptime(text.decode("ascii").strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


def _through_imapclient(client: Any, uids: list[int], items: list[str]) -> Fetched:
    found: Fetched = {}
    for uid, got in client.fetch(uids, items).items():
        body = next((v for k, v in got.items() if bytes(k).startswith(b"BODY[")), None)
        if body is None:
            continue
        date = got.get(b"INTERNALDATE")
        gm = got.get(b"X-GM-MSGID")
        size = got.get(b"RFC822.SIZE")
        found[int(uid)] = (
            date if isinstance(date, datetime) else None,
            None if size is None else int(size),
            None if gm is None else int(gm),
            bytes(body),
        )
    return found
