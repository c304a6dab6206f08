"""What callers hand the Tracker, refused at the door with what was expected instead.

A mistake in a call (a URL for a store, a str for mail bytes, an inbox id for an
address, an id that does not exist) raises here, before anything is stored, rather
than turning into a wrong number or an ``AttributeError`` later.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Sequence

from replytrack.errors import ConfigurationError, NotFoundError
from replytrack.models import Inbox, MarketingEmail
from replytrack.protocols import ListingStore, Store
from replytrack.replyto import inbox_named_by_id

__all__ = [
    "MAX_SUGGESTION_IDS",
    "check_items",
    "check_raw",
    "check_store",
    "closest_id",
    "refuse_inbox_id",
    "require_contact",
    "require_email",
]

#: ids compared for a "did you mean": beyond this many, only a case-insensitive match
MAX_SUGGESTION_IDS = 100_000
_RAW = (bytes, bytearray, memoryview)


def check_store(store: object) -> None:
    """ConfigurationError for what is plainly not a Store: a URL or path (with the call to
    make), bytes, None. Anything else is taken at its word (partial test doubles too)."""
    if isinstance(store, str | os.PathLike):
        url = str(os.fspath(store))
        raise ConfigurationError(
            f"Tracker expects a Store, got the {type(store).__name__} {url!r}: open it first,"
            f" Tracker(open_store({url!r}), ...) (replytrack.open_store)"
        )
    if store is None or isinstance(store, bytes):
        raise ConfigurationError(
            "Tracker expects a Store (MemoryStore, SQLiteStore, PostgresStore, open_store(url),"
            f" or your own implementing replytrack.Store), got {store!r}"
        )


def check_raw(raw: object, where: str) -> None:
    """TypeError unless ``raw`` is the message's bytes: text is a caller's bug, not bad mail."""
    if not isinstance(raw, _RAW):
        hint = (
            ": pass the raw bytes as received (a str has lost the message's own encodings)"
            if isinstance(raw, str)
            else ""
        )
        raise TypeError(f"{where} must be the message's bytes, got {type(raw).__name__}{hint}")


def check_items(messages: Sequence[object]) -> None:
    """:func:`check_raw` for every item of a list given to ``ingest_many``."""
    for number, item in enumerate(messages):
        raw = item[0] if isinstance(item, tuple) and item else item
        if not isinstance(raw, _RAW):
            check_raw(raw, f"messages[{number}]")


def refuse_inbox_id(email: MarketingEmail, inboxes: Sequence[Inbox]) -> None:
    """ConfigurationError when ``email``'s Reply-To is an inbox's id instead of its address."""
    named = inbox_named_by_id(email, inboxes)
    if named is not None:
        raise ConfigurationError(
            f"email {email.id!r}: ReplyTo.inbox({email.reply_to.address!r}) names the inbox"
            f" by its id; Reply-To takes its address: ReplyTo.inbox({named.address!r})"
        )


def closest_id(wanted: str, known: Iterable[str]) -> str | None:
    """The id ``wanted`` most likely misspells among ``known``, or None."""
    ids = list(known)
    folded = wanted.casefold().strip()
    for candidate in ids:
        if candidate.casefold().strip() == folded:
            return candidate
    if len(ids) > MAX_SUGGESTION_IDS:
        return None
    found = difflib.get_close_matches(wanted, ids, n=1, cutoff=0.6)
    return found[0] if found else None


def _not_found(what: str, wanted: str, tenant: str, known: Iterable[str] | None) -> NotFoundError:
    hint = closest_id(wanted, known) if known is not None else None
    also = f"; did you mean {hint!r}?" if hint is not None else ""
    return NotFoundError(f"no {what} {wanted!r} in tenant {tenant!r}{also}")


def require_email(store: Store, tenant: str, email_id: str) -> None:
    """NotFoundError (with the closest id) unless the tenant has the marketing email."""
    if store.get_email(tenant, email_id) is None:
        known = store.list_email_ids(tenant) if isinstance(store, ListingStore) else None
        raise _not_found("email", email_id, tenant, known)


def require_contact(store: Store, tenant: str, contact_id: str) -> None:
    """NotFoundError (with the closest id) unless the tenant has the contact."""
    if contact_id not in store.get_contacts(tenant, [contact_id]):
        known = (
            (c.id for c in store.list_contacts(tenant)) if isinstance(store, ListingStore) else None
        )
        raise _not_found("contact", contact_id, tenant, known)
