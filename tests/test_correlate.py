"""Correlation strategies, forwards, inbox resolution and the contact resolver."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replytrack import (
    ConfigurationError,
    Contact,
    Inbox,
    MarketingEmail,
    MatchStrategy,
    MemoryStore,
    MessageKind,
    Outcome,
    ReplyTo,
    Tracker,
)
from replytrack._autoreply_tables import AUTO_SUBJECTS
from replytrack.testing import make_message, make_reply

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SPRING = MarketingEmail(
    id="spring",
    subject="Spring sale",
    from_address="sales@example.com",
    reply_to=ReplyTo.inbox("sales@example.com"),
)
WEBINAR = MarketingEmail(
    id="webinar",
    subject="Join our webinar",
    from_address="sales@example.com",
    reply_to=ReplyTo.inbox("sales@example.com"),
)
BOB = Contact(id="bob", emails=("bob@example.org",))
ANN = Contact(id="ann", emails=("ann@example.org",))


class Directory:
    """A contact resolver backed by a dict, as an integrator's CRM lookup would be."""

    def __init__(self, owners: dict[str, str]) -> None:
        self.owners = owners
        self.asked: list[str] = []

    def resolve(self, address: str) -> str | None:
        self.asked.append(address)
        return self.owners.get(address)


def make_tracker(**options: object) -> Tracker:
    tracker = Tracker(
        MemoryStore(),
        secret=b"c" * 32,
        domain="mail.example.com",
        clock=lambda: T0,
        **options,  # type: ignore[arg-type]
    )
    tracker.connect_inbox(
        Inbox(id="sales", address="sales@example.com", aliases=("info@example.com",)), T0
    )
    tracker.connect_inbox(Inbox(id="support", address="support@example.com"), T0)
    return tracker


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_a_reply_without_threading_headers_matches_by_subject_fallback() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_message(from_address="bob@example.org", subject="AW: Re: Spring   SALE")
    result = tracker.ingest("sales", raw, received_at=at(2))
    assert result.outcome is Outcome.REPLY
    assert result.match is not None
    assert result.match.send.id == send.id
    assert result.match.strategy is MatchStrategy.FALLBACK
    assert result.match.confidence == 0.6
    assert tracker.report("spring").fallback_matches == 1


def test_the_fallback_uses_outlooks_thread_topic_when_the_subject_was_changed() -> None:
    tracker = make_tracker()
    tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_message(subject="Quick question", headers={"Thread-Topic": "Spring sale"})
    assert tracker.ingest("sales", raw, received_at=at(2)).outcome is Outcome.REPLY


def test_the_fallback_tie_goes_to_the_most_recent_send_and_names_the_other() -> None:
    tracker = make_tracker()
    older = tracker.record_send(SPRING, BOB, sent_at=at(1))
    newer = tracker.record_send(SPRING, BOB, sent_at=at(5), resend=True)
    result = tracker.ingest("sales", make_message(subject="Re: Spring sale"), received_at=at(6))
    assert result.match is not None
    assert result.match.send.id == newer.id
    assert result.match.candidates == (older.id,)
    assert older.id in result.match.explain()


def test_the_fallback_ignores_sends_outside_the_window() -> None:
    tracker = make_tracker(fallback_window=timedelta(days=2))
    tracker.record_send(SPRING, BOB, sent_at=at(1))
    result = tracker.ingest(
        "sales", make_message(subject="Re: Spring sale"), received_at=at(24 * 3)
    )
    assert result.outcome is Outcome.NOT_A_REPLY


def test_the_fallback_ignores_sends_whose_reply_to_is_another_inbox() -> None:
    tracker = make_tracker()
    tracker.record_send(SPRING, BOB, sent_at=at(1))
    result = tracker.ingest("support", make_message(subject="Re: Spring sale"), received_at=at(2))
    assert result.outcome is Outcome.NOT_A_REPLY


def test_the_fallback_can_be_switched_off() -> None:
    tracker = make_tracker(fallback=False)
    tracker.record_send(SPRING, BOB, sent_at=at(1))
    result = tracker.ingest("sales", make_message(subject="Re: Spring sale"), received_at=at(2))
    assert result.outcome is Outcome.NOT_A_REPLY


