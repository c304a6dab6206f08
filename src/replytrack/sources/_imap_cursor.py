"""The IMAP source's cursor: per folder, its UIDVALIDITY, the last UID read and the newest
time seen there; and when the source last had to read a window again (a reset).

Written as ``imap1:`` and compact JSON, so a folder name may hold any character.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import attrs

__all__ = ["PREFIX", "Cursor", "FolderState"]

PREFIX = "imap1:"
#: resets older than this are forgotten
RESET_MEMORY = timedelta(days=30)


@attrs.frozen
class FolderState:
    uidvalidity: int
    #: the last UID read (0: none yet under this UIDVALIDITY)
    uid: int
    #: seconds since the epoch: the newest internal date read, or when the baseline was taken
    seen: int


@attrs.frozen
class Cursor:
    folders: dict[str, FolderState] = attrs.field(factory=dict)
    #: when resets happened, seconds since the epoch, oldest first
    resets: tuple[int, ...] = ()

    def encode(self) -> str:
        folders = {name: [f.uidvalidity, f.uid, f.seen] for name, f in self.folders.items()}
        body = {"f": folders, "r": list(self.resets)}
        return PREFIX + json.dumps(body, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """The cursor ``text`` holds; None for no cursor, and for one this source did not
        write or that is damaged (both read as lost)."""
        if not text or not text.startswith(PREFIX):
            return None
        try:
            body = json.loads(text[len(PREFIX) :])
            folders = {
                str(name): FolderState(int(v[0]), int(v[1]), int(v[2]))
                for name, v in body["f"].items()
            }
            return cls(folders, tuple(int(t) for t in body.get("r", ())))
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None

    def recent_resets(self, now: datetime) -> tuple[int, ...]:
        floor = (now - RESET_MEMORY).timestamp()
        return tuple(t for t in self.resets if t >= floor)


def epoch(value: datetime) -> int:
    return int(value.astimezone(UTC).timestamp())


def from_epoch(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)
