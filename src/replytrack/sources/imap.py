"""ImapSource: a connected Gmail, Microsoft 365 or other IMAP mailbox, read without a trace.

Needs the ``imap`` extra (``pip install 'replytrack[imap]'``, IMAPClient). Folders are
opened with EXAMINE and every message is fetched with ``BODY.PEEK``: nothing is marked
read, moved or flagged. A fetch reads in two steps, kept apart so that an ingest that reads
headers first can call them itself: :meth:`ImapSource.fetch_headers` yields batches of
header blocks (UID, INTERNALDATE, size, ``BODY.PEEK[HEADER]``, Gmail's ``X-GM-MSGID``) and
:meth:`ImapSource.fetch_bodies` fetches the bodies of a batch's messages in one round
trip. :meth:`ImapSource.fetch` does both for every message (the InboxSource protocol).

The cursor holds each folder's UIDVALIDITY and last UID read. :meth:`ImapSource.baseline`
makes one at connect time, so mail already in the folders is never read. A changed
UIDVALIDITY, or a lost cursor, reads a bounded window again by internal date
(``SINCE``); the store keeps each record once, so nothing counts twice, and the sync
summary carries a warning. After ``reset_limit`` resets in 30 days,
:attr:`ImapSource.needs_reconnect` is set and the warning asks for the inbox to be
connected again. See docs/imap.md.
"""

from __future__ import annotations

import contextlib
import logging
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import attrs

from replytrack.errors import ConfigurationError
from replytrack.headers import normalise_msg_id
from replytrack.protocols import SourceMessage
from replytrack.sources._imap_conn import (
    Link,
    Security,
    Settings,
    TokenProvider,
    UidValidityChanged,
)
from replytrack.sources._imap_cursor import Cursor, FolderState, epoch, from_epoch
from replytrack.sources._imap_errors import (
    ImapCredentialsError,
    ImapError,
    ImapProtocolError,
    ImapTLSError,
    ImapTokenError,
    ImapUnreachableError,
)
from replytrack.sources._imap_fetch import fetch as uid_fetch

if TYPE_CHECKING:
    from replytrack.pipeline import SyncSummary
    from replytrack.tracker import Tracker

__all__ = [
    "HeaderBatch",
    "HeaderMessage",
    "ImapCredentialsError",
    "ImapError",
    "ImapProtocolError",
    "ImapSource",
    "ImapTLSError",
    "ImapTokenError",
    "ImapUnreachableError",
    "Security",
    "TokenProvider",
    "watch",
]

log = logging.getLogger("replytrack")
_MESSAGE_ID = re.compile(rb"(?im)^message-id:[ \t]*(<[^>\r\n]*>)")
_SECURITY = ("tls", "starttls", "plain")
_PORTS = {"tls": 993, "starttls": 143, "plain": 143}


@attrs.frozen(kw_only=True)
class HeaderMessage:
    """A message's header block and what the server says of it."""

    uid: int
    received_at: datetime
    size: int
    header: bytes
    #: Gmail's id of the message, the same in every folder (None elsewhere)
    gm_msgid: int | None
    #: the source's cursor once this message is read
    cursor: str


@attrs.frozen(kw_only=True)
class HeaderBatch:
    """Header blocks of one folder, fetched in one round trip."""

    folder: str
    uidvalidity: int
    messages: tuple[HeaderMessage, ...]


def _folders(value: str | Sequence[str]) -> tuple[str, ...]:
    folders = (value,) if isinstance(value, str) else tuple(value)
    if not folders or not all(isinstance(f, str) and f for f in folders):
        raise ConfigurationError(f"folders must be folder names, got {value!r}")
    return folders


def _positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ConfigurationError(f"{attribute.name} must be positive, got {value!r}")


