"""A caller's mistake is refused where it enters, with what was expected instead (issue 12)."""

from __future__ import annotations

import io
import pickle
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from replytrack import (
    ConfigurationError,
    Contact,
    Inbox,
    InvalidAddressError,
    MarketingEmail,
    MemoryStore,
    Outcome,
    ReplyTo,
    ReplytrackError,
    Send,
    Tracker,
)
from replytrack.imports import read_send_rows
from replytrack.replyto import ProblemCode
from replytrack.testing import make_message, make_reply

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SECRET = b"s" * 32
SPRING = MarketingEmail(
    id="spring",
    subject="Spring sale",
    from_address="sales@example.com",
    reply_to=ReplyTo.inbox("sales@example.com"),
)
BOB = Contact(id="c1", emails=("bob@example.org",))


def make_tracker(store: MemoryStore | None = None) -> Tracker:
    tracker = Tracker(
        store or MemoryStore(), secret=SECRET, domain="mail.example.com", clock=lambda: T0
    )
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), connected_at=T0)
    return tracker


# -- addresses, parsed when the record is built ---------------------------------------------
def test_a_contact_address_with_a_display_name_keeps_the_bare_address() -> None:
    contact = Contact(id="c1", emails=("Bob Smith <Bob@Example.org>", "ann@example.org"))
    assert contact.emails == ("bob@example.org", "ann@example.org")


def test_a_contact_address_keeps_its_spelling_lower_cased_and_stripped() -> None:
    contact = Contact(id="c1", emails=("  Bob@xn--bcher-kva.DE ", '"Bob Smith"@example.org'))
    assert contact.emails == ("bob@xn--bcher-kva.de", '"bob smith"@example.org')


def test_a_lone_string_is_one_address() -> None:
    assert Contact(id="c1", emails="bob@example.org").emails == ("bob@example.org",)  # type: ignore[arg-type]


def test_a_contact_address_that_does_not_parse_is_refused_with_where() -> None:
    with pytest.raises(InvalidAddressError) as caught:
        Contact(id="c7", emails=("bob@example.org", "not an email"))
    error = caught.value
    assert isinstance(error, ConfigurationError)
    assert isinstance(error, ValueError)
    assert (error.value, error.reason, error.position) == ("not an email", "there is no '@'", 12)
    assert str(error) == (
        "Contact 'c7', emails[1]: 'not an email' is not a valid address: there is no '@'"
        " at position 12\n  not an email\n              ^"
    )


@pytest.mark.parametrize(
    ("value", "reason", "position"),
    [
        ("bob@@example.org", "a second '@'", 4),
        ("bob..smith@example.org", "two dots in a row in the local part", 3),
        ("Bob <bob@example.org", "'<' is never closed", 4),
        ("bob@example.org, ann@example.org", "a comma: give one address only", 15),
    ],
)
def test_each_refused_contact_address_says_what_and_where(
    value: str, reason: str, position: int
) -> None:
    with pytest.raises(InvalidAddressError, match=f"Contact 'c1', emails\\[0\\]: {value!r}") as e:
        Contact(id="c1", emails=(value,))
    assert (e.value.reason, e.value.position) == (reason, position)


def test_the_address_error_crosses_a_process_boundary_whole() -> None:
    with pytest.raises(InvalidAddressError) as caught:
        Contact(id="c1", emails=("bob@",))
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (type(copy), str(copy)) == (InvalidAddressError, str(caught.value))
    assert (copy.value, copy.reason, copy.position) == ("bob@", "nothing comes after '@'", 4)


def test_an_address_that_is_not_a_str_is_refused_saying_what_was_expected() -> None:
    with pytest.raises(ConfigurationError, match=r"expected an address as a str.*got None"):
        Contact(id="c1", emails=(None,))  # type: ignore[arg-type]


def test_an_inbox_address_that_does_not_parse_is_refused() -> None:
    with pytest.raises(InvalidAddressError) as caught:
        Inbox(id="sales", address="not an address")
    assert str(caught.value).startswith(
        "Inbox 'sales', address: 'not an address' is not a valid address: there is no '@'"
        " at position 14"
    )


