"""Reply-To problems: the stable codes, and the words of each (the address, what to use instead).

Public through :mod:`replytrack.replyto`.
"""

from __future__ import annotations

import enum
from typing import Literal

import attrs

from replytrack.addresses import Address, InvalidAddress, Provider, provider_of
from replytrack.models import Contact, Inbox

Severity = Literal["error", "warning"]


class ProblemCode(enum.StrEnum):
    """Why replies to an email, or to one recipient, cannot be tracked."""

    #: no inbox is connected at all: tracking cannot start
    NO_CONNECTED_INBOX = "no-connected-inbox"
    #: the Reply-To (or the From, with use-From) is not a connected inbox
    REPLY_TO_NOT_CONNECTED = "reply-to-not-connected"
    #: the Reply-To is an alias, a send-as address or a provider-equivalent spelling of an inbox
    REPLY_TO_IS_ALIAS = "reply-to-is-alias"
    #: the inbox was connected once but is not now
    INBOX_DISCONNECTED = "inbox-disconnected"
    #: Reply-To = contact owner, and the contact has no owner or the owner no personal inbox
    OWNER_WITHOUT_INBOX = "owner-without-inbox"
    #: an address that does not parse; ``position`` points at the problem when known
    INVALID_ADDRESS = "invalid-address"


@attrs.frozen(kw_only=True)
class Problem:
    """One thing to fix before sending: ``message`` says what, ``fix`` what to do.

    ``use_instead`` is the address to put in Reply-To instead, when there is
    one; ``contact_id`` is set on problems about a single recipient.
    """

    code: ProblemCode
    severity: Severity
    message: str
    address: str | None
    fix: str
    use_instead: str | None = None
    contact_id: str | None = None
    position: int | None = None


_FROM_HINT = " (the email uses its From address as Reply-To)"


def _where(field: str) -> str:
    return _FROM_HINT if field == "From" else ""


def _instead(field: str, address: str) -> str:
    """What to do instead, as a clause: "set Reply-To to sales@example.com"."""
    if field == "From":
        return (
            f"send from {address}, or turn off 'use my From address as Reply-To' "
            f"and set Reply-To to {address}"
        )
    return f"set Reply-To to {address}"


def _sentence(clause: str) -> str:
    return f"{clause[0].upper()}{clause[1:]}."


def invalid(field: str, invalid: InvalidAddress) -> Problem:
    where = f" at position {invalid.position}" if invalid.position is not None else ""
    return Problem(
        code=ProblemCode.INVALID_ADDRESS,
        severity="error",
        message=f"{field} {invalid.value!r} is not a valid address: {invalid.reason}{where}.",
        address=invalid.value,
        fix=f"Correct the {field} address{where}; it must be one address like name@example.com.",
        position=invalid.position,
    )


def inbox_id_given(given: str, inbox: Inbox) -> Problem:
    return Problem(
        code=ProblemCode.INVALID_ADDRESS,
        severity="error",
        message=(
            f"Reply-To {given!r} is not an address but the id of the inbox {inbox.id!r},"
            f" whose address is {inbox.address}."
        ),
        address=given,
        fix=f"Set Reply-To to the inbox's address: ReplyTo.inbox({inbox.address!r}).",
        use_instead=inbox.address,
    )


def no_connected_inbox(address: str | None, field: str) -> Problem:
    inbox = f"{address} or another inbox" if address else "an inbox"
    return Problem(
        code=ProblemCode.NO_CONNECTED_INBOX,
        severity="error",
        message="No inbox is connected, so replies to this email cannot be tracked.",
        address=address,
        fix=f"Connect {inbox} before sending{_where(field)}.",
    )


def not_connected(field: str, address: str, suggestion: str | None) -> Problem:
    fix = f"Connect {address} as an inbox"
    fix += f", or {_instead(field, suggestion)}." if suggestion else "."
    return Problem(
        code=ProblemCode.REPLY_TO_NOT_CONNECTED,
        severity="error",
        message=(
            f"{field} {address}{_where(field)} is not a connected inbox, "
            "so replies to it will not be tracked."
        ),
        address=address,
        fix=fix,
        use_instead=suggestion,
    )


def alias(field: str, address: str, real: str, how: str) -> Problem:
    return Problem(
        code=ProblemCode.REPLY_TO_IS_ALIAS,
        severity="error",
        message=(
            f"{field} {address}{_where(field)} is an alias of the connected inbox {real} "
            f"({how}); replies to an alias are not tracked."
        ),
        address=address,
        fix=_sentence(_instead(field, real)),
        use_instead=real,
    )


