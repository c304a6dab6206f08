"""Text every store can hold: the one rule, applied at the one gate between the engine and a store.

A str read from mail may hold what a database refuses: NUL (PostgreSQL TEXT takes
no 0x00) and lone surrogates (an encoded word such as ``=?utf-7?q?+2D0-?=`` decodes
to one, and no UTF-8 encoder takes it). :func:`storable` replaces each with U+FFFD,
the replacement character undecodable bytes already become. An id longer than
:data:`MAX_ID_CHARS` (PostgreSQL refuses index entries over about 2.7 kB) is
replaced by ``sha256:`` and a digest of it, the shape of a message fingerprint.

The engine reaches its store only through :func:`gate`: records built from
mail (replies, quarantined messages) and values used only for lookups (Message-IDs
from In-Reply-To and References, sender addresses) are cleaned there, so that
MemoryStore, SQLite, PostgreSQL and any other store see, keep and return the same
text. What an integrator passes (ids, contacts, emails) is stored as given.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

import attrs

from replytrack.errors import ConfigurationError
from replytrack.models import Contact, Quarantined, Reply, Send
from replytrack.protocols import SharedStore, Store

__all__ = ["MAX_ID_CHARS", "CleanText", "gate", "storable", "storable_id", "storable_reply"]

MAX_ID_CHARS = 500
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
V = TypeVar("V")


def _clean(text: str) -> bool:
    """True when ``text`` holds nothing a store refuses. Two C passes (encode, then memchr)
    are about 6 times faster than the regex on non-ASCII text, which most mail is."""
    if text.isascii():
        return "\0" not in text
    try:
        return b"\0" not in text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False


def storable(text: str) -> str:
    """``text`` with NUL and lone surrogates replaced by U+FFFD; itself when clean."""
    return text if _clean(text) else _UNSTORABLE.sub("\ufffd", text)


def storable_id(text: str) -> str:
    """An id cleaned as :func:`storable`; longer than MAX_ID_CHARS, ``sha256:`` and a digest."""
    text = storable(text)
    if len(text) <= MAX_ID_CHARS:
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def storable_reply(reply: Reply) -> Reply:
    """The reply with every text read from mail cleaned; the same object when clean."""
    texts = (reply.inbound_id, reply.from_address, reply.alternate_address or "")
    if _clean("".join((*texts, reply.subject, reply.snippet))) and (
        len(reply.inbound_id) <= MAX_ID_CHARS
    ):
        return reply
    alternate = reply.alternate_address
    return attrs.evolve(
        reply,
        inbound_id=storable_id(reply.inbound_id),
        from_address=storable(reply.from_address),
        alternate_address=None if alternate is None else storable(alternate),
        subject=storable(reply.subject),
        snippet=storable(reply.snippet),
    )


def _storable_quarantined(item: Quarantined) -> Quarantined:
    def opt(value: str | None) -> str | None:
        return None if value is None else storable(value)

    return attrs.evolve(
        item,
        inbox_id=opt(item.inbox_id),
        source_key=opt(item.source_key),
        position=opt(item.position),
        reason=storable(item.reason),
        traceback=storable(item.traceback),
    )


def _by_given(
    find: Callable[[str, Collection[str]], dict[str, V]], tenant: str, keys: Collection[str]
) -> dict[str, V]:
    """A lookup keyed by the values as given, the store asked with them cleaned."""
    if _clean("".join(keys)):
        return find(tenant, keys)
    cleaned = {key: storable(key) for key in keys}
    found = find(tenant, set(cleaned.values()))
    return {key: found[value] for key, value in cleaned.items() if value in found}


@attrs.define
class CleanText:
    """The store the engine uses: ``inner``, with text from mail cleaned on the way in.

    The methods mail reaches are cleaned here; every other attribute is the inner
    store's own (so methods a store adds stay reachable). :func:`gate` types it as a Store.
    """

    inner: Store

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet (unpickling): never recurse
            raise AttributeError(name)
        return getattr(self.inner, name)

    def reopen(self) -> Store:
        """The gate over a new connection to ``inner`` (for a worker process)."""
        if not isinstance(self.inner, SharedStore):
            raise ConfigurationError(f"{type(self.inner).__name__} has no reopen()")
        return gate(self.inner.reopen())

    def add_replies(self, tenant: str, replies: Sequence[Reply]) -> list[bool]:
        return self.inner.add_replies(tenant, [storable_reply(r) for r in replies])

    def add_quarantined(self, tenant: str, items: Sequence[Quarantined]) -> None:
        self.inner.add_quarantined(tenant, [_storable_quarantined(q) for q in items])

    def get_sends(self, tenant: str, send_ids: Collection[str]) -> dict[str, Send]:
        return _by_given(self.inner.get_sends, tenant, send_ids)

    def find_sends_by_message_id(
        self, tenant: str, message_ids: Collection[str]
    ) -> dict[str, Send]:
        return _by_given(self.inner.find_sends_by_message_id, tenant, message_ids)

    def find_sends_to(self, tenant: str, addresses: Collection[str], since: datetime) -> list[Send]:
        if not _clean("".join(addresses)):
            addresses = {storable(a) for a in addresses}
        return self.inner.find_sends_to(tenant, addresses, since)

    def get_contacts(self, tenant: str, contact_ids: Collection[str]) -> dict[str, Contact]:
        return _by_given(self.inner.get_contacts, tenant, contact_ids)


def gate(store: Store) -> Store:
    """``store`` behind the text gate, as the engine uses it (once: a gate is not wrapped)."""
    return store if isinstance(store, CleanText) else cast(Store, CleanText(store))
