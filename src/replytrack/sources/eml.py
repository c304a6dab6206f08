"""EmlSource: single-message files (``.eml``), as a mail client saves them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import attrs

from replytrack.errors import SourceError
from replytrack.message import RawMessage
from replytrack.protocols import SourceMessage

__all__ = ["EmlSource"]


def _paths(values: Sequence[Path | str]) -> tuple[Path, ...]:
    return tuple(Path(v) for v in values)


@attrs.define
class EmlSource:
    """Message files, read in the order given; the cursor is how many were read.

    A file's received time is its Date header (a saved file's modification time
    says when it was saved, not when it arrived), else its modification time.
    """

    paths: tuple[Path, ...] = attrs.field(converter=_paths)
    name: str = "eml"

    @classmethod
    def folder(cls, path: Path | str) -> EmlSource:
        """The ``*.eml`` files of a folder and its subfolders, by path."""
        root = Path(path)
        return cls(sorted(root.rglob("*.eml")), name=f"eml:{root.resolve()}")

    @property
    def key(self) -> str:
        return self.name

    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        start = int(after) if after else 0
        for position in range(start, len(self.paths)):
            path = self.paths[position]
            try:
                raw = path.read_bytes()
                mtime = path.stat().st_mtime
            except OSError as exc:
                raise SourceError(f"cannot read {path}: {exc.strerror}") from exc
            received = _date(raw) or datetime.fromtimestamp(mtime, UTC)
            yield SourceMessage(raw=raw, received_at=received, cursor=str(position + 1))


def _date(raw: bytes) -> datetime | None:
    try:
        return RawMessage(raw).date
    except Exception:  # unreadable mail is the pipeline's to report, not the reader's
        return None
