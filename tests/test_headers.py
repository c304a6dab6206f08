"""Signed Message-IDs and lenient In-Reply-To / References parsing."""

from __future__ import annotations

import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replytrack.errors import ConfigurationError
from replytrack.headers import (
    MAX_THREAD_IDS,
    TokenSigner,
    new_send_id,
    normalise_msg_id,
    parse_msg_ids,
    thread_ids,
)

SECRET = b"k" * 32
SIGNER = TokenSigner(SECRET, "mail.example.com", "acme")

# (header value as real clients and servers write it, expected ids in order)
REAL_WORLD_SHAPES = [
    ("<CAF=abc123@mail.gmail.com>", ["CAF=abc123@mail.gmail.com"]),
    ("  <CAF=abc123@mail.gmail.com>  ", ["CAF=abc123@mail.gmail.com"]),
    ("<a@x.example> <b@y.example>", ["a@x.example", "b@y.example"]),
    (
        "<a@x.example>\r\n <b@y.example>\r\n\t<c@z.example>",
        ["a@x.example", "b@y.example", "c@z.example"],
    ),
    ("<a@x.example><b@y.example>", ["a@x.example", "b@y.example"]),
    ("<a@x.example>,<b@y.example>", ["a@x.example", "b@y.example"]),
    ("<a@x.example>, <b@y.example>", ["a@x.example", "b@y.example"]),
    ("a@x.example", ["a@x.example"]),
    ("a@x.example b@y.example", ["a@x.example", "b@y.example"]),
    ("<a@X.EXAMPLE>", ["a@x.example"]),
    ("<MixedCase.Local@Example.COM>", ["MixedCase.Local@example.com"]),
    ("<a@x.example> (Bob's message of Mon, 1 Jan 2026)", ["a@x.example"]),
    ("(comment first) <a@x.example>", ["a@x.example"]),
    ("<a@x.example> (nested (comment <fake@no>) here)", ["a@x.example"]),
    ("<a@x.example> (escaped \\) paren <fake@no>)", ["a@x.example"]),
    ('Your message of "Mon, 1 Jan 2026" <a@x.example>', ["a@x.example"]),
    ("<a@x.example> from Bob Smith <bob@example.org>", ["a@x.example", "bob@example.org"]),
    ("<a @x.example>", ["a@x.example"]),
    ("<a@x.example\r\n >", ["a@x.example"]),
    ("<1234.5678.JavaMail.user@host.example>", ["1234.5678.JavaMail.user@host.example"]),
    (
        "<B7C2E5B1-6A0B-4C6F-9D0A-1D2E3F4A5B6C@me.com>",
        ["B7C2E5B1-6A0B-4C6F-9D0A-1D2E3F4A5B6C@me.com"],
    ),
    (
        "<DB7PR03MB4972C1E5A0F8B2D3E4F5A6B7C8@DB7PR03MB4972.eurprd03.prod.outlook.com>",
        ["DB7PR03MB4972C1E5A0F8B2D3E4F5A6B7C8@db7pr03mb4972.eurprd03.prod.outlook.com"],
    ),
    ("<0100018d1a2b3c4d-5e6f@email.amazonses.com>", ["0100018d1a2b3c4d-5e6f@email.amazonses.com"]),
    # white space inside an id is a folding artifact: dropped on both sides of a match
    ('<"quoted local"@x.example>', ['"quotedlocal"@x.example']),
    ("=?utf-8?q?=3Ca=40x=2Eexample=3E?=", ["a@x.example"]),
    ("=?iso-8859-1?b?PGFAeC5leGFtcGxlPg==?=", ["a@x.example"]),
    ("<a@x.example> <a@x.example>", ["a@x.example"]),
    ("<a@x.example> <a@X.example>", ["a@x.example"]),
    ("<no-at-sign>", []),
    ("", []),
    ("   ", []),
    ("<>", []),
    ("<a@x.example", ["a@x.example"]),
    ("<<a@x.example>>", ["a@x.example"]),
    ("[a@x.example]", ["[a@x.example]"]),
    ("<a@[192.0.2.1]>", ["a@[192.0.2.1]"]),
]


def test_the_mac_is_hmac_sha256_over_the_tenant_and_send_id_cut_to_80_bits() -> None:
    """Pinned: changing it would stop every Message-ID already sent from verifying."""
    send_id = "0189a1b2c3d4e5f60718293a4b5c6d7e"
    expected = hmac.digest(SECRET, b"replytrack-send\0acme\0" + send_id.encode(), "sha256")
    assert SIGNER.mac(send_id) == expected[:10].hex()
    assert SIGNER.message_id(send_id) == f"<rt1.{send_id}.{expected[:10].hex()}@mail.example.com>"


@pytest.mark.parametrize(("value", "expected"), REAL_WORLD_SHAPES)
def test_real_world_threading_headers_parse_to_ordered_normalised_ids(
    value: str, expected: list[str]
) -> None:
    assert parse_msg_ids(value) == expected


