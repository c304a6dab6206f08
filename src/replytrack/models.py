"""The domain records: immutable attrs classes shared by the engine, the stores and the sources."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any, Literal, cast

import attrs

from replytrack import _periods
from replytrack._periods import Period
from replytrack.addresses import InvalidAddress, bare_address, require_address
from replytrack.errors import ConfigurationError

__all__ = [
    "Contact",
    "DeliveryStatus",
    "Inbox",
    "MarketingEmail",
    "MatchStrategy",
    "MessageKind",
    "Quarantined",
    "Reply",
    "ReplyTo",
    "ReplyToMode",
    "Send",
    "as_utc",
    "require_aware",
]

InboxKind = Literal["personal", "team"]


def require_aware(value: datetime | None, name: str) -> None:
    """Raise ConfigurationError for a naive datetime (times are compared across zones), and
    for anything else than a datetime: a date, or an ISO string, says what to pass instead."""
    if value is not None and not isinstance(value, datetime):
        raise ConfigurationError(f"{name} must be a timezone-aware datetime, {_instead(value)}")
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ConfigurationError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _instead(value: object) -> str:
    """What was given instead of a datetime, and how to make one of it."""
    if isinstance(value, date):
        return (
            f"got the date {value.isoformat()}: give a time and zone too, like"
            f" datetime({value.year}, {value.month}, {value.day}, tzinfo=UTC)"
        )
    if isinstance(value, str):
        return f"got the str {value!r}: parse it first, datetime.fromisoformat(text)"
    return f"got {type(value).__name__} {value!r}"


def as_utc(value: datetime, name: str) -> datetime:
    """``value`` as the same instant in UTC; ConfigurationError when it is naive.

    Every instant is converted where it enters the library: two datetimes of one
    zone compare by wall time, ignoring ``fold``, so an hour repeated at the end of
    daylight saving time would otherwise order wrongly.
    """
    require_aware(value, name)
    return value.astimezone(UTC)


# Converters of the datetime fields, one named function each (what mypy's attrs plugin reads).
def _connected_at(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value, "connected_at")


def _disconnected_at(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value, "disconnected_at")


def _sent_at(value: datetime) -> datetime:
    return as_utc(value, "sent_at")


def _received_at(value: datetime) -> datetime:
    return as_utc(value, "received_at")


def _quarantined_at(value: datetime) -> datetime:
    return as_utc(value, "quarantined_at")


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _address_tuple(values: str | Iterable[str]) -> tuple[str, ...]:
    """A lone string is one address, not its letters; the addresses are checked after."""
    return (values,) if isinstance(values, str) else tuple(values)


def _bare_tuple(
    values: tuple[str, ...], record: str, record_id: str, field: str
) -> tuple[str, ...]:
    """The bare addresses of a record's field (see replytrack.addresses.bare_address); an
    InvalidAddressError naming the record, its id and the field otherwise."""
    try:
        found = tuple(map(bare_address, values))
    except (AttributeError, TypeError):  # an item that is not a str: said below
        found = ()
    if len(found) == len(values) and InvalidAddress not in map(type, found):
        return cast("tuple[str, ...]", found)
    # the message is built only here, for a bad address (require_address raises for it)
    where = f"{record} {record_id!r}, {field}"
    return tuple(require_address(v, f"{where}[{n}]") for n, v in enumerate(values))


def _bare(value: str, record: str, record_id: str, field: str) -> str:
    found = bare_address(value) if isinstance(value, str) else None
    if isinstance(found, str):
        return found
    return require_address(value, f"{record} {record_id!r}, {field}")  # raises, saying why


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


class MessageKind(enum.Enum):
    """What an inbound message is; only HUMAN counts as a reply."""

    #: written by a person
    HUMAN = "human"
    #: out-of-office, vacation, auto-acknowledgement, challenge-response
    AUTO_REPLY = "auto_reply"
    #: delivery failure or delay notice, including MDN-format rejections
    BOUNCE = "bounce"
    #: read or disposition receipt
    RECEIPT = "receipt"
    #: list, bulk, notification or no-reply mail
    BULK = "bulk"


class MatchStrategy(enum.Enum):
    """How an inbound message was tied to the send it answers."""

    #: our signed token found in In-Reply-To or References
    TOKEN = "token"
    #: a Message-ID we sent (or its recorded provider rewrite) found in the threading headers
    MESSAGE_ID = "message_id"
    #: sender address, receiving inbox and normalised subject within the fallback window
    FALLBACK = "fallback"
    #: set by an integrator through Tracker.reclassify or a manual attribution
    MANUAL = "manual"


class DeliveryStatus(enum.Enum):
    """What became of a send, as its sending service reported it (``Tracker.record_delivery``);
    only BOUNCED (a hard bounce) makes it undelivered in the reports."""

    SENT = "sent"
    BOUNCED = "bounced"
    DELIVERED = "delivered"
    #: a temporary failure: still counted as delivered
    SOFT_BOUNCED = "soft_bounced"
    #: the recipient marked it as spam: it was delivered
    COMPLAINED = "complained"


class ReplyToMode(enum.Enum):
    """How a marketing email sets its Reply-To."""

    INBOX = "inbox"
    FROM_ADDRESS = "from_address"
    CONTACT_OWNER = "contact_owner"


@attrs.frozen(kw_only=True)
class Inbox:
    """A mailbox replytrack watches: a person's or a team's."""

    id: str
    #: the address as written, without display name, lower-cased; refused when it does
    #: not parse (InvalidAddressError), as are aliases and send_as
    address: str
    kind: InboxKind = "team"
    owner_id: str | None = None
    aliases: tuple[str, ...] = attrs.field(default=(), converter=_address_tuple)
    #: every period the inbox was connected, oldest first: (start, end), end None while it
    #: is connected; kept as their union (see replytrack._periods)
    periods: tuple[Period, ...] = attrs.field(default=(), converter=_periods.normalise)
    # Shorthands for the latest period: Inbox(connected_at=..., disconnected_at=...) and
    # attrs.evolve(inbox, disconnected_at=...) set it; read back as the properties below.
    _connected_at: datetime | None = attrs.field(
        default=None, converter=_connected_at, alias="connected_at", eq=False, repr=False
    )
    _disconnected_at: datetime | None = attrs.field(
        default=None, converter=_disconnected_at, alias="disconnected_at", eq=False, repr=False
    )
    #: who hosts the mailbox, for a domain of your own (Google Workspace, Microsoft 365);
    #: gmail.com, outlook.com, hotmail.com and the like are recognised without it
    provider: Literal["gmail", "outlook"] | None = None
    #: addresses the provider lets this inbox send as ("send mail as", "send as")
    send_as: tuple[str, ...] = attrs.field(default=(), converter=_address_tuple)
    #: the users who share a team inbox
    member_ids: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)

    def __attrs_post_init__(self) -> None:
        if self.kind not in ("personal", "team"):
            raise ConfigurationError(f"Inbox {self.id!r}: kind must be 'personal' or 'team'")
        if self.provider not in (None, "gmail", "outlook"):
            raise ConfigurationError(
                f"Inbox {self.id!r}: provider must be 'gmail', 'outlook' or None"
            )
        if self.kind == "personal" and not self.owner_id:
            raise ConfigurationError(f"Inbox {self.id!r}: a personal inbox needs an owner_id")
        set_field = object.__setattr__  # frozen: the parsed addresses replace the given ones
        set_field(self, "address", _bare(self.address, "Inbox", self.id, "address"))
        set_field(self, "aliases", _bare_tuple(self.aliases, "Inbox", self.id, "aliases"))
        set_field(self, "send_as", _bare_tuple(self.send_as, "Inbox", self.id, "send_as"))
        self._settle_periods()

    def _settle_periods(self) -> None:
        """Fold the connected_at/disconnected_at shorthands into ``periods``."""
        periods = _periods.settle(self.periods, self._connected_at, self._disconnected_at, self.id)
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "_connected_at", None)
        object.__setattr__(self, "_disconnected_at", None)

    @property
    def connected_at(self) -> datetime | None:
        """When the latest connected period started (None: never connected)."""
        return self.periods[-1][0] if self.periods else None

    @property
    def disconnected_at(self) -> datetime | None:
        """When the latest connected period ended (None: connected now, or never)."""
        return self.periods[-1][1] if self.periods else None

    def is_connected_at(self, when: datetime) -> bool:
        """True when ``when`` falls in one of the inbox's connected periods."""
        return _periods.covers(self.periods, when)


