"""Import sends recorded elsewhere (a sending service's export, a CRM's log) from CSV or
JSON Lines, as ``replytrack sends import`` does.

Each row is one send. Columns (JSON keys):

* ``email_id``, ``contact_id``, ``address``, ``sent_at`` (ISO 8601 with an offset): required;
* ``subject``, ``from_address`` and ``reply_to`` describe the email; rows of one email must
  agree, and an email already stored supplies what its rows leave out. ``reply_to`` is an
  address (a connected inbox), ``contact_owner``, or empty for "use the From address";
* ``owner``: the contact's owner (a CRM user id), for Reply-To = contact owner;
* ``message_id``: the Message-ID the mail really went out with (the sending service's);
  replies are then matched on it. Without it, replytrack's own signed id is recorded and
  must be put on the mail.

Importing is idempotent: a row whose Message-ID is already recorded, or (without one) whose
email, contact and send time are, is skipped.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import groupby
from typing import Any, Literal

import attrs

from replytrack.addresses import require_address
from replytrack.errors import ConfigurationError
from replytrack.headers import normalise_msg_id
from replytrack.models import Contact, MarketingEmail, ReplyTo, as_utc
from replytrack.protocols import ListingStore
from replytrack.tracker import Tracker

__all__ = ["COLUMNS", "ImportSummary", "SendRow", "import_sends", "read_send_rows"]

#: the columns a row may have; the first four are required
COLUMNS = (
    "email_id",
    "contact_id",
    "address",
    "sent_at",
    "subject",
    "from_address",
    "reply_to",
    "owner",
    "message_id",
)
_REQUIRED = COLUMNS[:4]
Format = Literal["csv", "jsonl"]


@attrs.frozen(kw_only=True)
class SendRow:
    """One send read from a file; ``line`` is where it was read, for messages."""

    line: int
    email_id: str
    contact_id: str
    address: str
    sent_at: datetime
    subject: str | None = None
    from_address: str | None = None
    reply_to: str | None = None
    owner: str | None = None
    message_id: str | None = None


@attrs.frozen(kw_only=True)
class ImportSummary:
    """What an import did: sends recorded and skipped, per email, and the untracked ones."""

    recorded: int = 0
    skipped: int = 0
    emails: tuple[str, ...] = ()
    #: recorded sends whose Reply-To is not a connected inbox, by reason
    untracked: dict[str, int] = attrs.field(factory=dict)


def read_send_rows(lines: Iterable[str], fmt: Format) -> Iterator[SendRow]:
    """Rows of a CSV file (with a header line) or of JSON Lines, checked one by one.

    Raises ConfigurationError naming the line of a row that lacks a required column,
    has an unknown one, or a send time that is not ISO 8601 with an offset.
    """
    if fmt == "csv":
        reader = csv.DictReader(lines)
        unknown = sorted(set(reader.fieldnames or ()) - set(COLUMNS))
        if unknown:
            raise ConfigurationError(f"line 1: unknown column {unknown[0]!r}; columns: {_cols()}")
        for record in reader:
            yield _row(reader.line_num, record)
    elif fmt == "jsonl":
        for number, text in enumerate(lines, start=1):
            if text.strip():
                yield _row(number, _json_object(number, text))
    else:
        raise ConfigurationError(f"unknown format {fmt!r}: 'csv' or 'jsonl'")


def _cols() -> str:
    return ", ".join(COLUMNS)


def _json_object(number: int, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"line {number}: not JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise ConfigurationError(
            f"line {number}: expected a JSON object, got {type(value).__name__}"
        )
    unknown = sorted(set(value) - set(COLUMNS))
    if unknown:
        raise ConfigurationError(f"line {number}: unknown key {unknown[0]!r}; keys: {_cols()}")
    return value


def _row(number: int, record: dict[str, Any]) -> SendRow:
    values = {k: (str(v).strip() if v is not None else "") for k, v in record.items() if k}
    for name in _REQUIRED:
        if not values.get(name):
            raise ConfigurationError(f"line {number}: {name} is missing")
    try:
        sent_at = as_utc(datetime.fromisoformat(values["sent_at"]), "sent_at")
    except ValueError as exc:
        raise ConfigurationError(
            f"line {number}: sent_at {values['sent_at']!r} is not ISO 8601 with an offset "
            f"(like 2026-03-03T09:00:00+00:00): {exc}"
        ) from None
    address = require_address(values["address"], f"line {number}: address")
    optional = {name: values.get(name) or None for name in COLUMNS[4:]}
    if "reply_to" in values and not values["reply_to"]:
        optional["reply_to"] = ""  # present and empty: the From address
    return SendRow(
        line=number,
        email_id=values["email_id"],
        contact_id=values["contact_id"],
        address=address,
        sent_at=sent_at,
        **optional,
    )


def import_sends(tracker: Tracker, rows: Iterable[SendRow]) -> ImportSummary:
    """Record the sends of ``rows`` through ``tracker``, skipping those already recorded.

    Rows are grouped by email and send time (one ``record_sends`` each, in file order
    within a group); a contact's addresses are merged with those already stored.
    """
    rows = list(rows)
    store, tenant = tracker.store, tracker.tenant
    known_ids = store.find_sends_by_message_id(
        tenant, {normalise_msg_id(r.message_id) for r in rows if r.message_id}
    )
    emails = _emails(tracker, rows)
    done = _already_sent(tracker, rows)
    stored = store.get_contacts(tenant, {r.contact_id for r in rows})
    addresses = _addresses(stored, rows)
    recorded = skipped = 0
    untracked: Counter[str] = Counter()
    fresh = []
    for row in rows:
        seen = (
            normalise_msg_id(row.message_id) in known_ids
            if row.message_id
            else (row.email_id, row.contact_id, row.sent_at) in done
        )
        if seen:
            skipped += 1
        else:
            fresh.append(row)
    for (email_id, sent_at), group in groupby(fresh, key=lambda r: (r.email_id, r.sent_at)):
        batch = list(group)
        contacts = [
            Contact(
                id=r.contact_id,
                emails=(r.address, *(a for a in addresses[r.contact_id] if a != r.address.lower())),
                owner_id=r.owner
                or (stored[r.contact_id].owner_id if r.contact_id in stored else None),
                properties=stored[r.contact_id].properties if r.contact_id in stored else {},
            )
            for r in batch
        ]
        keys = [_import_key(r) for r in batch]
        sends = tracker.record_sends(emails[email_id], contacts, sent_at=sent_at, keys=keys)
        for row, send in zip(batch, sends, strict=True):
            if row.message_id:
                tracker.record_provider_message_id(send.id, row.message_id)
            if not send.tracked:
                untracked[send.untracked_reason or "unknown"] += 1
        recorded += len({s.id for s in sends})  # a row repeated in the file is one send
    return ImportSummary(
        recorded=recorded, skipped=skipped, emails=tuple(emails), untracked=dict(untracked)
    )


def _import_key(row: SendRow) -> str:
    """A row's idempotency key (see Tracker.record_sends): its Message-ID, else its send
    time and contact, the identity the import skips by; never the default key."""
    if row.message_id:
        return f"message-id {normalise_msg_id(row.message_id)}"
    return f"sent {row.sent_at.isoformat()} {row.contact_id}"


def _emails(tracker: Tracker, rows: list[SendRow]) -> dict[str, MarketingEmail]:
    """Each email of the rows, from its rows' columns over what is stored; conflicts raise."""
    found: dict[str, MarketingEmail] = {}
    for email_id, group in groupby(
        sorted(rows, key=lambda r: (r.email_id, r.line)), lambda r: r.email_id
    ):
        stored = tracker.store.get_email(tracker.tenant, email_id)
        fields: dict[str, tuple[int, str]] = {}
        for row in group:
            for name in ("subject", "from_address", "reply_to"):
                value = getattr(row, name)
                if value is None:
                    continue
                first = fields.setdefault(name, (row.line, value))
                if first[1] != value:
                    raise ConfigurationError(
                        f"line {row.line}: email {email_id!r} has {name} {value!r}, "
                        f"but {first[1]!r} on line {first[0]}"
                    )
        found[email_id] = _email(email_id, {k: v for k, (_, v) in fields.items()}, stored)
    return found


