"""classify(): the contract, the rule order, body scoring, return dates and hostile input."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replytrack import _autoreply_tables as tables
from replytrack._autoreply_body import return_date
from replytrack.autoreply import MessageKind, Subtype, Verdict, classify
from replytrack.errors import MalformedMessageError, ReplytrackError
from replytrack.message import RawMessage
from replytrack.models import Reply
from replytrack.reports import is_hard_bounce

CODE = re.compile(r"[a-z0-9-]+(:[^\s,]+)+")


def message(*headers: str, body: str = "Sounds good, call me.\n") -> bytes:
    lines = ["From: Anna <anna@example.net>", "To: sales@shop.example.com", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


REPLY = ("Subject: Re: Spring offer", "In-Reply-To: <rt1.1.a@shop.example.com>")


def test_classify_gives_the_same_verdict_for_bytes_and_for_a_raw_message() -> None:
    raw = message("Subject: Automatic reply: Spring offer")
    assert classify(raw) == classify(RawMessage(raw))
    assert classify(raw).kind is MessageKind.AUTO_REPLY


def test_an_unreadable_message_raises_a_replytrack_error_that_is_a_value_error() -> None:
    with pytest.raises(MalformedMessageError) as caught:
        classify(b"   ")
    assert isinstance(caught.value, ReplytrackError)
    assert isinstance(caught.value, ValueError)


def test_a_subject_whose_encoded_word_names_an_impossible_charset_is_read_as_it_is() -> None:
    verdict = classify(message("Subject: =?u\xfff-8?q?Automatic_reply?= Spring"))
    assert verdict.kind is MessageKind.HUMAN


def test_a_body_whose_charset_no_codec_can_hold_is_read_as_utf_8() -> None:
    raw = message(
        "Return-Path: <>",
        "Content-Type: text/plain; charset=ut\x00f-8",
        body="I am out of the office with limited access to email. Back on 3 March.\n",
    )
    assert classify(raw).kind is MessageKind.AUTO_REPLY


def test_a_plain_human_reply_is_human_with_no_reasons() -> None:
    assert classify(message(*REPLY)) == Verdict(kind=MessageKind.HUMAN)


def test_x_auto_response_suppress_alone_is_not_automatic() -> None:
    verdict = classify(message(*REPLY, "X-Auto-Response-Suppress: All"))
    assert verdict.kind is MessageKind.HUMAN


def test_bounce_detection_runs_before_auto_submitted() -> None:
    raw = message(
        "Subject: Mail delivery failed: returning message to sender",
        "Auto-Submitted: auto-replied",
        "X-Failed-Recipients: anna@example.net",
    )
    verdict = classify(raw)
    assert verdict.kind is MessageKind.BOUNCE
    assert verdict.subtype == Subtype.HARD
    assert "header:x-failed-recipients" in verdict.reasons


def test_in_reply_to_and_re_do_not_make_an_auto_replied_message_human() -> None:
    verdict = classify(message(*REPLY, "Auto-Submitted: auto-replied"))
    assert verdict.kind is MessageKind.AUTO_REPLY
    assert verdict.reasons == ("header:auto-submitted=auto-replied",)


def test_auto_generated_without_any_reply_sign_is_a_bulk_notification() -> None:
    verdict = classify(message("Subject: Invoice ready", "Auto-Submitted: auto-generated"))
    assert (verdict.kind, verdict.subtype) == (MessageKind.BULK, Subtype.NOTIFICATION)


def test_a_read_receipt_request_on_a_human_reply_is_not_a_receipt() -> None:
    raw = message(*REPLY, "Disposition-Notification-To: anna@example.net")
    assert classify(raw).kind is MessageKind.HUMAN


def test_a_personal_reply_relayed_by_a_list_stays_human() -> None:
    raw = message(*REPLY, "List-Id: <team.example.org>", "Precedence: bulk")
    assert classify(raw).kind is MessageKind.HUMAN


def test_the_same_list_headers_without_a_reply_make_bulk_mail() -> None:
    verdict = classify(message("Subject: News", "List-Id: <n.example.org>", "Precedence: bulk"))
    assert verdict.kind is MessageKind.BULK
    assert verdict.reasons == ("header:list-id", "header:precedence=bulk")


def test_a_quoted_out_of_office_text_does_not_count_as_the_senders_words() -> None:
    body = (
        "Yes, book it.\n\nOn Mon, 3 Mar 2025, Sales <s@shop.example.com> wrote:\n"
        "> I am currently out of the office with limited access to email.\n"
        "> I will reply when I return. For urgent matters call Bob.\n"
    )
    raw = message("Return-Path: <>", "Subject: Re: Spring offer", body=body)
    assert classify(raw).kind is MessageKind.HUMAN


def test_body_phrases_with_a_header_hint_make_an_out_of_office_with_its_return_date() -> None:
    body = "I am out of the office with limited access to email. Back on 3 March.\n"
    raw = message("Return-Path: <>", "Date: Tue, 25 Feb 2025 09:00:00 +0000", body=body)
    verdict = classify(raw)
    assert verdict.kind is MessageKind.AUTO_REPLY
    assert verdict.subtype == Subtype.OUT_OF_OFFICE
    assert verdict.return_date == date(2025, 3, 3)
    assert verdict.reasons == ("header:return-path=<>", "body:out_of_office")


def test_one_weak_phrase_without_any_hint_is_not_enough() -> None:
    raw = message("Subject: Spring offer", body="I'm on holiday, call me next week.\n")
    assert classify(raw).kind is MessageKind.HUMAN


def test_a_human_looking_reply_needs_a_hint_and_three_points_of_phrases() -> None:
    body = (
        "I was out of the office on holiday, sorry. Yes please.\n\n"
        "On Mon, 3 Mar 2025, Sales <s@shop.example.com> wrote:\n> offer\n"
    )
    assert classify(message("Return-Path: <>", *REPLY, body=body)).kind is MessageKind.HUMAN


def test_a_delivery_report_that_says_delivered_is_a_receipt_not_a_bounce() -> None:
    body = (
        "--b\r\nContent-Type: text/plain\r\n\r\nDelivered.\r\n--b\r\n"
        "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; a@example.net\r\nAction: delivered\r\nStatus: 2.0.0\r\n--b--\r\n"
    )
    ctype = 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"'
    verdict = classify(message("Subject: Delivered", ctype, body=body))
    assert (verdict.kind, verdict.subtype) == (MessageKind.RECEIPT, Subtype.DELIVERED)


def test_a_soft_bounce_does_not_mark_the_send_undelivered_and_a_hard_one_does() -> None:
    when = datetime(2025, 3, 1, tzinfo=UTC)
    common = {"send_id": "s", "inbound_id": "i", "email_id": "e", "contact_id": "c"}
    soft = Reply(**common, inbox_id="x", received_at=when, kind=MessageKind.BOUNCE, subtype="soft")
    hard = Reply(**common, inbox_id="x", received_at=when, kind=MessageKind.BOUNCE, subtype="hard")
    assert (is_hard_bounce(soft), is_hard_bounce(hard)) == (False, True)
    assert (Subtype.SOFT.value, Subtype.HARD.value) == ("soft", "hard")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I will be back on 3 March.", date(2025, 3, 3)),
        ("Back on Monday 10 March 2025, thanks", date(2025, 3, 10)),
        ("Je suis absente, de retour le 12/03.", date(2025, 3, 12)),
        ("Ich bin bis zum 14. März nicht im Büro.", date(2025, 3, 14)),
        ("Estoy fuera hasta el 7 de abril.", date(2025, 4, 7)),
        ("I am away until 03/04/2025.", None),  # 3 April or 4 March: ambiguous in English
        ("I am back on Monday.", None),
        ("I am out of the office.", None),
    ],
)
def test_return_dates_are_read_from_common_phrases(text: str, expected: date | None) -> None:
    assert return_date(text, datetime(2025, 2, 25, tzinfo=UTC)) == expected


def test_a_return_date_earlier_in_the_year_than_the_message_is_next_year() -> None:
    sent = datetime(2025, 12, 20, tzinfo=UTC)
    assert return_date("I am back on 5 January.", sent) == date(2026, 1, 5)


def test_the_subject_tables_cover_at_least_twenty_five_languages() -> None:
    languages = set(tables.AUTO_SUBJECT_PREFIXES.values())
    assert len(languages) >= 25
    assert {"en", "de", "fr", "es", "pt", "it", "nl", "pl", "cs", "sk", "sv"} <= languages
    assert {"da", "no", "fi", "lv", "lt", "et", "ru", "uk", "tr", "hu", "ro"} <= languages
    assert {"el", "ja", "zh", "ko"} <= languages


def test_subjects_fold_case_full_width_colons_and_french_spacing() -> None:
    assert tables.fold_subject("Réponse automatique : X") == "réponse automatique: x"
    assert tables.fold_subject("自動回覆：X") == "自動回覆:x"


@pytest.mark.parametrize(
    "raw",
    [
        message("Subject: " + "Re: " * 250_000),
        message("Subject: " + "=?utf-8?q?a?= " * 70_000),
        message("Subject: " + "[:(" * 330_000),
        message("Auto-Submitted: " + "a;(" * 330_000),
        message("Content-Type: multipart/report; x=" + "a" * 999_000),
        message("Return-Path: <>", "Subject: x", body="out of office " * 400_000),
    ],
    ids=["re-prefixes", "encoded-words", "brackets", "auto-submitted", "ctype", "body"],
)
def test_hostile_megabyte_inputs_are_classified_in_well_under_a_second(raw: bytes) -> None:
    start = time.perf_counter()
    verdict = classify(raw)
    assert time.perf_counter() - start < 1.0
    assert isinstance(verdict.kind, MessageKind)


@settings(max_examples=150, deadline=None)
@given(
    subject=st.text(max_size=200),
    extra=st.sampled_from(
        ["", "Auto-Submitted: auto-replied", "Precedence: bulk", "Content-Type: multipart/report"]
    ),
    body=st.text(max_size=500),
)
def test_any_text_gets_a_verdict_whose_reasons_are_rule_codes(
    subject: str, extra: str, body: str
) -> None:
    subject = " ".join(subject.split())
    headers = [f"Subject: {subject}"] + ([extra] if extra else [])
    verdict = classify(message(*headers, body=body))
    assert isinstance(verdict.kind, MessageKind)
    assert all(CODE.fullmatch(reason) for reason in verdict.reasons), verdict.reasons
    assert verdict.subtype is None or type(verdict.subtype) is str
    assert verdict.subtype is None or verdict.subtype in {s.value for s in Subtype}
