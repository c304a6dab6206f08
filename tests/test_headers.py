"""Signed Message-IDs and lenient In-Reply-To / References parsing."""

from __future__ import annotations

import hmac
import re
import re._constants as sre
import re._parser as sre_parse
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replytrack import headers, message
from replytrack.errors import ConfigurationError
from replytrack.headers import (
    ID_SPAN,
    MAX_THREAD_IDS,
    TokenSigner,
    new_send_id,
    normalise_msg_id,
    parse_msg_ids,
    thread_ids,
)
from replytrack.limits import DEFAULT_LIMITS, Limits

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


# -- hostile ids (issue 11) ----------------------------------------------------------------------
@pytest.mark.parametrize("tail", ["é", "\u0661", "Z", "\x00", "."])
def test_a_token_with_anything_but_lower_case_hex_does_not_verify(tail: str) -> None:
    local = normalise_msg_id(SIGNER.message_id(new_send_id())).partition("@")[0]
    forged = local[:-1] + tail + "@mail.example.com"
    assert len(forged.partition("@")[0]) == len(local)
    assert SIGNER.verify(forged) is None  # not a TypeError from hmac.compare_digest


def _unbounded_repeats(pattern: re.Pattern[str]) -> list[str]:
    """The backtracking (greedy or lazy) unbounded repeats of a compiled pattern."""
    found: list[str] = []

    def walk(items: Any) -> None:
        for op, av in items:
            if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[1] == sre.MAXREPEAT:
                found.append(f"{op} {av[2]}")
            if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
                walk(av[2])
            elif op is sre.SUBPATTERN:
                walk(av[3])
            elif op is sre.BRANCH:
                for branch in av[1]:
                    walk(branch)
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                walk(av[1])
            elif op is sre.ATOMIC_GROUP:
                walk(av)

    walk(sre_parse.parse(pattern.pattern, pattern.flags))
    return found


def test_the_id_comment_and_encoded_word_patterns_never_backtrack() -> None:
    for pattern in (headers._ID_RE, headers._COMMENT_TEXT, message._ENCODED_WORD):
        assert _unbounded_repeats(pattern) == [], pattern.pattern
    # The check bites: the old id pattern, quadratic on a run of one character, fails it.
    old = re.compile(r"<([^<>]*)>|([^\s<>,()]+@[^\s<>,()]+)")
    assert len(_unbounded_repeats(old)) == 3


def _old_scan_ids(text: str) -> list[str]:
    """The scan before issue 11 (quadratic, char-by-char comments): the reference."""
    out: list[str] = []
    depth, in_id, i = 0, False, 0
    while i < len(text):
        char = text[i]
        if depth:
            if char == "\\":
                i += 1
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
        elif char == "(" and not in_id:
            depth = 1
            out.append(" ")
        else:
            in_id = (in_id or char == "<") and char != ">"
            out.append(char)
        i += 1
    old = re.compile(r"<([^<>]*)>|([^\s<>,()]+@[^\s<>,()]+)")
    return [bracketed or bare for bracketed, bare in old.findall("".join(out))]


@given(st.text(alphabet="<>()@ab,\\ \t.é", max_size=60))
def test_the_linear_scan_reads_what_the_old_scan_read(text: str) -> None:
    assert headers._scan_ids(text, 1000) == _old_scan_ids(text)


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("(<a@b>) <c@d>", ["c@d"]),
        ("<a@b> (not (an) id@x) <c@d>", ["a@b", "c@d"]),
        ("<a(1)@b>", ["a(1)@b"]),  # a parenthesis inside an id is no comment
        ("<a@b> (never closed <c@d>", ["a@b"]),
        ("<a@b> (ends in a backslash \\", ["a@b"]),
        ("(a \\) <x@y>) <c@d>", ["c@d"]),  # a quoted pair inside a comment
        ("(<a@b>) " * 65 + "<c@d>", ["a@b", "c@d"]),  # too many to be comments: separators
    ],
)
def test_comments_are_dropped_and_too_many_parentheses_only_separate(
    value: str, ids: list[str]
) -> None:
    assert parse_msg_ids(value) == ids


class _Recording:
    """A compiled pattern that records the length of every text it scans."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.scanned: list[int] = []

    def findall(self, text: str) -> list[Any]:
        self.scanned.append(len(text))
        return self.pattern.findall(text)

    def finditer(self, text: str) -> Any:
        self.scanned.append(len(text))
        return self.pattern.finditer(text)


@pytest.mark.parametrize("last", [False, True])
def test_the_id_scan_reads_a_bounded_window_however_long_the_value(
    monkeypatch: pytest.MonkeyPatch, last: bool
) -> None:
    ids = _Recording(headers._ID_RE)
    words = _Recording(message._ENCODED_WORD)
    monkeypatch.setattr(headers, "_ID_RE", ids)
    monkeypatch.setattr(message, "_ENCODED_WORD", words)
    for size in (1 << 16, 1 << 17, 1 << 20):  # doubling the value does not double the work
        parse_msg_ids("=?utf-8?q?<a@b>?= " * (size // 18), last=last)
    assert ids.scanned[0] == ids.scanned[1] == ids.scanned[2] <= 500 * ID_SPAN
    assert words.scanned[0] == words.scanned[2] <= DEFAULT_LIMITS.encoded_words * 80


@pytest.mark.parametrize("char", ["a", "(", ")", "<", ">", "@", "=", "?", "\\", " ", ","])
def test_a_mebibyte_of_one_character_gives_no_id(char: str) -> None:
    assert thread_ids([char * (1 << 20)], [char * (1 << 20)]) == []


def test_in_reply_to_keeps_its_first_ids_and_references_its_last() -> None:
    value = " ".join(f"<{n}@x>" for n in range(10))
    limits = Limits(ids_per_header=3)
    assert parse_msg_ids(value, limits) == ["0@x", "1@x", "2@x"]
    assert parse_msg_ids(value, limits, last=True) == ["7@x", "8@x", "9@x"]
    assert thread_ids(["<p@x>"], [value], limits) == ["p@x", "9@x", "8@x", "7@x"]


def test_a_long_value_is_cut_at_white_space_so_no_id_is_read_in_part() -> None:
    limits = Limits(ids_per_header=2)  # a window of 2 * ID_SPAN characters
    value = " ".join(f"<{n:0{ID_SPAN + 18}d}@x>" for n in range(6))  # 150 characters each
    assert [i.partition("@")[0][-1] for i in parse_msg_ids(value, limits)] == ["0"]
    assert [i.partition("@")[0][-1] for i in parse_msg_ids(value, limits, last=True)] == ["5"]


def test_a_window_cut_right_at_white_space_keeps_the_whole_id_beside_it() -> None:
    limits = Limits(ids_per_header=1)  # a window of ID_SPAN characters
    first = f"<{'1' * (ID_SPAN - 5)}@x>"  # ID_SPAN - 1 characters, then the space
    assert parse_msg_ids(f"{first} <b@x> <c@x>", limits) == [first.strip("<>")]
    last = f"<{'9' * (ID_SPAN - 5)}@x>"  # the window starts at the space before it
    assert parse_msg_ids(f"<a@x> <b@x> {last}", limits, last=True) == [last.strip("<>")]
