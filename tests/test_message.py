"""RawMessage: the fast, lenient header scan."""

from __future__ import annotations

import pytest

from replytrack.errors import MalformedMessageError
from replytrack.message import RawMessage, decode_words, normalise_address


def test_headers_are_cut_at_the_first_empty_line_with_crlf() -> None:
    msg = RawMessage(b"Subject: hi\r\nFrom: a@b.example\r\n\r\nX-Not: a header\r\n")
    assert msg.get("subject") == "hi"
    assert "x-not" not in msg
    assert msg.body == b"X-Not: a header\r\n"


def test_headers_are_cut_at_the_first_empty_line_with_lf() -> None:
    msg = RawMessage(b"Subject: hi\nFrom: a@b.example\n\nbody\n")
    assert msg.body == b"body\n"
    assert msg.names() == ["subject", "from"]


def test_folded_headers_are_unfolded() -> None:
    msg = RawMessage(b"References: <a@x>\r\n <b@y>\r\n\t<c@z>\r\nSubject: s\r\n\r\n")
    assert msg.get("references") == "<a@x> <b@y>\t<c@z>"


def test_repeated_headers_keep_every_value_in_order() -> None:
    msg = RawMessage(b"Received: one\nReceived: two\nSubject: s\n\n")
    assert msg.get_all("Received") == ["one", "two"]
    assert msg.get("received") == "one"


def test_an_mbox_separator_line_is_not_a_header() -> None:
    msg = RawMessage(b"From MAILER-DAEMON Tue Mar  3 10:12:00 2026\nFrom: a@b.example\n\nx")
    assert msg.from_address == "a@b.example"
    assert msg.names() == ["from"]


def test_lines_that_are_not_fields_are_skipped() -> None:
    msg = RawMessage(b"garbage line\nSubject: kept\nBad Name: dropped\n\n")
    assert msg.names() == ["subject"]


def test_a_message_without_a_body_is_all_headers() -> None:
    msg = RawMessage(b"Subject: only headers")
    assert msg.subject == "only headers"
    assert msg.body == b""


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        (b"\nno headers", "no header fields"),
        (b"just text without a colon", "no header fields"),
    ],
)
def test_unreadable_input_raises_malformed_message_error(raw: bytes, words: str) -> None:
    with pytest.raises(MalformedMessageError, match=words):
        RawMessage(raw)


def test_a_header_block_over_the_limit_is_refused() -> None:
    with pytest.raises(MalformedMessageError, match="limit"):
        RawMessage(b"X-Big: " + b"a" * (1 << 20) + b"\n\n")


def test_not_bytes_is_refused_with_the_type_named() -> None:
    with pytest.raises(MalformedMessageError, match="str"):
        RawMessage("Subject: x")  # type: ignore[arg-type]


def test_the_subject_is_decoded_and_white_space_folded() -> None:
    msg = RawMessage(b"Subject: =?utf-8?q?R=C3=A9ponse_automatique?=\r\n  : absent\r\n\r\n")
    assert msg.subject == "Réponse automatique : absent"


def test_broken_encoded_words_come_back_as_they_are() -> None:
    assert decode_words("=?x-unknown?q?abc?=") == "=?x-unknown?q?abc?="


def test_raw_utf8_headers_are_read() -> None:
    msg = RawMessage("Subject: Grüße\nFrom: Jörg <j@example.de>\n\n".encode())
    assert msg.subject == "Grüße"
    assert msg.from_address == "j@example.de"


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("Bob <Bob@Example.ORG>", "bob@example.org"),
        ("bob@example.org (Bob)", "bob@example.org"),
        ('"Stone, Bob" <bob@example.org>', "bob@example.org"),
        ("undisclosed-recipients:;", ""),
        ("", ""),
    ],
)
def test_addresses_are_bare_and_lower_case(value: str, address: str) -> None:
    assert normalise_address(value) == address


def test_the_date_is_parsed_lazily_and_bad_dates_are_none() -> None:
    good = RawMessage(b"Date: Tue, 03 Mar 2026 10:11:58 +0100\n\n")
    assert good.date is not None
    assert good.date.utcoffset() is not None
    assert RawMessage(b"Date: yesterday\n\n").date is None
    assert RawMessage(b"Subject: x\n\n").date is None


def test_the_body_text_prefers_text_plain_in_multipart_mail() -> None:
    raw = (
        b"Content-Type: multipart/alternative; boundary=b\n\n--b\n"
        b"Content-Type: text/html\n\n<p>Hello <b>there</b></p>\n--b\n"
        b"Content-Type: text/plain; charset=utf-8\n\nHello there\n--b--\n"
    )
    assert RawMessage(raw).body_text().strip() == "Hello there"


def test_html_only_mail_gives_its_visible_text() -> None:
    raw = b"Content-Type: text/html\n\n<html><body><p>Yes&nbsp;please</p><br>Bob</body></html>"
    assert RawMessage(raw).body_text() == "Yes please\nBob"


def test_the_fingerprint_is_stable_and_tells_bodies_apart() -> None:
    one = RawMessage(b"From: a@x\nSubject: s\n\nbody one")
    assert one.fingerprint == RawMessage(b"From: a@x\nSubject: s\n\nbody one").fingerprint
    assert one.fingerprint != RawMessage(b"From: a@x\nSubject: s\n\nbody two").fingerprint


def test_an_encoded_word_with_a_garbled_charset_comes_back_as_it_is() -> None:
    garbled = "=?u\xfff-8?q?x?="
    assert decode_words(garbled) == garbled
    assert RawMessage(f"Subject: {garbled}\n\n".encode()).subject == garbled


def test_field_names_list_what_is_present_and_lookups_of_absent_fields_are_empty() -> None:
    msg = RawMessage(b"Subject: s\nX-Thing: 1\n continued: not a field\nFrom: a@b.example\n\n")
    assert msg.field_names == {b"subject", b"x-thing", b"from"}
    assert msg.get_all("continued") == []
    assert msg.lower_header_block.startswith(b"\nsubject: s\n")