@attrs.frozen(kw_only=True)
class Contact:
    """A CRM contact: one or more addresses, an optional owner, free-form properties.

    Each address is kept as written, without display name, lower-cased
    (``"Bob <Bob@Example.org>"`` is ``bob@example.org``); one that does not parse is
    refused with an InvalidAddressError that says where.
    """

    id: str
    emails: tuple[str, ...] = attrs.field(converter=_address_tuple)
    owner_id: str | None = None
    properties: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_frozen_mapping, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        if not self.emails:
            raise ConfigurationError(f"Contact {self.id!r} has no email address")
        object.__setattr__(self, "emails", _bare_tuple(self.emails, "Contact", self.id, "emails"))


@attrs.frozen
class ReplyTo:
    """A marketing email's Reply-To setting; build it with the class methods."""

    mode: ReplyToMode
    address: str | None = None

    @classmethod
    def inbox(cls, address: str) -> ReplyTo:
        """Reply-To is this address, which must be a connected inbox's own address.

        Raises:
            ConfigurationError: ``address`` is not a non-empty str. An inbox's id given
                instead of its address is reported by validation, with the address, and
                refused by ``record_sends``.
        """
        if not isinstance(address, str) or not address.strip():
            raise ConfigurationError(
                "ReplyTo.inbox() takes the address of a connected inbox, like"
                f" ReplyTo.inbox('sales@example.com'); got {address!r}"
            )
        return cls(ReplyToMode.INBOX, address.strip())

    @classmethod
    def from_address(cls) -> ReplyTo:
        """Reply-To is the email's From address ("use my From address as Reply-To")."""
        return cls(ReplyToMode.FROM_ADDRESS)

    @classmethod
    def contact_owner(cls) -> ReplyTo:
        """Reply-To is each recipient's owner's connected personal inbox."""
        return cls(ReplyToMode.CONTACT_OWNER)


