"""bare_address: the address a record keeps; its fast path for plainly simple addresses
gives what the parser gives, and a fast path missing any of its checks is caught."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from replytrack.addresses import (
    _SIMPLE,
    Address,
    InvalidAddress,
    _simple,
    _unquoted,
    bare_address,
    parse_address,
)

FastPath = Callable[[str], "str | None"]


def by_the_parser(text: str) -> str | InvalidAddress:
    """What bare_address keeps, asking the parser only (the definition the fast path meets)."""
    text = text.strip()
    parsed = parse_address(text)
    if isinstance(parsed, InvalidAddress):
        return parsed
    assert isinstance(parsed, Address)
    if text.endswith(">"):
        opening = _unquoted(text, "<")
        assert opening is not None
        text = text[opening + 1 : -1].strip()
    return text.lower()


def disagreement(fast: FastPath, value: str) -> str | None:
    """Why ``fast`` disagrees with the parser on ``value``, or None."""
    quick = fast(value.strip())
    if quick is None:
        return None
    slow = by_the_parser(value)
    return None if quick == slow else f"fast path {quick!r}, parser {slow!r}"


# Shapes at the edges of what the fast path takes: each matches its pattern, and the
# parser refuses each.
EDGES = [
    "bob@localhost.localhost",
    "bob@x.invalid",
    "bob@mail.onion",
    "bob@home.arpa",
    "bob@ab--cd.example",
    "bob@xn--zz.com",
    "x" * 20 + "@" + ("a" * 62 + ".") * 3 + "a" * 50 + ".com",  # 264 characters
]
# And some the parser takes, which the fast path must keep as the parser does.
ACCEPTED = [
    "bob@xn--bcher-kva.de",
    "x" * 65 + "@example.com",
    "bob@" + "a" * 63 + ".com",
    "bob@mail.test",
]


@pytest.mark.parametrize("value", EDGES + ACCEPTED)
def test_the_fast_path_agrees_with_the_parser_at_its_edges(value: str) -> None:
    assert disagreement(_simple, value) is None
    assert isinstance(by_the_parser(value), str) is (value in ACCEPTED)


simple_addresses = st.from_regex(_SIMPLE, fullmatch=True)
cased = simple_addresses.flatmap(
    lambda s: st.lists(st.booleans(), min_size=len(s), max_size=len(s)).map(
        lambda flips: "".join(c.upper() if f else c for c, f in zip(s, flips, strict=True))
    )
)


@settings(max_examples=400, deadline=None)
@given(value=st.one_of(simple_addresses, cased, st.text(max_size=40)))
@example("Bob@Example.ORG")
@example("bob@test")
@example("a@b.co")
@example("bob@mail.example.test")
def test_whatever_the_fast_path_takes_the_parser_keeps_alike(value: str) -> None:
    assert disagreement(_simple, value) is None


def test_common_addresses_take_the_fast_path() -> None:
    for value in ("bob@example.org", "First.Last+tag@Mail.Example.co.uk", "a_b-c@x.io"):
        assert _simple(value) == value.lower()


def naive(text: str) -> str | None:
    """A fast path with the regex alone, none of the checks after it."""
    low = text.lower()
    return low if text.isascii() and _SIMPLE.fullmatch(low) else None


def test_a_fast_path_without_its_checks_is_caught_at_every_edge() -> None:
    assert [value for value in EDGES if disagreement(naive, value) is None] == []


def test_a_fast_path_that_keeps_the_case_is_caught_by_the_property() -> None:
    def keeps_case(text: str) -> str | None:
        return text if _simple(text) is not None else None

    assert disagreement(keeps_case, "Bob@Example.org") is not None


def test_bare_address_drops_the_display_name_and_keeps_the_written_spelling() -> None:
    assert bare_address('"Smith, Bob" <Bob@Example.org>') == "bob@example.org"
    assert bare_address("<bob@example.org>") == "bob@example.org"
    assert bare_address("bob@bücher.de") == "bob@bücher.de"
    assert bare_address("bob@xn--bcher-kva.de") == "bob@xn--bcher-kva.de"
    refused = bare_address("bob@")
    assert isinstance(refused, InvalidAddress)
    assert refused.reason == "nothing comes after '@'"
