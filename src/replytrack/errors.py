"""The one exception tree of replytrack.

Every error the library raises derives from :class:`ReplytrackError`; each
subclass also inherits the builtin that fits, so ``except ValueError`` keeps
working for callers who do not know replytrack::

    ReplytrackError
    ├── ConfigurationError (ValueError)       wrong settings: secret, domain, naive datetime
    │   └── InvalidAddressError               an address that does not parse: why and where
    ├── MalformedMessageError (ValueError)    unreadable mail; ingest reports it as MALFORMED
    ├── HeaderError (ValueError)              a header value that cannot be parsed
    ├── SegmentSyntaxError (ValueError)       a segment that is not valid: where and why
    ├── NotFoundError (LookupError)           an id the caller named does not exist
    │   └── UnknownInboxError                 an inbox id that was never connected
    ├── ConflictError (ValueError)            a record that already exists with other content
    ├── StoreError                            a store could not do what was asked
    │   ├── StoreConnectionError (ConnectionError)
    │   ├── SchemaVersionError                the database was written by a newer replytrack
    │   └── MissingDriverError (ImportError)  the extra for a store URL is not installed
    └── SourceError (ConnectionError)         an inbox source failed to fetch
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "HeaderError",
    "InvalidAddressError",
    "MalformedMessageError",
    "MissingDriverError",
    "NotFoundError",
    "ReplytrackError",
    "SchemaVersionError",
    "SegmentSyntaxError",
    "SourceError",
    "StoreConnectionError",
    "StoreError",
    "UnknownInboxError",
]


class ReplytrackError(Exception):
    """Root of every error replytrack raises."""


class ConfigurationError(ReplytrackError, ValueError):
    """A setting or argument is wrong; the message names it and what is expected."""


class InvalidAddressError(ConfigurationError):
    """An email address given to replytrack (a contact's, an inbox's) does not parse.

    ``value`` is the address as given, ``reason`` what is wrong, ``position`` the
    0-based index in ``value`` where it is (None when the parser cannot tell).
    """

    def __init__(
        self, message: str, *, value: str = "", reason: str = "", position: int | None = None
    ) -> None:
        self.value = value
        self.reason = reason
        self.position = position
        super().__init__(message)


class MalformedMessageError(ReplytrackError, ValueError):
    """A message cannot be read at all (empty, not bytes, no header block)."""


class HeaderError(ReplytrackError, ValueError):
    """A header value cannot be parsed; the message names the header."""


class SegmentSyntaxError(ReplytrackError, ValueError):
    """A segment is not valid. The message says why in the segment language's own words,
    with a caret line under the offending text.

    ``position`` and ``end`` are offsets into ``text`` (``line`` and ``column`` count from
    1), ``expected`` what the parser would have accepted there, ``suggestion`` the
    "did you mean" replacement when there is a close one.
    """

    def __init__(
        self,
        message: str,
        *,
        text: str,
        position: int,
        end: int | None = None,
        expected: tuple[str, ...] = (),
        suggestion: str | None = None,
    ) -> None:
        self.message = message
        self.text = text
        self.position = position
        self.end = max(end if end is not None else position + 1, position + 1)
        self.expected = expected
        self.suggestion = suggestion
        start = text.rfind("\n", 0, position) + 1
        stop = text.find("\n", position)
        self.line = text.count("\n", 0, position) + 1
        self.column = position - start + 1
        shown = text[start : len(text) if stop < 0 else stop]
        width = max(1, min(self.end, start + len(shown)) - position)
        where = (
            f"line {self.line}, column {self.column}" if "\n" in text else f"column {self.column}"
        )
        self.caret = " " * (position - start) + "^" * width
        super().__init__(f"{message} ({where})\n  {shown}\n  {self.caret}")


class NotFoundError(ReplytrackError, LookupError):
    """An id passed by the caller does not exist in this tenant."""


class UnknownInboxError(NotFoundError):
    """An inbox id that was never connected in this tenant."""


class ConflictError(ReplytrackError, ValueError):
    """A record with this id already exists with different content."""


class StoreError(ReplytrackError):
    """A store failed; the driver's exception is chained as ``__cause__``."""


class StoreConnectionError(StoreError, ConnectionError):
    """The store's database cannot be reached."""


class SchemaVersionError(StoreError):
    """The database schema is newer than this replytrack understands; it is left untouched."""


class MissingDriverError(StoreError, ImportError):
    """The optional dependency for a store is not installed; the message names the extra."""


class SourceError(ReplytrackError, ConnectionError):
    """An inbox source could not list or fetch messages."""
