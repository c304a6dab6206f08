"""The errors of the IMAP source, each naming the inbox it was reading; none ever holds a
password or token (server texts are scrubbed of both before they are quoted)::

    SourceError (replytrack.errors)
    └── ImapError                      inbox: the inbox (or mailbox) it was reading
        ├── ImapCredentialsError       the server refused the username and password
        ├── ImapTokenError             the server refused the OAuth token, also a fresh one
        ├── ImapUnreachableError       no connection, or it kept dropping (retries spent)
        ├── ImapTLSError               the server's certificate or TLS setup failed the checks
        └── ImapProtocolError          the server answered what the source cannot use
"""

from __future__ import annotations

from collections.abc import Iterable

from replytrack.errors import SourceError

__all__ = [
    "ImapCredentialsError",
    "ImapError",
    "ImapProtocolError",
    "ImapTLSError",
    "ImapTokenError",
    "ImapUnreachableError",
    "scrub",
]


class ImapError(SourceError):
    """An IMAP mailbox could not be read; ``inbox`` names it."""

    def __init__(self, message: str, *, inbox: str) -> None:
        self.inbox = inbox
        super().__init__(f"inbox {inbox!r}: {message}")


class ImapCredentialsError(ImapError):
    """The server refused the username and password (an app password is wrong or revoked)."""


class ImapTokenError(ImapError):
    """The server refused the OAuth access token, and the fresh one asked for after it."""


class ImapUnreachableError(ImapError):
    """The server cannot be reached, or the connection kept dropping after the retries."""


class ImapTLSError(ImapError):
    """TLS failed: the certificate did not verify, or the server offers no STARTTLS."""


class ImapProtocolError(ImapError):
    """The server answered something the source cannot use (a refused command, a folder
    that does not exist, a response that does not parse)."""


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret given (a password, a token) replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
