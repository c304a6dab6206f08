"""Reply-To validation and per-recipient resolution: where replies go, and whether they count.

The rules (HubSpot's, explained): tracking needs a connected inbox; the email's
Reply-To (or its From, with "use my From address as Reply-To") must be that
inbox's own address, not an alias of it; with Reply-To = contact owner, each
recipient's owner needs a connected personal inbox.

* :func:`validate` checks an email before it is sent and returns a
  :class:`ValidationReport` of :class:`Problem` values with stable codes;
* :func:`plan_sends` resolves the Reply-To of every recipient (a
  :class:`SendPlan`), adding a problem per recipient who will be untracked;
* :func:`resolve_reply_to` is the same resolution for one recipient at send
  time; ``Tracker.record_sends`` stores its address and reason on each send.

Inbox addresses are stored lower-cased (:class:`~replytrack.models.Inbox`), so
a Reply-To that differs from an inbox only in case is that inbox. Provider
equivalence (Gmail dots, ``+tags``, googlemail.com, IDN) is in
:mod:`replytrack.addresses`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from replytrack import _replyto_problems as text
from replytrack._replyto_problems import Problem, ProblemCode, Severity
from replytrack.addresses import Address, InvalidAddress, mailbox_key, parse_address
from replytrack.models import Contact, Inbox, MarketingEmail, ReplyToMode, as_utc

__all__ = [
    "PlannedSend",
    "Problem",
    "ProblemCode",
    "Resolution",
    "SendPlan",
    "Severity",
    "ValidationReport",
    "inbox_named_by_id",
    "plan_sends",
    "resolve_reply_to",
    "validate",
]


@attrs.frozen(kw_only=True)
class Resolution:
    """The Reply-To one recipient gets, and whether replies to it can be tracked.

    ``reason`` is the problem code when untracked; ``problem`` explains it.
    """

    address: str | None
    inbox_id: str | None
    reason: str | None = None
    problem: Problem | None = None

    @property
    def tracked(self) -> bool:
        return self.inbox_id is not None


@attrs.frozen(kw_only=True)
class ValidationReport:
    """What :func:`validate` found; ``ok`` when nothing of severity ``error``."""

    email_id: str
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def codes(self) -> list[str]:
        return [p.code.value for p in self.problems]


@attrs.frozen(kw_only=True)
class PlannedSend:
    """One recipient of the plan: the address mailed, and its resolved Reply-To."""

    contact_id: str
    to: str
    resolution: Resolution

    @property
    def reply_to(self) -> str | None:
        return self.resolution.address

    @property
    def tracked(self) -> bool:
        return self.resolution.tracked

    @property
    def reason(self) -> str | None:
        return self.resolution.reason


@attrs.frozen(kw_only=True)
class SendPlan:
    """Every recipient's Reply-To, and the problems: the email's and each untracked recipient's."""

    email_id: str
    sends: tuple[PlannedSend, ...]
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def tracked(self) -> int:
        return sum(1 for s in self.sends if s.tracked)

    @property
    def untracked_reasons(self) -> Mapping[str, int]:
        return dict(Counter(s.reason for s in self.sends if s.reason is not None))


def validate(email: MarketingEmail, inboxes: Sequence[Inbox], when: datetime) -> ValidationReport:
    """Check ``email``'s From and Reply-To against the tenant's inboxes at ``when``."""
    when = as_utc(when, "when")
    return ValidationReport(
        email_id=email.id, problems=tuple(_email_problems(email, inboxes, when))
    )


def plan_sends(
    email: MarketingEmail, contacts: Sequence[Contact], inboxes: Sequence[Inbox], when: datetime
) -> SendPlan:
    """Resolve every recipient's Reply-To at ``when``; the same answer record_sends would store."""
    when = as_utc(when, "when")
    problems = _email_problems(email, inboxes, when)
    owner_mode = email.reply_to.mode is ReplyToMode.CONTACT_OWNER
    shared = None if owner_mode else _resolve_address(*_email_level(email), inboxes, when)
    sends = []
    for contact in contacts:
        resolution = shared or _resolve_owner(contact, inboxes, when)
        if shared is None and resolution.problem is not None:
            problems.append(resolution.problem)
        sends.append(
            PlannedSend(contact_id=contact.id, to=contact.emails[0], resolution=resolution)
        )
    return SendPlan(email_id=email.id, sends=tuple(sends), problems=tuple(problems))


def resolve_reply_to(
    email: MarketingEmail, contact: Contact, inboxes: Sequence[Inbox], when: datetime
) -> Resolution:
    """Resolve ``email``'s Reply-To for ``contact`` against the tenant's inboxes at ``when``."""
    when = as_utc(when, "when")
    if email.reply_to.mode is ReplyToMode.CONTACT_OWNER:
        return _resolve_owner(contact, inboxes, when)
    field, raw = _email_level(email)
    return _resolve_address(field, raw, inboxes, when)


# -- the email's own addresses ------------------------------------------------------------
def _email_level(email: MarketingEmail) -> tuple[str, str]:
    """Which header supplies the Reply-To (for the messages), and its raw value."""
    if email.reply_to.mode is ReplyToMode.FROM_ADDRESS:
        return "From", email.from_address
    return "Reply-To", email.reply_to.address or ""


