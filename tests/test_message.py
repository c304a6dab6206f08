"""RawMessage: the fast, lenient header scan."""

from __future__ import annotations

import pytest

from replytrack.errors import ConfigurationError, MalformedMessageError
from replytrack.limits import DEFAULT_LIMITS, Limits
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


# -- hostile shapes (issue 11): each read ends, with what a reader would see -------------------
def _multipart(ctype: str, body: bytes) -> RawMessage:
    return RawMessage(f"From: bob@example.org\r\nContent-Type: {ctype}\r\n\r\n".encode() + body)


def test_a_multipart_ending_in_a_delimiter_without_a_newline_gives_its_html_text() -> None:
    msg = _multipart(
        'multipart/alternative; boundary="b"',
        b"--b\r\nContent-Type: text/html\r\n\r\n<p>Count me in</p>\r\n--b",
    )
    assert msg.body_text() == "Count me in"


def test_a_nested_multipart_missing_its_closing_delimiter_gives_its_html_text() -> None:
    msg = _multipart(
        'multipart/mixed; boundary="o"',
        b'--o\r\nContent-Type: multipart/alternative; boundary="i"\r\n\r\n'
        b"--i\r\nContent-Type: text/html\r\n\r\n<p>Count me in</p>\r\n--i\r\n--o--\r\n",
    )
    assert msg.body_text() == "Count me in"


def test_a_delimiter_line_right_after_another_is_an_empty_part() -> None:
    msg = _multipart("multipart/mixed; boundary=b", b"--b\n--b\n\nsecond\n--b--\n")
    assert msg.body_text() == "second"


def test_html_with_a_less_than_sign_at_the_end_of_a_line_is_read() -> None:
    msg = _multipart("text/html", b"<p>Count me in <\r\n</p><p>Bob</p>")
    assert msg.body_text() == "Count me in\nBob"


def test_an_rfc2231_boundary_is_read_and_an_idna_charset_is_read_as_utf8() -> None:
    msg = _multipart(
        "multipart/mixed; boundary*=b; x=1",
        b"--b\r\nContent-Type: text/plain; charset=idna\r\n\r\n"
        + "Café at noon".encode()
        + b"\r\n--b--\r\n",
    )
    assert msg.body_text() == "Café at noon\r"


@pytest.mark.parametrize(
    "params",
    [
        "boundary*0=ab; boundary*1=cd",
        "boundary*0*=us-ascii'en'ab; boundary*1*=%63d",
        "boundary*=utf-8''%61%62cd",
    ],
)
def test_rfc2231_continuations_and_percent_encoding_make_one_boundary(params: str) -> None:
    msg = _multipart(f"multipart/mixed; {params}", b"--abcd\n\nhello\n--abcd--\n")
    assert msg.body_text() == "hello"


def _nested(levels: int) -> RawMessage:
    body = b""
    for level in range(1, levels):
        body += (
            f"--b{level - 1}\r\nContent-Type: multipart/mixed; boundary=b{level}\r\n\r\n".encode()
        )
    body += f"--b{levels - 1}\r\n\r\nsee you there\r\n".encode()
    return _multipart("multipart/mixed; boundary=b0", body)


def test_text_as_deep_as_the_depth_limit_is_read_and_deeper_is_not() -> None:
    assert _nested(DEFAULT_LIMITS.mime_depth).body_text() == "see you there\r\n"
    assert _nested(DEFAULT_LIMITS.mime_depth + 1).body_text() == ""
    assert _nested(1000).body_text() == ""  # the stdlib parser's recursion gave up here


def test_the_walker_looks_at_no_more_parts_than_the_limit() -> None:
    parts = b"".join(b"--b\r\nContent-Disposition: attachment\r\n\r\nx\r\n" for _ in range(150))
    raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b\r\n\r\nhi\r\n"
    assert RawMessage(raw).body_text() == ""
    assert RawMessage(raw, Limits(mime_parts=151)).body_text() == "hi\r\n"


def test_the_walker_searches_no_further_than_body_bytes() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Disposition: attachment\r\n\r\n" + b"x" * 2000 + b"\r\n--b\r\n\r\nhi\r\n"
    )
    assert RawMessage(raw).body_text() == "hi\r\n"
    assert RawMessage(raw, Limits(body_bytes=1000)).body_text() == ""


def test_base64_with_junk_and_misplaced_padding_decodes_its_data_characters() -> None:
    msg = RawMessage(b"Content-Transfer-Encoding: base64\n\nQU*JD\nQ===\n")
    assert msg.body_text() == "ABC"


def test_a_from_with_hundreds_of_nested_comments_gives_its_address() -> None:
    assert RawMessage(b"From: " + b"(" * 500 + b"Bob@Example.org\n\n").from_address == (
        "bob@example.org"
    )
    assert normalise_address("(Bob (the (builder))) bob@example.org") == "bob@example.org"