def test_a_header_match_beats_a_fallback_candidate() -> None:
    tracker = make_tracker()
    spring = tracker.record_send(SPRING, BOB, sent_at=at(1))
    webinar = tracker.record_send(WEBINAR, BOB, sent_at=at(2))
    raw = make_reply(spring, subject="Re: Join our webinar")
    result = tracker.ingest("sales", raw, received_at=at(3))
    assert result.match is not None
    assert result.match.send.id == spring.id != webinar.id
    assert result.match.strategy is MatchStrategy.TOKEN


def test_a_forged_token_disables_the_fallback_for_that_message() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    local, domain = send.message_id.strip("<>").split("@")
    forged = f"<{local[:-2]}{'xy' if local[-2:] != 'xy' else 'zz'}@{domain}>"
    raw = make_message(subject="Re: Spring sale", in_reply_to=forged)
    assert tracker.ingest("sales", raw, received_at=at(2)).outcome is Outcome.NOT_A_REPLY


def test_every_reference_is_looked_up_not_only_the_last() -> None:
    tracker = make_tracker(fallback=False)
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    refs = " ".join([send.message_id] + [f"<later{n}@example.org>" for n in range(119)])
    raw = make_message(subject="Re: thread", references=refs, in_reply_to="<later118@example.org>")
    result = tracker.ingest("sales", raw, received_at=at(2))
    assert result.outcome is Outcome.REPLY
    assert result.match is not None
    assert result.match.send.id == send.id


@pytest.mark.parametrize(
    "subject", ["Fwd: Spring sale", "FW: Spring sale", "WG: Spring sale", "TR: Spring sale"]
)
def test_a_forward_of_our_email_is_not_a_reply(subject: str) -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    result = tracker.ingest("sales", make_reply(send, subject=subject), received_at=at(2))
    assert result.outcome is Outcome.FORWARD
    assert tracker.report("spring").replies == 0


def test_a_forward_marker_in_the_body_makes_a_forward_without_a_prefix() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    body = "FYI\n\n---------- Forwarded message ---------\nFrom: Sales <sales@example.com>\n"
    raw = make_reply(send, subject="Spring sale", body=body)
    assert tracker.ingest("sales", raw, received_at=at(2)).outcome is Outcome.FORWARD


def test_an_ambiguous_prefix_alone_decides_nothing() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_reply(send, subject="VS: Spring sale", body="Kiitos, kiinnostaa.\n")
    assert tracker.ingest("sales", raw, received_at=at(2)).outcome is Outcome.REPLY


def test_a_colleague_replying_for_the_contact_is_not_attributed() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_reply(send, from_address="Carol <carol@example.org>")
    result = tracker.ingest("sales", raw, received_at=at(2))
    assert result.outcome is Outcome.WRONG_SENDER
    assert tracker.contact_properties("bob").replied is False


def test_the_contact_resolver_credits_an_alternate_address_to_the_same_contact() -> None:
    directory = Directory({"bob.private@mail.example": "bob"})
    tracker = make_tracker(contact_resolver=directory)
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_reply(send, from_address="Bob <Bob.Private@mail.example>")
    result = tracker.ingest("sales", raw, received_at=at(2))
    assert result.outcome is Outcome.REPLY
    assert result.reply is not None
    assert result.reply.contact_id == "bob"
    assert result.reply.alternate_address == "bob.private@mail.example"
    assert directory.asked == ["bob.private@mail.example"]


def test_the_contact_resolver_cannot_move_a_reply_to_another_contact() -> None:
    tracker = make_tracker(contact_resolver=Directory({"carol@example.org": "carol"}))
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_reply(send, from_address="carol@example.org")
    assert tracker.ingest("sales", raw, received_at=at(2)).outcome is Outcome.WRONG_SENDER


def test_the_inbox_is_resolved_from_delivered_to_when_not_given() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_reply(send, to="list@example.net", headers={"Delivered-To": "sales@example.com"})
    result = tracker.ingest(None, raw, received_at=at(2))
    assert result.outcome is Outcome.REPLY
    assert result.reply is not None
    assert result.reply.inbox_id == "sales"


