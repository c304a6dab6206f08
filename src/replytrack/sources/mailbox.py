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


@attrs.define
class MaildirSource:
    """A Maildir folder (new/ and cur/); the cursor is the last key read, keys sorted.

    Maildir keys start with the delivery time, so sorted keys are arrival order;
    the received time is the file's modification time.
    """

    path: Path = attrs.field(converter=Path)

    @property
    def key(self) -> str:
        return f"maildir:{self.path.resolve()}"

    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        if not (self.path / "cur").is_dir() and not (self.path / "new").is_dir():
            raise SourceError(f"{self.path} is not a Maildir (no cur/ or new/ folder)")
        files = {}
        for folder in ("new", "cur"):
            directory = self.path / folder
            if directory.is_dir():
                for entry in os.scandir(directory):
                    if entry.is_file() and not entry.name.startswith("."):
                        files[entry.name.split(":", 1)[0]] = entry.path  # drop the ":2,FLAGS" info
        for key in sorted(files):
            if after is not None and key <= after:
                continue
            found = _read_maildir_file(self.path, key, files[key])
            if found is not None:  # None: deleted by a client before we read it
                raw, received = found
                yield SourceMessage(raw=raw, received_at=received, cursor=key)


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