def _email_problems(
    email: MarketingEmail, inboxes: Sequence[Inbox], when: datetime
) -> list[Problem]:
    problems = []
    sender = parse_address(email.from_address)
    if isinstance(sender, InvalidAddress):
        problems.append(text.invalid("From", sender))
    mode = email.reply_to.mode
    if mode is ReplyToMode.CONTACT_OWNER:
        live = [i for i in inboxes if i.is_connected_at(when)]
        if not live:
            problems.append(text.no_connected_inbox(None, "Reply-To"))
        elif not any(i.kind == "personal" for i in live):
            problems.append(text.no_owner_inbox_at_all(_suggest(live, None)))
        return problems
    field, raw = _email_level(email)
    if mode is ReplyToMode.FROM_ADDRESS and isinstance(sender, InvalidAddress):
        return problems  # already reported once
    problem = _resolve_address(field, raw, inboxes, when).problem
    return [*problems, problem] if problem is not None else problems


def inbox_named_by_id(email: MarketingEmail, inboxes: Sequence[Inbox]) -> Inbox | None:
    """The inbox whose id ``email``'s Reply-To holds instead of an address, or None."""
    given = email.reply_to.address
    if email.reply_to.mode is not ReplyToMode.INBOX or given is None:
        return None
    if isinstance(parse_address(given), Address):
        return None
    return next((i for i in inboxes if i.id == given.strip()), None)


def _resolve_address(field: str, raw: str, inboxes: Sequence[Inbox], when: datetime) -> Resolution:
    parsed = parse_address(raw)
    if isinstance(parsed, InvalidAddress):
        named = next((i for i in inboxes if i.id == raw.strip()), None)
        if field == "Reply-To" and named is not None:
            return _untracked(raw.strip(), text.inbox_id_given(raw.strip(), named))
        return _untracked(raw.strip() or None, text.invalid(field, parsed))
    live = [i for i in inboxes if i.is_connected_at(when)]
    folded = parsed.spec.lower()
    for inbox in live:
        if _folded(inbox.address) == folded:
            return Resolution(address=inbox.address, inbox_id=inbox.id)
    for inbox in live:
        how = _alias_of(parsed, inbox)
        if how is not None:
            return _untracked(parsed.text, text.alias(field, parsed.text, inbox.address, how))
    gone = [i for i in inboxes if _was_connected(i, when)]
    for inbox in gone:
        if _folded(inbox.address) == folded or _alias_of(parsed, inbox) is not None:
            other = _suggest(live, parsed)
            return _untracked(parsed.text, text.disconnected(field, parsed.text, inbox, other))
    if not live:
        return _untracked(parsed.text, text.no_connected_inbox(parsed.text, field))
    suggestion = _suggest(live, parsed)
    return _untracked(parsed.text, text.not_connected(field, parsed.text, suggestion))


def _alias_of(address: Address, inbox: Inbox) -> str | None:
    """How ``address`` is an alias of ``inbox`` (for the message), or None."""
    folded = address.spec.lower()
    if any(_folded(a) == folded for a in inbox.aliases):
        return "a registered alias"
    if any(_folded(a) == folded for a in inbox.send_as):
        return "a send-as address of the inbox"
    key = mailbox_key(address, inbox.provider)
    for known in (inbox.address, *inbox.aliases, *inbox.send_as):
        parsed = parse_address(known)
        if isinstance(parsed, Address) and mailbox_key(parsed, inbox.provider) == key:
            return text.provider_rule(address, parsed, inbox.provider)
    return None


# -- Reply-To = contact owner -------------------------------------------------------------
def _resolve_owner(contact: Contact, inboxes: Sequence[Inbox], when: datetime) -> Resolution:
    owner = contact.owner_id
    if owner is None:
        return _untracked(None, text.no_owner(contact, _suggest_live(inboxes, when)))
    owned = [i for i in inboxes if i.kind == "personal" and i.owner_id == owner]
    live = sorted(
        (i for i in owned if i.is_connected_at(when)), key=lambda i: (i.connected_at, i.id)
    )
    if live:
        return Resolution(address=live[0].address, inbox_id=live[0].id)
    gone = [i for i in owned if _was_connected(i, when)]
    if gone:
        latest = max(gone, key=lambda i: (i.disconnected_at, i.id))
        return _untracked(None, text.owner_disconnected(contact, latest))
    teams = [i.address for i in inboxes if i.kind == "team" and owner in i.member_ids]
    return _untracked(None, text.owner_without_inbox(contact, teams, _suggest_live(inboxes, when)))


# -- helpers ------------------------------------------------------------------------------
def _untracked(address: str | None, problem: Problem) -> Resolution:
    return Resolution(address=address, inbox_id=None, reason=problem.code.value, problem=problem)


def _folded(address: str) -> str:
    parsed = parse_address(address)
    return parsed.spec.lower() if isinstance(parsed, Address) else address.lower()


def _was_connected(inbox: Inbox, when: datetime) -> bool:
    """Connected once before ``when``, and not any more."""
    return (
        inbox.connected_at is not None
        and inbox.connected_at <= when
        and inbox.disconnected_at is not None
        and inbox.disconnected_at <= when
    )


def _suggest(live: Sequence[Inbox], near: Address | None) -> str | None:
    """A connected inbox to use instead: one on the same domain when there is one."""
    if not live:
        return None
    ordered = sorted(live, key=lambda i: (i.kind != "team", i.address))
    if near is not None:
        same = [i for i in ordered if _domain(i.address) == near.domain]
        ordered = same or ordered
    return ordered[0].address


def _suggest_live(inboxes: Sequence[Inbox], when: datetime) -> str | None:
    return _suggest([i for i in inboxes if i.is_connected_at(when)], None)


def _domain(address: str) -> str:
    parsed = parse_address(address)
    return parsed.domain if isinstance(parsed, Address) else ""