def test_inbox_aliases_and_send_as_are_parsed_and_refused_alike() -> None:
    inbox = Inbox(
        id="sales",
        address="Sales Team <Sales@Example.com>",
        aliases=("Info <info@example.com>",),
        send_as="hello@example.com",  # type: ignore[arg-type]
    )
    assert (inbox.address, inbox.aliases, inbox.send_as) == (
        "sales@example.com",
        ("info@example.com",),
        ("hello@example.com",),
    )
    with pytest.raises(InvalidAddressError, match=r"Inbox 'sales', aliases\[1\]: 'info@'"):
        Inbox(id="sales", address="sales@example.com", aliases=("a@example.com", "info@"))
    with pytest.raises(InvalidAddressError, match=r"Inbox 'sales', send_as\[0\]"):
        Inbox(id="sales", address="sales@example.com", send_as=("@example.com",))


def test_a_contact_built_from_a_display_name_is_credited_for_its_reply() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, Contact(id="c1", emails=("Bob Smith <bob@example.org>",)))
    assert send.address == "bob@example.org"
    result = tracker.ingest("sales", make_reply(send), received_at=T0 + timedelta(hours=1))
    assert result.outcome is Outcome.REPLY


def test_an_imported_row_keeps_the_bare_address_and_a_bad_one_names_its_line() -> None:
    text = io.StringIO(
        "email_id,contact_id,address,sent_at\n"
        "spring,c1,Bob Smith <Bob@Example.org>,2026-03-01T09:00:00+00:00\n"
        "spring,c2,not an email,2026-03-01T09:00:00+00:00\n"
    )
    rows = read_send_rows(text, "csv")
    assert next(rows).address == "bob@example.org"
    with pytest.raises(InvalidAddressError, match=r"^line 3: address: 'not an email' is not a"):
        next(rows)


# -- the Tracker's arguments ------------------------------------------------------------------
def test_a_store_url_given_for_a_store_is_refused_with_the_call_to_make() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Tracker("sqlite:///crm.db", secret=SECRET, domain="mail.example.com")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "Tracker expects a Store, got the str 'sqlite:///crm.db': open it first,"
        " Tracker(open_store('sqlite:///crm.db'), ...) (replytrack.open_store)"
    )


def test_a_path_or_none_given_for_a_store_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"got the PosixPath 'crm.db'.*open_store"):
        Tracker(Path("crm.db"), secret=SECRET, domain="mail.example.com")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"Tracker expects a Store .* got None"):
        Tracker(None, secret=SECRET, domain="mail.example.com")  # type: ignore[arg-type]


def test_a_date_for_sent_at_is_refused_with_the_datetime_to_pass() -> None:
    tracker = make_tracker()
    with pytest.raises(ConfigurationError) as caught:
        tracker.record_send(SPRING, BOB, sent_at=date(2026, 3, 2))  # type: ignore[arg-type]
    assert str(caught.value) == (
        "sent_at must be a timezone-aware datetime, got the date 2026-03-02: give a time and"
        " zone too, like datetime(2026, 3, 2, tzinfo=UTC)"
    )
    assert tracker.store.get_email(tracker.tenant, "spring") is None  # refused before storing


def test_an_iso_string_for_a_time_is_refused_with_how_to_parse_it() -> None:
    tracker = make_tracker()
    with pytest.raises(ConfigurationError) as caught:
        tracker.record_send(SPRING, BOB, sent_at="2026-03-02T10:00:00Z")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "sent_at must be a timezone-aware datetime, got the str '2026-03-02T10:00:00Z':"
        " parse it first, datetime.fromisoformat(text)"
    )
    with pytest.raises(ConfigurationError, match="received_at must be a timezone-aware datetime"):
        tracker.ingest("sales", make_message(), received_at="2026-03-02")  # type: ignore[arg-type]


def test_a_record_refuses_a_date_for_a_datetime_field_too() -> None:
    with pytest.raises(ConfigurationError, match="sent_at must be a timezone-aware datetime"):
        Send(
            id="s1",
            email_id="spring",
            contact_id="c1",
            address="bob@example.org",
            message_id="<s1@mail.example.com>",
            sent_at=date(2026, 3, 2),  # type: ignore[arg-type]
            reply_to=None,
            inbox_id=None,
        )