def _email(email_id: str, given: dict[str, str], stored: MarketingEmail | None) -> MarketingEmail:
    subject = given.get("subject", stored.subject if stored else None)
    sender = given.get("from_address", stored.from_address if stored else None)
    if subject is None or sender is None:
        missing = "subject" if subject is None else "from_address"
        raise ConfigurationError(
            f"email {email_id!r} is not stored yet: its rows need a {missing} column"
        )
    if "reply_to" in given:
        reply_to = given["reply_to"].lower()
        if not reply_to:
            setting = ReplyTo.from_address()
        elif reply_to in ("contact_owner", "owner"):
            setting = ReplyTo.contact_owner()
        else:
            setting = ReplyTo.inbox(given["reply_to"])
    else:
        setting = stored.reply_to if stored else ReplyTo.from_address()
    name = stored.name if stored else ""
    return MarketingEmail(
        id=email_id, subject=subject, from_address=sender, reply_to=setting, name=name
    )


def _already_sent(tracker: Tracker, rows: list[SendRow]) -> set[tuple[str, str, datetime]]:
    """(email, contact, sent_at) of the stored sends of the emails whose rows lack a Message-ID."""
    store = tracker.store
    wanted = {r.email_id for r in rows if not r.message_id}
    if not wanted or not isinstance(store, ListingStore):
        return set()
    return {
        (s.email_id, s.contact_id, s.sent_at)
        for email_id in wanted
        for s in store.list_sends(tracker.tenant, email_id=email_id)
    }


def _addresses(stored: dict[str, Contact], rows: list[SendRow]) -> dict[str, list[str]]:
    """Every address known for each contact of the rows: stored first, then the file's."""
    known: dict[str, list[str]] = {cid: list(c.emails) for cid, c in stored.items()}
    for row in rows:
        found = known.setdefault(row.contact_id, [])
        if row.address.lower() not in found:
            found.append(row.address.lower())
    return known
