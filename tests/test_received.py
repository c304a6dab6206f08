"""A message ingested without a time takes it from its newest Received field, else its
Date, else the clock (replytrack._received), and says which."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from replytrack._received import FIELD_BYTES, SKEW, message_time
from replytrack.message import RawMessage

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def read(headers: str) -> tuple[datetime, str]:
    return message_time(RawMessage((headers + "Subject: s\r\n\r\nbody\r\n").encode()), NOW)


def test_the_topmost_received_field_wins_over_older_hops_and_the_date() -> None:
    found = read(
        "Received: from mx.example.org by mail.example.com with ESMTPS id 4Tq;\r\n"
        "\tMon, 9 Mar 2026 10:00:00 +0100 (CET)\r\n"
        "Received: from laptop by mx.example.org; Sun, 8 Mar 2026 10:00:00 +0000\r\n"
        "Date: Sat, 7 Mar 2026 10:00:00 +0000\r\n"
    )
    assert found == (datetime(2026, 3, 9, 9, 0, tzinfo=UTC), "received-header")


def test_the_date_after_the_last_semicolon_is_read_even_with_one_in_the_clauses() -> None:
    found = read("Received: from a (b; c) by d; Mon, 09 Mar 2026 08:00:00 -0500\r\n")
    assert found == (datetime(2026, 3, 9, 13, 0, tzinfo=UTC), "received-header")


@pytest.mark.parametrize(
    "received",
    [
        "Received: by mail.example.com; not a date at all\r\n",
        "Received: by mail.example.com with LMTP id x\r\n",  # no ';': no date
        "Received: by x; Thu, 01 Jan 2099 00:00:00 +0000\r\n",  # in the future
        "Received: by x; Mon, 09 Mar 10000 08:00:00 +0000\r\n",  # no such year
        "",
    ],
)
def test_without_a_readable_received_time_the_date_header_is_used(received: str) -> None:
    found = read(received + "Date: Mon, 09 Mar 2026 11:30:00 +0000\r\n")
    assert found == (datetime(2026, 3, 9, 11, 30, tzinfo=UTC), "date-header")


@pytest.mark.parametrize(
    "date",
    ["", "Date: soon\r\n", "Date: Thu, 01 Jan 2099 00:00:00 +0000\r\n", "Date: 1 Jan 99999\r\n"],
)
def test_without_any_readable_time_it_is_the_clock(date: str) -> None:
    assert read("Received: by x; garbage\r\n" + date) == (NOW, "clock")


def test_a_time_a_little_ahead_of_the_clock_is_believed_beyond_the_skew_it_is_not() -> None:
    ahead = (NOW + SKEW - timedelta(seconds=1)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    too_far = (NOW + SKEW + timedelta(seconds=1)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    assert read(f"Received: by x; {ahead}\r\n")[1] == "received-header"
    assert read(f"Received: by x; {too_far}\r\n")[1] == "clock"


def test_a_time_without_a_zone_is_taken_as_utc() -> None:
    found = read("Received: by x; Mon, 09 Mar 2026 10:00:00 -0000\r\n")
    assert found == (datetime(2026, 3, 9, 10, 0, tzinfo=UTC), "received-header")


def test_only_the_first_bytes_of_a_huge_received_field_are_read_quickly() -> None:
    huge = "Received: from " + "a" * 900_000 + "; Mon, 09 Mar 2026 10:00:00 +0000\r\n"
    message = RawMessage(
        (huge + "Date: Mon, 09 Mar 2026 11:00:00 +0000\r\n\r\n").encode(),
    )
    started = time.perf_counter()
    found = message_time(message, NOW)
    assert time.perf_counter() - started < 0.05
    assert found == (datetime(2026, 3, 9, 11, 0, tzinfo=UTC), "date-header")  # past FIELD_BYTES
    assert FIELD_BYTES < 900_000