def test_reply_to_inbox_without_an_address_is_refused_saying_what_it_takes() -> None:
    for value in (None, "", "   ", 42):
        with pytest.raises(ConfigurationError) as caught:
            ReplyTo.inbox(value)  # type: ignore[arg-type]
        assert str(caught.value) == (
            "ReplyTo.inbox() takes the address of a connected inbox, like"
            f" ReplyTo.inbox('sales@example.com'); got {value!r}"
        )


def test_an_inbox_id_for_the_reply_to_is_reported_with_the_inbox_address() -> None:
    tracker = make_tracker()
    email = MarketingEmail(
        id="spring", subject="S", from_address="sales@example.com", reply_to=ReplyTo.inbox("sales")
    )
    report = tracker.validate(email)
    assert not report.ok
    (problem,) = report.problems
    assert (problem.code, problem.use_instead) == (ProblemCode.INVALID_ADDRESS, "sales@example.com")
    assert problem.message == (
        "Reply-To 'sales' is not an address but the id of the inbox 'sales',"
        " whose address is sales@example.com."
    )
    assert problem.fix == "Set Reply-To to the inbox's address: ReplyTo.inbox('sales@example.com')."
    assert tracker.plan_sends(email, [BOB]).sends[0].reason == "invalid-address"


def test_an_inbox_id_for_the_reply_to_is_refused_when_sends_are_recorded() -> None:
    tracker = make_tracker()
    email = MarketingEmail(
        id="spring", subject="S", from_address="sales@example.com", reply_to=ReplyTo.inbox("sales")
    )
    with pytest.raises(ConfigurationError) as caught:
        tracker.record_sends(email, [BOB])
    assert isinstance(caught.value, ReplytrackError)
    assert str(caught.value) == (
        "email 'spring': ReplyTo.inbox('sales') names the inbox by its id;"
        " Reply-To takes its address: ReplyTo.inbox('sales@example.com')"
    )
    assert tracker.store.get_email(tracker.tenant, "spring") is None  # nothing was recorded


def test_a_reply_to_that_is_no_address_and_no_inbox_id_stays_an_untracked_send() -> None:
    tracker = make_tracker()
    email = MarketingEmail(
        id="spring", subject="S", from_address="sales@example.com", reply_to=ReplyTo.inbox("nope")
    )
    (send,) = tracker.record_sends(email, [BOB])
    assert (send.tracked, send.untracked_reason) == (False, "invalid-address")


# -- mail bytes ---------------------------------------------------------------------------------
def test_ingesting_text_instead_of_bytes_raises_type_error() -> None:
    tracker = make_tracker()
    with pytest.raises(TypeError) as caught:
        tracker.ingest("sales", "From: bob@example.org\r\n\r\nhi", received_at=T0)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "raw must be the message's bytes, got str: pass the raw bytes as received"
        " (a str has lost the message's own encodings)"
    )
    assert tracker.quarantined() == []  # a caller's bug is not kept as bad mail


def test_ingest_many_checks_every_item_of_a_list_before_ingesting_any() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB)
    good = make_reply(send)
    with pytest.raises(TypeError, match=r"messages\[2\] must be the message's bytes, got str"):
        tracker.ingest_many("sales", [good, (good, T0), ("text", T0)])
    assert tracker.report("spring").replies == 0
    with pytest.raises(TypeError, match=r"messages\[0\] must be the message's bytes, got NoneType"):
        tracker.ingest_many(None, [None])  # type: ignore[list-item]


def test_ingest_many_refuses_text_read_from_a_lazy_iterable() -> None:
    tracker = make_tracker()
    lazy = (item for item in ["text"])
    with pytest.raises(TypeError, match="a message must be the message's bytes, got str"):
        tracker.ingest_many("sales", lazy)  # type: ignore[arg-type]


def test_bytearray_and_memoryview_are_mail_bytes_too() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB)
    raw = make_reply(send)
    results = tracker.ingest_many(
        "sales", [(bytearray(raw), T0 + timedelta(hours=1)), (memoryview(raw), T0)]
    )
    assert [r.outcome for r in results] == [Outcome.REPLY, Outcome.DUPLICATE]
