"""MemorySource: messages held in a list; the cursor is the count already read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import attrs

from replytrack.protocols import SourceMessage

__all__ = ["MemorySource"]


@attrs.define
class MemorySource:
    """A list of (raw bytes, received_at) to sync from; ``add`` appends new mail."""

    key: str = "memory"
    _messages: list[tuple[bytes, datetime | None]] = attrs.field(factory=list, alias="messages")

    def add(self, raw: bytes, received_at: datetime | None = None) -> None:
        """Append a message, as if it had just arrived."""
        self._messages.append((raw, received_at))

    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        start = int(after) if after else 0
        for position in range(start, len(self._messages)):
            raw, received_at = self._messages[position]
            yield SourceMessage(raw=raw, received_at=received_at, cursor=str(position + 1))