def test_an_alias_of_a_connected_inbox_resolves_to_that_inbox() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_reply(send, to="info@example.com")
    result = tracker.ingest(None, raw, received_at=at(2))
    assert result.reply is not None
    assert result.reply.inbox_id == "sales"


def test_a_message_for_no_connected_inbox_is_unknown_inbox() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    result = tracker.ingest(None, make_reply(send, to="nobody@example.com"), received_at=at(2))
    assert result.outcome is Outcome.UNKNOWN_INBOX
    assert "Delivered-To" in result.reason


def test_a_bounce_is_matched_by_the_original_headers_it_returns() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    body = (
        "This is the mail system at host mx.example.org.\n\n"
        "<bob@example.org>: host example.org said: 550 5.1.1 User unknown\n\n"
        "------ This is a copy of the message's headers. ------\n\n"
        f"Subject: Spring sale\nMessage-ID: {send.message_id}\n"
    )
    raw = make_message(
        from_address="MAILER-DAEMON@mx.example.org",
        subject="Undelivered Mail Returned to Sender",
        body=body,
        headers={"X-Failed-Recipients": "bob@example.org", "Auto-Submitted": "auto-replied"},
    )
    result = tracker.ingest("sales", raw, received_at=at(2))
    assert result.outcome is Outcome.AUTOMATIC
    report = tracker.report("spring")
    assert (report.bounced, report.delivered) == (1, 0)


def test_a_non_positive_fallback_window_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="fallback_window"):
        make_tracker(fallback_window=timedelta(0))


CONTACTS = [Contact(id=f"c{n}", emails=(f"c{n}@example.org",)) for n in range(4)]
EMAILS = [SPRING, WEBINAR]


@settings(max_examples=60, deadline=None)
@given(
    plan=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 3), st.integers(1, 48)), max_size=8),
    sender=st.integers(0, 3),
    subject=st.sampled_from(
        ["Re: Spring sale", "Re: Join our webinar", "hello", "Fwd: Spring sale"]
    ),
    refs=st.lists(st.integers(0, 7), max_size=3),
    forge=st.booleans(),
)
def test_a_match_only_ever_goes_to_a_contact_who_was_sent_that_email(
    plan: list[tuple[int, int, int]], sender: int, subject: str, refs: list[int], forge: bool
) -> None:
    tracker = make_tracker()
    sends = [tracker.record_send(EMAILS[e], CONTACTS[c], sent_at=at(hours)) for e, c, hours in plan]
    ids = [sends[i].message_id for i in refs if i < len(sends)]
    if forge and ids:
        ids[0] = ids[0].replace("@", "x@", 1)
    raw = make_message(
        from_address=CONTACTS[sender].emails[0],
        subject=subject,
        references=" ".join(ids) or None,
    )
    result = tracker.ingest("sales", raw, received_at=at(60))
    if result.reply is None:
        return
    match = result.match
    assert match is not None
    assert (match.send.email_id, match.send.contact_id) in {
        (s.email_id, s.contact_id) for s in sends
    }
    assert result.reply.contact_id == f"c{sender}"
    if forge and ids:
        assert match.strategy is not MatchStrategy.FALLBACK
        assert match.matched_id != ids[0].strip("<>")


# -- the fallback for auto-replies, read receipts' MDN part, a contact's second address --------
def test_an_auto_reply_without_threading_headers_is_tied_to_the_send_by_the_fallback() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_message(subject="Automatische Antwort: AW: Spring sale", body="Bin im Urlaub.\n")
    result = tracker.ingest("sales", raw, received_at=at(2))
    assert result.outcome is Outcome.AUTOMATIC
    assert result.match is not None
    assert (result.match.send.id, result.match.strategy) == (send.id, MatchStrategy.FALLBACK)
    assert result.reply is not None
    assert result.reply.kind is MessageKind.AUTO_REPLY
    report = tracker.report("spring")
    assert (report.replies, report.automatic.get("auto_reply")) == (0, 1)


