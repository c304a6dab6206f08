"""Reply-To resolution: which connected inbox a send's replies will reach, if any."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from replytrack.message import normalise_address
from replytrack.models import Contact, Inbox, MarketingEmail, ReplyToMode

__all__ = ["Resolution", "resolve_reply_to"]


@attrs.frozen(kw_only=True)
class Resolution:
    """The Reply-To one recipient gets, and whether replies to it can be tracked."""

    address: str | None
    inbox_id: str | None
    reason: str | None = None

    @property
    def tracked(self) -> bool:
        return self.inbox_id is not None


def resolve_reply_to(
    email: MarketingEmail, contact: Contact, inboxes: Sequence[Inbox], when: datetime
) -> Resolution:
    """Resolve ``email``'s Reply-To for ``contact`` against the tenant's inboxes at ``when``."""
    setting = email.reply_to
    if setting.mode is ReplyToMode.CONTACT_OWNER:
        owned = [
            i
            for i in inboxes
            if i.kind == "personal" and contact.owner_id and i.owner_id == contact.owner_id
        ]
        live = [i for i in owned if i.is_connected_at(when)]
        if live:
            return Resolution(address=live[0].address, inbox_id=live[0].id)
        return Resolution(address=None, inbox_id=None, reason="owner-without-inbox")
    raw = email.from_address if setting.mode is ReplyToMode.FROM_ADDRESS else setting.address or ""
    address = normalise_address(raw) or raw.strip().lower()
    for inbox in inboxes:
        if inbox.address == address:
            if inbox.is_connected_at(when):
                return Resolution(address=address, inbox_id=inbox.id)
            return Resolution(address=address, inbox_id=None, reason="inbox-disconnected")
    return Resolution(address=address, inbox_id=None, reason="reply-to-not-connected")