@attrs.define(kw_only=True)
class ImapSource:
    """An IMAP mailbox, read-only; give ``password`` (an app password) or
    ``token_provider`` (XOAUTH2: a callable ``(*, refresh: bool) -> str``), not both.

    Args:
        host: the server (``imap.gmail.com``, ``outlook.office365.com``).
        username: the login, usually the mailbox's address.
        security: ``"tls"`` (port 993, the default), ``"starttls"`` (143), or ``"plain"``:
            no encryption, only when you say so (a test server on loopback).
        ssl_context: certificate checks; by default the system's CAs and the host name.
        folders: names, or special-use attributes (RFC 6154) such as ``"\\\\All"`` or
            ``"\\\\Junk"`` found by LIST; ``"INBOX"`` by default. A message seen in two
            folders in one fetch is read once (by X-GM-MSGID, else Message-ID).
        inbox_id: the replytrack inbox this mailbox is, named in errors and logs.
        timeout: seconds each network call may take.
        retries: attempts on a new connection after one drops; ``backoff`` seconds
            before the first, doubling.
        batch_size: messages per header (and body) round trip.
        rescan_days: how far back a reset reads again at most.
        reset_limit: resets in 30 days after which :attr:`needs_reconnect` is set.

    One fetch at a time per instance; open one per thread.
    """

    host: str
    username: str
    password: str | None = attrs.field(default=None, repr=False)
    token_provider: TokenProvider | None = attrs.field(default=None, repr=False)
    port: int | None = None
    security: Security = "tls"
    ssl_context: ssl.SSLContext | None = attrs.field(default=None, repr=False)
    folders: tuple[str, ...] = attrs.field(default=("INBOX",), converter=_folders)
    inbox_id: str | None = None
    timeout: float = attrs.field(default=30.0, validator=_positive)
    retries: int = 3
    backoff: float = 1.0
    batch_size: int = attrs.field(default=200, validator=_positive)
    rescan_days: int = attrs.field(default=7, validator=_positive)
    reset_limit: int = 3
    clock: Callable[[], datetime] = attrs.field(default=lambda: datetime.now(UTC), repr=False)
    #: what the last fetch warns about, for the sync summary
    warnings: list[str] = attrs.field(init=False, factory=list)
    #: the cursor past everything the last fetch looked at (None until one finished)
    settled_cursor: str | None = attrs.field(init=False, default=None)
    #: set when resets keep happening: the inbox should be connected again
    needs_reconnect: bool = attrs.field(init=False, default=False)
    _link: Link | None = attrs.field(init=False, default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        if (self.password is None) == (self.token_provider is None):
            raise ConfigurationError(
                f"ImapSource for {self.username!r}: give a password or a token_provider, one"
            )
        if self.security not in _SECURITY:
            raise ConfigurationError(
                f"security must be one of {', '.join(_SECURITY)}, got {self.security!r}"
            )
        if self.retries < 0 or self.backoff < 0:
            raise ConfigurationError("retries and backoff must not be negative")

    # -- naming ------------------------------------------------------------------------
    @property
    def label(self) -> str:
        """How errors and logs name this mailbox: its inbox id, else login and host."""
        return self.inbox_id or f"{self.username} on {self.host}"

    @property
    def key(self) -> str:
        return f"imap:{self.username}@{self.host}:{self._port}"

    @property
    def _port(self) -> int:
        return self.port or _PORTS[self.security]

    def _settings(self) -> Settings:
        return Settings(
            host=self.host,
            port=self._port,
            username=self.username,
            password=self.password,
            token_provider=self.token_provider,
            security=self.security,
            ssl_context=self.ssl_context,
            timeout=self.timeout,
            retries=self.retries,
            backoff=self.backoff,
            label=self.label,
        )

    def _warn(self, text: str) -> None:
        self.warnings.append(text)
        log.warning("inbox %r: %s", self.label, text)

    # -- connecting --------------------------------------------------------------------
    def _connected(self) -> Link:
        link = Link(self._settings())
        link.run("LOGIN", lambda client: client, folder=False)
        return link

    def special_folders(self) -> dict[str, str]:
        """The server's special-use folders (RFC 6154): ``{"\\\\All": "[Gmail]/All Mail", ...}``."""
        link = self._connected()
        try:
            return self._special(link)
        finally:
            link.close()

    def _special(self, link: Link) -> dict[str, str]:
        listed = link.run("LIST", lambda c: c.list_folders(), folder=False)
        found: dict[str, str] = {}
        for flags, _, name in listed:
            for flag in flags:
                text = flag.decode() if isinstance(flag, bytes) else str(flag)
                if text.lower() not in {"\\haschildren", "\\hasnochildren", "\\noinferiors"}:
                    found.setdefault(text, name)
        return found

    def _resolve(self, link: Link) -> list[str]:
        """The folders to read: names as given, special-use attributes looked up."""
        wanted = [f for f in self.folders if f.startswith("\\")]
        special = self._special(link) if wanted else {}
        by_flag = {flag.lower(): name for flag, name in special.items()}
        folders: list[str] = []
        for folder in self.folders:
            name = by_flag.get(folder.lower()) if folder.startswith("\\") else folder
            if name is None:
                self._warn(f"no folder has the special use {folder}: it is not read")
            elif name not in folders:
                folders.append(name)
        return folders

    def baseline(self) -> str:
        """A cursor past everything in the folders now: mail already there is never read.
        Save it as the inbox's cursor when connecting it (``store.set_cursor(tenant,
        source.key, source.baseline())``; ``replytrack inbox connect`` does)."""
        link = self._connected()
        try:
            now = epoch(self.clock())
            folders: dict[str, FolderState] = {}
            for folder in self._resolve(link):
                info = link.examine(folder)
                last = self._last_uid(link, info)
                folders[folder] = FolderState(link.uidvalidity or 0, last, now)
            return Cursor(folders).encode()
        finally:
            link.close()

    @staticmethod
    def _last_uid(link: Link, info: dict[bytes, Any]) -> int:
        if b"UIDNEXT" in info:
            return max(int(info[b"UIDNEXT"]) - 1, 0)
        found = link.run("SEARCH", lambda c: c.search(["UID", "1:*"]))
        return max(found, default=0)

    # -- reading -----------------------------------------------------------------------
    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        """Messages after the cursor ``after``, a folder after another, by UID; each
        batch's bodies in one round trip after its headers."""
        for batch in self.fetch_headers(after):
            bodies = self.fetch_bodies(batch)
            for message in batch.messages:
                yield SourceMessage(
                    raw=message.header + bodies.get(message.uid, b""),
                    received_at=message.received_at,
                    cursor=message.cursor,
                )

    def fetch_headers(self, after: str | None) -> Iterator[HeaderBatch]:
        """Header blocks of the messages after ``after``, in batches of ``batch_size``; the
        connection stays open while the caller holds a batch, for :meth:`fetch_bodies`."""
        self.warnings = []
        self.settled_cursor = None
        now = self.clock()
        cursor = Cursor.decode(after)
        resets = list(cursor.recent_resets(now) if cursor else ())
        if cursor is None:
            since = (now - timedelta(days=self.rescan_days)).date()
            what = "no cursor" if after is None else "a cursor this source cannot read"
            self._warn(
                f"{what}: reading mail since {since.isoformat()} again (mail received before"
                " the inbox was connected does not count; stored replies are not counted twice)"
            )
            if after is not None:
                resets.append(epoch(now))
        state = dict(cursor.folders) if cursor else {}
        link = self._connected()
        self._link = link
        try:
            gmail = b"X-GM-EXT-1" in link.run("CAPABILITY", lambda c: c.capabilities())
            seen: set[str] = set()
            for folder in self._resolve(link):
                batches = self._folder(link, folder, state, resets, now, gmail, seen)
                yield from batches
            self.needs_reconnect = len(resets) >= self.reset_limit > 0
            if self.needs_reconnect:
                self._warn(
                    f"{len(resets)} resets in 30 days: connect the inbox again (check the"
                    " account and the server's settings)"
                )
            self.settled_cursor = Cursor(state, tuple(resets)).encode()
        except UidValidityChanged as exc:
            self._warn(f"UIDVALIDITY of {exc} changed during the sync: read again next time")
        finally:
            self._link = None
            link.close()

    def _folder(
        self,
        link: Link,
        folder: str,
        state: dict[str, FolderState],
        resets: list[int],
        now: datetime,
        gmail: bool,
        seen: set[str],
    ) -> Iterator[HeaderBatch]:
        info = link.examine(folder)
        uidvalidity = link.uidvalidity or 0
        known = state.get(folder)
        if known is not None and known.uidvalidity == uidvalidity:
            last = known.uid
            found = link.run("SEARCH", lambda c: c.search(["UID", f"{last + 1}:*"]))
            # "UID n:*" names the highest UID also when it is below n: keep the new ones
            uids = sorted(u for u in found if u > last)
        else:
            floor = now - timedelta(days=self.rescan_days)
            start = max(from_epoch(known.seen) - timedelta(days=1), floor) if known else floor
            if known is not None:
                resets.append(epoch(now))
                self._warn(
                    f"UIDVALIDITY of {folder} changed ({known.uidvalidity} -> {uidvalidity}):"
                    f" reading its mail since {start.date().isoformat()} again"
                )
            found = link.run("SEARCH", lambda c: c.search(["SINCE", start.date()]))
            uids = sorted(found)
            state[folder] = FolderState(uidvalidity, 0, known.seen if known else epoch(now))
        log.info("inbox %r: %d new message(s) in %s", self.label, len(uids), folder)
        del info
        items = ["INTERNALDATE", "RFC822.SIZE", "BODY.PEEK[HEADER]"]
        if gmail:
            items.append("X-GM-MSGID")
        for start_at in range(0, len(uids), self.batch_size):
            chunk = uids[start_at : start_at + self.batch_size]
            data = link.run(
                f"FETCH headers in {folder}", partial(uid_fetch, uids=chunk, items=items)
            )
            messages = []
            for uid in chunk:
                before = state[folder]
                if uid not in data:  # expunged since the search
                    state[folder] = attrs.evolve(before, uid=max(before.uid, uid))
                    continue
                date, size, gm, header = data[uid]
                received = _utc(date, now)
                state[folder] = FolderState(
                    uidvalidity, max(before.uid, uid), max(before.seen, epoch(received))
                )
                identity = _identity(header, gm)
                if identity is not None and identity in seen:
                    continue  # read from another folder in this fetch
                if identity is not None:
                    seen.add(identity)
                messages.append(
                    HeaderMessage(
                        uid=uid,
                        received_at=received,
                        size=len(header) if size is None else size,
                        header=header,
                        gm_msgid=gm,
                        cursor=Cursor(state, tuple(resets)).encode(),
                    )
                )
            if messages:
                yield HeaderBatch(folder=folder, uidvalidity=uidvalidity, messages=tuple(messages))

    def fetch_bodies(
        self, batch: HeaderBatch, uids: Sequence[int] | None = None
    ) -> dict[int, bytes]:
        """The bodies (``BODY.PEEK[TEXT]``: what follows the header block) of the batch's
        messages, or of ``uids`` among them, by UID, in one round trip. Call it while the
        batch's :meth:`fetch_headers` is open; a message expunged since is left out."""
        link = self._link
        if link is None:
            raise ImapProtocolError("fetch_bodies needs an open fetch_headers", inbox=self.label)
        wanted = [m.uid for m in batch.messages] if uids is None else list(uids)
        if not wanted:
            return {}
        if link.folder != batch.folder:
            link.examine(batch.folder)
            if link.uidvalidity != batch.uidvalidity:
                raise UidValidityChanged(batch.folder)
        data = link.run(
            f"FETCH bodies in {batch.folder}",
            partial(uid_fetch, uids=wanted, items=["BODY.PEEK[TEXT]"]),
        )
        return {uid: got[3] for uid, got in data.items()}

    # -- waiting -----------------------------------------------------------------------
    def wait(
        self,
        after: str | None,
        timeout: float,
        *,
        poll_every: float = 30.0,
        stop: threading.Event | None = None,
    ) -> bool:
        """Block until new mail may have arrived in the first folder, or ``timeout``
        seconds pass; True when woken by the server (IDLE), or by a poll that found a new
        UID when the server has no IDLE. A hint only: the next sync reads what is new."""
        deadline = time.monotonic() + timeout
        link = self._connected()
        try:
            folder = self._resolve(link)[0]
            info = link.examine(folder)
            known = (Cursor.decode(after) or Cursor()).folders.get(folder)
            newest = self._last_uid(link, info)
            if known is not None and (known.uidvalidity != link.uidvalidity or newest > known.uid):
                return True  # arrived after the last sync, before we looked
            client = link.client
            assert client is not None
            if b"IDLE" in link.run("CAPABILITY", lambda c: c.capabilities()):
                return _idle(client, deadline, stop)
            while time.monotonic() < deadline and not (stop and stop.is_set()):
                time.sleep(min(poll_every, max(deadline - time.monotonic(), 0)))
                status = link.run("STATUS", lambda c: c.folder_status(folder, [b"UIDNEXT"]))
                if int(status.get(b"UIDNEXT", 0)) - 1 > newest:
                    return True
            return False
        finally:
            link.close()


def _idle(client: Any, deadline: float, stop: threading.Event | None) -> bool:
    """IDLE until the server reports a new message (EXISTS) or the deadline passes; the
    check wakes every few seconds to honour ``stop``."""
    client.idle()
    try:
        while (left := deadline - time.monotonic()) > 0 and not (stop and stop.is_set()):
            for response in client.idle_check(timeout=min(left, 5.0)):
                if len(response) > 1 and response[1] in (b"EXISTS", b"RECENT"):
                    return True
        return False
    finally:
        with contextlib.suppress(Exception):  # the connection is closed right after
            client.idle_done()


def _utc(value: object, default: datetime) -> datetime:
    if not isinstance(value, datetime):
        return default
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _identity(header: bytes, gm_msgid: object) -> str | None:
    """What makes two folders' copies one message: Gmail's id, else the Message-ID."""
    if gm_msgid is not None:
        return f"gm:{gm_msgid}"
    found = _MESSAGE_ID.search(header)
    return normalise_msg_id(found.group(1).decode("latin-1")) if found else None


def watch(
    tracker: Tracker,
    inbox_id: str,
    source: ImapSource,
    *,
    wait: float = 300.0,
    poll_every: float = 30.0,
    stop: threading.Event | None = None,
) -> Iterator[SyncSummary]:
    """Sync the inbox, then wait for new mail (IDLE, else polling every ``poll_every``
    seconds) at most ``wait`` seconds, and again; a summary per sync. Ends when ``stop``
    is set (checked every few seconds while waiting) or the caller stops iterating."""
    while True:
        yield tracker.sync(inbox_id, source)
        if stop is not None and stop.is_set():
            return
        cursor = tracker.store.get_cursor(tracker.tenant, source.key)
        source.wait(cursor, wait, poll_every=poll_every, stop=stop)
        if stop is not None and stop.is_set():
            return