def test_an_auto_reply_by_subject_needs_the_sender_the_inbox_and_the_window() -> None:
    tracker = make_tracker(fallback_window=timedelta(days=2))
    tracker.record_send(SPRING, BOB, sent_at=at(1))
    oof = "Automatic reply: Spring sale"
    stranger = make_message(from_address="eve@example.net", subject=oof)
    assert tracker.ingest("sales", stranger, received_at=at(2)).outcome is Outcome.NOT_A_REPLY
    assert tracker.ingest("support", make_message(subject=oof), received_at=at(2)).match is None
    late = tracker.ingest("sales", make_message(subject=oof), received_at=at(24 * 3))
    assert late.outcome is Outcome.NOT_A_REPLY


def test_an_auto_reply_form_alone_matches_nothing() -> None:
    tracker = make_tracker()
    odd = MarketingEmail(
        id="odd",
        subject="Out of Office",
        from_address="sales@example.com",
        reply_to=ReplyTo.inbox("sales@example.com"),
    )
    tracker.record_send(odd, BOB, sent_at=at(1))
    result = tracker.ingest("sales", make_message(subject="Out of Office"), received_at=at(2))
    assert result.outcome is Outcome.NOT_A_REPLY


def test_a_read_receipt_is_tied_by_the_original_message_id_in_its_mdn_part() -> None:
    tracker = make_tracker(fallback=False)
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    body = (
        "--mdn\r\nContent-Type: text/plain\r\n\r\nYour message was displayed.\r\n"
        "--mdn\r\nContent-Type: message/disposition-notification\r\n\r\n"
        "Reporting-UA: mail.example.org; Webmail\r\n"
        "Final-Recipient: rfc822; bob@example.org\r\n"
        f"Original-Message-ID: {send.message_id}\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n"
        "--mdn--\r\n"
    )
    raw = make_message(
        subject="Read: Spring sale",
        body=body,
        headers={
            "Content-Type": 'multipart/report; report-type=disposition-notification; boundary="mdn"'
        },
    ).replace(b"Content-Type: text/plain; charset=utf-8\r\n\r\n--mdn", b"\r\n--mdn", 1)
    result = tracker.ingest("sales", raw, received_at=at(2))
    assert result.outcome is Outcome.AUTOMATIC
    assert result.verdict is not None
    assert result.verdict.kind is MessageKind.RECEIPT
    assert result.match is not None
    assert result.match.send.id == send.id
    assert result.match.strategy is MatchStrategy.TOKEN


ANN_TWO = Contact(id="ann", emails=("ann@example.org", "ann.private@mail.example"))


def test_a_reply_from_a_contacts_second_address_without_threading_is_found_through_the_resolver() -> (
    None
):
    directory = Directory({"ann.private@mail.example": "ann"})
    tracker = make_tracker(contact_resolver=directory)
    send = tracker.record_send(SPRING, ANN_TWO, sent_at=at(1))
    raw = make_message(from_address="Ann <ann.private@mail.example>", subject="Re: Spring sale")
    result = tracker.ingest("sales", raw, received_at=at(2))
    assert result.outcome is Outcome.REPLY
    assert result.match is not None
    assert (result.match.send.id, result.match.strategy) == (send.id, MatchStrategy.FALLBACK)
    assert result.reply is not None
    assert result.reply.contact_id == "ann"


def test_an_auto_reply_from_a_second_address_is_tied_the_same_way() -> None:
    tracker = make_tracker(contact_resolver=Directory({"ann.private@mail.example": "ann"}))
    send = tracker.record_send(SPRING, ANN_TWO, sent_at=at(1))
    raw = make_message(
        from_address="ann.private@mail.example", subject="Out of Office: Spring sale"
    )
    result = tracker.ingest("sales", raw, received_at=at(2))
    assert result.outcome is Outcome.AUTOMATIC
    assert result.match is not None
    assert result.match.send.id == send.id


def test_the_resolver_never_moves_a_fallback_reply_to_another_contacts_send() -> None:
    # bob and ann share a team address; the spring sale went to ann there. The resolver
    # names bob for the sender: bob's addresses are searched, and ann's send is not his.
    bob = Contact(id="bob", emails=("bob@example.org", "team@example.org"))
    ann = Contact(id="ann", emails=("team@example.org",))
    tracker = make_tracker(contact_resolver=Directory({"bob.home@mail.example": "bob"}))
    tracker.record_send(WEBINAR, bob, sent_at=at(1))
    tracker.record_send(SPRING, ann, sent_at=at(1))
    raw = make_message(from_address="bob.home@mail.example", subject="Re: Spring sale")
    result = tracker.ingest("sales", raw, received_at=at(2))
    assert result.outcome is Outcome.NOT_A_REPLY
    assert result.match is None
    answer = make_message(from_address="bob.home@mail.example", subject="Re: Join our webinar")
    found = tracker.ingest("sales", answer, received_at=at(2))
    assert found.reply is not None
    assert found.reply.contact_id == "bob"


