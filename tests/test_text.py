"""The one rule for text a store keeps (replytrack._text)."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from replytrack import MemoryStore, Reply
from replytrack._text import MAX_ID_CHARS, CleanText, gate, storable, storable_id, storable_reply

REPLY = Reply(
    send_id="s1",
    inbound_id="m1@example.org",
    email_id="spring",
    contact_id="c1",
    inbox_id="sales",
    received_at=datetime(2026, 3, 1, tzinfo=UTC),
    subject="Re: Grüße",
    snippet="ok",
)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("plain", "plain"),
        ("a\x00b", "a\ufffdb"),
        ("é\x00", "é\ufffd"),
        ("\ud800x\udfff", "\ufffdx\ufffd"),
        ("\ud83d\ude00", "\ufffd\ufffd"),  # a surrogate pair in a str is two lone ones
        ("\U0001f600 \ufffe \x01", "\U0001f600 \ufffe \x01"),
    ],
)
def test_nul_and_lone_surrogates_become_the_replacement_character(text: str, kept: str) -> None:
    assert storable(text) == kept


@given(st.text())
def test_storable_text_always_encodes_has_no_nul_and_is_cleaned_once(text: str) -> None:
    kept = storable(text)
    assert b"\x00" not in kept.encode("utf-8")
    assert storable(kept) is kept
    assert len(kept) == len(text)


def test_an_id_too_long_for_an_index_becomes_a_digest_of_it() -> None:
    long_id = "x" * (MAX_ID_CHARS + 1)
    assert storable_id("x" * MAX_ID_CHARS) == "x" * MAX_ID_CHARS
    assert storable_id(long_id).startswith("sha256:")
    assert storable_id(long_id) == storable_id(long_id)
    assert storable_id(long_id) != storable_id(long_id + "y")


def test_a_clean_reply_is_passed_through_as_the_same_object() -> None:
    assert storable_reply(REPLY) is REPLY
    cleaned = storable_reply(attrs.evolve(REPLY, subject="a\x00", alternate_address="\ud800"))
    assert (cleaned.subject, cleaned.alternate_address) == ("a\ufffd", "\ufffd")
    assert attrs.evolve(cleaned, subject=REPLY.subject, alternate_address=None) == REPLY


def test_the_gate_wraps_a_store_once_and_lends_it_every_other_method() -> None:
    store = MemoryStore()
    cleaned = gate(store)
    assert isinstance(cleaned, CleanText)
    assert gate(cleaned) is cleaned
    cleaned.set_cursor("acme", "src", "7")  # not cleaned: the store's own method
    assert store.get_cursor("acme", "src") == "7"
    with pytest.raises(AttributeError):
        cleaned.no_such_method  # noqa: B018
