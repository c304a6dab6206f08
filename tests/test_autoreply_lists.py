"""List and bulk mail without List-Unsubscribe, and the people whose mail a list relays."""

from __future__ import annotations

import pytest

from replytrack.autoreply import MessageKind, Subtype, classify


def message(*headers: str, body: str = "Hello.\n") -> bytes:
    if not any(header.startswith("Subject:") for header in headers):
        headers = (*headers, "Subject: News")
    lines = ["To: Sales <sales@shop.example.com>", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


PERSON = "From: Anna Berg <anna@example.org>"
MAILMAN = ("List-Id: <customers.lists.example.org>", "X-BeenThere: customers@lists.example.org")


@pytest.mark.parametrize(
    "local", ["mailman", "listserv", "customers-request", "customers-bounces", "owner-customers"]
)
def test_the_list_managers_own_addresses_send_bulk_mail(local: str) -> None:
    verdict = classify(message(f"From: {local}@lists.example.org", *MAILMAN))
    assert (verdict.kind, verdict.reasons, verdict.subtype) == (
        MessageKind.BULK,
        ("sender:list-server",),
        Subtype.LIST,
    )


def test_a_threaded_message_from_a_robot_address_is_not_decided_by_it() -> None:
    raw = message("From: sales-request@example.org", "In-Reply-To: <rt1.1.a@shop.example.com>")
    assert classify(raw).kind is MessageKind.HUMAN


@pytest.mark.parametrize(
    "subject",
    [
        "customers Digest, Vol 42, Issue 7",
        "Digest for buyers@googlegroups.com - 3 updates in 2 topics",
        "[buyers] Digest Number 1234",
        "CUSTOMERS Digest - 1 Mar 2025 to 2 Mar 2025 (#2025-61)",
    ],
)
def test_a_digest_subject_from_a_list_is_bulk_and_without_a_list_it_is_not(subject: str) -> None:
    listed = classify(message("From: customers@lists.example.org", f"Subject: {subject}", *MAILMAN))
    assert listed.reasons == ("subject:digest",)
    assert classify(message(PERSON, f"Subject: {subject}")).kind is MessageKind.HUMAN


def test_an_announce_only_list_is_bulk_even_with_a_list_sender() -> None:
    raw = message(
        "From: News <news@lists.example.org>",
        "Sender: news-bounces@lists.example.org",
        "List-Post: NO (posting not allowed on this list)",
    )
    assert classify(raw).reasons == ("header:list-post=no",)


VERP = "Return-Path: <bounces+4711-ab-sales=shop.example.com@em.acme.example>"


def test_a_verp_return_path_that_encodes_our_address_is_bulk() -> None:
    assert classify(message(PERSON, VERP)).reasons == ("header:return-path=verp",)


def test_a_verp_return_path_for_another_recipient_or_an_srs_address_decides_nothing() -> None:
    other = VERP.replace("sales=shop", "info=shop")
    srs = "Return-Path: <SRS0=Xk2f=VB=example.org=anna@fwd.example.com>"
    assert classify(message(PERSON, other)).kind is MessageKind.HUMAN
    assert classify(message(PERSON, srs)).kind is MessageKind.HUMAN


def test_a_persons_post_relayed_by_a_list_with_verp_stays_human() -> None:
    relayed = "Return-Path: <customers-bounces+sales=shop.example.com@lists.example.org>"
    raw = message(PERSON, relayed, *MAILMAN, "Precedence: list")
    assert classify(raw).kind is MessageKind.HUMAN


HTML = "Content-Type: text/html; charset=utf-8"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('<p>Trial ends.</p><img src="t.gif" width="1" height="1">', "body:tracking-pixel"),
        ("<p>Trial ends.</p><p>Please do not reply. Unsubscribe here.</p>", "body:bulk-footer"),
    ],
)
def test_a_system_mailing_sent_as_html_alone_is_bulk(body: str, code: str) -> None:
    verdict = classify(message(PERSON, HTML, body=body))
    assert verdict.reasons == ("structure:html-only", code)
    plain = classify(message(PERSON, "Content-Type: text/plain", body=body))
    assert plain.kind is MessageKind.HUMAN


def test_one_footer_word_in_a_persons_html_note_is_not_enough() -> None:
    body = "<p>Please unsubscribe me from your list. Thanks, Anna</p>"
    assert classify(message(PERSON, HTML, body=body)).kind is MessageKind.HUMAN