def test_without_a_resolver_an_unknown_address_is_not_searched_further() -> None:
    tracker = make_tracker()
    tracker.record_send(SPRING, ANN_TWO, sent_at=at(1))
    raw = make_message(from_address="ann.work@elsewhere.example", subject="Re: Spring sale")
    assert tracker.ingest("sales", raw, received_at=at(2)).outcome is Outcome.NOT_A_REPLY


AUTO_FORMS = [text for text, form, _, _ in AUTO_SUBJECTS if form in ("prefix", "prefix-only")]
# (codec, label written in the encoded word): the charsets clients write subjects in
CHARSETS = [
    ("utf-8", "utf-8"), ("iso-8859-1", "iso-8859-1"), ("iso-8859-2", "iso-8859-2"),
    ("windows-1250", "windows-1250"), ("windows-1251", "windows-1251"), ("koi8-r", "koi8-r"),
    ("iso-8859-7", "iso-8859-7"), ("iso-8859-9", "iso-8859-9"), ("windows-1257", "windows-1257"),
    ("iso-8859-8", "iso-8859-8-i"), ("windows-1256", "windows-1256"), ("cp874", "windows-874"),
    ("iso-2022-jp", "iso-2022-jp"), ("gb2312", "gb2312"), ("big5", "big5"),
    ("cp949", "ks_c_5601-1987"),
]  # fmt: skip
CAROL = Contact(id="carol", emails=("carol@example.org",))
SENDERS = {
    "the contact": "Bob <bob@example.org>",
    "a stranger": "Eve <eve@example.net>",
    "a contact never sent it": "carol@example.org",
    "her other address, resolved": "carol.home@mail.example",
    "a resolved address of no contact": "dan.home@mail.example",
}


def encoded(subject: str, codec: str, label: str) -> str:
    try:
        data = subject.encode(codec)
    except UnicodeEncodeError:
        data, label = subject.encode("utf-8"), "utf-8"
    return f"=?{label}?B?{base64.b64encode(data).decode('ascii')}?="


@settings(max_examples=200, deadline=None)
@given(
    form=st.sampled_from(AUTO_FORMS),
    after=st.sampled_from(["", "RE: ", "AW: ", "Re[2]: ", "[EXTERNAL] "]),
    bracketed=st.booleans(),
    charset=st.sampled_from(CHARSETS),
    who=st.sampled_from(sorted(SENDERS)),
    auto_submitted=st.booleans(),
)
def test_whatever_the_auto_reply_form_the_fallback_ties_it_only_to_the_contact_mailed(
    form: str,
    after: str,
    bracketed: bool,
    charset: tuple[str, str],
    who: str,
    auto_submitted: bool,
) -> None:
    tracker = make_tracker(
        contact_resolver=Directory(
            {"carol.home@mail.example": "carol", "dan.home@mail.example": "dan"}
        )
    )
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    tracker.record_send(WEBINAR, CAROL, sent_at=at(1))
    subject = f"[{form}] {after}Spring sale" if bracketed else f"{form}: {after}Spring sale"
    raw = make_message(
        from_address=SENDERS[who],
        subject=encoded(subject, *charset),
        body="I am away until Monday.\n",
        headers={"Auto-Submitted": "auto-replied"} if auto_submitted else None,
    )
    result = tracker.ingest("sales", raw, received_at=at(2))
    assert result.verdict is not None
    assert result.verdict.kind is MessageKind.AUTO_REPLY
    if who == "the contact":
        assert result.outcome is Outcome.AUTOMATIC
        assert result.match is not None
        assert (result.match.send.id, result.match.strategy) == (send.id, MatchStrategy.FALLBACK)
    else:
        assert result.match is None
        assert result.outcome is Outcome.NOT_A_REPLY
