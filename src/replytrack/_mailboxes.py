"""Ingest's address comparisons, by the equivalence rules of :mod:`replytrack.addresses`
(Gmail dots, ``+tags`` and googlemail.com; plus-addressing at Microsoft; IDN domains).

The plain comparison of lower-cased addresses decides nearly every message; the
provider's spelling (:func:`~replytrack.addresses.mailbox_key`) is computed only
when it fails, so mail addressed as written costs nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from replytrack.addresses import Address, Provider, mailbox_key, parse_address
from replytrack.models import Inbox

__all__ = ["Recipients", "same_mailbox"]


def _key(address: str, provider: Provider | None = None) -> str | None:
    parsed = parse_address(address)
    return mailbox_key(parsed, provider) if isinstance(parsed, Address) else None


def same_mailbox(sender: str, addresses: Iterable[str]) -> bool:
    """True when ``sender`` reaches the mailbox of one of ``addresses`` (a contact's);
    only consumer domains' rules apply, since a contact's provider is not known."""
    wanted = _key(sender)
    return wanted is not None and any(_key(a) == wanted for a in addresses)


class Recipients:
    """The connected inboxes by the addresses that deliver to them: address and aliases
    as written, then, for a recipient not found so, as the inbox's provider spells them."""

    def __init__(self, inboxes: Sequence[Inbox]) -> None:
        self._inboxes = inboxes
        self._plain: dict[str, Inbox] = {}
        for inbox in inboxes:
            for address in (inbox.address, *inbox.aliases):
                self._plain.setdefault(address, inbox)
        # provider -> mailbox key -> inbox; made at the first recipient not found plainly
        self._keys: dict[Provider | None, dict[str, Inbox]] | None = None

    def find(self, address: str) -> Inbox | None:
        """The inbox ``address`` (lower-case, bare) delivers to, or None."""
        found = self._plain.get(address)
        if found is not None or not address:
            return found
        for provider, inboxes in self._by_key().items():
            key = _key(address, provider)
            if key is not None and key in inboxes:
                return inboxes[key]
        return None

    def _by_key(self) -> dict[Provider | None, dict[str, Inbox]]:
        if self._keys is None:
            self._keys = {}
            for inbox in self._inboxes:
                keyed = self._keys.setdefault(inbox.provider, {})
                for address in (inbox.address, *inbox.aliases):
                    key = _key(address, inbox.provider)
                    if key is not None:
                        keyed.setdefault(key, inbox)
        return self._keys
