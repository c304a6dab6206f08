"""Delivery failures without a report part: senders, wording, returned headers, gateways."""

from __future__ import annotations

import pytest

from replytrack import _bounce_tables as tables
from replytrack.autoreply import MessageKind, Subtype, classify


def message(*headers: str, body: str) -> bytes:
    lines = ["To: sales@shop.example.com", "Date: Tue, 25 Feb 2025 09:14:02 +0100", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


DAEMON = "From: MAILER-DAEMON@mx.example.org"
PERSON = "From: Anna Berg <anna@example.org>"
RETURNED = (
    "Nachricht zurück.\n\n"
    "Return-Path: <sales@shop.example.com>\n"
    "Received: from mx.shop.example.com by mx.example.org; Tue, 25 Feb 2025 09:14:00 +0100\n"
    "Message-ID: <rt1.1.a@shop.example.com>\nSubject: Spring offer\n"
)


def test_every_row_of_the_bounce_tables_names_its_language_and_source() -> None:
    rows = [(p, lang, src) for p, _, lang, src in tables._PHRASES] + list(tables._SUBJECT_PREFIXES)
    assert [row for row in rows if not all(row)] == []
    languages = {row[2] for row in tables._PHRASES} | {row[1] for row in tables._SUBJECT_PREFIXES}
    wanted = {"de", "fr", "es", "it", "nl", "pt", "pl", "cs", "sv", "da", "no", "fi", "ja", "zh"}
    assert wanted | {"ko", "ru"} <= languages


def test_the_tables_are_case_folded_as_the_text_they_are_compared_with() -> None:
    for table in (tables.BOUNCE_PHRASES, tables.BOUNCE_SUBJECT_PHRASES, tables.DELAY_PHRASES):
        assert all(entry == entry.casefold() for entry in table)
    assert all(key == key.casefold() for key in tables.BOUNCE_SUBJECT_PREFIXES)


def test_a_daemon_returning_the_originals_headers_is_a_bounce_whatever_its_words() -> None:
    verdict = classify(message(DAEMON, "Subject: Ihre Nachricht", body=RETURNED))
    assert verdict.kind is MessageKind.BOUNCE
    assert verdict.reasons == ("sender:mailer-daemon", "body:returned-headers")


def test_the_same_returned_headers_from_a_person_are_no_bounce() -> None:
    raw = message(PERSON, "Subject: Ihre Nachricht", body=RETURNED)
    assert classify(raw).kind is MessageKind.HUMAN


def test_exchanges_system_mailbox_is_an_mta_sender() -> None:
    sender = "From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@ex.org>"
    verdict = classify(message(sender, "Subject: Hinweis", body="Empfänger unbekannt.\n"))
    assert verdict.reasons == ("sender:mailer-daemon", "body:mta-phrase")


def test_a_null_return_path_with_failure_words_alone_is_no_bounce() -> None:
    # An auto-reply has a null Return-Path too, and may say a message did not get through.
    body = "This mailbox is closed: your message could not be delivered to the team.\n"
    raw = message(PERSON, "Return-Path: <>", "Subject: Mailbox closed", body=body)
    assert classify(raw).kind is not MessageKind.BOUNCE


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ("Reason: 550 5.1.1 user unknown.\n", "body:smtp-status"),
        ("This is the mail system at host mx.example.org.\n", "body:mta-phrase"),
    ],
)
def test_a_null_return_path_with_failure_words_and_one_more_sign_is_a_bounce(
    extra: str, code: str
) -> None:
    body = "Your message could not be delivered.\n" + extra
    raw = message(PERSON, "Return-Path: <>", "Subject: Returned message", body=body)
    verdict = classify(raw)
    assert verdict.kind is MessageKind.BOUNCE
    assert verdict.reasons[0] == "header:return-path=<>"
    assert code in verdict.reasons


def test_a_version_number_is_not_a_status_code() -> None:
    raw = message(DAEMON, "Subject: Server notice", body="Upgraded to 5.1.10.2 and 4.4.7-beta.\n")
    assert classify(raw).kind is not MessageKind.BOUNCE


def test_a_question_in_the_subject_is_a_persons_not_a_reports() -> None:
    body = "Ihre Mail konnte nicht zugestellt werden, schreibt mein Kollege.\n"
    raw = message(PERSON, "Subject: Spring offer nicht zustellbar?", body=body)
    assert classify(raw).kind is MessageKind.HUMAN
    statement = raw.replace(b"zustellbar?", b"zustellbar")
    assert classify(statement).kind is MessageKind.BOUNCE


@pytest.mark.parametrize(
    ("subject", "code", "subtype"),
    [
        ("Message blocked: Spring offer", "subject:blocked", Subtype.HARD),
        ("Mensaje bloqueado", "subject:blocked", Subtype.HARD),
        ("Your message was quarantined", "subject:quarantined", Subtype.SOFT),
        ("Message mis en quarantaine", "subject:quarantined", Subtype.SOFT),
    ],
)
def test_a_gateways_blocked_or_held_notice_from_a_machine_is_a_bounce(
    subject: str, code: str, subtype: Subtype
) -> None:
    verdict = classify(message(DAEMON, f"Subject: {subject}", body="See your administrator.\n"))
    assert (verdict.kind, verdict.reasons, verdict.subtype) == (
        MessageKind.BOUNCE,
        (code, "sender:mailer-daemon"),
        subtype,
    )
    person = classify(message(PERSON, f"Subject: {subject}", body="Our filter held it.\n"))
    assert person.kind is MessageKind.HUMAN


def test_a_gateways_quarantine_summary_is_no_bounce() -> None:
    raw = message(
        "From: Quarantine <quarantine@gw.example.org>",
        "Subject: Quarantine summary: 3 messages held",
        body="You have 3 messages in quarantine.\n",
    )
    assert classify(raw).kind is not MessageKind.BOUNCE


def test_a_delay_in_the_servers_language_is_soft() -> None:
    body = "Die Nachricht konnte noch nicht zugestellt werden. Es wird weiterhin versucht.\n"
    raw = message(DAEMON, "Subject: Zustellung verzögert", body=body)
    verdict = classify(raw)
    assert (verdict.kind, verdict.subtype) == (MessageKind.BOUNCE, Subtype.SOFT)