def provider_rule(address: Address, real: Address, provider: Provider | None) -> str:
    """Why the provider delivers ``address`` to ``real``'s mailbox, in a few words."""
    name = "Gmail" if (provider_of(real.domain) or provider) == "gmail" else "Outlook"
    mine, theirs = address.local.split("+", 1)[0], real.local.split("+", 1)[0]
    ignored = [
        label
        for label, differs in (
            ("dots", mine.lower() != theirs.lower()),
            ("a +tag", "+" in address.local),
            ("case", mine != mine.lower()),
        )
        if differs
    ]
    rule = f"{name} ignores {_join(ignored)} before the @" if ignored else ""
    if address.domain != real.domain:
        rule += f"{'; ' if rule else ''}googlemail.com is gmail.com"
    return rule or f"{name} delivers it to the same mailbox"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def disconnected(field: str, address: str, inbox: Inbox, other: str | None) -> Problem:
    since = inbox.disconnected_at.isoformat() if inbox.disconnected_at else "earlier"
    fix = f"Reconnect {inbox.address}"
    fix += f", or {_instead(field, other)}." if other else "."
    return Problem(
        code=ProblemCode.INBOX_DISCONNECTED,
        severity="error",
        message=(
            f"{field} {address}{_where(field)} belongs to the inbox {inbox.address}, "
            f"disconnected since {since}; replies to it will not be tracked."
        ),
        address=address,
        fix=fix,
        use_instead=other,
    )


def no_owner_inbox_at_all(suggestion: str | None) -> Problem:
    fix = "Connect the personal inboxes of the contact owners"
    fix += f", or set Reply-To to {suggestion}." if suggestion else "."
    return Problem(
        code=ProblemCode.OWNER_WITHOUT_INBOX,
        severity="error",
        message=(
            "Reply-To is the contact owner, but no owner has a connected personal inbox: "
            "no recipient will be tracked."
        ),
        address=None,
        fix=fix,
        use_instead=suggestion,
    )


def _recipient(contact: Contact) -> str:
    return f"{contact.emails[0]} (contact {contact.id})"


def _or_use(suggestion: str | None) -> str:
    return f", or set Reply-To to {suggestion}" if suggestion else ""


def no_owner(contact: Contact, suggestion: str | None) -> Problem:
    return Problem(
        code=ProblemCode.OWNER_WITHOUT_INBOX,
        severity="warning",
        message=(
            f"{_recipient(contact)} has no owner, so Reply-To = contact owner has no inbox "
            "to use; the email still goes out, but replies from this recipient are not tracked."
        ),
        address=contact.emails[0],
        fix=f"Assign the contact to an owner with a connected inbox{_or_use(suggestion)}.",
        use_instead=suggestion,
        contact_id=contact.id,
    )


def owner_without_inbox(contact: Contact, teams: list[str], suggestion: str | None) -> Problem:
    shared = (
        f" They share the team inbox {', '.join(teams)}, but Reply-To = contact owner "
        "needs a personal inbox."
        if teams
        else ""
    )
    return Problem(
        code=ProblemCode.OWNER_WITHOUT_INBOX,
        severity="warning",
        message=(
            f"The owner {contact.owner_id} of {_recipient(contact)} has no connected personal "
            f"inbox; the email still goes out, but replies from this recipient are not tracked."
            f"{shared}"
        ),
        address=contact.emails[0],
        fix=(
            f"Connect a personal inbox for {contact.owner_id}, or assign the contact to an owner "
            f"who has one{_or_use(suggestion)}."
        ),
        use_instead=suggestion,
        contact_id=contact.id,
    )


def owner_disconnected(contact: Contact, inbox: Inbox) -> Problem:
    since = inbox.disconnected_at.isoformat() if inbox.disconnected_at else "earlier"
    return Problem(
        code=ProblemCode.INBOX_DISCONNECTED,
        severity="warning",
        message=(
            f"The personal inbox {inbox.address} of {contact.owner_id}, owner of "
            f"{_recipient(contact)}, is disconnected since {since}; replies from this "
            "recipient are not tracked."
        ),
        address=inbox.address,
        fix=f"Reconnect {inbox.address} before sending.",
        contact_id=contact.id,
    )
