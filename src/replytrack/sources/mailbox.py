"""Local mailboxes: mbox files and Maildir folders, read with the stdlib ``mailbox`` module."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import attrs
import dateutil.parser

from replytrack.errors import SourceError
from replytrack.protocols import SourceMessage

__all__ = ["MaildirSource", "MboxSource"]


def _from_line_time(line: str | None) -> datetime | None:
    """The delivery time of an mbox 'From sender asctime-date' line, when it parses (UTC)."""
    parts = (line or "").split(None, 2)
    if len(parts) < 3:
        return None
    try:
        parsed = dateutil.parser.parse(parts[2])
    except (ValueError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@attrs.define
class MboxSource:
    """An mbox file; the cursor is the byte offset after the last message read.

    Messages are streamed: one is in memory at a time. The received time is the
    separator line's date (the delivery time), else None (the tracker's clock).
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
            handle.seek(int(after) if after else 0)
            separator: bytes | None = None
            lines: list[bytes] = []
            while True:
                line = handle.readline()
                if not line or line.startswith(b"From "):
                    if lines:
                        yield _mbox_message(separator, lines, handle.tell() - len(line))
                    if not line:
                        return
                    separator, lines = line, []
                else:
                    lines.append(line[1:] if line.startswith(b">From ") else line)


def _mbox_message(separator: bytes | None, lines: list[bytes], end: int) -> SourceMessage:
    first = separator.decode("latin-1").strip() if separator else None
    return SourceMessage(raw=b"".join(lines), received_at=_from_line_time(first), cursor=str(end))


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