def test_a_long_quoted_display_name_is_dropped_before_the_stdlib_reads_it() -> None:
    name = '"Stone, ' + "B" * 10_000 + '"'
    assert normalise_address(f"{name} <Bob@Example.org>") == "bob@example.org"
    assert normalise_address(f"{name} " + "bob@example.org, " * 500) == ""


def test_a_date_past_year_9999_is_none_and_year_9999_is_read() -> None:
    huge = RawMessage(f"Date: Thu, 01 Jan {10**20} 12:00:00 +0000\n\n".encode())
    assert huge.date is None
    last = RawMessage(b"Date: Fri, 31 Dec 9999 12:00:00 +0000\n\n").date
    assert last is not None
    assert last.year == 9999


def test_the_header_limit_refuses_a_long_block_without_reading_past_it() -> None:
    limits = Limits(header_bytes=100)
    assert RawMessage(b"X-A: " + b"a" * 90 + b"\n\nbody", limits).body == b"body"
    with pytest.raises(MalformedMessageError, match="100 bytes"):
        RawMessage(b"X-A: " + b"a" * 200 + b"\n\nbody", limits)
    with pytest.raises(MalformedMessageError, match="100 bytes"):
        RawMessage(b"X-A: " + b"a" * 5000, limits)  # no empty line at all
    assert RawMessage(b"X-A: " + b"a" * 50, limits).body == b""


def test_decoding_stops_after_the_limit_of_encoded_words() -> None:
    value = " ".join(["=?utf-8?q?=C3=A9?="] * 5)
    assert decode_words(value, 3) == "ééé =?utf-8?q?=C3=A9?= =?utf-8?q?=C3=A9?="
    subject = RawMessage(f"Subject: {value}\n\n".encode(), Limits(encoded_words=3)).subject
    assert subject == "ééé =?utf-8?q?=C3=A9?= =?utf-8?q?=C3=A9?="


def test_the_subject_is_cut_after_room_for_the_encoded_words_the_limits_allow() -> None:
    msg = RawMessage(b"Subject: " + b"x" * 20_000 + b"\n\n", Limits(encoded_words=2))
    assert msg.subject == "x" * 160
    assert len(RawMessage(b"Subject: " + b"x " * 20_000 + b"\n\n").subject) == 7999


def test_encoded_words_are_looked_for_only_near_the_start_of_a_huge_value() -> None:
    value = "x" * (DEFAULT_LIMITS.encoded_words * 80) + " =?utf-8?q?late?="
    assert decode_words(value) == value
    assert decode_words("=?utf-8?q?early?=" + value) == "early" + value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("[Automatyczna =?iso-8859-2?Q?odpowied=BC?=] test", "[Automatyczna odpowiedź] test"),
        ("=?utf-8?q?a?= =?utf-8?q?b?=  =?utf-8?q?c?=", "abc"),  # white space between dropped
        ("=?utf-8?b?w6k=?= x =?utf-8?q?y?=", "é x y"),  # text between is kept
        ("=?utf-8?q?=C3?= =?utf-8?q?=A9?=", "é"),  # one character split over two words
        ("=?utf-8?b?Q?= =?utf-8?q?ok?=", "=?utf-8?b?Q?= ok"),  # bad base64 kept as written
        ("=?utf-8*en?q?hello?=", "hello"),  # an RFC 2231 language
        ("=?utf-8?q?x?==?utf-8?q?y?=", "xy"),
        ("=?punycode?q?abc-?=", "=?punycode?q?abc-?="),  # no MIME charset: kept
        ("=?base64?q?YQ==?=", "=?base64?q?YQ==?="),  # a codec, but not of text: kept
    ],
)
def test_encoded_words_decode_as_rfc_2047_says(value: str, text: str) -> None:
    assert decode_words(value) == text


def test_limits_refuse_values_that_are_not_positive_ints() -> None:
    with pytest.raises(ConfigurationError, match="mime_depth"):
        Limits(mime_depth=0)
    with pytest.raises(ConfigurationError, match="header_bytes"):
        Limits(header_bytes=True)
    with pytest.raises(ConfigurationError, match="body_bytes"):
        Limits(body_bytes=1.5)  # type: ignore[arg-type]


def test_a_raw_message_keeps_the_limits_it_was_built_with() -> None:
    limits = Limits(encoded_words=1)
    assert RawMessage(b"Subject: s\n\n", limits).limits is limits
    assert RawMessage(b"Subject: s\n\n").limits == DEFAULT_LIMITS


@pytest.mark.parametrize("charset", ["base64", "zlib", "punycode", "idna", "no-such", ""])
def test_a_part_in_a_charset_that_is_no_text_encoding_is_read_as_utf8(charset: str) -> None:
    msg = RawMessage(f"Content-Type: text/plain; charset={charset}\n\n".encode() + "Café".encode())
    assert msg.body_text() == "Café"
