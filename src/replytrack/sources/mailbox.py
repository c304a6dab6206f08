"""Local mailboxes: mbox files and Maildir folders, streamed with cursors that resume."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import attrs
import dateutil.parser

from replytrack.errors import SourceError
from replytrack.protocols import SourceMessage

__all__ = ["MaildirSource", "MboxSource"]


_CHUNK = 1 << 20
_QUOTED_FROM = re.compile(rb"(?m)^>(>*From )")


def _from_line_time(line: str) -> datetime | None:
    """The delivery time of an mbox 'From sender asctime-date' line, when it parses (UTC)."""
    parts = line.split(None, 2)
    if len(parts) < 3:
        return None
    try:  # the asctime form nearly every writer uses, read without dateutil's guessing
        parsed = datetime.strptime(" ".join(parts[2].split()), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        try:
            parsed = dateutil.parser.parse(parts[2])
        except (ValueError, OverflowError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@attrs.define
class MboxSource:
    """An mbox file; the cursor is the byte offset after the last message read.

    Messages are streamed, read in 1 MiB chunks split at separator lines: at most a
    chunk and one message are in memory. The received time is the separator
    line's date (the delivery time), else None (the tracker's clock).
    """

    path: Path = attrs.field(converter=Path)

    @property
    def key(self) -> str:
        return f"mbox:{self.path.resolve()}"

    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise SourceError(f"cannot open mbox {self.path}: {exc.strerror}") from exc
        with handle:
            offset = int(after) if after else 0
            handle.seek(offset)
            for buffer, start, end, position in _split_at_separators(handle, offset):
                message = _mbox_message(buffer, start, end, position)
                if message is not None:
                    yield message


def _split_at_separators(handle: BinaryIO, offset: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(buffer, start, end, file offset after it) per message, separator line included."""
    buffer, start, eof = b"", 0, False
    while True:
        cut = buffer.find(b"\nFrom ", start)
        if cut < 0 and not eof:
            more = handle.read(_CHUNK)
            eof = not more
            offset += start
            buffer, start = buffer[start:] + more, 0
            continue
        end = cut + 1 if cut >= 0 else len(buffer)
        if end > start:
            yield buffer, start, end, offset + end
        if cut < 0:
            return
        start = end


def _mbox_message(buffer: bytes, start: int, end: int, position: int) -> SourceMessage | None:
    """The message in ``buffer[start:end]``; None for a separator line with nothing after it."""
    received = None
    if buffer.startswith(b"From ", start):
        newline = buffer.find(b"\n", start, end)
        if newline < 0:
            return None
        received = _from_line_time(buffer[start:newline].decode("latin-1").strip())
        start = newline + 1
    raw = buffer[start:end]
    if b">From " in raw:  # mboxo and mboxrd quote body lines starting "From " by one ">"
        raw = _QUOTED_FROM.sub(rb"\1", raw)
    return SourceMessage(raw=raw, received_at=received, cursor=str(position)) if raw else None


_CURSOR_PREFIX = "v2/"
_SLACK_NS = 2 * 10**9  # renames up to this much older than the newest read are still looked at
_KEPT_KEYS = 512  # keys named in a cursor, at most


@attrs.define
class MaildirSource:
    """A Maildir folder (new/ and cur/), read in the order files arrived in it.

    A file's arrival is its change time (ctime), which a delivery's rename from
    tmp/ and a move from another folder both set, whatever its key says. The
    cursor holds a time floor and the keys read since just before it: files that
    changed before the floor were read, later ones not named in the cursor were
    not. A client changing a message's flags renames it too, so such a message
    may be read again; the pipeline then reports it DUPLICATE, never counts it
    twice. The received time is the file's modification time (delivery time).
    """

    path: Path = attrs.field(converter=Path)

    @property
    def key(self) -> str:
        return f"maildir:{self.path.resolve()}"

    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        if not (self.path / "cur").is_dir() and not (self.path / "new").is_dir():
            raise SourceError(f"{self.path} is not a Maildir (no cur/ or new/ folder)")
        floor, kept = _decode_cursor(after)
        files: list[tuple[int, str, str]] = []
        for folder in ("new", "cur"):
            directory = self.path / folder
            if directory.is_dir():
                for entry in os.scandir(directory):
                    if entry.is_file() and not entry.name.startswith("."):
                        key = entry.name.split(":", 1)[0]  # drop the ":2,FLAGS" info
                        changed = entry.stat().st_ctime_ns
                        if changed >= floor and key not in kept:
                            files.append((changed, key, entry.path))
        recent = list(kept.items())
        for changed, key, path in sorted(files):
            recent.append((key, changed))
            newest = max(c for _, c in recent)
            recent = [(k, c) for k, c in recent if c >= newest - _SLACK_NS][-_KEPT_KEYS:]
            found = _read_maildir_file(self.path, key, path)
            if found is not None:  # None: deleted by a client before we read it
                raw, received = found
                yield SourceMessage(raw=raw, received_at=received, cursor=_encode_cursor(recent))


def _encode_cursor(recent: list[tuple[str, int]]) -> str:
    """``v2/<floor ns>/<key>/<ctime ns>/...``: '/' is the one character a file name cannot hold."""
    floor = min(c for _, c in recent)
    return _CURSOR_PREFIX + "/".join([str(floor), *(f"{k}/{c}" for k, c in recent)])


def _decode_cursor(cursor: str | None) -> tuple[int, dict[str, int]]:
    """(floor, {key read: its ctime}); a cursor of replytrack 0.1 (the last key) reads again
    from two seconds before that key's delivery second, and duplicates come back DUPLICATE."""
    if not cursor:
        return 0, {}
    if not cursor.startswith(_CURSOR_PREFIX):
        seconds = cursor.split(".", 1)[0]
        if not seconds.isdigit():
            raise SourceError(f"Maildir cursor {cursor!r} is not one this source wrote")
        return int(seconds) * 10**9 - _SLACK_NS, {}
    floor, *pairs = cursor[len(_CURSOR_PREFIX) :].split("/")
    try:
        return int(floor), {pairs[i]: int(pairs[i + 1]) for i in range(0, len(pairs) - 1, 2)}
    except ValueError as exc:
        raise SourceError(f"Maildir cursor {cursor!r} is damaged: {exc}") from None


def _read_maildir_file(root: Path, key: str, path: str) -> tuple[bytes, datetime] | None:
    """The file's bytes and mtime; follows a move from new/ to cur/ made by a client."""
    for candidate in [Path(path), *sorted((root / "cur").glob(glob.escape(key) + ":*"))]:
        try:
            with open(candidate, "rb") as handle:
                raw = handle.read()
            return raw, datetime.fromtimestamp(candidate.stat().st_mtime, UTC)
        except FileNotFoundError:
            continue
    return None
