"""The FETCH responses the source parses itself, in the shapes imaplib hands them over:
a literal with atoms before and after it, an empty body sent as a quoted string or NIL, an
unsolicited flag update, and a client without imaplib underneath."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from replytrack.sources._imap_fetch import fetch


class Imaplib:
    error = RuntimeError

    def __init__(self, data: list[Any]) -> None:
        self.data = data
        self.sent: list[tuple[str, ...]] = []

    def uid(self, *args: str) -> tuple[str, list[Any]]:
        self.sent.append(args)
        return "OK", self.data


class Client:
    def __init__(self, data: list[Any]) -> None:
        self._imap = Imaplib(data)


def test_atoms_around_the_literal_and_bodies_sent_without_one_are_read() -> None:
    client = Client(
        [
            (
                b'1 (UID 7 INTERNALDATE " 2-Mar-2026 09:15:00 +0100" RFC822.SIZE 42'
                b" BODY[HEADER] {11}",
                b"Subject: a\r",
            ),
            b" X-GM-MSGID 1278455344230334865)",
            b"2 (FLAGS (\\Seen))",  # unsolicited: another client read message 2
            b'3 (UID 9 BODY[HEADER] "")',
            b"4 (UID 10 BODY[HEADER] NIL)",
        ]
    )
    found = fetch(client, [7, 9, 10], ["BODY.PEEK[HEADER]"])
    assert client._imap.sent == [("FETCH", "7,9,10", "(BODY.PEEK[HEADER])")]
    when = datetime(2026, 3, 2, 9, 15, tzinfo=timezone(timedelta(hours=1)))
    assert found == {
        7: (when, 42, 1278455344230334865, b"Subject: a\r"),
        9: (None, None, None, b""),
        10: (None, None, None, b""),
    }


def test_a_client_without_imaplib_underneath_goes_through_its_own_fetch() -> None:
    class Other:
        def fetch(self, uids: list[int], items: list[str]) -> dict[int, dict[bytes, Any]]:
            when = datetime(2026, 3, 2, tzinfo=UTC)
            return {
                5: {b"INTERNALDATE": when, b"RFC822.SIZE": 3, b"BODY[TEXT]": b"hey"},
                6: {b"FLAGS": ()},
            }

    found = fetch(Other(), [5, 6], ["BODY.PEEK[TEXT]"])
    assert found == {5: (datetime(2026, 3, 2, tzinfo=UTC), 3, None, b"hey")}
