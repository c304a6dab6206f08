"""A dry run: what ingesting a message would do, with nothing written.

:class:`DryRunStore` reads through to a store and writes nothing. A Tracker built over
it runs the real pipeline (classify, correlate, every check) and returns the
:class:`~replytrack.pipeline.IngestResult` the message would get, ``DUPLICATE`` included
when it is already stored; ``replytrack explain`` shows that result.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import attrs

from replytrack.errors import ConfigurationError
from replytrack.models import (
    Contact,
    DeliveryStatus,
    Inbox,
    MarketingEmail,
    MatchStrategy,
    MessageKind,
    Quarantined,
    Reply,
    Send,
)
from replytrack.protocols import ListingStore, Store
from replytrack.reports import ContactProperties, EmailReport

__all__ = ["DryRunStore"]


@attrs.define
class DryRunStore:
    """Reads go to ``store``; writes are answered as the store would answer them, and
    dropped. ``add_replies`` says which records would be new (by key, and by the
    fallback's one-send-per-contact claim) without storing them."""

    store: Store

    # -- reads -------------------------------------------------------------------
    def get_inbox(self, tenant: str, inbox_id: str) -> Inbox | None:
        return self.store.get_inbox(tenant, inbox_id)

    def list_inboxes(self, tenant: str) -> list[Inbox]:
        return self.store.list_inboxes(tenant)

    def get_email(self, tenant: str, email_id: str) -> MarketingEmail | None:
        return self.store.get_email(tenant, email_id)

    def get_contacts(self, tenant: str, contact_ids: Collection[str]) -> dict[str, Contact]:
        return self.store.get_contacts(tenant, contact_ids)

    def get_sends(self, tenant: str, send_ids: Collection[str]) -> dict[str, Send]:
        return self.store.get_sends(tenant, send_ids)

    def find_sends_by_message_id(
        self, tenant: str, message_ids: Collection[str]
    ) -> dict[str, Send]:
        return self.store.find_sends_by_message_id(tenant, message_ids)

    def find_sends_to(self, tenant: str, addresses: Collection[str], since: datetime) -> list[Send]:
        return self.store.find_sends_to(tenant, addresses, since)

    def list_replies(
        self,
        tenant: str,
        *,
        email_id: str | None = None,
        contact_id: str | None = None,
        kinds: Collection[MessageKind] | None = None,
    ) -> list[Reply]:
        return self.store.list_replies(
            tenant, email_id=email_id, contact_id=contact_id, kinds=kinds
        )

    def report(self, tenant: str, email_id: str | None = None) -> EmailReport:
        return self.store.report(tenant, email_id)

    def contact_properties(self, tenant: str, contact_id: str) -> ContactProperties:
        return self.store.contact_properties(tenant, contact_id)

    def get_cursor(self, tenant: str, source_key: str) -> str | None:
        return self.store.get_cursor(tenant, source_key)

    def list_quarantined(
        self, tenant: str, *, inbox_id: str | None = None, ids: Collection[str] | None = None
    ) -> list[Quarantined]:
        return self.store.list_quarantined(tenant, inbox_id=inbox_id, ids=ids)

    def list_contacts(self, tenant: str) -> list[Contact]:
        return self._listing().list_contacts(tenant)

    def list_sends(
        self, tenant: str, *, email_id: str | None = None, contact_id: str | None = None
    ) -> list[Send]:
        return self._listing().list_sends(tenant, email_id=email_id, contact_id=contact_id)

    def list_email_ids(self, tenant: str) -> list[str]:
        return self._listing().list_email_ids(tenant)

    def _listing(self) -> ListingStore:
        if not isinstance(self.store, ListingStore):
            raise ConfigurationError(f"{type(self.store).__name__} does not list records")
        return self.store

    # -- writes, answered and dropped ---------------------------------------------
    def add_replies(self, tenant: str, replies: Sequence[Reply]) -> list[bool]:
        fresh = []
        seen: set[tuple[str, str]] = set()
        for reply in replies:
            stored = self.store.list_replies(tenant, contact_id=reply.contact_id)
            taken = reply.key in seen or any(
                r.key == reply.key
                or (
                    reply.strategy is MatchStrategy.FALLBACK
                    and r.strategy is MatchStrategy.FALLBACK
                    and r.inbound_id == reply.inbound_id
                )
                for r in stored
            )
            fresh.append(not taken)
            seen.add(reply.key)
        return fresh

    def save_inbox(self, tenant: str, inbox: Inbox) -> None:
        pass

    def save_email(self, tenant: str, email: MarketingEmail) -> None:
        pass

    def save_contacts(self, tenant: str, contacts: Sequence[Contact]) -> None:
        pass

    def add_sends(self, tenant: str, sends: Sequence[Send]) -> list[Send]:
        return list(sends)

    def set_provider_message_id(self, tenant: str, send_id: str, message_id: str) -> Send:
        raise ConfigurationError("a dry run records nothing")

    def set_delivery(self, tenant: str, send_id: str, delivery: DeliveryStatus) -> Send:
        raise ConfigurationError("a dry run records nothing")

    def set_reply_kind(
        self, tenant: str, key: tuple[str, str], kind: MessageKind, subtype: str | None
    ) -> Reply:
        raise ConfigurationError("a dry run records nothing")

    def mark_announced(self, tenant: str, key: tuple[str, str]) -> bool:
        return False

    def set_cursor(self, tenant: str, source_key: str, cursor: str) -> None:
        pass

    def add_quarantined(self, tenant: str, items: Sequence[Quarantined]) -> None:
        pass

    def remove_quarantined(self, tenant: str, ids: Collection[str]) -> int:
        return 0

    def close(self) -> None:
        pass