def test_there_are_at_least_thirty_real_world_shapes() -> None:
    assert len(REAL_WORLD_SHAPES) >= 30


def test_repeated_headers_are_read_in_order_without_duplicates() -> None:
    assert parse_msg_ids(["<a@x> <b@y>", "<b@y> <c@z>"]) == ["a@x", "b@y", "c@z"]


def test_none_gives_no_ids() -> None:
    assert parse_msg_ids(None) == []


def test_hundreds_of_references_are_all_read() -> None:
    value = "\r\n ".join(f"<id{n}@x.example>" for n in range(400))
    ids = parse_msg_ids(value)
    assert len(ids) == 400
    assert ids[0] == "id0@x.example"
    assert ids[-1] == "id399@x.example"


def test_thread_ids_put_in_reply_to_first_then_references_newest_first() -> None:
    ids = thread_ids(["<parent@x>"], ["<root@x> <middle@x> <parent@x>"])
    assert ids == ["parent@x", "middle@x", "root@x"]


def test_thread_ids_keep_the_newest_ids_when_references_are_too_many() -> None:
    refs = " ".join(f"<r{n}@x>" for n in range(MAX_THREAD_IDS + 100))
    ids = thread_ids([], [refs])
    assert len(ids) == MAX_THREAD_IDS
    assert ids[0] == f"r{MAX_THREAD_IDS + 99}@x"


def test_normalise_lowercases_only_the_domain() -> None:
    assert normalise_msg_id(" <Abc.DEF@Mail.Example.COM> ") == "Abc.DEF@mail.example.com"


def test_a_signed_message_id_verifies_to_its_send_id() -> None:
    send_id = new_send_id()
    msg_id = SIGNER.message_id(send_id)
    assert msg_id.startswith("<rt1.")
    assert msg_id.endswith("@mail.example.com>")
    assert SIGNER.verify(normalise_msg_id(msg_id)) == send_id


def test_a_signed_message_id_still_verifies_after_a_server_upper_cases_it() -> None:
    send_id = new_send_id()
    assert SIGNER.verify(normalise_msg_id(SIGNER.message_id(send_id).upper())) == send_id


@given(position=st.integers(min_value=0, max_value=52), replacement=st.sampled_from("0af9"))
def test_an_altered_token_never_verifies(position: int, replacement: str) -> None:
    msg_id = normalise_msg_id(SIGNER.message_id("018e0a1b2c3d4e5f60718293a4b5c6d7"))
    local, domain = msg_id.split("@")
    body = local[4:]
    if body[position] == replacement:
        return
    forged = "rt1." + body[:position] + replacement + body[position + 1 :] + "@" + domain
    assert SIGNER.verify(forged) is None


def test_a_token_signed_for_another_tenant_does_not_verify() -> None:
    other = TokenSigner(SECRET, "mail.example.com", "globex")
    msg_id = normalise_msg_id(other.message_id(new_send_id()))
    assert SIGNER.verify(msg_id) is None


def test_a_token_signed_under_another_secret_does_not_verify() -> None:
    other = TokenSigner(b"z" * 32, "mail.example.com", "acme")
    assert SIGNER.verify(normalise_msg_id(other.message_id(new_send_id()))) is None


@pytest.mark.parametrize(
    "msg_id",
    ["a@x", "rt1.@x", "rt1.short.mac@x", "rt1." + "0" * 32 + "." + "0" * 20 + "@x", ""],
)
def test_ids_that_are_not_valid_tokens_do_not_verify(msg_id: str) -> None:
    assert SIGNER.verify(msg_id) is None


def test_send_ids_sort_by_time() -> None:
    early = new_send_id(1_700_000_000_000)
    late = new_send_id(1_700_000_000_001)
    assert early < late
    assert len(early) == 32


def test_message_ids_of_later_sends_sort_after_earlier_ones() -> None:
    ids = [SIGNER.message_id(new_send_id(1_700_000_000_000 + n * 1000)) for n in range(50)]
    assert ids == sorted(ids)


def test_message_ids_are_unique() -> None:
    ids = {SIGNER.message_id(new_send_id(1_700_000_000_000)) for _ in range(2000)}
    assert len(ids) == 2000


@pytest.mark.parametrize(
    ("secret", "domain", "tenant", "words"),
    [
        (b"short", "mail.example.com", "t", "at least 32"),
        ("x" * 40, "mail.example.com", "t", "str"),
        (b"x" * 32, "", "t", "domain"),
        (b"x" * 32, "bob@example.com", "t", "domain"),
        (b"x" * 32, "mail.example.com", "", "tenant"),
    ],
)
def test_bad_signer_settings_are_refused_with_a_clear_message(
    secret: bytes, domain: str, tenant: str, words: str
) -> None:
    with pytest.raises(ConfigurationError, match=words):
        TokenSigner(secret, domain, tenant)