@attrs.frozen(kw_only=True)
class MarketingEmail:
    """One marketing email, sent to many contacts."""

    id: str
    subject: str
    from_address: str
    reply_to: ReplyTo = attrs.field(factory=ReplyTo.from_address)
    name: str = ""


@attrs.frozen(kw_only=True)
class Send:
    """One recipient of one marketing email.

    ``message_id`` is the Message-ID replytrack generated; ``provider_message_id``
    the one the sending service really used, when the integrator recorded it.
    ``reply_to`` is the address the mail carried; ``tracked`` is False (with
    ``untracked_reason``) when that address is not a connected inbox.
    """

    id: str
    email_id: str
    contact_id: str
    address: str
    message_id: str
    sent_at: datetime = attrs.field(converter=_sent_at)
    reply_to: str | None
    inbox_id: str | None
    tracked: bool = True
    untracked_reason: str | None = None
    delivery: DeliveryStatus = DeliveryStatus.SENT
    provider_message_id: str | None = None
    #: what makes recording it again return this send instead of a new one, unique per
    #: email: the caller's own send id, ``contact:<contact id>`` by default, or None for
    #: a deliberate resend (see Tracker.record_sends)
    idempotency_key: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        """The headers to put on the outgoing mail: Message-ID, References, Reply-To."""
        out = {"Message-ID": self.message_id, "References": self.message_id}
        if self.reply_to:
            out["Reply-To"] = self.reply_to
        return out


@attrs.frozen(kw_only=True)
class Reply:
    """An inbound message tied to a send: a human reply or automatic mail of another kind.

    ``inbound_id`` identifies the inbound message (its normalised Message-ID, or a
    content fingerprint when it has none); with ``send_id`` it is the record's key.
    """

    send_id: str
    inbound_id: str
    email_id: str
    contact_id: str
    inbox_id: str
    received_at: datetime = attrs.field(converter=_received_at)
    kind: MessageKind = MessageKind.HUMAN
    subtype: str | None = None
    strategy: MatchStrategy = MatchStrategy.TOKEN
    confidence: float = 1.0
    from_address: str = ""
    alternate_address: str | None = None
    subject: str = ""
    snippet: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """The record's identity: one record per send and inbound message."""
        return (self.send_id, self.inbound_id)


@attrs.frozen(kw_only=True)
class Quarantined:
    """An inbound message ingest could not process, kept to inspect and to re-run after a fix.

    ``raw`` holds the message's first bytes (1 MiB, ``replytrack.pipeline.QUARANTINE_BYTES``);
    ``size`` and ``sha256`` describe the whole message, so :attr:`complete` tells whether
    ``raw`` is all of it. ``position`` is the source's cursor just after the message (None
    outside ``sync``); ``inbox_id`` is None when no connected inbox had been resolved.
    """

    id: str
    inbox_id: str | None
    source_key: str | None
    position: str | None
    received_at: datetime = attrs.field(converter=_received_at)
    quarantined_at: datetime = attrs.field(converter=_quarantined_at)
    #: the exception's type and message
    reason: str
    #: the innermost frames where it was raised, outermost first
    traceback: str
    size: int
    sha256: str
    raw: bytes = attrs.field(repr=False)

    @property
    def complete(self) -> bool:
        """True when ``raw`` is the whole message, so that it can be ingested again."""
        return len(self.raw) == self.size
