"""One IMAP connection of :class:`~replytrack.sources.imap.ImapSource`: connects (TLS,
STARTTLS or, when asked, plain), logs in (a password, or XOAUTH2 with a token asked for
again once after a refusal), and runs each command under a socket timeout, reconnecting
and retrying with backoff when the connection drops (also when Microsoft 365 ends a
session whose token expired). Commands are idempotent reads by UID, so a retried command
reads what the dropped one would have.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol, TypeVar

import attrs
from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import CapabilityError, LoginError

from replytrack.sources._imap_errors import (
    ImapCredentialsError,
    ImapError,
    ImapProtocolError,
    ImapTLSError,
    ImapTokenError,
    ImapUnreachableError,
    scrub,
)

__all__ = ["Link", "Security", "Settings", "TokenProvider"]

T = TypeVar("T")
Security = Literal["tls", "starttls", "plain"]
log = logging.getLogger("replytrack")
# Words of a server that ended a session because its token expired (Microsoft 365 says
# "Session invalidated - AccessTokenExpired"): the next login asks for a fresh token.
_EXPIRED = ("expired", "invalidated")


class TokenProvider(Protocol):
    """Returns an OAuth access token for the mailbox; ``refresh=True`` after the server
    refused the last one (or ended the session on its expiry): return a fresh one."""

    def __call__(self, *, refresh: bool) -> str: ...


@attrs.frozen(kw_only=True)
class Settings:
    """What a connection needs; secrets are never shown."""

    host: str
    port: int
    username: str
    password: str | None = attrs.field(repr=False)
    token_provider: TokenProvider | None = attrs.field(repr=False)
    security: Security
    ssl_context: ssl.SSLContext | None = attrs.field(repr=False)
    timeout: float
    retries: int
    backoff: float
    label: str


class Link:
    """A connection that reopens itself: :meth:`run` retries a command on a new connection
    (the same folder examined again) when the old one dropped."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client: IMAPClient | None = None
        #: the folder examined, and its UIDVALIDITY when it was
        self.folder: str | None = None
        self.uidvalidity: int | None = None
        self._token: str | None = None
        self._refresh = False

    # -- errors ------------------------------------------------------------------------
    def _text(self, exc: BaseException) -> str:
        return scrub(f"{type(exc).__name__}: {exc}", (self.settings.password, self._token))

    # -- connecting --------------------------------------------------------------------
    def _connect(self) -> IMAPClient:
        s = self.settings
        timeout = SocketTimeout(connect=s.timeout, read=s.timeout)
        plain = s.security == "plain"  # loading the system's CAs costs tens of ms
        context = None if plain else s.ssl_context or ssl.create_default_context()
        try:
            client = IMAPClient(
                s.host, s.port, ssl=s.security == "tls", ssl_context=context, timeout=timeout
            )
        except ssl.SSLError as exc:
            raise ImapTLSError(
                f"TLS with {s.host}:{s.port} failed: {self._text(exc)}", inbox=s.label
            ) from exc
        client.normalise_times = False
        # IMAPClient turns imaplib's debug output on, which formats every response (whole
        # messages) into a log string even when no one listens: half a fetch's time.
        imap = getattr(client, "_imap", None)
        if imap is not None:
            imap.debug = 0
        if s.security == "starttls":
            try:
                client.starttls(context)
            except CapabilityError as exc:
                _close(client)
                raise ImapTLSError(
                    f"{s.host}:{s.port} offers no STARTTLS; use security='tls' (port 993)",
                    inbox=s.label,
                ) from exc
            except ssl.SSLError as exc:
                _close(client)
                raise ImapTLSError(
                    f"STARTTLS with {s.host}:{s.port} failed: {self._text(exc)}", inbox=s.label
                ) from exc
        return client

    def _login(self, client: IMAPClient) -> None:
        s = self.settings
        if s.token_provider is None:
            try:
                client.login(s.username, s.password or "")
            except LoginError as exc:
                _temporary(exc)
                raise ImapCredentialsError(
                    f"{s.host} refused the password of {s.username!r}: {self._text(exc)}",
                    inbox=s.label,
                ) from None
            return
        self._token = self._ask_token(refresh=self._refresh)
        try:
            client.oauth2_login(s.username, self._token)
        except LoginError as exc:
            _temporary(exc)
            refused = self._text(exc)
        else:
            self._refresh = False
            return
        # Refused: ask for a fresh token once, and try it on a new connection.
        _close(client)
        log.info("inbox %r: the token was refused; asking for a fresh one", s.label)
        self._token = self._ask_token(refresh=True)
        client = self._connect()
        self.client = client
        try:
            client.oauth2_login(s.username, self._token)
        except LoginError as exc:
            _temporary(exc)
            raise ImapTokenError(
                f"{s.host} refused the OAuth token of {s.username!r}, and a fresh one after it"
                f" ({refused}; then {self._text(exc)})",
                inbox=s.label,
            ) from None
        self._refresh = False

    def _ask_token(self, *, refresh: bool) -> str:
        assert self.settings.token_provider is not None
        try:
            token = self.settings.token_provider(refresh=refresh)
        except Exception as exc:
            raise ImapTokenError(
                f"the token provider failed ({type(exc).__name__})", inbox=self.settings.label
            ) from exc
        if not isinstance(token, str) or not token:
            raise ImapTokenError(
                f"the token provider returned {type(token).__name__}, not a token",
                inbox=self.settings.label,
            )
        return token

    def open(self) -> IMAPClient:
        """Connect and log in (no folder examined); network errors are raised as they are."""
        self.close()
        client = self._connect()
        self.client = client
        try:
            self._login(client)
        except BaseException:
            self.close()
            raise
        s = self.settings
        log.info("inbox %r: connected to %s:%d (%s)", s.label, s.host, s.port, s.security)
        return self.client

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            _close(client)

    # -- commands ----------------------------------------------------------------------
    def examine(self, folder: str) -> dict[bytes, Any]:
        """Open ``folder`` read-only (EXAMINE); its SELECT data."""
        info: dict[bytes, Any] = self.run(
            f"EXAMINE {folder}", lambda c: c.select_folder(folder, readonly=True), folder=False
        )
        self.folder = folder
        self.uidvalidity = int(info.get(b"UIDVALIDITY", 0)) or None
        return info

    def run(self, what: str, command: Callable[[IMAPClient], T], *, folder: bool = True) -> T:
        """``command`` on the open connection, retried on a new one (with the folder examined
        again when ``folder``) while the connection drops, ``retries`` times at most."""
        s = self.settings
        for attempt in range(s.retries + 1):
            try:
                client = self.client or self._reopen(folder)
                return command(client)
            except ImapError:
                raise
            except (imaplib.IMAP4.abort, OSError) as exc:  # dropped, timed out, refused
                self.close()
                text = self._text(exc)
                if any(word in text.lower() for word in _EXPIRED):
                    self._refresh = True
                if attempt == s.retries:
                    raise ImapUnreachableError(
                        f"{what} on {s.host}:{s.port} failed {attempt + 1} times; last: {text}",
                        inbox=s.label,
                    ) from None
                pause = s.backoff * 2**attempt
                log.warning(
                    "inbox %r: %s failed (%s); retrying in %.2f s (%d of %d)",
                    s.label,
                    what,
                    text,
                    pause,
                    attempt + 1,
                    s.retries,
                )
                time.sleep(pause)
            except imaplib.IMAP4.error as exc:  # NO or BAD, or a response that does not parse
                raise ImapProtocolError(f"{what}: {self._text(exc)}", inbox=s.label) from None
            except ValueError as exc:  # IMAPClient's parser
                raise ImapProtocolError(f"{what}: {self._text(exc)}", inbox=s.label) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _reopen(self, folder: bool) -> IMAPClient:
        client = self.open()
        if folder and self.folder is not None:
            before = self.uidvalidity
            info = client.select_folder(self.folder, readonly=True)
            if before is not None and int(info.get(b"UIDVALIDITY", 0)) != before:
                raise UidValidityChanged(self.folder)
        return client


class TemporaryFailure(ConnectionError):
    """The server could not check the credentials just now (RFC 5530 UNAVAILABLE): retried."""


def _temporary(exc: LoginError) -> None:
    if "[UNAVAILABLE]" in str(exc).upper():
        raise TemporaryFailure("the server cannot check credentials now (UNAVAILABLE)") from None


class UidValidityChanged(Exception):
    """The folder's UIDVALIDITY changed under an open fetch: its UIDs mean nothing now."""


def _close(client: IMAPClient) -> None:
    """Log out, or drop the socket when the server is gone."""
    try:
        client.logout()
    except Exception:
        with contextlib.suppress(Exception):  # already closed
            client.shutdown()
